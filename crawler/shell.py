"""The crawl's I/O shell: open the crawl database, run one pass, close it.

    >>> import json, tempfile
    >>> work = Path(tempfile.mkdtemp())
    >>> (work / "drop").mkdir()
    >>> post = {"post_id": "p1", "channel": "news", "author_id": "a1", "title": "자민당 압승", "body": "",
    ...         "published_at": "2026-05-05T18:10:00+09:00"}
    >>> _ = (work / "drop" / "posts.jsonl").write_text(json.dumps(post) + "\\n", encoding="utf-8")
    >>> _ = (work / "sources.toml").write_text("[[source]]\\nname = 'drop'\\nkind = 'drop_folder'\\n"
    ...                                        f"path = '{work / 'drop'}'\\n", encoding="utf-8")
    >>> settings = load_crawl_settings(work / "sources.toml", data_dir=str(work / "data"))
    >>> summary = crawl_once(settings, f"sqlite:///{work / 'crawl.sqlite'}")
    >>> summary.posts, sorted(summary.hours)        # partitions are named by the UTC hour
    (1, ['20260505T09'])

The hourly run crawls first when sources are configured, then reads the hour's partition::

    summary = crawl_if_configured(args.sources, db_url, data_dir=args.data_dir)   # None without sources
    posts = read_posts([hour_posts_dir(settings_data_dir, hour)])                  # posts of [H, H+1)

``issuewire crawl`` (:mod:`jobs.cli.crawl`) calls :func:`crawl_once` on its own.
Errors leave as :class:`crawler.settings.CrawlConfigError` (bad sources file),
:class:`crawler.crawl_store.CrawlStoreError` (database) or :class:`CrawlBusyError` (another crawl runs); HTTP trouble never raises, it is counted in
the summary.
"""
from __future__ import annotations

import fcntl
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Iterator

import pandas as pd

from crawler.crawl import crawl_pass
from crawler.settings import CrawlConfigError, CrawlSettings, load_crawl_settings
from crawler.storage import hour_key
from crawler.summary import CrawlSummary
from crawler.crawl_store import CrawlStore, CrawlStoreError
from keywords.errors import BusyError

__all__ = ["crawl_once", "crawl_lock", "CrawlBusyError", "crawl_if_configured", "posts_dir", "queries_dir", "hour_posts_dir", "hour_queries_dir", "CrawlSettings", "CrawlSummary", "CrawlConfigError",
           "CrawlStoreError", "load_crawl_settings"]


class CrawlBusyError(BusyError, RuntimeError):
    """Another crawl holds the data dir's lock; this one did nothing."""

    def __init__(self, lock: Path):
        super().__init__(f"another crawl is running on {lock.parent} (lock {lock.name}); nothing was done")


@contextmanager
def crawl_lock(data_dir: Path) -> Iterator[None]:
    """One crawl per data dir at a time (an advisory ``flock``, released when the process dies)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    lock = data_dir / ".crawl.lock"
    with open(lock, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CrawlBusyError(lock) from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def crawl_once(settings: CrawlSettings, db_url: str, now: datetime | None = None) -> CrawlSummary:
    """One pass over the due URLs of every configured source; the crawl tables are created if missing.

    Holds the data dir's lock for the pass: a second crawl at the same time raises
    :class:`CrawlBusyError` instead of racing the first one's commits."""
    with crawl_lock(Path(settings.data_dir)):
        store = CrawlStore(db_url).create()
        try:
            return crawl_pass(settings, store, now=now)
        finally:
            store.dispose()


def posts_dir(settings: CrawlSettings):
    """The folder ``issuewire run --posts`` reads (``crawler.ingest.read_posts`` accepts it as is)."""
    return settings.data_dir / "processed" / "posts"


def queries_dir(settings: CrawlSettings):
    """The folder of crawled query counts (``crawler.ingest.read_query_counts`` accepts it as is)."""
    return settings.data_dir / "processed" / "queries"


def crawl_if_configured(sources: str | Path | None, db_url: str, now: datetime | None = None,
                        **overrides) -> CrawlSummary | None:
    """For the hourly run: one pass when a sources file is given (``overrides`` are its CLI flags), else None."""
    if not sources:
        return None
    return crawl_once(load_crawl_settings(sources, **overrides), db_url, now=now)


def hour_posts_dir(data_dir: str | Path, hour) -> Path:
    """``<data_dir>/processed/posts/hour=YYYYMMDDTHH``: the posts published in ``[hour, hour + 1h)``.

        >>> hour_posts_dir("var/data", pd.Timestamp("2026-05-05T18:00+09:00")).as_posix()
        'var/data/processed/posts/hour=20260505T09'
    """
    return Path(data_dir) / "processed" / "posts" / f"hour={hour_key(pd.Timestamp(hour))}"


def hour_queries_dir(data_dir: str | Path, hour) -> Path:
    """``<data_dir>/processed/queries/hour=YYYYMMDDTHH``: the query counts of ``hour``."""
    return Path(data_dir) / "processed" / "queries" / f"hour={hour_key(pd.Timestamp(hour))}"
