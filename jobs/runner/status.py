"""``issuewire status``: the last runs, the lock holder and the current feed, for an operator.

    >>> from jobs.settings import Settings
    >>> from jobs.store.issue_store import IssueStore
    >>> store, none = IssueStore("sqlite://"), pd.DataFrame()
    >>> store.save_hour(pd.Timestamp("2026-05-04T08:00+09:00"), {"status": "ok", "posts_read": 120,
    ...                 "posts_rejected": 2, "posts_in_hour": 118, "issues_published": 3}, none,
    ...                 pd.Series({"home": 118}), None, none, none, pd.DataFrame(columns=["kind", "source", "line",
    ...                 "reason", "raw"]))
    >>> print(format_status(collect_status(Settings(), last=12, store=store)))   # doctest: +NORMALIZE_WHITESPACE
    lock: never taken
    feed: newest run 2026-05-04T08:00+09:00 version -
    hour (local)           status   read   rej  in_h iss    lag redis file  seconds (ingest/history/map/core/store/redis/file/report)
    2026-05-04T08:00+09:00 ok        120     2   118   3      -     -    -  -/-/-/-/-/-/-/-

A lock whose holder died (its pid is gone on this host) or stopped heart-beating past its expiry
is shown as ``STALE`` with the holder's pid and times, since the next run takes it over; ``status``
never creates or migrates a database (a mistyped SQLite path is an error, exit 2), and ``--json``
is valid JSON (``null`` where a value is unknown, never ``NaN``).

Lag is how long after the end of its hour a run finished (a backfill shows large lags, a healthy
scheduler a few minutes). Pending publishes (Redis or file not written, retried by the next run)
and the latest failed attempts (with the stage they stopped in) are listed below the table.
"""
from __future__ import annotations

import json
import math
import time
from typing import Any, Callable

import pandas as pd

from jobs.runner.alerts import quote_url_password, redact
from jobs.settings import SettingsError
from jobs.store.issue_store import IssueStore, RunLedger, from_db_time, sqlite_file
from jobs.store.lock import lock_holder, lock_state
from jobs.store.migrate import check_current

STAGES = ("crawl", "ingest", "history", "map", "core", "store", "redis", "file", "report")


def open_for_status(db_url: str, command: str = "status") -> IssueStore:
    """The run database as it is: never created (a mistyped SQLite path is a
    :class:`~jobs.settings.SettingsError`, exit 2) nor migrated (a database behind this code's
    schema is a :class:`~jobs.store.errors.StoreError` saying to run ``issuewire db upgrade``)."""
    path = sqlite_file(db_url)
    if path is not None and not path.is_file():
        raise SettingsError(f"--db {db_url}: no database file at {path} ({command} creates nothing; "
                            f"check the path)")
    store = IssueStore(db_url, create=False)
    check_current(store.engine)
    return store


def _plain(value):
    """A value JSON can carry: NaN/NaT -> None, NumPy scalars -> Python, times -> ISO 8601 UTC."""
    if value is None or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (pd.Timestamp,)) or hasattr(value, "isoformat"):
        return _t(value)
    if hasattr(value, "item"):                       # numpy scalar
        return _plain(value.item())
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def collect_status(settings, last: int = 24, store: IssueStore | None = None, redis_client=None,
                   clock: Callable[[], float] = time.time) -> dict[str, Any]:
    """What ``issuewire status`` shows, as plain JSON-able values (``None`` where nothing is known);
    ``clock`` (seconds since the epoch) decides whether the lock holder's expiry has passed."""
    store = store or open_for_status(settings.db_url)
    ledger = RunLedger(store)
    runs = ledger.recent_runs(last)
    rows = []
    for r in runs.to_dict("records"):
        hour = from_db_time(pd.Series([r["hour"]])).iloc[0]
        finished = r.get("finished_at")
        lag = None if finished is None or pd.isna(finished) else \
            (pd.Timestamp(finished).tz_localize("UTC") - (hour + pd.Timedelta(hours=1))).total_seconds()
        rows.append({"hour": hour.tz_convert(settings.timezone).isoformat(timespec="minutes"),
                     "status": r["status"], "posts_read": r["posts_read"], "posts_rejected": r["posts_rejected"],
                     "posts_in_hour": r["posts_in_hour"], "issues": r["issues_published"],
                     "lag_seconds": lag, "redis": r["redis_published"], "file": r["file_published"],
                     "version": r["feed_version"], "stage_seconds": json.loads(r["stage_seconds"] or "{}"),
                     "error": redact(r["error"]) if isinstance(r["error"], str) else r["error"]})
    holder = lock_state(lock_holder(store.engine), clock)
    current = None
    if settings.redis_url:
        try:
            import redis

            client = redis_client or redis.Redis.from_url(quote_url_password(settings.redis_url),
                                                          socket_connect_timeout=3)
            value = client.get(f"{settings.redis_prefix}:current")
            current = value.decode() if isinstance(value, bytes) else value
        except Exception as exc:  # noqa: BLE001 - status reports what it cannot reach
            current = f"unreachable ({exc.__class__.__name__})"
    failures = ledger.recent_failures(5)
    return _plain({"runs": rows, "lock": holder, "redis_current": current,
            "pending": {t: [str(v) for v in ledger.unpublished(t)["version"]] for t in ("redis", "file")},
            "failures": [{"hour": from_db_time(pd.Series([f["hour"]])).iloc[0].tz_convert(settings.timezone)
                          .isoformat(timespec="minutes"), "stage": f["stage"],
                          "error": redact(f["error"]) if isinstance(f["error"], str) else f["error"],
                          "at": _t(f["finished_at"])} for f in failures.to_dict("records")],
            "redis_configured": bool(settings.redis_url), "timezone": settings.timezone,
            "recommender": _recommender(settings)})


