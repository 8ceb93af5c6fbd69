"""The feed document of an hour: ``{"hour", "warming_up", "history_hours", "channels": {"home": [...], ...}}`` (DESIGN.md).

    >>> from jobs.pipeline.records import HourResult
    >>> empty = HourResult(pd.Timestamp("2026-02-19T07:00Z"), pd.DataFrame(), pd.DataFrame(),
    ...                    pd.DataFrame(columns=["channel"]), pd.DataFrame(columns=["channel", "issue_id"]),
    ...                    ["home"], pd.Series(dtype=int), {})
    >>> feed_document(empty)
    {'hour': '2026-02-19T16:00:00+09:00', 'warming_up': False, 'history_hours': 0, 'channels': {'home': []}}
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from issues.contracts import FeedDocument, FeedIssue, FeedPost
from jobs.pipeline.records import HourResult


def feed_document(result: HourResult, timezone: str = "Asia/Seoul") -> dict[str, Any]:
    """The JSON feed object (:class:`issues.contracts.FeedDocument` as JSON): each channel's ranked
    issues with their bundles, times in ``timezone``."""
    channels: dict[str, list] = {c: [] for c in result.channels}
    bundles = {k: g for k, g in result.bundles.groupby(["channel", "issue_id"], sort=False)}
    for r in result.issues.itertuples(index=False):
        b = bundles.get((r.channel, r.issue_id))
        posts = [] if b is None else [
            FeedPost(post_id=x.post_id, title=x.title, author_id=x.author_id, url=_text_or_none(x.url))
            for x in b.itertuples(index=False)]
        channels[r.channel].append(FeedIssue(
            issue_id=r.issue_id, rank=int(r.rank), title=r.title, keyword=r.keyword, score=float(r.score),
            post_ids=list(r.post_ids), facets=list(r.facets), title_source=r.title_source, pinned=bool(r.pinned),
            state=r.state, onset=None if r.onset is None or pd.isna(r.onset) else _local(r.onset, timezone),
            signals=r.signals, posts=posts))
    document = FeedDocument(hour=_local(result.hour, timezone), warming_up=bool(result.warming_up),
                            history_hours=int(result.history_hours), channels=channels)
    return document.model_dump(mode="json")


def _local(ts, timezone: str):
    return pd.Timestamp(ts).tz_convert(timezone).to_pydatetime()


def _text_or_none(value) -> str | None:
    return None if value is None or (isinstance(value, float) and value != value) else str(value)
