"""The operator report: one static HTML page per hour, beside the feed file, saying *why*.

    >>> write_report(ctx, hour, document)        # -> feeds/report-20260504T20.html   # doctest: +SKIP
    >>> render_report(document, series, version="20260504T11-3f2a9c1d")                # doctest: +SKIP

Per channel (``home`` first) the ranked issues: title, keyword and merged facets, score, the
signal breakdown in words ("25 distinct authors against 0.4 expected: 62x, surprise 31.0") and as
a table, the bundle's post titles (linked), and an inline SVG chart of the keyword's distinct
authors per hour over the last ``CHART_HOURS`` hours against the baseline's expectation (dashed).
No JavaScript, no external assets: the page opens from disk. The counts come from the
``keyword_stats`` table (``authors``, ``expected``); an hour without a row for the keyword drew 0.
"""
from __future__ import annotations

import html
import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

CHART_HOURS = 48
CHART_W, CHART_H, PAD = 320, 80, 4
SIGNAL_LABELS = (("fused_score", "fused score"), ("authors", "distinct authors"),
                 ("expected_authors", "expected authors"), ("lift", "lift"), ("surprise", "surprise (-log10 p)"),
                 ("q_value", "q-value (across the dictionary)"), ("posts", "posts"),
                 ("expected_posts", "expected posts"), ("surprise_posts", "surprise of posts"),
                 ("title_share", "in titles"), ("query_volume", "search volume"),
                 ("expected_queries", "expected searches"), ("surprise_queries", "surprise of searches"),
                 ("influential", "influential authors"), ("channels", "channels"),
                 ("top_author_share", "top author's share"), ("author_entropy", "author entropy"))
STYLE = """
body{font-family:'Noto Sans KR','NanumGothic','Noto Sans CJK KR',system-ui,sans-serif;margin:24px;color:#1b1b1b;background:#fff}
h1{font-size:22px;margin:0 0 4px} .meta{color:#555;margin-bottom:18px}
h2{font-size:18px;border-bottom:2px solid #333;padding-bottom:4px;margin-top:28px}
.issue{display:grid;grid-template-columns:1fr 330px;gap:8px 18px;border:1px solid #ddd;border-radius:6px;
 padding:10px 14px;margin:10px 0}
.issue h3{margin:0;font-size:17px} .rank{color:#b00;margin-right:6px} .score{color:#555;font-weight:normal}
.why{margin:4px 0;color:#333} table.signals{border-collapse:collapse;font-size:12px}
table.signals td{padding:1px 8px 1px 0} ol.posts{margin:4px 0 0 18px;padding:0;font-size:13px}
.chart{margin:0} .chart figcaption{font-size:11px;color:#555} .empty{color:#777;font-style:italic}
"""


def report_path(feed_file: str, label: str) -> Path:
    """``report-<label>.html`` in the folder of the hour's feed file."""
    return Path(feed_file.replace("{hour}", label)).parent / f"report-{label}.html"


def write_report(ctx, hour: pd.Timestamp, document: dict[str, Any]) -> Path:
    """Render the hour's report from the document and stored stats; write it atomically."""
    from jobs.publish.feed import hour_label

    s = ctx.settings
    hour = pd.Timestamp(hour).tz_convert("UTC")
    channels = list(document["channels"])
    keywords = [i["keyword"] for items in document["channels"].values() for i in items]
    series = ctx.store.keyword_series(keywords, channels, hour - pd.Timedelta(hours=CHART_HOURS - 1), hour)
    run = ctx.store.run_record(hour) or {}
    label = hour_label(hour.tz_convert(s.timezone))
    page = render_report(document, series, version=run.get("feed_version"), timezone=s.timezone, run=run)
    path = report_path(s.feed_file, label)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(page)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def why_sentence(signals: dict[str, Any]) -> str:
    authors = signals.get("authors", 0)
    expected = float(signals.get("expected_authors", 0) or 0)
    parts = [f"{authors} distinct authors against {expected:.2g} expected"]
    if signals.get("lift"):
        parts.append(f"{float(signals['lift']):.1f}x")
    if signals.get("surprise") is not None:
        parts.append(f"surprise {float(signals['surprise']):.1f}")
    extra = []
    if signals.get("title_share"):
        extra.append(f"{float(signals['title_share']):.0%} of its posts name it in the title")
    if signals.get("posts") and signals.get("expected_posts") is not None:
        extra.append(f"{int(signals['posts'])} posts against {float(signals['expected_posts']):.2g} expected")
    if signals.get("query_volume"):
        searched = f"searched {int(signals['query_volume'])} times"
        if signals.get("expected_queries") is not None:
            searched += f" against {float(signals['expected_queries']):.2g} expected"
        extra.append(searched)
    if signals.get("influential"):
        extra.append(f"{float(signals['influential']):g} influential authors")
    if signals.get("top_author_share") is not None:
        extra.append(f"no author wrote more than {float(signals['top_author_share']):.0%}")
    return ": ".join([parts[0], ", ".join(parts[1:])]) + (". " + "; ".join(extra) + "." if extra else ".")


