"""The crawler's state in the database: the crawl schedule, the posts already stored, the committed parts.

    >>> import tempfile
    >>> store = CrawlStore(f"sqlite:///{tempfile.mkdtemp()}/crawl.sqlite").create()
    >>> store.sync_urls([("http://127.0.0.1:8080/feed.xml", "news")])           # URLs added
    1
    >>> store.mark_scheduled(["http://127.0.0.1:8080/feed.xml"], datetime(2026, 5, 5, 9, tzinfo=timezone.utc))
    >>> [(e.url, e.scheduled_count) for e in store.entries(["news"])]
    [('http://127.0.0.1:8080/feed.xml', 1)]

SQLAlchemy Core 2.x with its own ``MetaData`` (the hourly run's tables live elsewhere), created
with ``create_all``; SQLite and PostgreSQL alike. Three tables:

``crawl_schedule``   one row per URL (see :mod:`crawler.schedule` for what the columns mean)
``crawl_seen_posts`` every stored post_id with its content hash and the part file holding it
``crawl_parts``      every processed Parquet part whose records were committed

:meth:`CrawlStore.commit_fetches` writes the parts, the seen posts and the schedule updates of a
batch of fetched URLs in one transaction, which is what makes a crashed crawl resumable without losing or
duplicating posts (see :mod:`crawler.storage`). Database errors leave here as
:class:`CrawlStoreError`.
"""
from __future__ import annotations

from dataclasses import fields
from datetime import datetime, timezone
from typing import Iterable

import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from crawler.schedule import FetchUpdate, ScheduleEntry
from keywords.errors import DatabaseError

metadata = sa.MetaData()

crawl_schedule = sa.Table(
    "crawl_schedule", metadata,
    sa.Column("url", sa.String(2000), primary_key=True),
    sa.Column("source", sa.String(200), nullable=False, index=True),
    sa.Column("last_scheduled", sa.DateTime(timezone=True)),
    sa.Column("scheduled_count", sa.Integer, nullable=False, default=0),
    sa.Column("last_crawled", sa.DateTime(timezone=True)),
    sa.Column("crawled_count", sa.Integer, nullable=False, default=0),
    sa.Column("last_inspected", sa.DateTime(timezone=True)),
    sa.Column("inspected_count", sa.Integer, nullable=False, default=0),
    sa.Column("etag", sa.String(500)),
    sa.Column("last_modified", sa.String(100)),
    sa.Column("last_status", sa.String(40)),
    sa.Column("last_error", sa.Text),
    sa.Column("failures", sa.Integer, nullable=False, default=0),
    sa.Column("cursor", sa.String(500)),
    sa.Column("not_before", sa.DateTime(timezone=True)),
)

crawl_seen_posts = sa.Table(
    "crawl_seen_posts", metadata,
    sa.Column("post_id", sa.String(500), primary_key=True),
    sa.Column("content_hash", sa.String(64), nullable=False, index=True),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("part", sa.String(1000), nullable=False),
    sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
)

crawl_parts = sa.Table(
    "crawl_parts", metadata,
    sa.Column("part", sa.String(1000), primary_key=True),
    sa.Column("source", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(20), nullable=False),
    sa.Column("hour", sa.String(20), nullable=False),
    sa.Column("rows", sa.Integer, nullable=False),
    sa.Column("committed_at", sa.DateTime(timezone=True), nullable=False),
)

_ENTRY_FIELDS = [f.name for f in fields(ScheduleEntry)]
_CHUNK = 500


class CrawlStoreError(DatabaseError):
    """The crawl database cannot be reached or refused a write; the message says which step."""

    def __init__(self, step: str, cause: BaseException):
        self.step = step
        super().__init__(f"crawl store: {step} failed: {cause.__class__.__name__}: {str(cause).splitlines()[0][:300]}")


