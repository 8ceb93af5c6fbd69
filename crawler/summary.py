"""What a crawl pass did, per source: URLs, HTTP statuses, outcomes, posts and query counts stored.

    >>> summary = CrawlSummary()
    >>> summary.source("news").count_fetch(["500", "200"], "ok")
    >>> summary.source("news").posts += 3
    >>> summary.lines()[0]
    'news: 1 url(s), 1 page(s), 3 post(s), 0 query row(s), 0 duplicate(s), 0 rejected; status 200=1 500=1; ok=1'

The CLI prints :meth:`CrawlSummary.lines`; :meth:`CrawlSummary.to_dict` is the JSON form.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

FAILED_OUTCOMES = ("client_error", "server_error", "rate_limited", "timeout", "connection_error",
                   "too_large", "robots_disallowed", "parse_error", "error", "missing_folder")


@dataclass
class SourceSummary:
    """Counts of one source in one pass; ``statuses`` counts every HTTP attempt, retries included."""

    urls: int = 0
    pages: int = 0
    posts: int = 0
    queries: int = 0
    duplicates: int = 0
    rejected: int = 0
    statuses: Counter = field(default_factory=Counter)
    outcomes: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)

    def count_fetch(self, statuses: list[str], outcome: str, error: str | None = None, url: str = "") -> None:
        self.urls += 1
        self.pages += sum(1 for s in statuses if s in ("200", "304"))
        self.statuses.update(statuses)
        self.outcomes[outcome] += 1
        if error:
            self.errors.append(f"{url}: {error}" if url else error)

    def to_dict(self) -> dict:
        return {"urls": self.urls, "pages": self.pages, "posts": self.posts, "queries": self.queries,
                "duplicates": self.duplicates, "rejected": self.rejected, "statuses": dict(sorted(self.statuses.items())),
                "outcomes": dict(sorted(self.outcomes.items())), "errors": list(self.errors)}


@dataclass
class CrawlSummary:
    """The whole pass: per-source counts, the hours that received posts, recovered parts, timing."""

    sources: dict[str, SourceSummary] = field(default_factory=dict)
    hours: set[str] = field(default_factory=set)
    recovered: tuple[int, int] = (0, 0)
    due: int = 0
    elapsed: float = 0.0

    def source(self, name: str) -> SourceSummary:
        return self.sources.setdefault(name, SourceSummary())

    @property
    def posts(self) -> int:
        return sum(s.posts for s in self.sources.values())

    @property
    def queries(self) -> int:
        return sum(s.queries for s in self.sources.values())

    @property
    def failed(self) -> int:
        """URLs whose fetch or parse failed in this pass."""
        return sum(s.outcomes[o] for s in self.sources.values() for o in FAILED_OUTCOMES)

    def to_dict(self) -> dict:
        return {"due": self.due, "posts": self.posts, "queries": self.queries, "failed": self.failed,
                "hours": sorted(self.hours), "recovered_parts": {"published": self.recovered[0],
                                                                 "deleted": self.recovered[1]},
                "elapsed_seconds": round(self.elapsed, 3),
                "sources": {k: v.to_dict() for k, v in sorted(self.sources.items())}}

    def lines(self) -> list[str]:
        out = []
        for name, s in sorted(self.sources.items()):
            statuses = " ".join(f"{k}={v}" for k, v in sorted(s.statuses.items())) or "-"
            outcomes = " ".join(f"{k}={v}" for k, v in sorted(s.outcomes.items())) or "-"
            out.append(f"{name}: {s.urls} url(s), {s.pages} page(s), {s.posts} post(s), {s.queries} query row(s), "
                       f"{s.duplicates} duplicate(s), {s.rejected} rejected; status {statuses}; {outcomes}")
            out.extend(f"  ! {e}" for e in s.errors[:5])
            if len(s.errors) > 5:
                out.append(f"  ! ... and {len(s.errors) - 5} more")
        out.append(f"total: {self.due} due url(s), {self.posts} post(s), {self.queries} query row(s), "
                   f"{self.failed} failed, hours {', '.join(sorted(self.hours)) or '-'}, {self.elapsed:.1f}s")
        return out
