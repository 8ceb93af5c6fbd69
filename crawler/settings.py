"""Crawl settings: one frozen object per crawl, read once from a TOML sources file.

    >>> import json, tempfile
    >>> work = Path(tempfile.mkdtemp())
    >>> (work / "drop").mkdir()
    >>> post = {"post_id": "p1", "channel": "news", "author_id": "a1", "title": "자민당 압승", "body": "",
    ...         "published_at": "2026-05-05T18:10:00+09:00"}
    >>> _ = (work / "drop" / "posts.jsonl").write_text(json.dumps(post) + "\\n", encoding="utf-8")
    >>> _ = (work / "sources.toml").write_text("[[source]]\\nname = 'drop'\\nkind = 'drop_folder'\\n"
    ...                                        f"path = '{work / 'drop'}'\\n", encoding="utf-8")
    >>> settings = load_crawl_settings(work / "sources.toml", data_dir=str(work / "data"))
    >>> settings.workers, [(s.name, s.kind) for s in settings.sources]
    (8, [('drop', 'drop_folder')])

A sources file looks like this (every ``[crawl]`` key is optional)::

    [crawl]
    data_dir = "var/data"
    workers = 8
    per_host_concurrency = 4
    per_host_delay = 0.2          # seconds between request starts to one host
    connect_timeout = 3.05
    read_timeout = 10
    max_bytes = 20_000_000        # per response, after gzip decoding
    retries = 3                   # attempts after the first, on 5xx / 429 / connection errors

    [[source]]
    name = "community"
    kind = "json_feed"            # json_feed | rss | query_counts | drop_folder
    url = "http://127.0.0.1:8080/api/posts"
    mapping = "community_json"    # a name in crawler.mappings

    [[source]]
    name = "queries"
    kind = "query_counts"
    url = "http://127.0.0.1:8080/queries/{hour}.csv"   # {hour} is YYYYMMDDTHH, UTC
    mapping = "query_csv"

Nothing here reads the environment; ``jobs/`` resolves file, flags and defaults into this object.
"""
from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from keywords.errors import InputError

SOURCE_KINDS = ("json_feed", "rss", "query_counts", "drop_folder")
DEFAULT_USER_AGENT = "issuewire-crawler/0.1 (+https://issuewire.invalid/crawler; hourly issue detection)"


class CrawlConfigError(InputError, ValueError):
    """The sources file or a setting is invalid; the message names the file and the key."""


@dataclass(frozen=True)
class SourceSettings:
    """One configured source.

    ``url`` is an HTTP(S) URL for ``json_feed`` / ``rss`` / ``query_counts`` (which may hold
    ``{hour}``); ``path`` is a folder for ``drop_folder`` (and for a ``query_counts`` file drop).
    """

    name: str
    kind: str
    url: str = ""
    path: str = ""
    mapping: str = "contract"
    channel: str = ""                 # default channel when the mapping finds none
    items_key: str = "items"          # json_feed: list of records in each page
    next_key: str = "next_page"       # json_feed: next page number, null on the last page
    page_param: str = "page"
    since_param: str = "since"
    max_pages: int = 50
    since_overlap_seconds: float = 300.0   # json_feed: re-ask this far before the newest post seen
    lookback_hours: int = 3           # query_counts over HTTP: hours fetched each pass
    recrawl_seconds: float = 0.0      # a crawled URL is due again after this long

    @property
    def is_remote(self) -> bool:
        return bool(self.url)


