"""What the hours of one process share: settings, the lock, the compiled tools, the store, Redis.

    >>> ctx = RunContext(Settings(db_url="sqlite://"))
    >>> with ctx.hold_lock() as lock:                      # re-entrant: a backfill holds it once
    ...     with ctx.hold_lock() as again:
    ...         again is lock, ctx.fence is not None
    (True, True)
    >>> ctx.current_lock is None
    True

:class:`RunContext` keeps what is expensive to rebuild (the compiled matcher, parsed input
files, the DB engine, the Redis client) so a backfill over hundreds of hours reads each file
once (a file whose modification time or size changed is read again).
"""
from __future__ import annotations

import contextlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import pandas as pd

from crawler.ingest import IngestBatch, read_posts, read_query_counts
from crawler.mappings import post_mapping
from dictionaries import load_dictionary, load_stopwords
from dictionaries.authors import load_influential_authors
from jobs.pipeline.engine import map_chunk_for
from jobs.pipeline.hour import HourTools
from jobs.publish.feed import IssueFeedPublisher
from jobs.runner.alerts import WebhookAlerter, quote_url_password, redact_webhook
from jobs.settings import Settings
from jobs.store.issue_store import IssueStore
from jobs.store.lock import RunLock
from titling.blocklist import load_blocklist, load_evergreen

__all__ = ["RunContext", "latest_post_time"]


@dataclass
class RunContext:
    """Per-process caches shared by the hours of a backfill or a scheduler."""

    settings: Settings
    _tools: HourTools | None = None
    _store: IssueStore | None = None
    _publisher: IssueFeedPublisher | None = None
    _files: dict[tuple, IngestBatch] = field(default_factory=dict)
    _lock: RunLock | None = None
    _lock_depth: int = 0
    _spark: Any = None                   # jobs.engine.spark.SparkHourJob with [engine] name = "spark"

    def __post_init__(self) -> None:
        if self.settings.alert_webhook:      # its path and query are a secret in every message from now on
            redact_webhook(self.settings.alert_webhook)

    @contextlib.contextmanager
    def hold_lock(self):
        """Hold the run lock for the block (re-entrant: a backfill holds it once for all hours)."""
        if self._lock_depth:
            self._lock_depth += 1
            try:
                yield self._lock
            finally:
                self._lock_depth -= 1
            return
        lock = RunLock(self.store.engine, ttl_seconds=self.settings.lock_ttl_seconds)
        lock.acquire(self.settings.lock_wait_seconds)
        self._lock, self._lock_depth = lock, 1
        try:
            yield lock
        finally:
            self._lock, self._lock_depth = None, 0
            lock.release()

    @property
    def current_lock(self) -> RunLock | None:
        return self._lock

    @property
    def fence(self):
        return self._lock.fence if self._lock is not None else None

    def fence_check(self) -> None:
        if self._lock is not None:
            self._lock.check()

    @property
    def alerter(self) -> WebhookAlerter | None:
        s = self.settings
        return WebhookAlerter(s.alert_webhook, s.alert_timeout_seconds, s.timezone) if s.alert_webhook else None

    @property
    def tools(self) -> HourTools:
        if self._tools is None:
            dictionary = load_dictionary(self.settings.dictionary)
            stopwords = load_stopwords(self.settings.stopwords) if self.settings.stopwords and \
                Path(self.settings.stopwords).exists() else frozenset()
            self._tools = HourTools.build(dictionary, stopwords,
                                          load_influential_authors(self.settings.influential_authors),
                                          load_blocklist(self.settings.title_blocklist),
                                          load_evergreen(self.settings.evergreen))
        return self._tools

    @property
    def store(self) -> IssueStore:
        if self._store is None:
            self._store = IssueStore(self.settings.db_url, lock_ttl_seconds=self.settings.lock_ttl_seconds,
                                     lock_wait_seconds=self.settings.lock_wait_seconds)   # migrates first
        return self._store

    @property
    def publisher(self) -> IssueFeedPublisher | None:
        if self._publisher is None and self.settings.redis_url:
            import redis

            client = redis.Redis.from_url(quote_url_password(self.settings.redis_url), socket_timeout=10,
                                          socket_connect_timeout=5)
            self._publisher = IssueFeedPublisher(client, self.settings.redis_prefix,
                                                 self.settings.snapshot_ttl_hours * 3600,
                                                 fence_ttl_seconds=2 * self.settings.lock_ttl_seconds)
        return self._publisher

    @property
    def spark_job(self):
        """The Spark side of this process's hours (``[engine] name = "spark"``), else None."""
        if self._spark is None and self.settings.engine.name == "spark":
            from jobs.engine.spark import SparkHourJob

            self._spark = SparkHourJob(self.settings)
        return self._spark

    def read(self, kind: str, paths: Sequence[str]) -> IngestBatch:
        """Parse input files once per process; a changed file (mtime, size) is read again."""
        key = (kind, tuple((str(p), _stamp(p)) for p in paths))
        if key not in self._files:
            if kind == "posts":
                s = self.settings
                self._files[key] = read_posts(
                    paths, mapping=post_mapping(s.posts_mapping), max_text_chars=s.max_text_chars,
                    earliest=pd.Timestamp(s.post_time_floor).tz_convert("UTC"),
                    latest=latest_post_time(s),
                    title_chars=s.ingest.title_chars, body_chars=s.ingest.body_chars,
                    map_chunk=map_chunk_for(self.tools, s, paths),      # bodies dropped (#13)
                    chunk_rows=s.engine.chunk_rows)
            else:
                self._files[key] = read_query_counts(paths)
        return self._files[key]

    def read_inputs(self, posts_paths: Sequence[str], queries_paths: Sequence[str] = (),
                    check_posts: Callable[[IngestBatch], None] | None = None) -> tuple[IngestBatch, IngestBatch | None]:
        """:meth:`read` of the posts and (if any paths) the query counts, the queries read here while
        the posts are read (and mapped, by their worker processes) in a thread; then
        ``check_posts(post_batch)``. Errors come in the order of a read of the posts, their check,
        then the queries: a query file's error is raised after both."""
        if not queries_paths:
            post_batch = self.read("posts", posts_paths)
            if check_posts is not None:
                check_posts(post_batch)
            return post_batch, None
        self.tools                                    # built here, not in the thread
        with ThreadPoolExecutor(1, thread_name_prefix="read-posts") as pool:
            posts = pool.submit(self.read, "posts", posts_paths)
            try:
                queries, error = self.read("queries", queries_paths), None
            except Exception as exc:  # noqa: BLE001 - raised once the posts are read
                queries, error = None, exc
            post_batch = posts.result()
        if check_posts is not None:
            check_posts(post_batch)
        if error is not None:
            raise error
        return post_batch, queries


def latest_post_time(settings: Settings) -> pd.Timestamp:
    """A later ``published_at`` is rejected (a clock or parsing error upstream)."""
    return pd.Timestamp.now(tz="UTC") + pd.Timedelta(hours=settings.post_future_hours)


def _stamp(path: str) -> tuple:
    p = Path(path)
    try:
        st = p.stat()
        return (st.st_mtime_ns, st.st_size)
    except OSError:
        return (None, None)
