"""Runs of several hours in order: a backfill, the scheduler's catch-up, and their summary.

    >>> runs = HourRuns("backfill", "Asia/Seoul", total=2)
    >>> runs.append("<report of 02Z>")
    >>> runs.summary()
    'backfill: 2 hours: 1 ok, 0 with pending publish, 0 failed, 1 not run'

An hour whose publish fails is stored and its publish left pending (the next run retries it),
and the following hours still run; any other failure stops the run (the later hours are judged
against the earlier ones). A backfill whose hours all ran but some wait to be published exits 4
(``jobs/cli/main.py``).
"""
from __future__ import annotations

from typing import Sequence

import pandas as pd

from jobs.runner.alerts import redact
from jobs.runner.context import RunContext
from jobs.runner.hour import PendingPublishError, run_hour
from jobs.runner.runlog import StageLog
from jobs.store.lock import LockBusyError

__all__ = ["backfill", "run_hours", "HourRuns"]


def backfill(ctx: RunContext, start: pd.Timestamp, end: pd.Timestamp, posts_paths: Sequence[str],
             queries_paths: Sequence[str] = (), progress: bool = True, on_report=None) -> "HourRuns":
    """Every hour from ``start`` to ``end`` (both included), in order, with a progress bar."""
    hours = pd.date_range(pd.Timestamp(start).tz_convert("UTC"), pd.Timestamp(end).tz_convert("UTC"), freq="h")
    return run_hours(ctx, hours, posts_paths, queries_paths, progress, on_report, desc="backfill")


class HourRuns(list):
    """The reports of the hours that ran (a list, in order), with the hours whose publish is
    pending and the hour that failed, if one did (the hours after it were not run).

    >>> runs = HourRuns("backfill", "Asia/Seoul", total=3)
    >>> runs.extend(["<report of 02Z>", "<report of 03Z>"])
    >>> runs.pending.append((pd.Timestamp("2026-05-05T03:00Z"), "redis publish of ... failed"))
    >>> runs.summary()
    'backfill: 3 hours: 1 ok, 1 with pending publish (2026-05-05T12:00+09:00), 0 failed, 1 not run'
    """

    def __init__(self, desc: str = "hours", timezone: str = "Asia/Seoul", total: int = 0):
        super().__init__()
        self.desc, self.timezone, self.total = desc, timezone, total
        self.pending: list[tuple[pd.Timestamp, str]] = []
        self.failed: tuple[pd.Timestamp, str] | None = None

    @property
    def ok(self) -> int:
        return len(self) - len(self.pending)

    @property
    def not_run(self) -> int:
        return self.total - len(self) - (1 if self.failed else 0)

    def _local(self, hour: pd.Timestamp) -> str:
        return pd.Timestamp(hour).tz_convert(self.timezone).isoformat(timespec="minutes")

    def summary(self) -> str:
        """One line: hours ok / with a pending publish (the first ones named) / failed / not run."""
        pending = ""
        if self.pending:
            named = ", ".join(self._local(h) for h, _ in self.pending[:3])
            pending = f" ({named}{', ...' if len(self.pending) > 3 else ''})"
        failed = f" ({self._local(self.failed[0])}: {self.failed[1]})" if self.failed else ""
        not_run = f", {self.not_run} not run" if self.not_run else ""
        return (f"{self.desc}: {self.total} hours: {self.ok} ok, {len(self.pending)} with pending publish{pending}, "
                f"{1 if self.failed else 0} failed{failed}{not_run}")


def run_hours(ctx: RunContext, hours: Sequence[pd.Timestamp], posts_paths: Sequence[str],
              queries_paths: Sequence[str] = (), progress: bool = True, on_report=None,
              desc: str = "hours") -> HourRuns:
    """The given hours in order under one hold of the run lock, with a progress bar.

    An hour whose Redis publish or feed file fails is stored like any other (its publish waits
    for the next run, as after a single ``run``) and the next hours run. Any other failure stops
    the run: later hours are judged against the earlier ones, so they are not run without it; the
    exception is raised with the :class:`HourRuns` so far as its ``hour_runs``."""
    from tqdm import tqdm

    hours = list(hours)
    runs = HourRuns(desc, ctx.settings.timezone, total=len(hours))
    with ctx.hold_lock():
        for hour in tqdm(hours, desc=desc, unit="hour", disable=not progress):
            try:
                report = run_hour(ctx, hour, posts_paths, queries_paths)
            except PendingPublishError as exc:
                report = exc.report
                runs.pending.append((report.hour, redact(str(exc))))
                report.notes.append(f"publish pending: {redact(str(exc))}")
            except LockBusyError:
                raise
            except Exception as exc:
                runs.failed = (pd.Timestamp(hour).tz_convert("UTC"), redact(f"{exc}"))
                exc.hour_runs = runs
                StageLog(hour).event("hours_stopped", summary=runs.summary())
                raise
            runs.append(report)
            if on_report is not None:
                on_report(report)
    if len(hours) > 1 or runs.pending:
        StageLog(hours[-1]).event("hours_done", summary=runs.summary(), ok=runs.ok, pending=len(runs.pending))
    return runs
