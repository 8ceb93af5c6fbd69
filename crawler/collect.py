"""Plan a source's URLs and collect them: fetch (following a JSON feed's pages), keep raw, parse.

    >>> planned_urls(SourceSettings("q", "query_counts", url="http://127.0.0.1:8080/q/{hour}.csv", lookback_hours=2),
    ...              datetime(2026, 5, 5, 10, 5, tzinfo=timezone.utc))
    ['http://127.0.0.1:8080/q/20260505T09.csv', 'http://127.0.0.1:8080/q/20260505T08.csv']
    >>> page_url("http://127.0.0.1:8080/api/posts?board=humor", SourceSettings("c", "json_feed", url="x"),
    ...          "2026-05-05T09:00:00+00:00", 2)
    'http://127.0.0.1:8080/api/posts?board=humor&since=2026-05-05T09%3A00%3A00%2B00%3A00&page=2'

A source stands for its feed URL, the last ``lookback_hours`` hourly query-count URLs
(``{hour}`` filled in, completed hours only), or the files of a drop folder (as ``file://`` URIs).
:func:`collect` runs in the crawl's thread pool and touches no database: it returns a
:class:`Collected` with the fetch outcome, every attempt's status and the flat records, which
:mod:`crawler.crawl` then validates and stores.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import pandas as pd

from crawler.feeds import ParseError, parse_csv, parse_feed, parse_json_page
from crawler.fetcher import Fetcher
from crawler.ingest import IngestError, RowError, expand_paths, iter_raw_rows
from crawler.schedule import ScheduleEntry
from crawler.settings import SourceSettings
from crawler.storage import RawStore, hour_key

_HOUR_IN_NAME = re.compile(r"(?<!\d)(\d{8}T\d{2})(?!\d)")


@dataclass
class Collected:
    """What :func:`collect` brought back for one scheduled URL."""

    source: SourceSettings
    entry: ScheduleEntry
    outcome: str = "ok"
    statuses: list[str] = field(default_factory=list)
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    records: list[tuple[str, int, Any]] = field(default_factory=list)   # (where, line, record | RowError)
    fresh: bool = False          # at least one new body was parsed
    truncated: bool = False      # a JSON feed had more pages than max_pages
    retry_after: float | None = None

    @property
    def status(self) -> str:
        return self.statuses[-1] if self.statuses else self.outcome


# ---------------------------------------------------------------- 1. planning
def planned_urls(source: SourceSettings, now: datetime) -> list[str]:
    """The URLs one source stands for at ``now`` (see the module docstring)."""
    if source.kind == "drop_folder" or (source.kind == "query_counts" and source.path):
        folder = Path(source.path)
        return [p.resolve().as_uri() for p in expand_paths([folder])] if folder.is_dir() else []
    if source.kind == "query_counts" and "{hour}" in source.url:
        top = pd.Timestamp(now).tz_convert("UTC").floor("h")
        return [source.url.format(hour=hour_key(top - pd.Timedelta(hours=k)))
                for k in range(1, source.lookback_hours + 1)]
    return [source.url]


def hour_of_url(source: SourceSettings, url: str) -> str | None:
    """The ISO hour a query-count URL is for: its ``{hour}`` slot, else a ``YYYYMMDDTHH`` in its file name.

        >>> hour_of_url(SourceSettings("q", "query_counts", path="drops"), "file:///drops/queries-20260505T09.csv")
        '2026-05-05T09:00:00+00:00'
    """
    if "{hour}" in source.url:
        prefix, suffix = source.url.split("{hour}", 1)
        key = url[len(prefix): len(url) - len(suffix)]
    else:
        found = _HOUR_IN_NAME.search(urlsplit(url).path.rsplit("/", 1)[-1])
        key = found.group(1) if found else ""
    try:
        return datetime.strptime(key, "%Y%m%dT%H").replace(tzinfo=timezone.utc).isoformat()
    except ValueError:
        return None


def page_url(base: str, source: SourceSettings, since: str | None, page: int) -> str:
    """``base`` with ``since`` (when known) and ``page`` merged into its query string."""
    parts = urlsplit(base)
    query = [(k, v) for k, v in parse_qsl(parts.query) if k not in (source.since_param, source.page_param)]
    if since:
        query.append((source.since_param, since))
    query.append((source.page_param, str(page)))
    return urlunsplit(parts._replace(query=urlencode(query)))


# ---------------------------------------------------------------- 3. collecting (in the pool)
def collect(source: SourceSettings, entry: ScheduleEntry, fetcher: Fetcher, raw: RawStore, now: datetime) -> Collected:
    """Fetch and parse one scheduled URL; never raises for bad responses (they become the outcome)."""
    got = Collected(source, entry)
    try:
        if entry.url.startswith("file:"):
            _collect_file(got, raw, now)
        elif source.kind == "json_feed":
            _collect_pages(got, fetcher, raw, now)
        else:
            _collect_one(got, fetcher, raw, now)
    except ParseError as exc:
        got.outcome, got.error = "parse_error", str(exc)
    except Exception as exc:   # a bug must cost one URL, not the pass; the URL is then held back
        got.outcome, got.error = "error", f"{exc.__class__.__name__}: {exc}"
    return got


def _fetch_and_keep(got: Collected, fetcher: Fetcher, raw: RawStore, url: str, now: datetime, conditional: bool):
    e = got.entry
    result = fetcher.fetch(url, e.etag if conditional else None, e.last_modified if conditional else None)
    got.statuses.extend(result.statuses)
    got.outcome, got.error, got.retry_after = result.outcome, result.error or None, result.retry_after
    if result.ok:
        raw.save(got.source.name, url, result.body, now, {"status": result.status, "etag": result.etag,
                                                          "last_modified": result.last_modified,
                                                          "content_type": result.content_type})
    return result


def _collect_one(got: Collected, fetcher: Fetcher, raw: RawStore, now: datetime) -> None:
    result = _fetch_and_keep(got, fetcher, raw, got.entry.url, now, conditional=True)
    got.etag, got.last_modified = result.etag, result.last_modified
    if not result.ok:
        return
    if got.source.kind == "rss":
        rows = list(enumerate(parse_feed(result.body), start=1))
    else:
        rows = parse_csv(result.body)
    got.records = [(got.entry.url, line, RowError(rec["_error"]) if "_error" in rec else rec) for line, rec in rows]
    got.fresh = True


def since_with_overlap(cursor: str | None, overlap_seconds: float) -> str | None:
    """Ask a feed for a little before the newest post already seen: late arrivals are caught, and
    the ones seen again are dropped by the post_id dedupe.

        >>> since_with_overlap("2026-05-05T09:04:00+00:00", 300)
        '2026-05-05T08:59:00+00:00'
    """
    if not cursor:
        return None
    return (datetime.fromisoformat(cursor) - pd.Timedelta(seconds=overlap_seconds)).isoformat()


def _collect_pages(got: Collected, fetcher: Fetcher, raw: RawStore, now: datetime) -> None:
    src = got.source
    since = since_with_overlap(got.entry.cursor, src.since_overlap_seconds)
    for page in range(1, src.max_pages + 1):
        url = page_url(got.entry.url, src, since, page)
        result = _fetch_and_keep(got, fetcher, raw, url, now, conditional=page == 1 and not since)
        if page == 1:
            got.etag, got.last_modified = result.etag, result.last_modified
        if not result.ok:
            return
        items, next_page = parse_json_page(result.body, src.items_key, src.next_key)
        got.records.extend((url, i, rec) for i, rec in enumerate(items, start=1))
        got.fresh = True
        if next_page is None:
            return
    got.truncated = True
    got.error = f"stopped after max_pages={src.max_pages}; the cursor is kept, raise max_pages"


def _collect_file(got: Collected, raw: RawStore, now: datetime) -> None:
    path = Path(unquote(urlsplit(got.entry.url).path))
    stat = path.stat()
    signature = f"{stat.st_mtime_ns}-{stat.st_size}"
    got.statuses.append("file")
    if signature == got.entry.etag:
        got.outcome, got.etag = "not_modified", signature
        return
    raw.save_file(got.source.name, got.entry.url, path, now)
    try:
        got.records = [(str(path), line, rec) for line, rec, _ in iter_raw_rows(path)]
    except IngestError as exc:
        raise ParseError(exc.reason) from None
    got.outcome, got.etag, got.fresh = "ok", signature, True
