"""The crawl's I/O shell: open the crawl database, run one pass, close it.

    >>> settings = load_crawl_settings("sources.toml", data_dir="var/data")    # doctest: +SKIP
    >>> summary = crawl_once(settings, "sqlite:///var/issuewire.sqlite")       # doctest: +SKIP
    >>> summary.posts, sorted(summary.hours)                                   # doctest: +SKIP
    (7, ['20260505T09'])

The hourly run calls :func:`crawl_once` before reading ``<data_dir>/processed/posts`` when
sources are configured; ``issuewire crawl`` (:mod:`jobs.crawl_cli`) calls it on its own.
Errors leave as :class:`crawler.settings.CrawlConfigError` (bad sources file) or
:class:`jobs.crawl_store.CrawlStoreError` (database); HTTP trouble never raises, it is counted in
the summary.
"""
from __future__ import annotations

from datetime import datetime

from crawler.crawl import crawl_pass
from crawler.settings import CrawlConfigError, CrawlSettings, load_crawl_settings
from crawler.summary import CrawlSummary
from jobs.crawl_store import CrawlStore, CrawlStoreError

__all__ = ["crawl_once", "posts_dir", "queries_dir", "CrawlSettings", "CrawlSummary", "CrawlConfigError",
           "CrawlStoreError", "load_crawl_settings"]


def crawl_once(settings: CrawlSettings, db_url: str, now: datetime | None = None) -> CrawlSummary:
    """One pass over the due URLs of every configured source; the crawl tables are created if missing."""
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
