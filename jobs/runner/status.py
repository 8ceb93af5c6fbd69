"""``issuewire status``: the last runs, the lock holder and the current feed, for an operator.

    >>> print(format_status(collect_status(settings, last=12)))       # doctest: +SKIP
    lock: free (last token 7, released 2026-05-05T05:01:12Z)
    feed: redis current 20260505T04-1c2d3e4f (hour 2026-05-05T13:00+09:00); newest run 2026-05-05T13:00+09:00
    hour (local)      status  read  rej  in_h  iss  lag     redis file  seconds (ingest/history/map/core/store/redis/file/report)
    ...

Lag is how long after the end of its hour a run finished (a backfill shows large lags, a healthy
scheduler a few minutes). Pending publishes (Redis or file not written, retried by the next run)
and the latest failed attempts (with the stage they stopped in) are listed below the table.
"""
from __future__ import annotations

import json
from typing import Any

import pandas as pd

from jobs.store.lock import lock_holder
from jobs.store.issue_store import IssueStore, RunLedger, from_db_time

STAGES = ("crawl", "ingest", "history", "map", "core", "store", "redis", "file", "report")


def collect_status(settings, last: int = 24, store: IssueStore | None = None, redis_client=None) -> dict[str, Any]:
    store = store or IssueStore(settings.db_url)
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
                     "error": r["error"]})
    holder = lock_holder(store.engine)
    current = None
    if settings.redis_url:
        try:
            import redis

            client = redis_client or redis.Redis.from_url(settings.redis_url, socket_connect_timeout=3)
            value = client.get(f"{settings.redis_prefix}:current")
            current = value.decode() if isinstance(value, bytes) else value
        except Exception as exc:  # noqa: BLE001 - status reports what it cannot reach
            current = f"unreachable ({exc.__class__.__name__})"
    failures = ledger.recent_failures(5)
    return {"runs": rows, "lock": holder, "redis_current": current,
            "pending": {t: [str(v) for v in ledger.unpublished(t)["version"]] for t in ("redis", "file")},
            "failures": [{"hour": from_db_time(pd.Series([f["hour"]])).iloc[0].tz_convert(settings.timezone)
                          .isoformat(timespec="minutes"), "stage": f["stage"], "error": f["error"],
                          "at": _t(f["finished_at"])} for f in failures.to_dict("records")],
            "redis_configured": bool(settings.redis_url)}


def _flag(value) -> str:
    return "-" if value is None or (isinstance(value, float) and pd.isna(value)) else ("yes" if value else "NO")


def _lag(seconds) -> str:
    if seconds is None:
        return "-"
    if abs(seconds) < 3600:
        return f"{seconds / 60:.0f}m"
    return f"{seconds / 3600:.1f}h" if abs(seconds) < 172800 else f"{seconds / 86400:.0f}d"


def _t(value) -> str:
    return "-" if value is None or pd.isna(value) else pd.Timestamp(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def format_status(status: dict[str, Any]) -> str:
    lines = []
    lock = status["lock"]
    if lock is None:
        lines.append("lock: never taken")
    elif lock["owner"]:
        lines.append(f"lock: HELD by {lock['owner']} (token {lock['token']}, since {_t(lock['acquired_at'])}, "
                     f"heartbeat {_t(lock['heartbeat_at'])}, expires {_t(lock['expires_at'])})")
    else:
        lines.append(f"lock: free (last token {lock['token']}, released {_t(lock['expires_at'])})")
    newest = status["runs"][0] if status["runs"] else None
    feed = f"newest run {newest['hour']} version {newest['version']}" if newest else "no runs yet"
    if status["redis_configured"]:
        feed = f"redis current {status['redis_current'] or '(none)'}; " + feed
    lines.append(f"feed: {feed}")
    shown = [s for s in STAGES if s != "crawl" or any(s in r["stage_seconds"] for r in status["runs"])]
    header = (f"{'hour (local)':22} {'status':6} {'read':>6} {'rej':>5} {'in_h':>5} {'iss':>3} {'lag':>6} "
              f"{'redis':>5} {'file':>4}  seconds ({'/'.join(shown)})")
    lines.append(header)
    for r in status["runs"]:
        secs = "/".join(f"{r['stage_seconds'][s]:.2f}" if s in r["stage_seconds"] else "-" for s in shown)
        lines.append(f"{r['hour']:22} {r['status']:6} {r['posts_read']:>6} {r['posts_rejected']:>5} "
                     f"{r['posts_in_hour']:>5} {r['issues']:>3} {_lag(r['lag_seconds']):>6} {_flag(r['redis']):>5} "
                     f"{_flag(r['file']):>4}  {secs}" + (f"  ! {r['error']}" if r["error"] else ""))
    for target, versions in status["pending"].items():
        if versions and (target == "file" or status["redis_configured"]):
            lines.append(f"pending {target} publish (retried by the next run): {', '.join(versions[:5])}")
    for f in status["failures"]:
        lines.append(f"failed attempt: hour {f['hour']} at stage {f['stage']} ({f['at']}): {f['error']}")
    return "\n".join(lines)