def _recommender(settings) -> dict[str, Any] | None:
    """The recommender's last export and training (``[recommender]``), times in local time."""
    from jobs.cli.options import local_time
    from jobs.runner.recommend_jobs import recommender_status

    reco = recommender_status(settings.recommender)
    if reco is None:
        return None
    local = lambda t: local_time(pd.Timestamp(t), settings.timezone) if t else None  # noqa: E731
    for part, keys in (("export", ("at", "hour")), ("training", ("at",)), ("retrain", ("started_at",))):
        if reco[part]:
            reco[part] = {**reco[part], **{k: local(reco[part].get(k)) for k in keys}}
    failed = (reco["export"] or {}).get("failed")
    if failed:
        reco["export"]["failed"] = {**failed, "hour": local(failed.get("hour")), "at": local(failed.get("at"))}
    return reco


def _flag(value) -> str:
    return "-" if value is None or (isinstance(value, float) and pd.isna(value)) else ("yes" if value else "NO")


def _n(value) -> str:
    return "-" if value is None else str(value)


def _lag(seconds) -> str:
    if seconds is None:
        return "-"
    if abs(seconds) < 3600:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h" if abs(seconds) < 172800 else f"{seconds / 86400:.0f}d"


def _t(value) -> str:
    return "-" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def _local(text: str | None, tz: str) -> str:
    """A stored UTC time as an operator reads it: local, with its offset (JSON keeps UTC)."""
    return "-" if text in (None, "-") else pd.Timestamp(text).tz_convert(tz).isoformat(timespec="seconds")


def _lock_line(lock: dict[str, Any] | None, tz: str = "UTC") -> str:
    _t = lambda value: _local(value, tz)               # noqa: E731 - the lock's times, local
    state = (lock or {}).get("state", "never")
    if state == "never":
        return "lock: never taken"
    if state == "free":
        return f"lock: free (last token {lock['token']}, released {_t(lock['expires_at'])})"
    times = (f"token {lock['token']}, since {_t(lock['acquired_at'])}, last heartbeat {_t(lock['heartbeat_at'])}, "
             f"expires {_t(lock['expires_at'])}")
    if state == "held":
        return f"lock: HELD by {lock['owner']} ({times})"
    holder = f"{lock['owner']} (pid {lock['pid'] if lock['pid'] is not None else '?'} on {lock['host'] or '?'})"
    why = "its process is gone" if state == "dead" else "it stopped heart-beating past its expiry"
    return f"lock: STALE ({state}): {holder} held it, {why} ({times}); the next run takes it over"


def format_status(status: dict[str, Any]) -> str:
    lines = []
    tz = status.get("timezone", "UTC")
    lines.append(_lock_line(status["lock"], tz))
    newest = status["runs"][0] if status["runs"] else None
    feed = f"newest run {newest['hour']} version {newest['version'] or '-'}" if newest else "no runs yet"
    if status["redis_configured"]:
        feed = f"redis current {status['redis_current'] or '(none)'}; " + feed
    lines.append(f"feed: {feed}")
    shown = [s for s in STAGES if s != "crawl" or any(s in r["stage_seconds"] for r in status["runs"])]
    header = (f"{'hour (local)':22} {'status':6} {'read':>6} {'rej':>5} {'in_h':>5} {'iss':>3} {'lag':>6} "
              f"{'redis':>5} {'file':>4}  seconds ({'/'.join(shown)})")
    lines.append(header)
    for r in status["runs"]:
        secs = "/".join(f"{r['stage_seconds'][s]:.2f}" if s in r["stage_seconds"] else "-" for s in shown)
        read, rej, in_h, iss = (_n(r[k]) for k in ("posts_read", "posts_rejected", "posts_in_hour", "issues"))
        lines.append(f"{r['hour']:22} {r['status']:6} {read:>6} {rej:>5} "
                     f"{in_h:>5} {iss:>3} {_lag(r['lag_seconds']):>6} {_flag(r['redis']):>5} "
                     f"{_flag(r['file']):>4}  {secs}" + (f"  ! {r['error']}" if r["error"] else ""))
    for target, versions in status["pending"].items():
        if versions and (target == "file" or status["redis_configured"]):
            lines.append(f"pending {target} publish (retried by the next run): {', '.join(versions[:5])}")
    for f in status["failures"]:
        lines.append(f"failed attempt: hour {f['hour']} at stage {f['stage']} ({_local(f['at'], tz)}): {f['error']}")
    if status.get("recommender"):
        lines.extend(_recommender_lines(status["recommender"]))
    return "\n".join(lines)


def _recommender_lines(reco: dict[str, Any]) -> list[str]:
    e, t, r = reco["export"], reco["training"], reco["retrain"]
    export = "none yet" if not (e and e.get("version")) else (
        f"{e['version']} at {e['at']} for hour {e['hour']}: served {e['served']} of {e['n_users']} users "
        f"({e['folded_in']} folded in, {e['fallback']} fallback)" + ("" if e.get("redis") else ", files only"))
    training = "none yet" if not t else (
        f"{t['version']} at {t['at']}: {'promoted' if t['promoted'] else 'kept the current model'}, "
        f"served list {t['served']}")
    lines = [f"recommender: model dir {reco['model_dir']}, current model {reco['current_model'] or '(none)'}",
             f"recommender export: {export}", f"recommender training: {training}"]
    if e and e.get("failed"):
        f = e["failed"]
        lines.append(f"recommender export FAILED for hour {f['hour']} at {f['at']} (retried by the next firing): "
                     f"{f['error']}")
    if r and r.get("error"):
        lines.append(f"recommender retrain FAILED (slot {r['slot']}, started {r['started_at']}): {r['error']}")
    return lines
