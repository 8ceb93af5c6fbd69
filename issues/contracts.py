"""Every record that crosses a module or leaves the process, defined once: both sides use these.

    >>> issue = FeedIssue(issue_id="3f2a9c0d1e2b", rank=1, title="무기징역", keyword="무기징역", score=41.2,
    ...                   post_ids=["p1"], posts=[FeedPost(post_id="p1", title="윤석열 1심 무기징역",
    ...                                                    author_id="yna", url="https://news.example/1")])
    >>> doc = FeedDocument(hour="2026-02-19T16:00:00+09:00", channels={"home": [issue]})
    >>> FeedDocument.model_validate_json(doc.model_dump_json()).channels["home"][0].title
    '무기징역'
    >>> sorted(json_schemas())[:3]
    ['dictionary_row', 'feed_document', 'override_rules']

Records are pydantic models: typed, validated where they are read, and published as JSON Schema
(:func:`json_schemas`, rendered into ``docs/contracts.md``). The post and query-row models state
the limits every storage backend can hold (:data:`POST_LIMITS`); bulk readers apply the same
limits column-wise rather than building one object per row.

* :class:`Post`, :class:`QueryRow`: the hour's input (JSONL, CSV or Parquet).
* :class:`DictionaryRow`: one line of the operators' keyword dictionary (TSV).
* :class:`OverrideRules` (:class:`RewriteRule`, :class:`BlockRule`, :class:`MergeRule`,
  :class:`PinRule`): the operators' override file (TOML).
* :class:`FeedDocument` (:class:`FeedIssue`, :class:`FeedPost`, :class:`Signals`): the JSON feed
  file, each Redis snapshot channel, and what the recommender reads as issue signals.
* :class:`Recommendation` (:class:`RecommendedItem`, :class:`RecommendedIssue`): one line of the
  recommendation export.
"""
from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal, Union

from pydantic import BaseModel, ConfigDict, Field

# What every backend can store (PostgreSQL column sizes of the store; SQLite holds more). The
# store's columns must agree (tests/ops/test_storable_rows.py); issues/field_rules.py enforces them.
POST_LIMITS = {"post_id": 200, "author_id": 200, "channel": 100, "source": 100, "url": 2000}
TEXT_LIMITS = {"query": 400, "keyword": 200, "issue_title": 400}
DICTIONARY_TYPES = ("person", "organisation", "place", "event", "product", "common")
ISSUE_STATES = ("new", "rising", "peak", "fading", "pinned")
TITLE_SOURCES = ("query", "context", "facets", "keyword", "override")