def chart_svg(hours: pd.DatetimeIndex, authors: list[float], expected: list[float | None], label: str) -> str:
    """Bars: distinct authors per hour; dashed line: the expectation; the last bar is this hour."""
    n = len(hours)
    top = max([1.0] + [a for a in authors] + [e for e in expected if e is not None]) * 1.1
    bw = (CHART_W - 2 * PAD) / max(n, 1)

    def y(v: float) -> float:
        return CHART_H - PAD - (CHART_H - 2 * PAD) * (v / top)

    bars = []
    for i, (h, a) in enumerate(zip(hours, authors)):
        x = PAD + i * bw
        colour = "#c0392b" if i == n - 1 else "#5b8def"
        bars.append(f'<rect class="count" x="{x:.1f}" y="{y(a):.1f}" width="{max(bw - 1, 1):.1f}" '
                    f'height="{CHART_H - PAD - y(a):.1f}" fill="{colour}"><title>{html.escape(h)}: '
                    f'{a:g} authors</title></rect>')
    steps = " ".join(f"M{PAD + i * bw:.1f} {y(e):.1f}H{PAD + (i + 1) * bw:.1f}"
                     for i, e in enumerate(expected) if e is not None)
    line = (f'<path class="baseline" d="{steps}" fill="none" stroke="#222" stroke-width="1.5" '
            f'stroke-dasharray="3 2"/>' if steps else "")
    scale = f'<text x="{PAD + 2}" y="{PAD + 9}" font-size="10" fill="#555">max {top / 1.1:g}</text>'
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{CHART_W}" height="{CHART_H}" role="img" '
            f'aria-label="{html.escape(label)}"><rect width="{CHART_W}" height="{CHART_H}" fill="#f7f7f7"/>'
            + "".join(bars) + line + scale + "</svg>")


def _issue_chart(series: pd.DataFrame, keyword: str, channel: str, hours: pd.DatetimeIndex, tz: str) -> str:
    rows = series[(series["keyword"] == keyword) & (series["channel"] == channel)] if len(series) else series
    by_hour = {} if rows is None or not len(rows) else {h: (a, e) for h, a, e in
                                                       rows[["hour", "authors", "expected"]].itertuples(index=False)}
    authors = [float(by_hour.get(h, (0, None))[0]) for h in hours]
    expected = [None if by_hour.get(h, (0, None))[1] is None or pd.isna(by_hour.get(h, (0, None))[1])
                else float(by_hour[h][1]) for h in hours]
    labels = [h.tz_convert(tz).strftime("%m-%d %H:00") for h in hours]
    svg = chart_svg(labels, authors, expected, f"{keyword}: distinct authors per hour vs expected")
    return (f'<figure class="chart">{svg}<figcaption>{html.escape(keyword)} — distinct authors per hour, '
            f'last {len(hours)} h (bars; red = this hour) vs expected (dashed)</figcaption></figure>')


def render_report(document: dict[str, Any], series: pd.DataFrame, version: str | None = None,
                  timezone: str = "Asia/Seoul", run: dict | None = None) -> str:
    esc = html.escape
    hour = pd.Timestamp(document["hour"]).tz_convert("UTC")
    hours = pd.date_range(hour - pd.Timedelta(hours=CHART_HOURS - 1), hour, freq="h")
    run = run or {}
    out = ['<!doctype html><html lang="ko"><head><meta charset="utf-8">',
           f'<title>issuewire report {esc(document["hour"])}</title><style>{STYLE}</style></head><body>',
           f'<h1>issuewire — issues of {esc(document["hour"])}</h1>',
           f'<div class="meta">feed version <code>{esc(version or "?")}</code>'
           + (f' · posts in hour {run.get("posts_in_hour")} · rejected {run.get("posts_rejected")}'
              if run else "") + '</div>']
    names = ["home"] + sorted(c for c in document["channels"] if c != "home")
    for channel in names:
        items = document["channels"].get(channel, [])
        out.append(f'<section class="channel" id="channel-{esc(channel)}"><h2>{esc(channel)} '
                   f'<small>({len(items)} issues)</small></h2>')
        if not items:
            out.append('<p class="empty">no issues this hour</p>')
        for item in items:
            signals = item.get("signals") or {}
            facets = [f for f in item.get("facets", []) if f != item["keyword"]]
            labels = dict(SIGNAL_LABELS)
            keys = [k for k, _ in SIGNAL_LABELS if k in signals] + sorted(k for k in signals if k not in labels)
            table = "".join(f"<tr><td>{esc(labels.get(k, k))}</td><td>{esc(str(signals[k]))}</td></tr>"
                            for k in keys)
            posts = "".join(
                f'<li><a href="{esc(p.get("url") or "#")}">{esc(p.get("title") or p["post_id"])}</a> '
                f'<small>{esc(p.get("author_id") or "")}</small></li>' for p in item.get("posts", []))
            # item["title"] is published HTML-escaped already (titling.titles.html_title)
            out.append(
                f'<article class="issue" data-keyword="{esc(item["keyword"])}"><div>'
                f'<h3><span class="rank">{item["rank"]}.</span>{item["title"]} '
                f'<span class="score">score {float(item["score"]):.1f}</span></h3>'
                f'<div class="kw">keyword <b>{esc(item["keyword"])}</b>'
                + (f' · merged: {esc(", ".join(facets))}' if facets else "")
                + (f' · title from {esc(item.get("title_source") or "")}' if item.get("title_source") else "")
                + (" · pinned by an operator" if item.get("pinned") else "") + '</div>'
                f'<p class="why">Why: {esc(why_sentence(signals))}</p>'
                f'<table class="signals">{table}</table>'
                f'<ol class="posts">{posts or "<li class=empty>no posts</li>"}</ol></div>'
                + _issue_chart(series, item["keyword"], channel, hours, timezone) + '</article>')
        out.append("</section>")
    out.append("</body></html>\n")
    return "\n".join(out)
