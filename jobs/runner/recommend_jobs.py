"""The recommender's scheduled jobs: the export after each published hour, and the daily retrain.

    >>> now = pd.Timestamp("2026-05-05T03:00Z")                       # 12:00 in Seoul
    >>> slot = retrain_slot(now, "04:30", "Asia/Seoul")
    >>> slot.isoformat(), retrain_due(None, slot), retrain_due(slot, slot)
    ('2026-05-05T04:30:00+09:00', True, False)
    >>> retrain_slot(pd.Timestamp("2026-05-04T19:00Z"), "04:30", "Asia/Seoul").isoformat()  # 04:00: yesterday's
    '2026-05-04T04:30:00+09:00'
    >>> export_due({"hour": "2026-05-05T02:00:00+00:00"}, pd.Timestamp("2026-05-05T03:00Z"))
    True
    >>> export_due({"hour": "2026-05-05T03:00:00+00:00"}, pd.Timestamp("2026-05-05T03:00Z"))
    False
    >>> export_due({"hour": "2026-05-05T03:00:00+00:00", "model_version": "a"}, pd.Timestamp("2026-05-05T03:00Z"), "b")
    True

Both are configured by ``[recommender]`` (:class:`jobs.settings.ScheduledRecommenderSettings`) and
run by :mod:`jobs.runner.scheduler` only after the issue feed's work is done: they never hold the
hourly run lock and never raise into the scheduler. Each holds its own named row in the run lock
table (``reco-export``, ``reco-train``), so two schedulers never export or train at once, and an
export never waits for a training (the model store's ``CURRENT`` is switched atomically).

* :func:`run_export`: the newest completed hour not exported yet (an export for the newest hour
  only, however many hours the feed caught up), with that hour's feed file (the ``{hour}`` rule of
  :func:`jobs.publish.paths.hour_file`) as issue signals and the interaction files of the
  ``interactions`` glob changed since the current model was trained folded in; written to the
  export files and to Redis (``<prefix>:reco``, fenced by the ``reco-export`` lock's token).
  ``<model_dir>/EXPORTED.json`` records the last export, and the last failure until an export
  succeeds again (a failed export is retried by the next firing).
* :func:`run_retrain`: ``train-recommender`` on every file of the glob, with the champion gate, once
  per daily slot (``retrain_at``, local time): a slot missed while the scheduler was down runs once
  when it starts, not once per missed day. ``<model_dir>/RETRAIN.json`` records the slot attempted
  (also a failed attempt: it is alerted and waits for the next slot). A promoted model is
  exported at once for the newest hour (an export is due when the hour *or* the model changed).
* :func:`recommender_status`: what ``issuewire status`` shows of both.

Failures are logged and sent through :class:`jobs.runner.alerts.WebhookAlerter` (stage
``recommender-export`` / ``recommender-retrain``); the feed stays published and the run's exit code
is the feed's.
"""
from __future__ import annotations

import glob
import json
import logging
import os
from pathlib import Path
from typing import Any

import pandas as pd

from issues.atomic_file import atomic_write
from jobs.runner.alerts import redact
from jobs.store.lock import LockBusyError, RunLock

log = logging.getLogger("issuewire.recommender")

EXPORT_STATE, RETRAIN_STATE = "EXPORTED.json", "RETRAIN.json"
EXPORT_LOCK, RETRAIN_LOCK = "reco-export", "reco-train"


# -- deciding (pure) --------------------------------------------------------------------------
def retrain_slot(now: pd.Timestamp, retrain_at: str, timezone: str) -> pd.Timestamp:
    """The latest daily ``retrain_at`` (local ``HH:MM``) at or before ``now``, in local time."""
    local = pd.Timestamp(now).tz_convert(timezone)
    hh, mm = (int(x) for x in retrain_at.split(":"))
    slot = local.normalize().tz_localize(None) + pd.Timedelta(hours=hh, minutes=mm)
    slot = slot.tz_localize(timezone, nonexistent="shift_forward", ambiguous=False)
    return slot if slot <= local else \
        (slot.tz_localize(None) - pd.Timedelta(days=1)).tz_localize(timezone, nonexistent="shift_forward",
                                                                  ambiguous=False)


def retrain_due(last_slot: pd.Timestamp | None, slot: pd.Timestamp) -> bool:
    """A retrain is due when the last attempted slot is older than the current one."""
    return last_slot is None or pd.Timestamp(last_slot) < slot


def export_due(state: dict, newest_hour: pd.Timestamp, model_version: str | None = None) -> bool:
    """An export is due when the newest completed hour is not the last exported one, or the
    current model (``model_version``, when given) is not the one it was exported with."""
    last = state.get("hour")
    if last is None or pd.Timestamp(last) != pd.Timestamp(newest_hour):
        return True
    return model_version is not None and state.get("model_version") != model_version


