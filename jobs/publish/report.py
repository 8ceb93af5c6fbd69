"""The operator report: one static HTML page per hour, beside the feed file, for e-mail and archives.

    >>> page = render_report({"hour": "2026-05-04T08:00:00+09:00", "channels": {"home": [], "blog": []}},
    ...                      run={"posts_read": 10, "posts_accepted": 0, "posts_rejected": 10})
    >>> "All 10 rows read for this hour were rejected" in page, "No issues in: home, blog" in page
    (True, True)

At the top a summary (local time with its offset, posts read/accepted/rejected, issues per
channel with links) and, for an hour whose input was rejected or missing, a banner that says so.
Then one card per issue (:func:`jobs.publish.explain.issue_cards`): title, the channels and
ranks it has, its score and that score's parts, the "why" sentence, the rounded signals, the
bundle's posts (only ``http(s)`` URLs become links) and a chart of distinct authors per hour over
the last ``CHART_HOURS`` hours with a local time axis and the expectation as a line
(:mod:`jobs.publish.chart`). Channels without issues share one line. The page is rendered by
Jinja2 with autoescaping (:mod:`jobs.publish.display`): no script, no event handler, no
external asset; it opens from disk.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pandas as pd

from issues.atomic_file import atomic_write
from jobs.publish.chart import keyword_chart
from jobs.publish.display import plural, template_environment
from jobs.publish.explain import explain_score, issue_cards, reason_kind, signal_rows, why_sentence
from jobs.publish.paths import report_file

CHART_HOURS = 48
TOP_REASONS = 5
__all__ = ["CHART_HOURS", "render_report", "report_path", "write_report", "why_sentence", "top_reject_reasons",
           "input_banners"]


def report_path(feed_file: str, hour: pd.Timestamp, timezone: str) -> Path:
    """``report-<label>.html`` in the folder of the hour's feed file (:func:`jobs.publish.paths.report_file`)."""
    return report_file(feed_file, hour, timezone)


def top_reject_reasons(store, run: dict | None, hour: pd.Timestamp, limit: int = TOP_REASONS) -> list[tuple[str, int]]:
    """The most frequent kinds of reject among the hour's input files (or, without a record of
    them, among the rejects first seen in this hour), most frequent first."""
    import sqlalchemy as sa

    from jobs.store.issue_store import rejects, to_db_time

    sources = []
    if run and run.get("inputs"):
        record = json.loads(run["inputs"])
        sources = [str(p) for p in record.get("posts", []) + record.get("queries", [])]
    q = sa.select(rejects.c.reason)
    expanded = _expand(sources)
    q = q.where(rejects.c.source.in_(expanded[:500])) if expanded else q.where(rejects.c.first_hour == to_db_time(hour))
    frame = store._frame(q.limit(200_000))
    counts = Counter(reason_kind(r) for r in frame["reason"]) if len(frame) else Counter()
    return counts.most_common(limit)


def _expand(paths: list[str]) -> list[str]:
    try:
        from crawler.ingest import expand_paths

        return [str(p) for p in expand_paths(paths)]
    except Exception:  # noqa: BLE001 - a file gone since the run: match what was recorded
        return list(paths)


def input_banners(run: dict | None, reasons: list[tuple[str, int]] = (),
                  document: dict | None = None) -> list[dict[str, str]]:
    """What must not be mistaken for a quiet hour: rejected or missing input, a warm-up, a run error."""
    out: list[dict[str, str]] = []
    run = run or {}
    read, accepted = int(run.get("posts_read") or 0), int(run.get("posts_accepted") or 0)
    rejected, in_hour = int(run.get("posts_rejected") or 0), run.get("posts_in_hour")
    why = "; ".join(f"{reason} ({n:,})" for reason, n in reasons)
    if run and read == 0:
        out.append({"level": "error", "text": "No input: no post was read for this hour. "
                                              "The issue list is empty because nothing was read, not because it was quiet."})
    elif run and accepted == 0 and rejected:
        out.append({"level": "error", "text": f"All {rejected:,} rows read for this hour were rejected: this is not a "
                                              f"quiet hour. Top reasons: {why or 'see issuewire rejects'}."})
    elif rejected:
        share = rejected / max(read, 1)
        out.append({"level": "error" if share >= 0.2 else "warning",
                    "text": f"{rejected:,} of {read:,} rows read were rejected ({share:.1%}). Top reasons: {why or '?'}."})
    if run and accepted and in_hour == 0:
        out.append({"level": "warning", "text": f"None of the {accepted:,} accepted posts was published in this hour."})
    if document and document.get("warming_up"):
        hours = document.get("history_hours")
        out.append({"level": "info", "text": "Warming up: too little history for reliable baselines"
                                             + (f" ({hours} hours so far)." if hours is not None else ".")})
    if run.get("error"):
        out.append({"level": "warning", "text": f"Run note: {run['error']}"})
    return out


def render_report(document: dict[str, Any], series: pd.DataFrame | None = None, version: str | None = None,
                  timezone: str = "Asia/Seoul", run: dict | None = None, reasons: list[tuple[str, int]] = (),
                  fdr_family: str = "active", half_life_hours: float = 6.0) -> str:
    """The page's HTML (pure: everything it shows is passed in)."""
    hour = pd.Timestamp(document["hour"])
    hours = pd.date_range(hour.tz_convert("UTC") - pd.Timedelta(hours=CHART_HOURS - 1), hour.tz_convert("UTC"),
                          freq="h")
    series = series if series is not None else pd.DataFrame(columns=["hour", "keyword", "channel", "authors",
                                                                     "expected"])
    channels = document["channels"]
    cards = []
    for card in issue_cards(channels):
        item = card.item
        signals = item.get("signals") or {}
        cards.append({"card": card, "item": item, "why": why_sentence(signals) if signals else "",
                      "signals": signal_rows(signals, fdr_family),
                      "score": explain_score(item.get("score", 0.0), signals.get("fused_score"), item.get("onset"),
                                             hour, half_life_hours),
                      "chart": keyword_chart(series, item["keyword"], card.channel, hours, timezone)})
    names = ["home"] + sorted(c for c in channels if c != "home")
    busy = [(c, channels[c]) for c in names if channels.get(c)]
    quiet = [c for c in names if c in channels and not channels[c]]
    run = run or {}
    return template_environment().get_template("report.html").render(
        document=document, hour=hour, timezone=timezone, version=version, run=run, cards=cards, busy=busy,
        quiet=quiet, banners=input_banners(run, reasons, document), home_count=len(channels.get("home", [])),
        plural=plural, chart_hours=CHART_HOURS)


def write_report(ctx, hour: pd.Timestamp, document: dict[str, Any]) -> Path:
    """Render the hour's report from the document and stored stats; write it atomically
    (:func:`issues.atomic_file.atomic_write`)."""
    s = ctx.settings
    hour = pd.Timestamp(hour).tz_convert("UTC")
    channels = list(document["channels"])
    keywords = [i["keyword"] for items in document["channels"].values() for i in items]
    series = ctx.store.keyword_series(keywords, channels, hour - pd.Timedelta(hours=CHART_HOURS - 1), hour)
    run = ctx.store.run_record(hour) or {}
    page = render_report(document, series, version=run.get("feed_version"), timezone=s.timezone, run=run,
                         reasons=top_reject_reasons(ctx.store, run, hour), fdr_family=s.detect.fdr_family,
                         half_life_hours=s.detect.half_life_hours)
    return atomic_write(report_path(s.feed_file, hour, s.timezone), page)
