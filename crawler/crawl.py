"""One crawl pass: plan the sources' URLs, fetch the due ones in a thread pool, store what they hold.

    >>> summary = crawl_pass(settings, CrawlStore(db_url).create())    # doctest: +SKIP
    >>> summary.lines()[-1]                                            # doctest: +SKIP
    'total: 4 due url(s), 7 post(s), 2 query row(s), 0 failed, hours 20260505T09, 0.4s'

The steps, each a function here:

1. :func:`planned_urls` — the URLs a source stands for: its feed URL, the last
   ``lookback_hours`` hourly query-count URLs (``{hour}`` filled in), or the files of a drop folder
   (as ``file://`` URIs).
2. The schedule (``store``) picks the due ones in order (:mod:`crawler.schedule`).
3. :func:`collect` runs in the pool: fetch (following a JSON feed's pages), keep raw bodies,
   parse into flat records. It does no database work.
4. :func:`absorb` runs in the calling thread as results arrive: map and validate the records
   (:mod:`crawler.mappings`, :func:`crawler.ingest.validate_post`), drop posts already stored
   (by post_id and by content hash), stage Parquet parts, commit them with the schedule update
   in one transaction, then publish the parts (:mod:`crawler.storage`).

``store`` is anything with the methods of :class:`jobs.crawl_store.CrawlStore`; ``jobs/`` builds it.
"""
from __future__ import annotations

import hashlib
import json
import re
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import pandas as pd

from crawler.feeds import ParseError, parse_csv, parse_feed, parse_json_page
from crawler.fetcher import Fetcher
from crawler.ingest import (MAX_RAW_CHARS, IngestError, RowError, expand_paths, iter_raw_rows,
                            validate_post, validate_query_count)
from crawler.mappings import mapping_for
from crawler.schedule import FetchUpdate, ScheduleEntry, SchedulePolicy, due_entries
from crawler.settings import CrawlSettings, SourceSettings
from crawler.storage import PartWriter, RawStore, hour_key
from crawler.summary import CrawlSummary

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


# ---------------------------------------------------------------- 4. absorbing (in the calling thread)
def content_hash(author_id: str, title: str, body: str) -> str:
    """One author's same text under another post_id is the same post (a re-post, a mirror of one
    publisher's article in two feeds); whitespace does not count. Different authors writing the
    same words are different posts: that is exactly the signal the issue detector counts.

        >>> content_hash("u1", "어린이날  선물", "") == content_hash("u1", "어린이날 선물", " ")
        True
    """
    text = "\x1f".join(" ".join(part.split()) for part in (author_id, title, body))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _reject(where: str, line: int, kind: str, reason: str, rec: Any) -> dict:
    raw = rec if isinstance(rec, str) else json.dumps(rec, ensure_ascii=False, default=str)
    return {"kind": kind, "source": where, "line": line, "reason": reason, "raw": raw[:MAX_RAW_CHARS]}


def validate_records(got: Collected) -> tuple[list[dict], list[dict]]:
    """Map and validate every record of one URL -> (valid rows, rejects with reasons)."""
    src, mapping = got.source, mapping_for(got.source)
    is_query = src.kind == "query_counts"
    url_hour = hour_of_url(src, got.entry.url) if is_query else None
    good, bad = [], []
    for where, line, rec in got.records:
        try:
            if isinstance(rec, RowError):
                raise rec
            if not isinstance(rec, dict):
                raise RowError(f"a record must be an object, got {type(rec).__name__}")
            out = mapping(rec) if mapping else dict(rec)
            if is_query:
                if out.get("hour") in (None, "") and url_hour:
                    out["hour"] = url_hour
                good.append(validate_query_count(out))
            else:
                out["source"] = src.name
                if not out.get("channel") and src.channel:
                    out["channel"] = src.channel
                good.append(validate_post(out))
        except RowError as exc:
            bad.append(_reject(where, line, "query" if is_query else "post", str(exc), rec))
    return good, bad


