"""An hour's rejected input rows with their reasons: what ``issuewire rejects --hour H`` shows.

    >>> import tempfile
    >>> store = IssueStore(f"sqlite:///{tempfile.mkdtemp()}/issuewire.sqlite")
    >>> listing = hour_rejects(store, pd.Timestamp("2026-05-04T08:00+09:00"), limit=20)
    >>> print(format_rejects(listing))
    hour 2026-05-04T08:00+09:00: 0 rejected rows (the hour never ran)

Rejects are kept once per (kind, file, line), under the first hour whose run read them; an hour
whose run read a file an earlier hour had already read lists only the rows new to it and says
how many of its rejected rows an earlier hour recorded. ``url`` rows are URLs dropped from
accepted posts (the post itself was used). Reasons are counted by kind
(:func:`issues.field_rules.reason_group`), commonest first, with the first file and line of each.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from crawler.ingest import top_reasons
from jobs.store.issue_store import IssueStore


@dataclass
class RejectListing:
    hour: pd.Timestamp
    run: dict[str, Any] | None          # the hour's run row (None: the hour never ran)
    total: int                          # rejected rows first recorded by this hour (url drops excluded)
    dropped_urls: int
    reasons: list[dict[str, Any]]       # {"reason", "count", "source", "line"}, commonest first
    rows: pd.DataFrame                  # the first ``limit`` rows: kind, source, line, reason, raw
    earlier: int                        # rejected rows of the run recorded by an earlier hour


def _int(value) -> int:
    return 0 if value is None or pd.isna(value) else int(value)


def hour_rejects(store: IssueStore, hour: pd.Timestamp, limit: int = 20) -> RejectListing:
    """The rejects first recorded by ``hour``'s run, counted by reason; ``limit`` rows listed."""
    hour = pd.Timestamp(hour).tz_convert("UTC")
    frame = store.rejects_first_seen(hour)
    rejected = frame.loc[frame["kind"] != "url"] if len(frame) else frame
    reasons = [{"reason": g, "count": c, "source": src, "line": line}
               for g, c, src, line in top_reasons(frame, n=len(frame) or 1)] if len(frame) else []
    run = store.run_record(hour)
    counted = (_int(run["posts_rejected"]) + _int(run["queries_rejected"])) if run else 0
    return RejectListing(hour, run, len(rejected), len(frame) - len(rejected), reasons,
                         frame.head(max(0, limit)), max(0, counted - len(rejected)))


def _local(hour: pd.Timestamp, timezone: str) -> str:
    return hour.tz_convert(timezone).isoformat(timespec="minutes")


def format_rejects(listing: RejectListing, timezone: str = "Asia/Seoul", raw_chars: int = 80) -> str:
    """Lines for a terminal: a header, the reasons with counts, then the listed rows."""
    run = listing.run
    ran = ("the hour never ran" if run is None else
           f"run {run['status']}: {_int(run['posts_read'])} post rows read, {_int(run['posts_rejected'])} rejected; "
           f"{_int(run['queries_read'])} query rows read, {_int(run['queries_rejected'])} rejected")
    lines = [f"hour {_local(listing.hour, timezone)}: {listing.total} rejected rows"
             + (f" and {listing.dropped_urls} dropped urls" if listing.dropped_urls else "") + f" ({ran})"]
    if listing.earlier:
        lines.append(f"note: {listing.earlier} more rejected rows of this hour's files were first recorded by an "
                     "earlier hour's run (rejects are kept once per file and line)")
    if listing.reasons:
        lines.append(f"{'count':>7}  reason (first file:line)")
        lines += [f"{r['count']:>7}  {r['reason']}  ({r['source']}:{r['line']})" for r in listing.reasons]
    if len(listing.rows):
        lines.append(f"{'kind':5}  file:line  reason  | raw")
        for r in listing.rows.itertuples(index=False):
            raw = " ".join(str(r.raw or "").split())
            raw = raw[:raw_chars] + ("…" if len(raw) > raw_chars else "")
            lines.append(f"{r.kind:5}  {r.source}:{r.line}  {r.reason}  | {raw}")
        shown = len(listing.rows)
        if shown < listing.total + listing.dropped_urls:
            lines.append(f"({shown} of {listing.total + listing.dropped_urls} rows shown; --limit N for more)")
    return "\n".join(lines)


def rejects_json(listing: RejectListing, timezone: str = "Asia/Seoul") -> dict[str, Any]:
    """The listing as plain JSON types (``--json``)."""
    run = None if listing.run is None else {
        "status": listing.run["status"], **{k: _int(listing.run[k]) for k in
                                            ("posts_read", "posts_rejected", "queries_read", "queries_rejected")}}
    return {"hour": _local(listing.hour, timezone), "run": run, "rejected": listing.total,
            "dropped_urls": listing.dropped_urls, "recorded_by_earlier_hours": listing.earlier,
            "reasons": listing.reasons,
            "rejects": [{"kind": r.kind, "source": r.source, "line": int(r.line), "reason": r.reason, "raw": r.raw}
                        for r in listing.rows.itertuples(index=False)]}