def _utc(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    """WAL with synchronous=NORMAL: a commit per fetched URL without an fsync each; still safe if the
    crawl process dies (only an OS crash can lose the last commits, which resume re-fetches)."""
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.close()


class CrawlStore:
    """The crawler's tables behind one engine; every method is one short transaction."""

    def __init__(self, db: str | sa.Engine):
        self.engine = db if isinstance(db, sa.Engine) else sa.create_engine(db)
        if self.engine.dialect.name == "sqlite":
            sa.event.listen(self.engine, "connect", _sqlite_pragmas)

    def _run(self, step: str, work):
        try:
            with self.engine.begin() as conn:
                return work(conn)
        except SQLAlchemyError as exc:
            raise CrawlStoreError(step, exc) from None

    def create(self) -> "CrawlStore":
        self._run("creating the crawl tables", lambda conn: metadata.create_all(conn))
        return self

    def dispose(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------ schedule
    def sync_urls(self, urls: Iterable[tuple[str, str]]) -> int:
        """Add ``(url, source)`` rows that are not there yet; returns how many were added."""
        wanted = dict(urls)

        def work(conn):
            have = set()
            keys = list(wanted)
            for i in range(0, len(keys), _CHUNK):
                have |= set(conn.scalars(sa.select(crawl_schedule.c.url).where(crawl_schedule.c.url.in_(keys[i:i + _CHUNK]))))
            new = [{"url": u, "source": s, "scheduled_count": 0, "crawled_count": 0, "inspected_count": 0,
                    "failures": 0} for u, s in wanted.items() if u not in have]
            if new:
                conn.execute(crawl_schedule.insert(), new)
            return len(new)
        return self._run("adding URLs to the schedule", work)

    def entries(self, sources: Iterable[str] | None = None) -> list[ScheduleEntry]:
        query = sa.select(*[crawl_schedule.c[name] for name in _ENTRY_FIELDS])
        if sources is not None:
            query = query.where(crawl_schedule.c.source.in_(list(sources)))

        def work(conn):
            out = []
            for row in conn.execute(query.order_by(crawl_schedule.c.url)).mappings():
                rec = dict(row)
                for name in ("last_scheduled", "last_crawled", "last_inspected", "not_before"):
                    rec[name] = _utc(rec[name])
                out.append(ScheduleEntry(**rec))
            return out
        return self._run("reading the schedule", work)

    def mark_scheduled(self, urls: list[str], now: datetime) -> None:
        c = crawl_schedule.c

        def work(conn):
            for i in range(0, len(urls), _CHUNK):
                conn.execute(crawl_schedule.update().where(c.url.in_(urls[i:i + _CHUNK]))
                             .values(last_scheduled=now, scheduled_count=c.scheduled_count + 1))
        self._run("marking URLs scheduled", work)

    def _update_values(self, update: FetchUpdate, now: datetime) -> dict:
        c = crawl_schedule.c
        values: dict = {"last_status": update.status, "last_error": update.error, "not_before": update.not_before}
        if update.crawled:
            values.update(last_crawled=now, crawled_count=c.crawled_count + 1, failures=0)
            if update.status != "304":      # a fresh body: its validators replace the old ones, even by none
                values.update(etag=update.etag, last_modified=update.last_modified)
            elif update.etag or update.last_modified:
                values.update({k: v for k, v in (("etag", update.etag), ("last_modified", update.last_modified)) if v})
        else:
            values["failures"] = c.failures + 1
        if update.inspected:
            values.update(last_inspected=now, inspected_count=c.inspected_count + 1)
        if update.cursor is not None:
            values["cursor"] = update.cursor
        return values

    # ------------------------------------------------------------ dedupe
    def seen(self, post_ids: Iterable[str], hashes: Iterable[str]) -> tuple[set[str], set[str]]:
        """Which of these post ids and content hashes are already stored."""
        ids, hs = list(dict.fromkeys(post_ids)), list(dict.fromkeys(hashes))
        c = crawl_seen_posts.c

        def work(conn):
            seen_ids, seen_hashes = set(), set()
            for i in range(0, len(ids), _CHUNK):
                seen_ids |= set(conn.scalars(sa.select(c.post_id).where(c.post_id.in_(ids[i:i + _CHUNK]))))
            for i in range(0, len(hs), _CHUNK):
                seen_hashes |= set(conn.scalars(sa.select(c.content_hash).where(c.content_hash.in_(hs[i:i + _CHUNK]))))
            return seen_ids, seen_hashes
        return self._run("looking up stored posts", work)

    def committed_parts(self, names: Iterable[str]) -> set[str]:
        """Which of these part names (paths relative to the data dir) were committed."""
        names = list(names)

        def work(conn):
            found = set()
            for i in range(0, len(names), _CHUNK):
                found |= set(conn.scalars(sa.select(crawl_parts.c.part).where(crawl_parts.c.part.in_(names[i:i + _CHUNK]))))
            return found
        return self._run("reading committed parts", work)

    # ------------------------------------------------------------ the one transaction per batch of fetched URLs
    def commit_fetches(self, updates: list[FetchUpdate], now: datetime, parts: list[dict] = (),
                       seen_posts: list[dict] = ()) -> None:
        """Parts (``part, source, kind, hour, rows``), seen posts (``post_id, content_hash, source,
        part``) and the schedule updates of a batch of URLs, all or nothing."""
        def work(conn):
            if parts:
                names = [p["part"] for p in parts]
                for i in range(0, len(names), _CHUNK):
                    conn.execute(crawl_parts.delete().where(crawl_parts.c.part.in_(names[i:i + _CHUNK])))
                conn.execute(crawl_parts.insert(), [{**p, "committed_at": now} for p in parts])
            if seen_posts:
                conn.execute(crawl_seen_posts.insert(), [{**s, "seen_at": now} for s in seen_posts])
            for update in updates:
                conn.execute(crawl_schedule.update().where(crawl_schedule.c.url == update.url)
                             .values(**self._update_values(update, now)))
        self._run(f"recording the crawl of {len(updates)} URL(s)", work)

    def commit_fetch(self, update: FetchUpdate, now: datetime, parts: list[dict] = (),
                     seen_posts: list[dict] = ()) -> None:
        """:meth:`commit_fetches` for one URL."""
        self.commit_fetches([update], now, parts, seen_posts)