class Contract(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Post(Contract):
    """One post of the hour (blog, news, community)."""

    post_id: str = Field(min_length=1, max_length=POST_LIMITS["post_id"])
    channel: str = Field(min_length=1, max_length=POST_LIMITS["channel"])
    author_id: str = Field(min_length=1, max_length=POST_LIMITS["author_id"])
    title: str = ""
    body: str = ""
    published_at: datetime = Field(description="ISO 8601 with an offset")
    url: str | None = Field(default=None, max_length=POST_LIMITS["url"])
    recommend_count: int | None = Field(default=None, ge=0)
    editor_score: float | None = Field(default=None, ge=0)
    source: str | None = Field(default=None, max_length=POST_LIMITS["source"])


class QueryRow(Contract):
    """Search-query counts of one hour."""

    hour: datetime = Field(description="ISO 8601; the hour the searches were made")
    query: str = Field(min_length=1, max_length=TEXT_LIMITS["query"])
    count: int = Field(ge=0)


class DictionaryRow(Contract):
    """One line of ``keywords.tsv``: ``keyword<TAB>type<TAB>aliases<TAB>weight[<TAB>display]``."""

    keyword: str = Field(min_length=1, max_length=TEXT_LIMITS["keyword"])
    type: Literal[DICTIONARY_TYPES] | None = None          # type: ignore[valid-type]
    aliases: tuple[str, ...] = ()
    weight: float = Field(default=1.0, ge=0, allow_inf_nan=False)
    display: str | None = Field(default=None, max_length=TEXT_LIMITS["issue_title"])


class RewriteRule(Contract):
    """A keyword's (or a title's) issue gets this title."""

    from_: str = Field(alias="from", min_length=1)
    to: str = Field(min_length=1)
    note: str | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class BlockRule(Contract):
    """A keyword that is never an issue, or a title an issue may not have; exactly one of the two."""

    keyword: str | None = None
    title: str | None = None
    expires: datetime | None = None
    note: str | None = None


class MergeRule(Contract):
    """These keywords' issues become one, under ``into``."""

    into: str = Field(min_length=1)
    keywords: tuple[str, ...] = Field(min_length=1)
    note: str | None = None


class PinRule(Contract):
    """An (evergreen) bundle shown first in a channel until it expires."""

    channel: str = Field(min_length=1)
    keyword: str = Field(min_length=1)
    title: str | None = None
    expires: datetime | None = None
    note: str | None = None


class OverrideRules(Contract):
    """The override file (TOML): arrays of tables ``[[rewrite]]``, ``[[block]]``, ``[[merge]]``, ``[[pin]]``."""

    rewrite: tuple[RewriteRule, ...] = ()
    block: tuple[BlockRule, ...] = ()
    merge: tuple[MergeRule, ...] = ()
    pin: tuple[PinRule, ...] = ()


class Signals(Contract):
    """Why an issue was picked: each signal's value, its expectation and its surprise."""

    authors: int = 0
    expected_authors: float = 0.0
    lift: float = 0.0
    surprise: float = 0.0
    q_value: float = 1.0
    posts: int = 0
    expected_posts: float = 0.0
    surprise_posts: float = 0.0
    title_share: float = 0.0
    query_volume: int = 0
    expected_queries: float = 0.0
    surprise_queries: float = 0.0
    influential: float = 0.0
    channels: int = 0
    top_author_share: float = 0.0
    author_entropy: float = 0.0
    fused_score: float = 0.0


class NoSignals(Contract):
    """A pinned issue's signals: none (``{}``)."""


class FeedPost(Contract):
    """A post of an issue's bundle, best first; ``title`` is plain text (escape it when rendering)."""

    post_id: str
    title: str
    author_id: str
    url: str | None = None


class FeedIssue(Contract):
    """One ranked issue of one channel."""

    issue_id: str
    rank: int = Field(ge=1)
    title: str = Field(min_length=1, max_length=TEXT_LIMITS["issue_title"], description="HTML-escaped")
    keyword: str
    score: float
    post_ids: list[str] = []
    facets: list[str] = []
    title_source: Literal[TITLE_SOURCES] = "keyword"         # type: ignore[valid-type]
    pinned: bool = False
    state: Literal[ISSUE_STATES] = "new"                     # type: ignore[valid-type]
    onset: datetime | None = None
    signals: Annotated[Union[NoSignals, Signals], Field(union_mode="left_to_right")] = Field(
        default_factory=NoSignals, description="empty for a pinned issue")
    posts: list[FeedPost] = []


class FeedDocument(Contract):
    """The hour's feed: ``home`` and every channel, each list ranked from 1. ``warming_up``: the
    installation has fewer than a day of history yet (``history_hours`` completed hours the
    baseline read), and the bar for an issue is stricter (docs/input-validation.md)."""

    hour: datetime
    warming_up: bool = Field(default=False, description="fewer than a day of history: a stricter bar")
    history_hours: int = Field(default=0, ge=0, description="completed earlier hours the baseline read")
    channels: dict[str, list[FeedIssue]]


class RecommendedIssue(Contract):
    """The current issue that lifted an item in the list (its share of the score)."""

    issue_id: str
    boost: float
    keyword: str | None = None


class RecommendedItem(Contract):
    """One slot of a user's list: who proposed it (``voted_by``: the models whose lists held it),
    whether it only came from rank fusion (``fused_fill``) or from the fallback list (``fallback``:
    popularity and what is trending now), and the issue that lifted it, if any."""

    item_id: str
    rank: int = Field(ge=1)
    score: float
    voted_by: list[str] = []
    fused_fill: bool = False
    fallback: bool = False
    issue: RecommendedIssue | None = None


class Recommendation(Contract):
    """One line of the recommendation export (and ``<prefix>:reco:<version>:user:<id>`` in Redis):
    a user's ranked items and why. ``basis`` is ``history`` (the user's history folded in) or
    ``fallback`` (no usable history); ``version`` is ``<feed hour>-<model version>`` (``nofeed-...``
    without a feed), ``feed_hour`` the hour of the feed used as issue signals (null without one)."""

    user_id: str
    items: list[RecommendedItem]
    basis: Literal["history", "fallback"]
    version: str
    model_version: str
    feed_hour: str | None


SCHEMAS = {"post": Post, "query_row": QueryRow, "dictionary_row": DictionaryRow, "override_rules": OverrideRules,
           "feed_document": FeedDocument, "recommendation": Recommendation}


def json_schemas() -> dict[str, dict]:
    """name -> JSON Schema of each contract (what ``docs/contracts.md`` shows)."""
    return {name: model.model_json_schema(by_alias=True) for name, model in SCHEMAS.items()}
