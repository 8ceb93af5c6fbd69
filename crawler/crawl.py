"""One crawl pass: plan the sources' URLs, fetch the due ones in a thread pool, store what they hold.

    >>> import json, tempfile
    >>> work = Path(tempfile.mkdtemp())
    >>> (work / "drop").mkdir()
    >>> post = {"post_id": "p1", "channel": "news", "author_id": "a1", "title": "자민당 압승", "body": "",
    ...         "published_at": "2026-05-05T18:10:00+09:00"}
    >>> _ = (work / "drop" / "posts.jsonl").write_text(json.dumps(post) + "\\n", encoding="utf-8")
    >>> _ = (work / "sources.toml").write_text("[[source]]\\nname = 'drop'\\nkind = 'drop_folder'\\n"
    ...                                        f"path = '{work / 'drop'}'\\n", encoding="utf-8")
    >>> from crawler.crawl_store import CrawlStore
    >>> from crawler.settings import load_crawl_settings
    >>> settings = load_crawl_settings(work / "sources.toml", data_dir=str(work / "data"))
    >>> summary = crawl_pass(settings, CrawlStore(f"sqlite:///{work / 'crawl.sqlite'}").create())
    >>> summary.lines()[-1]                                           # doctest: +ELLIPSIS
    'total: 1 due url(s), 1 post(s), 0 query row(s), 0 failed, hours 20260505T09, ...s'

The steps:

1. :func:`crawler.collect.planned_urls` — the URLs a source stands for: its feed URL, the last
   ``lookback_hours`` hourly query-count URLs (``{hour}`` filled in), or the files of a drop folder
   (as ``file://`` URIs).
2. The schedule (``store``) picks the due ones in order (:mod:`crawler.schedule`).
3. :func:`crawler.collect.collect` runs in the pool: fetch (following a JSON feed's pages), keep raw bodies,
   parse into flat records. It does no database work.
4. :func:`absorb` runs in the calling thread on each batch of finished URLs (whatever finished
   while the previous batch was being stored): map and validate the records
   (:mod:`crawler.mappings`, :func:`crawler.ingest.validate_post`), drop posts already stored
   (by post_id and by content hash), stage Parquet parts, commit them with the batch's schedule
   updates in one transaction, then publish the parts (:mod:`crawler.storage`). Batching keeps
   the one writer thread from becoming the bottleneck of a wide pool.

``store`` is anything with the methods of :class:`crawler.crawl_store.CrawlStore`; ``jobs/`` builds it.
"""
from __future__ import annotations

import hashlib
import json
import time
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pandas as pd

from crawler.collect import Collected, collect, hour_of_url, planned_urls
from crawler.fetcher import Fetcher
from crawler.ingest import MAX_RAW_CHARS, RowError, validate_post, validate_query_count
from crawler.mappings import mapping_for
from crawler.schedule import FetchUpdate, SchedulePolicy, due_entries
from crawler.settings import CrawlSettings
from crawler.storage import PartWriter, RawStore, hour_key
from crawler.summary import CrawlSummary


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


def absorb(batch: list[Collected], store, parts: PartWriter, summary: CrawlSummary, now: datetime) -> None:
    """Validate, dedupe, stage, commit and publish what a batch of URLs brought: one transaction
    for the batch (the schedule updates, the parts, the seen posts), then the parts are renamed."""
    staged, updates, posts = [], [], []
    try:
        for got in batch:
            src, stats = got.source, summary.source(got.source.name)
            stats.count_fetch(got.statuses, got.outcome, got.error, got.entry.url)
            good, bad = validate_records(got)
            stats.rejected += len(bad)
            staged += parts.stage_rejects(src.name, hour_key(now), bad)
            cursor = None
            if src.kind == "query_counts":
                rows = sum_query_counts(good)
                staged += parts.stage_queries(src.name, got.entry.url, rows)
                stats.queries += len(rows)
            else:
                posts += good
                if src.kind == "json_feed" and got.outcome == "ok" and not got.truncated and good:
                    cursor = next_cursor(got.entry.cursor, [p["published_at"] for p in good], now)
            updates.append(fetch_update(got, cursor, now))
        fresh = _dedupe(posts, store, summary)
        seen_rows = []
        for source in sorted({p["source"] for p in fresh}):
            mine = [p for p in fresh if p["source"] == source]
            new = parts.stage_posts(source, mine)
            staged += new
            part_of = {pid: part.key for part in new for pid in part.post_ids}
            seen_rows += [{"post_id": p["post_id"], "content_hash": p["_hash"], "source": source,
                           "part": part_of[p["post_id"]]} for p in mine]
            summary.source(source).posts += len(mine)
        store.commit_fetches(updates, now, parts=[p.record for p in staged], seen_posts=seen_rows)
    except BaseException:
        parts.discard(staged)
        raise
    parts.publish(staged)
    summary.hours.update(p.hour for p in staged if p.kind == "posts")


def sum_query_counts(rows: list[dict]) -> list[dict]:
    """The same query twice in one hour of one file is one row with the counts summed."""
    summed: dict[tuple, int] = {}
    for row in rows:
        key = (row["hour"], row["query"])
        summed[key] = summed.get(key, 0) + row["count"]
    return [{"hour": h, "query": q, "count": c} for (h, q), c in sorted(summed.items())]


def fetch_update(got: Collected, cursor: str | None, now: datetime) -> FetchUpdate:
    """How this URL's schedule row changes: crawled on 200/304, inspected when a new body was parsed."""
    crawled = got.outcome in ("ok", "not_modified")
    wait_until = now + timedelta(seconds=got.retry_after) if got.retry_after and not crawled else None
    return FetchUpdate(got.entry.url, crawled=crawled, inspected=crawled and got.fresh, status=got.status,
                       error=got.error, etag=got.etag, last_modified=got.last_modified, cursor=cursor,
                       not_before=wait_until)


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


def _dedupe(posts: list[dict], store, summary: CrawlSummary) -> list[dict]:
    """Drop posts whose post_id or content hash is already stored, or came earlier in this batch."""
    for p in posts:
        p["_hash"] = content_hash(p["author_id"], p["title"], p["body"])
    seen_ids, seen_hashes = store.seen([p["post_id"] for p in posts], [p["_hash"] for p in posts])
    fresh = []
    for p in posts:
        if p["post_id"] in seen_ids or p["_hash"] in seen_hashes:
            summary.source(p["source"]).duplicates += 1
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
            pending = {pool.submit(collect, by_name[e.source], e, fetcher, raw, now) for e in due}
            try:
                while pending:   # whatever finished while the last batch was stored is the next batch
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    absorb([f.result() for f in done], store, parts, summary, now)
            except BaseException:
                for f in pending:
                    f.cancel()
                raise
    finally:
        if own_fetcher:
            fetcher.close()
    summary.elapsed = time.monotonic() - started
    return summary

