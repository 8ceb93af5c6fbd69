"""Which URLs a crawl pass fetches, and in what order: a pure function over the schedule rows.

    >>> now = datetime(2026, 5, 5, 9, tzinfo=timezone.utc)
    >>> rows = [ScheduleEntry("http://a/feed", "a", last_scheduled=now - timedelta(hours=2),
    ...                       last_crawled=now - timedelta(hours=2)),
    ...         ScheduleEntry("http://b/feed", "b")]
    >>> [e.url for e in due_entries(rows, now, SchedulePolicy())]
    ['http://b/feed', 'http://a/feed']

The schedule keeps, per URL, when it was last *scheduled* (handed to a fetcher), *crawled*
(answered 200 or 304) and *inspected* (a new body parsed and its records stored), with counts.
Due URLs come out in this order: never scheduled first, then longest since crawled (never
crawled counts as longest), then least recently inspected. A URL that was scheduled but not
crawled since (it failed, or the crawl died on it) is held back for ``hold_back`` seconds,
doubled per consecutive failure up to ``hold_back_max`` — a poison URL is retried ever more
slowly instead of on every pass. A server's ``Retry-After`` longer than the fetcher waits is
kept as ``not_before``: the URL is not due before then.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass
class ScheduleEntry:
    """One row of the crawl schedule (see :mod:`crawler.crawl_store` for the table)."""

    url: str
    source: str
    last_scheduled: datetime | None = None
    scheduled_count: int = 0
    last_crawled: datetime | None = None
    crawled_count: int = 0
    last_inspected: datetime | None = None
    inspected_count: int = 0
    etag: str | None = None
    last_modified: str | None = None
    last_status: str | None = None
    last_error: str | None = None
    failures: int = 0
    cursor: str | None = None
    not_before: datetime | None = None    # the server's Retry-After when it was longer than we wait

    @property
    def pending(self) -> bool:
        """Scheduled, but not crawled since: the last attempt failed or never finished."""
        return self.last_scheduled is not None and (self.last_crawled is None or self.last_crawled < self.last_scheduled)


@dataclass
class FetchUpdate:
    """How one fetched URL changes its schedule row (built by the crawler, written by the store)."""

    url: str
    crawled: bool
    inspected: bool
    status: str
    error: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    cursor: str | None = None
    not_before: datetime | None = None


@dataclass(frozen=True)
class SchedulePolicy:
    """Timing rules of the schedule; ``recrawl`` maps a source name to its re-crawl interval."""

    hold_back: float = 300.0
    hold_back_max: float = 6 * 3600.0
    recrawl: tuple[tuple[str, float], ...] = ()
    default_recrawl: float = 0.0

    @classmethod
    def from_settings(cls, settings) -> "SchedulePolicy":
        return cls(settings.hold_back_seconds, settings.hold_back_max_seconds,
                   tuple((s.name, s.recrawl_seconds) for s in settings.sources))

    def recrawl_for(self, source: str) -> float:
        return dict(self.recrawl).get(source, self.default_recrawl)

    def held_until(self, entry: ScheduleEntry) -> datetime | None:
        """When a pending URL may be scheduled again, or None when it is not held back."""
        if not entry.pending:
            return None
        seconds = min(self.hold_back * 2 ** max(entry.failures - 1, 0), self.hold_back_max)
        return entry.last_scheduled + timedelta(seconds=seconds)


def is_due(entry: ScheduleEntry, now: datetime, policy: SchedulePolicy) -> bool:
    if entry.not_before is not None and now < entry.not_before:
        return False
    if entry.last_scheduled is None:
        return True
    held = policy.held_until(entry)
    if held is not None:
        return now >= held
    if entry.last_crawled is None:
        return True
    return (now - entry.last_crawled).total_seconds() >= policy.recrawl_for(entry.source)


def due_order_key(entry: ScheduleEntry) -> tuple:
    return (entry.last_scheduled is not None, entry.last_crawled or EPOCH, entry.last_inspected or EPOCH, entry.url)


def due_entries(entries: list[ScheduleEntry], now: datetime, policy: SchedulePolicy,
                limit: int | None = None) -> list[ScheduleEntry]:
    """The due entries in crawl order (see the module docstring); at most ``limit`` of them."""
    due = sorted((e for e in entries if is_due(e, now, policy)), key=due_order_key)
    return due if limit is None else due[:limit]