# -- state files ------------------------------------------------------------------------------
def read_state(path: Path) -> dict:
    try:
        return json.loads(Path(path).read_text(encoding="utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except (OSError, ValueError) as exc:
        log.warning("unreadable %s (%s): treated as empty", path, exc.__class__.__name__)
        return {}


def write_state(path: Path, state: dict) -> None:
    atomic_write(path, json.dumps(state, ensure_ascii=False, indent=2, default=str) + "\n")


def _iso(ts) -> str:
    return pd.Timestamp(ts).tz_convert("UTC").isoformat()


def _now(now) -> pd.Timestamp:
    return pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now).tz_convert("UTC")


# -- the shell --------------------------------------------------------------------------------
def model_settings(rs):
    """The recommender's own settings from ``[recommender]``."""
    from recommender.data import DataSettings
    from recommender.shell import RecommenderSettings

    threshold = None if rs.rating_threshold is not None and rs.rating_threshold < 0 else rs.rating_threshold
    data = DataSettings(rating_threshold=threshold, min_user_count=rs.min_count, min_item_count=rs.min_count)
    return RecommenderSettings(model_dir=rs.model_dir, data=data, vae_epochs=rs.epochs, threads=rs.threads,
                               top_k=rs.top_k, progress=False)


def interaction_files(pattern: str | None, changed_after: float | None = None) -> list[str]:
    """The files of the glob (sorted), only those modified after ``changed_after`` (unix seconds)."""
    if not pattern:
        return []
    files = sorted(f for f in glob.glob(pattern) if os.path.isfile(f))
    if changed_after is not None:
        files = [f for f in files if os.path.getmtime(f) > changed_after]
    return files


def _current_model(model_dir: str) -> tuple[str | None, dict]:
    """The serving model's version and meta.json (``(None, {})`` before the first training)."""
    from recommender.shell import ModelStore

    version = ModelStore(model_dir).current_version() if Path(model_dir).is_dir() else None
    return version, (read_state(Path(model_dir) / version / "meta.json") if version else {})


def _lock(ctx, name: str) -> RunLock:
    return RunLock(ctx.store.engine, name=name, ttl_seconds=ctx.settings.lock_ttl_seconds)


def run_export(ctx, now: pd.Timestamp | None = None) -> dict | None:
    """Export for the newest completed hour unless it was exported already with the current model;
    the new state, or None. A failure is recorded as ``failed`` in the state (for ``status``) and raised."""
    rs = ctx.settings.recommender
    completed = ctx.store.completed_hours()
    if not len(completed):
        return None
    hour = completed.max()
    state_path = Path(rs.model_dir) / EXPORT_STATE
    model_version, model_meta = _current_model(rs.model_dir)
    if not export_due(read_state(state_path), hour, model_version):
        return None
    with _lock(ctx, EXPORT_LOCK).held() as lock:
        if not export_due(read_state(state_path), hour, model_version):   # another scheduler did it meanwhile
            return None
        try:
            return _export(ctx, hour, lock, state_path, model_meta, now)
        except Exception as exc:
            if state_path.parent.is_dir():          # what status shows; the last good export's fields stay
                write_state(state_path, {**read_state(state_path), "failed": {
                    "hour": _iso(hour), "at": _iso(_now(now)), "error": redact(f"{exc.__class__.__name__}: {exc}")}})
            raise


def _export(ctx, hour, lock, state_path: Path, model_meta: dict, now) -> dict:
    """The export itself (under the ``reco-export`` lock): files, Redis, then the state."""
    from jobs.cli.recommend import export_recommendations
    from jobs.publish.paths import hour_file, hour_label
    from recommender.base import RecommenderError
    from recommender.data import parse_columns

    s, rs = ctx.settings, ctx.settings.recommender
    feed = None
    if s.feed_file:
        feed = hour_file(s.feed_file, hour, s.timezone)
        if not feed.is_file():
            raise RecommenderError(f"the feed file of hour {hour_label(hour, s.timezone)} is missing: {feed} "
                                   f"(its publish is pending; the next firing tries again)")
    trained = model_meta.get("created_at")
    files = interaction_files(rs.interactions,
                              pd.Timestamp(trained).timestamp() if trained else None)
    out = lambda t: str(hour_file(t, hour, s.timezone)) if t else None  # noqa: E731
    meta = export_recommendations(
        model_settings(rs), s.redis_url, s.redis_prefix,
        fence_token=lock.token, feed_path=feed, out_path=out(rs.export_file),
        similar_out_path=out(rs.similar_file), interactions_paths=files, columns=parse_columns(rs.columns),
        feedback_path=rs.feedback, issue_weight=rs.issue_weight)
    state = {"version": meta["version"], "model_version": meta["model_version"], "hour": _iso(hour),
             "at": _iso(_now(now)), "n_users": meta["n_users"], "served": meta["served"],
             "folded_in": meta["folded_in"], "fallback": meta["fallback"], "interaction_files": len(files),
             "redis": bool(s.redis_url), "feed_file": str(feed) if feed else None}
    write_state(state_path, state)             # also clears a recorded failure
    log.info("recommendations %s exported for hour %s: %d of %d users served", state["version"],
             hour_label(hour, s.timezone), state["served"], state["n_users"])
    return state


def run_retrain(ctx, now: pd.Timestamp | None = None) -> dict | None:
    """Train once for the current daily slot (champion gate); the new state, or None if not due."""
    from recommender.base import RecommenderError
    from recommender.data import parse_columns
    from recommender.shell import train_recommender

    s, rs = ctx.settings, ctx.settings.recommender
    if not rs.retrain_at:
        return None
    now = _now(now)
    slot = retrain_slot(now, rs.retrain_at, s.timezone)
    state_path = Path(rs.model_dir) / RETRAIN_STATE

    def due() -> bool:
        last = read_state(state_path).get("slot")
        return retrain_due(pd.Timestamp(last) if last else None, slot)

    if not due():
        return None
    with _lock(ctx, RETRAIN_LOCK).held():
        if not due():
            return None
        state = {"slot": slot.isoformat(), "started_at": _iso(now)}
        write_state(state_path, state)               # attempted: a failure waits for the next slot
        try:
            files = interaction_files(rs.interactions)
            if not files:
                raise RecommenderError(f"[recommender] interactions {rs.interactions!r}: no file matches")
            out = train_recommender(model_settings(rs), files, rs.items, now=now.to_pydatetime(),
                                    columns=parse_columns(rs.columns), feedback_path=rs.feedback)
        except Exception as exc:
            write_state(state_path, {**state, "error": redact(f"{exc.__class__.__name__}: {exc}")})
            raise
        state.update(version=out["version"], promoted=out["promoted"], served=out["served"],
                     seconds=out["seconds"], interaction_files=len(files))
        write_state(state_path, state)
    log.info("recommender %s trained for slot %s: %s", out["version"], slot.isoformat(),
             "promoted" if out["promoted"] else "kept the current model")
    return state


def _guarded(ctx, stage: str, job, now) -> dict | None:
    """Run one job; a busy lock is logged, any other failure logged and alerted, never raised."""
    try:
        return job(ctx, now=now)
    except LockBusyError as exc:
        log.info("%s skipped: %s", stage, exc)
    except Exception as exc:  # noqa: BLE001 - the feed's scheduler must keep running
        error = redact(f"{exc.__class__.__name__}: {exc}")
        log.error("%s failed: %s", stage, error)
        alerter = ctx.alerter
        if alerter is not None:
            alerter.failure(_now(now), stage, error)
    return None


def export_firing(ctx, now: pd.Timestamp | None = None) -> dict | None:
    """The export as the scheduler runs it after the hour: never raises, alerts on failure."""
    if not ctx.settings.recommender.enabled:
        return None
    return _guarded(ctx, "recommender-export", run_export, now)


def retrain_firing(ctx, now: pd.Timestamp | None = None) -> dict | None:
    """The daily retrain as the scheduler runs it (also at start, to catch up a missed slot); a
    promoted model is exported at once for the newest hour."""
    if not ctx.settings.recommender.enabled:
        return None
    state = _guarded(ctx, "recommender-retrain", run_retrain, now)
    if state and state.get("promoted"):
        export_firing(ctx, now)                     # the newest hour again, from the new model
    return state


# -- status -----------------------------------------------------------------------------------
def recommender_status(rs) -> dict[str, Any] | None:
    """The last export and the last training as ``status`` shows them (None when not configured)."""
    if not rs.enabled:
        return None
    from recommender.shell import ModelStore

    root = Path(rs.model_dir)
    exported = read_state(root / EXPORT_STATE) or None
    retrain = read_state(root / RETRAIN_STATE) or None
    versions = sorted(p.parent.name for p in root.glob("*/meta.json")) if root.is_dir() else []
    training = None
    if versions:
        meta = read_state(root / versions[-1] / "meta.json")
        training = {"version": versions[-1], "at": meta.get("created_at"), "promoted": meta.get("promoted"),
                    "served": meta.get("served"), "seconds": meta.get("train_seconds")}
    current = ModelStore(root).current_version() if root.is_dir() else None
    return {"model_dir": str(root), "current_model": current, "export": exported, "training": training,
            "retrain": retrain}
