"""What the console shows, read from the run database: hours, their health, issues and their history.

    >>> from jobs.settings import Settings
    >>> desk = Desk(IssueStore("sqlite://"), Settings())        # an empty database: no hour has run
    >>> desk.recent_hours(48), desk.hour_view(parse_label("20260504T16", "Asia/Seoul"))
    ([], None)

Everything is read from the tables a run writes: ``runs`` (counts, publish status, the inputs),
``feeds`` (the published document of each hour), ``issues`` (each issue's rank, title and state
per hour: its history), ``keyword_stats`` (the chart), ``rejects`` and ``override_firings``.
Hours are named in URLs by their local label ``YYYYMMDDTHH`` (as the feed files are).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import sqlalchemy as sa

from jobs.publish.chart import TrendChart, keyword_chart
from jobs.publish.explain import explain_score, issue_cards, signal_rows, why_sentence
from jobs.publish.feed import hour_label
from jobs.publish.report import CHART_HOURS, input_banners, top_reject_reasons
from jobs.store.issue_store import (IssueStore, feeds, from_db_time, issues, override_firings, runs,
                                    to_db_time)


def parse_label(label: str, timezone: str) -> pd.Timestamp:
    """``20260504T16`` (local) -> the UTC hour; ValueError if it is not such a label.

    >>> parse_label("20260504T16", "Asia/Seoul")
    Timestamp('2026-05-04 07:00:00+0000', tz='UTC')
    """
    if len(label) != 11 or label[8] != "T" or not (label[:8] + label[9:]).isdigit():
        raise ValueError(f"not an hour label: {label!r}")
    return pd.Timestamp(f"{label[:4]}-{label[4:6]}-{label[6:8]}T{label[9:]}:00").tz_localize(timezone).tz_convert("UTC")


@dataclass
class HourRow:
    hour: pd.Timestamp
    label: str
    status: str
    posts_read: int
    posts_rejected: int
    posts_in_hour: int
    issues: int
    published: bool

    @property
    def troubled(self) -> bool:
        return self.status != "ok" or (self.posts_read > 0 and self.posts_rejected >= self.posts_read) \
            or self.posts_read == 0


@dataclass
class HourView:
    hour: pd.Timestamp
    label: str
    run: dict[str, Any]
    document: dict[str, Any]
    inputs: dict[str, Any]
    reasons: list[tuple[str, int]]
    banners: list[dict[str, str]]
    firings: list[dict[str, Any]]
    cards: list[dict[str, Any]] = field(default_factory=list)

    @property
    def channels(self) -> list[str]:
        chans = self.document.get("channels", {})
        return ["home"] + sorted(c for c in chans if c != "home")


class Desk:
    def __init__(self, store: IssueStore, settings):
        self.store, self.settings = store, settings
        self.tz = settings.timezone

    def label(self, hour: pd.Timestamp) -> str:
        return hour_label(pd.Timestamp(hour).tz_convert(self.tz))

    def recent_hours(self, limit: int = CHART_HOURS + 1, until: pd.Timestamp | None = None) -> list[HourRow]:
        """The newest ``limit`` runs (up to ``until``), newest first."""
        q = sa.select(runs.c.hour, runs.c.status, runs.c.posts_read, runs.c.posts_rejected, runs.c.posts_in_hour,
                      runs.c.issues_published, runs.c.redis_published, runs.c.file_published)
        if until is not None:
            q = q.where(runs.c.hour <= to_db_time(until))
        frame = self.store._frame(q.order_by(runs.c.hour.desc()).limit(limit))
        out = []
        for r in frame.to_dict("records"):
            hour = from_db_time(pd.Series([r["hour"]])).iloc[0]
            published = not any(v is not None and not pd.isna(v) and not bool(v)
                                for v in (r["redis_published"], r["file_published"]))
            out.append(HourRow(hour, self.label(hour), r["status"], int(r["posts_read"] or 0),
                               int(r["posts_rejected"] or 0), int(r["posts_in_hour"] or 0),
                               int(r["issues_published"] or 0), published))
        return out

    def document(self, hour: pd.Timestamp) -> dict[str, Any] | None:
        frame = self.store._frame(sa.select(feeds.c.document).where(feeds.c.hour == to_db_time(hour)))
        return None if frame.empty else json.loads(frame["document"].iloc[0])

    def hour_view(self, hour: pd.Timestamp) -> HourView | None:
        run = self.store.run_record(hour)
        if run is None:
            return None
        run = {k: (None if not isinstance(v, (str, bytes)) and pd.isna(v) else v) for k, v in run.items()}
        document = self.document(hour) or {"hour": hour.tz_convert(self.tz).isoformat(), "channels": {}}
        inputs = json.loads(run["inputs"]) if run.get("inputs") else {}
        reasons = top_reject_reasons(self.store, run, hour)
        firings = self.store._frame(sa.select(override_firings).where(override_firings.c.hour == to_db_time(hour))
                                    .order_by(override_firings.c.seq))
        view = HourView(hour, self.label(hour), run, document, inputs, reasons,
                        input_banners(run, reasons, document), firings.to_dict("records"))
        view.cards = self.cards(document, hour)
        return view

    def cards(self, document: dict[str, Any], hour: pd.Timestamp, chart_size: dict | None = None) -> list[dict]:
        """The hour's issues, one card each (as the report has them), with charts."""
        channels = document.get("channels", {})
        keywords = [i["keyword"] for items in channels.values() for i in items]
        series = self.store.keyword_series(keywords, list(channels), hour - pd.Timedelta(hours=CHART_HOURS - 1), hour)
        hours = pd.date_range(hour - pd.Timedelta(hours=CHART_HOURS - 1), hour, freq="h")
        d = self.settings.detect
        out = []
        for card in issue_cards(channels):
            signals = card.item.get("signals") or {}
            out.append({"card": card, "item": card.item, "why": why_sentence(signals) if signals else "",
                        "signals": signal_rows(signals, d.fdr_family),
                        "score": explain_score(card.item.get("score", 0.0), signals.get("fused_score"),
                                               card.item.get("onset"), hour, d.half_life_hours),
                        "chart": keyword_chart(series, card.keyword, card.channel, hours, self.tz,
                                               **(chart_size or {}))})
        return out

    def issue_history(self, issue_id: str, keyword: str, hour: pd.Timestamp, hours: int = CHART_HOURS) -> list[dict]:
        """Every stored placement of this issue (or, for a new id, its keyword) in the last ``hours``
        hours up to ``hour``, newest first."""
        since = to_db_time(hour - pd.Timedelta(hours=hours - 1))
        c = issues.c
        frame = self.store._frame(sa.select(c.hour, c.channel, c.rank, c.title, c.score, c.state, c.issue_id, c.keyword)
                                  .where(sa.or_(c.issue_id == issue_id, c.keyword == keyword),
                                         c.hour >= since, c.hour <= to_db_time(hour))
                                  .order_by(c.hour.desc(), c.channel, c.rank))
        rows = frame.to_dict("records")
        for r in rows:
            r["hour"] = from_db_time(pd.Series([r["hour"]])).iloc[0]
            r["label"] = self.label(r["hour"])
        return rows

    def issue_chart(self, keyword: str, channel: str, hour: pd.Timestamp) -> TrendChart:
        hours = pd.date_range(hour - pd.Timedelta(hours=CHART_HOURS - 1), hour, freq="h")
        series = self.store.keyword_series([keyword], [channel], hours[0], hour)
        return keyword_chart(series, keyword, channel, hours, self.tz, width=900, height=220)

    def channel_history(self, channel: str, until: pd.Timestamp, hours: int = CHART_HOURS) -> list[dict]:
        """The channel's issues in each of the last ``hours`` stored hours up to ``until``, newest first."""
        c = issues.c
        frame = self.store._frame(sa.select(c.hour, c.rank, c.title, c.keyword, c.issue_id, c.state, c.score)
                                  .where(c.channel == channel, c.hour <= to_db_time(until),
                                         c.hour > to_db_time(until - pd.Timedelta(hours=hours)))
                                  .order_by(c.hour.desc(), c.rank))
        out = []
        for row in self.recent_hours(hours, until=until):
            if row.hour <= until - pd.Timedelta(hours=hours):
                continue
            items = frame.loc[from_db_time(frame["hour"]) == row.hour] if len(frame) else frame
            out.append({"row": row, "items": items.to_dict("records") if len(items) else []})
        return out
