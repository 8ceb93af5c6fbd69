"""The hourly run's I/O shell: read files and history, run the core, write DB, Redis and file.

    >>> report = run_hour(settings, pd.Timestamp("2026-02-19T16:00+09:00"), ["posts.jsonl"])  # doctest: +SKIP
    >>> report.summary()                                                                      # doctest: +SKIP

Order of effects, so that a failure anywhere leaves the previous feed in place: validate the
dictionary and the override file -> read inputs (an unreadable file stops here) -> compute ->
one DB transaction -> Redis snapshot + pointer switch -> JSON file. A Redis or file failure
after the DB commit is recorded on the run row (``redis_published`` / ``file_published``) and
raised as :class:`PublishError`.

:class:`RunContext` keeps what is expensive to rebuild (the compiled matcher, parsed input
files, the DB engine, the Redis client) so a backfill over hundreds of hours reads each file
once.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from crawler.ingest import IngestBatch, posts_in_hour, queries_in_hour, read_posts, read_query_counts
from crawler.mappings import post_mapping
from dictionaries import load_dictionary, load_stopwords
from dictionaries.authors import load_influential_authors
from issues.aggregate import HOME
from issues.pipeline import HourInputs, HourResult, HourTools, feed_document, run_hour_core
from jobs.feed import IssueFeedPublisher, PublishError, feed_version, hour_label, write_feed_file
from jobs.settings import Settings
from jobs.store import IssueStore, utc_now
from titling.overrides import load_overrides


def parse_hour(text: str, timezone: str = "Asia/Seoul") -> pd.Timestamp:
    """An hour from the command line: ISO 8601; without an offset it is local time; must be whole."""
    ts = pd.Timestamp(text)
    if ts.tzinfo is None:
        ts = ts.tz_localize(timezone)
    if ts != ts.floor("h"):
        raise ValueError(f"hour {text!r} is not on the hour")
    return ts.tz_convert("UTC")


@dataclass
class RunReport:
    hour: pd.Timestamp
    counts: dict[str, int]
    document: dict[str, Any]
    version: str
    redis_published: bool | None
    feed_path: str | None
    stage_seconds: dict[str, float]

    def summary(self) -> str:
        home = self.document["channels"].get(HOME, [])
        titles = " | ".join(f"{i['rank']}. {i['title']}" for i in home) or "(no issues)"
        c = self.counts
        return (f"{self.document['hour']} read={c['posts_read']} accepted={c['posts_accepted']} "
                f"rejected={c['posts_rejected']} in_hour={c['posts_in_hour']} issues={len(home)}  home: {titles}")


@dataclass
class RunContext:
    """Per-process caches shared by the hours of a backfill or a scheduler."""

    settings: Settings
    _tools: HourTools | None = None
    _store: IssueStore | None = None
    _publisher: IssueFeedPublisher | None = None
    _files: dict[tuple, IngestBatch] = field(default_factory=dict)

    @property
    def tools(self) -> HourTools:
        if self._tools is None:
            dictionary = load_dictionary(self.settings.dictionary)
            stopwords = load_stopwords(self.settings.stopwords) if self.settings.stopwords and \
                Path(self.settings.stopwords).exists() else frozenset()
            self._tools = HourTools.build(dictionary, stopwords,
                                          load_influential_authors(self.settings.influential_authors))
        return self._tools

    @property
    def store(self) -> IssueStore:
        if self._store is None:
            self._store = IssueStore(self.settings.db_url)
        return self._store

    @property
    def publisher(self) -> IssueFeedPublisher | None:
        if self._publisher is None and self.settings.redis_url:
            import redis

            client = redis.Redis.from_url(self.settings.redis_url, socket_timeout=10, socket_connect_timeout=5)
            self._publisher = IssueFeedPublisher(client, self.settings.redis_prefix,
                                                 self.settings.snapshot_ttl_hours * 3600)
        return self._publisher

    def read(self, kind: str, paths: Sequence[str]) -> IngestBatch:
        """Parse input files once per process; a changed file (mtime, size) is read again."""
        key = (kind, tuple((str(p), _stamp(p)) for p in paths))
        if key not in self._files:
            if kind == "posts":
                self._files[key] = read_posts(paths, mapping=post_mapping(self.settings.posts_mapping))
            else:
                self._files[key] = read_query_counts(paths)
        return self._files[key]


def _stamp(path: str) -> tuple:
    p = Path(path)
    try:
        st = p.stat()
        return (st.st_mtime_ns, st.st_size)
    except OSError:
        return (None, None)


def compute_hour(ctx: RunContext, hour: pd.Timestamp, posts_paths: Sequence[str],
                 queries_paths: Sequence[str] = ()) -> tuple[HourResult, dict, pd.DataFrame, pd.DataFrame, dict]:
    """Everything up to (not including) the writes."""
    s = ctx.settings
    timings: dict[str, float] = {}
    t = time.perf_counter()
    overrides = load_overrides(s.overrides)
    tools = ctx.tools
    post_batch = ctx.read("posts", list(posts_paths))
    query_batch = ctx.read("queries", list(queries_paths)) if queries_paths else None
    posts = posts_in_hour(post_batch.accepted, hour)
    queries = queries_in_hour(query_batch.accepted, hour) if query_batch is not None else None
    timings["ingest"] = time.perf_counter() - t

    t = time.perf_counter()
    store = ctx.store
    d = s.detect
    history, run_hours, activity = store.load_history(hour, d.seasonal_days, d.level_hours, d.weekly_weeks)
    doc_freq, n_docs = store.doc_freq(hour, s.idf_window_days)
    inputs = HourInputs(hour=hour, posts=posts, queries=queries, doc_freq=doc_freq, n_docs=n_docs,
                        history=history, run_hours=run_hours, activity_history=activity,
                        query_history=store.query_history(hour, 24),
                        previous_issues=store.previous_issues(hour, s.detect.continue_hours),
                        overrides=overrides)
    timings["history"] = time.perf_counter() - t
    t = time.perf_counter()
    result = run_hour_core(inputs, tools, s)
    timings["core"] = time.perf_counter() - t
    rejects = pd.concat([post_batch.rejects] + ([query_batch.rejects] if query_batch is not None else []),
                        ignore_index=True)
    counts = {"posts_read": post_batch.rows_read, "posts_accepted": len(post_batch.accepted),
              "posts_rejected": len(post_batch.rejects), "posts_in_hour": len(posts),
              "queries_read": query_batch.rows_read if query_batch else 0,
              "queries_rejected": len(query_batch.rejects) if query_batch else 0}
    return result, counts, rejects, queries, timings


def run_hour(ctx: RunContext | Settings, hour: pd.Timestamp, posts_paths: Sequence[str],
             queries_paths: Sequence[str] = ()) -> RunReport:
    """Run one hour end to end; the same hour again gives the same rows and feed."""
    ctx = ctx if isinstance(ctx, RunContext) else RunContext(ctx)
    s = ctx.settings
    hour = pd.Timestamp(hour).tz_convert("UTC")
    started = utc_now()
    if s.crawl_sources:
        posts_paths, queries_paths = crawl_for_hour(s, hour, posts_paths, queries_paths)
    result, counts, rejects, queries, timings = compute_hour(ctx, hour, posts_paths, queries_paths)
    document = feed_document(result, s.timezone)
    version = feed_version(document, hour.strftime("%Y%m%dT%H"))

    t = time.perf_counter()
    run_row = dict(counts, status="ok", started_at=started, finished_at=utc_now(),
                   issues_published=result.counts["issues"], feed_version=version,
                   redis_published=None, file_published=None,
                   stage_seconds=json.dumps({k: round(v, 4) for k, v in timings.items()}), error=None)
    ctx.store.save_hour(hour, run_row, result.stats, result.activity, queries, result.issues,
                        result.bundles, rejects, s.query_store_min_count)
    timings["store"] = time.perf_counter() - t

    errors = []
    redis_ok = None
    if ctx.publisher is not None:
        t = time.perf_counter()
        try:
            ctx.publisher.publish(document, version)
            redis_ok = True
        except PublishError as exc:
            redis_ok = False
            errors.append(str(exc))
        timings["redis"] = time.perf_counter() - t
    path = None
    if s.feed_file:
        try:
            path = str(write_feed_file(document, s.feed_file, hour_label(hour.tz_convert(s.timezone))))
        except PublishError as exc:
            errors.append(str(exc))
    ctx.store.mark_published(hour, redis=redis_ok, file=(path is not None) if s.feed_file else None,
                             error="; ".join(errors) or None)
    if errors:
        raise PublishError("; ".join(errors))
    return RunReport(hour, counts, document, version, redis_ok, path, timings)


def crawl_for_hour(settings: Settings, hour: pd.Timestamp, posts_paths: Sequence[str],
                   queries_paths: Sequence[str]) -> tuple[list[str], list[str]]:
    """Crawl the configured sources once, then add the hour's crawled partitions to the inputs."""
    from crawler.settings import load_crawl_settings
    from jobs.crawl import crawl_once, hour_posts_dir, hour_queries_dir

    crawl = load_crawl_settings(settings.crawl_sources)
    crawl_once(crawl, settings.db_url)
    posts = list(posts_paths) + [str(p) for p in [hour_posts_dir(crawl.data_dir, hour)] if p.exists()]
    queries = list(queries_paths) + [str(p) for p in [hour_queries_dir(crawl.data_dir, hour)] if p.exists()]
    return posts, queries


def backfill(ctx: RunContext, start: pd.Timestamp, end: pd.Timestamp, posts_paths: Sequence[str],
             queries_paths: Sequence[str] = (), progress: bool = True, on_report=None) -> list[RunReport]:
    """Every hour from ``start`` to ``end`` (both included), in order, with a progress bar."""
    from tqdm import tqdm

    hours = pd.date_range(pd.Timestamp(start).tz_convert("UTC"), pd.Timestamp(end).tz_convert("UTC"), freq="h")
    reports = []
    for hour in tqdm(hours, desc="backfill", unit="hour", disable=not progress):
        report = run_hour(ctx, hour, posts_paths, queries_paths)
        reports.append(report)
        if on_report is not None:
            on_report(report)
    return reports