@dataclass(frozen=True)
class CrawlSettings:
    """Everything one crawl pass needs; frozen, passed down, never read from the environment."""

    sources: tuple[SourceSettings, ...] = ()
    data_dir: Path = Path("var/data")
    workers: int = 8
    per_host_concurrency: int = 4
    per_host_delay: float = 0.0
    connect_timeout: float = 3.05
    read_timeout: float = 10.0
    total_timeout: float = 60.0       # whole response, however slowly it trickles in
    max_bytes: int = 20_000_000
    retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 30.0
    retry_after_max: float = 60.0     # longer Retry-After values are not waited for: the URL is held back
    hold_back_seconds: float = 300.0  # first hold-back after a failed crawl; doubles per failure
    hold_back_max_seconds: float = 6 * 3600.0
    user_agent: str = DEFAULT_USER_AGENT
    respect_robots: bool = True

    def __post_init__(self) -> None:
        for name in ("workers", "per_host_concurrency", "max_bytes"):
            if getattr(self, name) < 1:
                raise CrawlConfigError(f"{name} must be at least 1, got {getattr(self, name)!r}")
        for name in ("per_host_delay", "retries", "backoff_base", "backoff_max", "retry_after_max",
                     "hold_back_seconds", "hold_back_max_seconds"):
            if getattr(self, name) < 0:
                raise CrawlConfigError(f"{name} must not be negative, got {getattr(self, name)!r}")
        if min(self.connect_timeout, self.read_timeout, self.total_timeout) <= 0:
            raise CrawlConfigError("connect_timeout, read_timeout and total_timeout must be positive")
        names = [s.name for s in self.sources]
        if len(set(names)) != len(names):
            raise CrawlConfigError(f"source names must be unique, got {names}")
        object.__setattr__(self, "data_dir", Path(self.data_dir))

    @property
    def timeout(self) -> tuple[float, float]:
        return (self.connect_timeout, self.read_timeout)

    def replace(self, **changes: Any) -> "CrawlSettings":
        return dataclasses.replace(self, **changes)


_CRAWL_KEYS = {f.name for f in dataclasses.fields(CrawlSettings)} - {"sources"}
_SOURCE_KEYS = {f.name for f in dataclasses.fields(SourceSettings)}


def source_from_dict(raw: dict[str, Any], where: str = "source") -> SourceSettings:
    """Build and check one source; unknown keys and missing locations are errors."""
    unknown = set(raw) - _SOURCE_KEYS
    if unknown:
        raise CrawlConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    if not raw.get("name"):
        raise CrawlConfigError(f"{where}: missing 'name'")
    src = SourceSettings(**raw)
    if src.kind not in SOURCE_KINDS:
        raise CrawlConfigError(f"{where} {src.name!r}: kind must be one of {', '.join(SOURCE_KINDS)}, got {src.kind!r}")
    if src.kind in ("json_feed", "rss") and not src.url.startswith(("http://", "https://")):
        raise CrawlConfigError(f"{where} {src.name!r}: {src.kind} needs an http(s) 'url'")
    if src.kind == "drop_folder" and not src.path:
        raise CrawlConfigError(f"{where} {src.name!r}: drop_folder needs a 'path'")
    if src.kind == "query_counts" and bool(src.url) == bool(src.path):
        raise CrawlConfigError(f"{where} {src.name!r}: query_counts needs exactly one of 'url' or 'path'")
    from crawler.mappings import mapping_for   # late: mappings imports nothing from here
    try:
        mapping_for(src)
    except ValueError as exc:
        raise CrawlConfigError(f"{where} {src.name!r}: {exc}") from None
    return src


def load_crawl_settings(path: str | Path, **overrides: Any) -> CrawlSettings:
    """Read a TOML sources file; ``overrides`` (CLI flags that were given) win over the file."""
    path = Path(path)
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CrawlConfigError(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise CrawlConfigError(f"{path}: invalid TOML: {exc}") from None
    crawl = dict(doc.get("crawl", {}))
    unknown = set(crawl) - _CRAWL_KEYS
    if unknown:
        raise CrawlConfigError(f"{path}: [crawl] unknown key(s) {', '.join(sorted(unknown))}")
    raw_sources = doc.get("source", [])
    if not isinstance(raw_sources, list) or not raw_sources:
        raise CrawlConfigError(f"{path}: at least one [[source]] table is required")
    base = path.parent
    sources = []
    for i, raw in enumerate(raw_sources, start=1):
        raw = dict(raw)
        if raw.get("path"):
            raw["path"] = str((base / raw["path"]).resolve())   # relative to the sources file
        sources.append(source_from_dict(raw, where=f"{path}: [[source]] #{i}"))
    if "data_dir" in crawl and not Path(crawl["data_dir"]).is_absolute():
        crawl["data_dir"] = base / crawl["data_dir"]       # relative to the sources file, like paths
    crawl.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return CrawlSettings(sources=tuple(sources), **crawl)
    except CrawlConfigError as exc:
        raise CrawlConfigError(f"{path}: {exc}") from None
    except TypeError as exc:
        raise CrawlConfigError(f"{path}: {exc}") from None
