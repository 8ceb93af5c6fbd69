"""What the hour's stages hand each other: the inputs, the compiled tools, and each stage's result.

    >>> inputs = HourInputs(hour=pd.Timestamp("2026-02-19T07:00Z"), posts=pd.DataFrame())
    >>> inputs.n_docs, inputs.history.columns.tolist()[:3]
    (0, ['hour', 'keyword', 'channel'])

Every record is a dataclass; the frames inside them keep the column contracts of the stage
packages (``keywords.extract.OUTPUT_COLUMNS``, ``issues.aggregate.STAT_COLUMNS``, ...).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from issues.reduce import MappedHour
from keywords.matcher import KeywordMatcher
from titling.blocklist import TitleBlocklist
from titling.overrides import Overrides
from titling.titles import QueryHistory

NAMED_ENTITY_TYPES = ("person", "organisation", "place", "event", "product")
ISSUE_COLUMNS = ["channel", "rank", "issue_id", "keyword", "title", "title_source", "score", "facets",
                 "post_ids", "signals", "pinned", "state", "onset"]
BUNDLE_COLUMNS = ["channel", "issue_id", "position", "post_id", "title", "author_id", "url", "bundle_score"]
FIRING_COLUMNS = ["rule", "line", "subject", "channel", "detail"]


@dataclass
class HourInputs:
    """Everything the hour needs; history frames default to empty (a cold start)."""

    hour: pd.Timestamp
    posts: pd.DataFrame
    queries: pd.DataFrame | None = None
    doc_freq: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))
    n_docs: int = 0
    history: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["hour", "keyword", "channel", "authors", "expected", "masked", "is_issue"]))
    run_hours: pd.DatetimeIndex = field(default_factory=lambda: pd.DatetimeIndex([], tz="UTC"))
    activity_history: pd.DataFrame | None = None
    query_history: QueryHistory = field(default_factory=lambda: pd.Series(dtype=float))   # or a lookup
    previous_issues: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(
        columns=["hour", "keyword", "issue_id", "onset"]))
    overrides: Overrides = field(default_factory=Overrides)
    mapped: MappedHour | None = None     # the map + reduce already ran (issues.reduce): posts are its slim rows


@dataclass
class HourTools:
    """The compiled, reusable pieces (built once per process, reused every hour)."""

    dictionary: Any
    matcher: KeywordMatcher
    named_entities: frozenset[str] = frozenset()
    influential: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    blocklist: TitleBlocklist = field(default_factory=TitleBlocklist)
    evergreen: frozenset[str] = frozenset()
    common_words: frozenset[str] = frozenset()       # typed 'common': never an event's representative if avoidable
    keyword_types: pd.Series | None = None           # keyword -> dictionary type, for cold-start priors
    stopwords: frozenset[str] = frozenset()          # never a context word of a title either

    @classmethod
    def build(cls, dictionary, stopwords=frozenset(), influential: pd.Series | None = None,
              blocklist: TitleBlocklist | None = None, evergreen: frozenset[str] = frozenset()) -> "HourTools":
        entries = dictionary.entries
        named = frozenset(entries.loc[entries["type"].isin(NAMED_ENTITY_TYPES), "keyword"])
        common = frozenset(entries.loc[entries["type"] == "common", "keyword"])
        return cls(dictionary, KeywordMatcher.from_dictionary(dictionary, stopwords=stopwords), named,
                   influential if influential is not None else pd.Series(dtype=float),
                   blocklist or TitleBlocklist(), frozenset(evergreen), common,
                   pd.Series(entries["type"].to_numpy(), index=entries["keyword"].to_numpy()), frozenset(stopwords))


@dataclass
class Extraction:
    """The extract stage: the hour's posts and queries and what the dictionary found in them."""

    posts: pd.DataFrame
    queries: pd.DataFrame
    post_keywords: pd.DataFrame          # keywords.extract.OUTPUT_COLUMNS, blocked keywords removed
    query_volume: pd.Series              # keyword -> summed count of the queries containing it
    signatures: np.ndarray | None = None  # near-duplicate signatures row-aligned with posts (mapped hours)


@dataclass
class SeedRows:
    """What the stages after the seeds read of the hour: only the keywords that can reach the feed
    (the seeds, the pins and the operators' merge representatives) and the posts they are in, so
    that titles, merge and bundles cost in proportion to the seeds, not to the hour's rows."""

    keywords: frozenset[str]             # the seeds' keywords, pinned keywords, merge representatives
    channel_keywords: pd.DataFrame       # their post_keywords rows (post_id, keyword, score) with the post's channel
    posts: pd.DataFrame                  # the posts having any of them (every column), in the hour's order
    signatures: np.ndarray | None = None  # those posts' near-duplicate signatures (mapped hours)


@dataclass(frozen=True, eq=False)
class Issue:
    """One issue of one channel as it moves through merge -> overrides -> rank -> bundle."""

    channel: str
    keyword: str                         # the representative
    facets: tuple[str, ...]
    post_ids: frozenset[str] | list[str]  # all posts of its members; the bundle's ids once bundled
    title: str
    title_source: str
    merge_score: float = 0.0
    members: tuple[str, ...] = ()        # every member keyword, merge order
    lead: pd.Series | None = None        # the representative's scored row (signals)
    issue_id: str = ""
    onset: pd.Timestamp | None = None
    state: str = ""
    score: float = 0.0                   # merge score decayed since onset
    pinned: bool = False
    rank: int = 0


@dataclass
class Merged:
    """The merge stage: each channel's candidate issues, titled, best first."""

    channels: list[str]                  # home first
    issues: list[Issue]
    post_sets: dict[str, dict[str, frozenset]]   # channel -> keyword -> post ids
    query_titles: dict[str, str] = field(default_factory=dict)   # keyword -> its title from the queries


@dataclass
class HourResult:
    hour: pd.Timestamp
    post_keywords: pd.DataFrame
    stats: pd.DataFrame
    issues: pd.DataFrame
    bundles: pd.DataFrame
    channels: list[str]
    activity: pd.Series
    counts: dict[str, int]
    firings: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=FIRING_COLUMNS))
    notes: list[str] = field(default_factory=list)
    history_hours: int = 0           # completed earlier hours the baseline read
    warming_up: bool = False         # fewer than detect.warmup_history_hours of them: a stricter bar
