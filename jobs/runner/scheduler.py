"""The hourly scheduler: APScheduler fires at a set minute; each firing catches up in order.

    >>> completed = pd.date_range("2026-05-05T00:00Z", periods=3, freq="h")        # 00, 01, 02 UTC ran
    >>> [h.strftime("%H") for h in due_hours(completed, now=pd.Timestamp("2026-05-05T06:10Z"), max_back=48)]
    ['03', '04', '05']
    >>> sched = build_scheduler(RunContext(Settings(schedule_minute=5)), ["drop/posts"], blocking=False)
    >>> job = sched.get_jobs()[0]
    >>> job.id, job.max_instances, job.coalesce, str(job.trigger)
    ('hourly-run', 1, True, "cron[minute='5']")

``run_scheduler(settings, posts, queries)`` catches up, then blocks on the scheduler;
``catch_up(RunContext(settings), posts, queries, now=...)`` is one firing. Each firing runs every hour that ended since the last completed hour in the database (at most
``max_catchup_hours`` back, oldest first), so a scheduler that was down for a while completes
the missed hours in order. ``max_instances=1`` and ``coalesce=True`` keep one run at a time in
this process: a slow hour makes the next firing wait, never overlap. An hour whose publish fails
does not stop the catch-up (:func:`jobs.runner.backfill.run_hours`); ``run_scheduler(..., once=True)``
then returns 4, the exit code of a pending publish.

With ``[recommender]`` configured, each firing then exports the recommendations for the newest
completed hour and a ``daily-retrain`` job retrains at ``retrain_at``
(:mod:`jobs.runner.recommend_jobs`): after the feed, under their own locks, never raising; the
exit code stays the feed's.
"""
from __future__ import annotations

import logging
from typing import Sequence

import pandas as pd

from jobs.runner.alerts import redact
from jobs.runner.backfill import HourRuns, run_hours
from jobs.runner.context import RunContext
from jobs.runner.hour import publish_pending
from jobs.runner.recommend_jobs import export_firing, retrain_firing
from jobs.settings import Settings  # noqa: F401 - the settings a RunContext takes (used by the example)
from jobs.store.lock import LockBusyError

log = logging.getLogger("issuewire.scheduler")


def due_hours(completed: pd.DatetimeIndex, now: pd.Timestamp, max_back: int) -> pd.DatetimeIndex:
    """Ended hours not yet completed, oldest first, at most ``max_back`` hours before ``now``."""
    last_ended = pd.Timestamp(now).tz_convert("UTC").floor("h") - pd.Timedelta(hours=1)
    first = last_ended - pd.Timedelta(hours=max_back - 1)
    if len(completed):
        first = max(first, completed.max() + pd.Timedelta(hours=1))
    if first > last_ended:
        return pd.DatetimeIndex([], tz="UTC")
    wanted = pd.date_range(first, last_ended, freq="h")
    return wanted.difference(completed)


def catch_up(ctx: RunContext, posts: Sequence[str], queries: Sequence[str] = (), now: pd.Timestamp | None = None,
             progress: bool = False) -> HourRuns:
    """Run the due hours in order (a progress bar when ``progress``); the lock is held throughout.

    Hours further back than ``max_catchup_hours`` are skipped, and said so in the log: run them
    with ``issuewire backfill`` if they matter.
    """
    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now).tz_convert("UTC")
    with ctx.hold_lock():
        publish_pending(ctx)
        completed = ctx.store.completed_hours()
        hours = due_hours(completed, now, ctx.settings.max_catchup_hours)
        if len(completed) and len(hours) and hours[0] > completed.max() + pd.Timedelta(hours=1):
            log.warning("catch-up limited to %d hours: %s .. %s not run (use issuewire backfill)",
                        ctx.settings.max_catchup_hours, completed.max() + pd.Timedelta(hours=1),
                        hours[0] - pd.Timedelta(hours=1))
        return run_hours(ctx, hours, posts, queries, progress=progress and len(hours) > 1,
                         on_report=lambda r: log.info("ran %s", r.summary()), desc="catch-up")


def scheduled_firing(ctx: RunContext, posts: Sequence[str], queries: Sequence[str] = ()) -> list:
    """One firing of the scheduler: catch up; a busy lock (a manual run or another scheduler) or a
    failed hour (already recorded and alerted) is logged, and the next firing tries again. Then,
    with ``[recommender]`` configured, the recommendation export for the newest completed hour
    (which never raises: its failure is logged and alerted, the feed stays published)."""
    runs: list = []
    try:
        runs = catch_up(ctx, posts, queries, progress=False)
        if runs.pending:
            log.warning("%s", runs.summary())
    except LockBusyError as exc:
        log.info("firing skipped: %s", exc)
    except Exception as exc:  # noqa: BLE001 - the scheduler must keep firing
        log.error("firing stopped: %s: %s", exc.__class__.__name__, redact(str(exc)))
    export_firing(ctx)
    return runs


def scheduled_retrain(ctx: RunContext, clock=None) -> None:
    """The daily retrain job (``clock()`` gives the time; tests pass a fake one)."""
    retrain_firing(ctx, now=None if clock is None else clock())


def build_scheduler(ctx: RunContext, posts: Sequence[str], queries: Sequence[str] = (), trigger=None, blocking=True,
                    retrain_trigger=None, clock=None):
    """A configured (not started) APScheduler; ``trigger`` defaults to the hourly cron minute.

    With ``[recommender]`` configured and a ``retrain_at``, a second job ``daily-retrain`` fires at
    that local time (``retrain_trigger`` replaces it in tests) and once at start, which runs a slot
    missed while the scheduler was down (once); it runs beside the hourly job, never before it."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler
    from apscheduler.triggers.cron import CronTrigger

    scheduler = (BlockingScheduler if blocking else BackgroundScheduler)(timezone=ctx.settings.timezone)
    trigger = trigger or CronTrigger(minute=ctx.settings.schedule_minute, timezone=ctx.settings.timezone)
    scheduler.add_job(scheduled_firing, trigger, args=[ctx, list(posts), list(queries)], id="hourly-run",
                      max_instances=1, coalesce=True, misfire_grace_time=3600, replace_existing=True)
    reco = ctx.settings.recommender
    if reco.enabled and reco.retrain_at:
        from datetime import datetime, timezone

        hh, mm = reco.retrain_at.split(":")
        retrain_trigger = retrain_trigger or CronTrigger(hour=int(hh), minute=int(mm), timezone=ctx.settings.timezone)
        scheduler.add_job(scheduled_retrain, retrain_trigger, args=[ctx, clock], id="daily-retrain",
                          max_instances=1, coalesce=True, misfire_grace_time=6 * 3600, replace_existing=True,
                          next_run_time=datetime.now(timezone.utc))
    return scheduler


def run_scheduler(settings, posts: Sequence[str], queries: Sequence[str] = (), once: bool = False,
                  now: pd.Timestamp | None = None, progress: bool = True) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    ctx = RunContext(settings)
    runs = catch_up(ctx, posts, queries, now=now, progress=progress)
    export_firing(ctx, now=now)                     # never raises: the feed's exit code stands
    if once:
        retrain_firing(ctx, now=now)                # a due (or missed) daily retrain, once
        if runs.pending:
            log.warning("%s", runs.summary())
            return 4                                # the exit code of a pending publish (jobs.cli.main)
        return 0
    build_scheduler(ctx, posts, queries).start()
    return 0