def absorb(got: Collected, store, parts: PartWriter, summary: CrawlSummary, now: datetime) -> None:
    """Validate, dedupe, stage, commit and publish what one URL brought (see the module docstring)."""
    src, stats = got.source, summary.source(got.source.name)
    stats.count_fetch(got.statuses, got.outcome, got.error, got.entry.url)
    good, bad = validate_records(got)
    stats.rejected += len(bad)
    staged, seen_rows, cursor = [], [], None
    if src.kind == "query_counts":
        summed: dict[tuple, int] = {}
        for row in good:   # the same query twice in one hour's file counts once, summed
            summed[(row["hour"], row["query"])] = summed.get((row["hour"], row["query"]), 0) + row["count"]
        rows = [{"hour": h, "query": q, "count": c} for (h, q), c in sorted(summed.items())]
        staged += parts.stage_queries(src.name, got.entry.url, rows)
        stats.queries += len(rows)
    else:
        fresh = _dedupe(good, store, stats)
        if fresh:
            staged += parts.stage_posts(src.name, fresh)
            by_id = {pid: p.key for p in staged for pid in p.post_ids}
            seen_rows = [{"post_id": p["post_id"], "content_hash": p["_hash"], "source": src.name,
                          "part": by_id[p["post_id"]]} for p in fresh]
            stats.posts += len(fresh)
        if src.kind == "json_feed" and got.outcome == "ok" and not got.truncated and good:
            cursor = next_cursor(got.entry.cursor, [p["published_at"] for p in good], now)
    staged += parts.stage_rejects(src.name, hour_key(now), bad)
    crawled = got.outcome in ("ok", "not_modified")
    update = FetchUpdate(got.entry.url, crawled=crawled, inspected=crawled and got.fresh, status=got.status,
                         error=got.error, etag=got.etag, last_modified=got.last_modified, cursor=cursor,
                         not_before=now + timedelta(seconds=got.retry_after) if got.retry_after and not crawled else None)
    try:
        store.commit_fetch(update, now, parts=[p.record for p in staged], seen_posts=seen_rows)
    except BaseException:
        parts.discard(staged)
        raise
    parts.publish(staged)
    summary.hours.update(p.hour for p in staged if p.kind == "posts")


def next_cursor(cursor: str | None, published: list[pd.Timestamp], now: datetime) -> str:
    """The newest publication time seen, never behind the old cursor nor ahead of ``now`` (a post
    dated in the future must not make the feed skip everything until then).

        >>> next_cursor("2026-05-05T09:00:00+00:00", [pd.Timestamp("2030-01-01T00:00Z")],
        ...             datetime(2026, 5, 5, 10, tzinfo=timezone.utc))
        '2026-05-05T10:00:00+00:00'
    """
    newest = min(max(published), pd.Timestamp(now))
    if cursor:
        newest = max(newest, pd.Timestamp(cursor))
    return newest.tz_convert("UTC").isoformat()


def _dedupe(posts: list[dict], store, stats) -> list[dict]:
    for p in posts:
        p["_hash"] = content_hash(p["author_id"], p["title"], p["body"])
    seen_ids, seen_hashes = store.seen([p["post_id"] for p in posts], [p["_hash"] for p in posts])
    fresh = []
    for p in posts:
        if p["post_id"] in seen_ids or p["_hash"] in seen_hashes:
            stats.duplicates += 1
            continue
        seen_ids.add(p["post_id"])
        seen_hashes.add(p["_hash"])
        fresh.append(p)
    return fresh


# ---------------------------------------------------------------- the pass
def crawl_pass(settings: CrawlSettings, store, now: datetime | None = None,
               fetcher: Fetcher | None = None) -> CrawlSummary:
    """Crawl every due URL of ``settings.sources`` once; returns the pass's :class:`CrawlSummary`."""
    started = time.monotonic()
    now = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    summary = CrawlSummary()
    parts, raw = PartWriter(settings.data_dir), RawStore(settings.data_dir)
    leftovers = parts.leftovers()
    summary.recovered = parts.recover(leftovers, store.committed_parts([parts.key_of_leftover(t) for t in leftovers]))
    by_name = {s.name: s for s in settings.sources}
    for s in settings.sources:
        if s.path and not Path(s.path).is_dir():   # a drop folder that vanished is a failure, not silence
            summary.source(s.name).outcomes["missing_folder"] += 1
            summary.source(s.name).errors.append(f"{s.path}: drop folder does not exist")
    planned = [(url, s.name) for s in settings.sources for url in planned_urls(s, now)]
    store.sync_urls(planned)
    current = {url for url, _ in planned}
    entries = [e for e in store.entries(list(by_name)) if e.url in current]
    due = due_entries(entries, now, SchedulePolicy.from_settings(settings))
    summary.due = len(due)
    if not due:
        summary.elapsed = time.monotonic() - started
        return summary
    store.mark_scheduled([e.url for e in due], now)
    for e in due:   # what mark_scheduled wrote, so held-back checks see this pass
        e.last_scheduled, e.scheduled_count = now, e.scheduled_count + 1
    own_fetcher = fetcher is None
    fetcher = fetcher or Fetcher(settings)
    try:
        with ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="crawl") as pool:
            futures = [pool.submit(collect, by_name[e.source], e, fetcher, raw, now) for e in due]
            try:
                for future in as_completed(futures):
                    absorb(future.result(), store, parts, summary, now)
            except BaseException:
                for f in futures:
                    f.cancel()
                raise
    finally:
        if own_fetcher:
            fetcher.close()
    summary.elapsed = time.monotonic() - started
    return summary

