"""The reduce of an hour: the mapped chunks -> scored keywords per post, slim posts, document frequencies.

    >>> from dictionaries import KeywordDictionary
    >>> from keywords.matcher import KeywordMatcher
    >>> from keywords.stream import MapSettings, map_posts
    >>> matcher = KeywordMatcher.from_dictionary(KeywordDictionary.from_records(
    ...     [{"keyword": "자민당"}, {"keyword": "총선"}]))
    >>> chunk = pd.DataFrame({"post_id": ["p2", "p1"], "channel": "news", "author_id": ["a2", "a1"],
    ...                       "title": ["총선 결과", "자민당 압승"], "body": ["", "일본 총선에서 자민당이 이겼다"],
    ...                       "published_at": pd.Timestamp("2026-02-08T11:10Z"), "url": "",
    ...                       "recommend_count": 0, "editor_score": 0.0})
    >>> hour = reduce_mapped([map_posts(chunk.iloc[:1], matcher), map_posts(chunk.iloc[1:], matcher)], matcher)
    >>> hour.posts["post_id"].tolist(), hour.doc_freq.to_dict()
    (['p1', 'p2'], {'자민당': 1, '총선': 2})
    >>> hour.post_keywords[["post_id", "keyword"]].values.tolist()
    [['p1', '자민당'], ['p1', '총선'], ['p2', '총선']]

:func:`reduce_mapped` takes the tables :func:`keywords.stream.map_posts` produced (in any order:
posts are ordered by ``published_at`` then ``post_id``, as ``crawler.ingest.posts_in_hour``
orders them) and gives a :class:`MappedHour`, all the hour's functional core reads
(``jobs.pipeline.hour.run_hour_core``): it equals what ``keywords.extract.KeywordExtractor.extract``
gives over the whole hour's posts, without their bodies.

What it computes, so that another engine can compute the same and build a :class:`MappedHour`
with :meth:`MappedHour.from_aggregates` (Spark SQL over the mapped rows ``m``, with ``k`` the
exploded hits ``posexplode(keyword_ids)`` and their ``title_hits[i]``, ``body_hits[i]``,
``first_pos[i]``):

1. ``n_now = count(*) FROM m``; ``df_now = SELECT keyword_id, count(*) FROM k GROUP BY keyword_id``
   (a post has one hit row per keyword: document frequency);
2. per hit row, with the broadcast small tables ``doc_freq`` (history), ``query_volume`` and the
   keyword weights: ``tf = 1 + ln(title_weight x title_hits + body_hits)``, ``idf = ln((1 + n_docs +
   n_now) / (1 + df_hist + df_now)) + 1``, ``position_weight = 1 - position_decay x first_pos``,
   ``popularity = 1 + popularity_weight x ln(1 + query_volume)``, ``score = tf x idf x position_weight
   x popularity x weight`` (:mod:`keywords.extract`, same float64 operations);
3. ``row_number() OVER (PARTITION BY post_id ORDER BY score DESC, keyword)`` ``<= top_k``: the
   ``post_keywords`` rows (``keywords.extract.OUTPUT_COLUMNS``);
4. the slim rows ``m`` without the hit lists (and their signatures), every post of the hour:
   the per keyword x channel statistics (distinct authors, posts, title share, influential
   authors: :func:`issues.aggregate.aggregate_keyword_stats`) are a group-by of ``post_keywords``
   joined to them, and after near-duplicate collapse they are computed again with each duplicate
   group's first author, which needs every post's author (slim rows are ~0.3 KB a post; the
   bodies, 2 KB or more, are what the map dropped).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from keywords.extract import ExtractSettings, KeywordExtractor, Pairs, _empty
from keywords.signature import NUM_BINS
from keywords.stream import MAPPED_SCHEMA, signatures_of

__all__ = ["MappedHour", "SLIM_COLUMNS", "reduce_mapped"]

SLIM_COLUMNS = ["post_id", "channel", "author_id", "title", "url", "recommend_count", "editor_score",
                "published_at"]


@dataclass
class MappedHour:
    """The reduced hour: what the core needs of the posts, no body.

    ``posts``: the slim rows (:data:`SLIM_COLUMNS`), every post of the hour in the hour's order;
    ``signatures``: their near-duplicate signatures, ``(len(posts), NUM_BINS)`` uint32, row-aligned;
    ``post_keywords``: the scored top-k keywords per post (``keywords.extract.OUTPUT_COLUMNS``);
    ``doc_freq``: keyword -> posts of the hour containing it (before the top-k cut);
    ``query_volume``: keyword -> summed count of the hour's queries containing it, as scored."""

    posts: pd.DataFrame
    signatures: np.ndarray
    post_keywords: pd.DataFrame
    doc_freq: pd.Series = field(default_factory=lambda: pd.Series(dtype="int64"))
    query_volume: pd.Series | None = None

    @classmethod
    def from_aggregates(cls, posts: pd.DataFrame, post_keywords: pd.DataFrame, signatures=None,
                        doc_freq: pd.Series | None = None, query_volume: pd.Series | None = None) -> "MappedHour":
        """Build from another engine's results: ``posts`` slim rows (with a ``signature`` column of
        ``NUM_BINS x 4`` bytes, or ``signatures`` given apart), the top-k ``post_keywords``; rows are
        put in the hour's order (``published_at``, ``post_id``), post_keywords by post in that order,
        then score descending, then keyword."""
        posts = posts.copy()
        posts["published_at"] = pd.to_datetime(posts["published_at"], utc=True)
        order = np.lexsort((posts["post_id"].astype(str).to_numpy(), posts["published_at"].to_numpy()))
        if signatures is None:
            signatures = signatures_of(pa.array(posts["signature"].tolist(), type=MAPPED_SCHEMA.field("signature").type))
        signatures = np.asarray(signatures, dtype=np.uint32).reshape(len(posts), NUM_BINS)[order]
        posts = posts.iloc[order].reset_index(drop=True)[SLIM_COLUMNS]
        for name in ("post_id", "channel", "author_id", "title", "url"):
            posts[name] = posts[name].astype(object)
        rank = pd.Series(np.arange(len(posts)), index=posts["post_id"].to_numpy())
        pk = post_keywords.assign(_rank=post_keywords["post_id"].map(rank).to_numpy())
        pk = pk.sort_values(["_rank", "score", "keyword"], ascending=[True, False, True], kind="stable")
        pk = pk.drop(columns="_rank").reset_index(drop=True)
        return cls(posts.astype({"recommend_count": "int64", "editor_score": "float64"}), signatures, pk,
                   doc_freq if doc_freq is not None else pd.Series(dtype="int64"), query_volume)


def reduce_mapped(tables: Iterable[pa.Table], matcher, settings: ExtractSettings = ExtractSettings(),
                  doc_freq: pd.Series | None = None, n_docs: int = 0,
                  query_volume: pd.Series | None = None) -> MappedHour:
    """The hour's :class:`MappedHour` from its mapped chunks (see the module docstring)."""
    tables = [t for t in tables if t.num_rows] or [MAPPED_SCHEMA.empty_table()]
    table = pa.concat_tables(tables)
    order = pc.sort_indices(table.select(["published_at", "post_id"]),
                            sort_keys=[("published_at", "ascending"), ("post_id", "ascending")])
    n = table.num_rows
    # the hour's order taken in two parts, each dropped once read: the peak holds one of them,
    # not a second copy of every mapped row beside the chunks (which a backfill keeps for its hours)
    slim = table.select(SLIM_COLUMNS + ["signature"]).take(order).combine_chunks()
    signatures = signatures_of(slim)
    posts = slim.select(SLIM_COLUMNS).to_pandas()
    del slim
    for name in ("post_id", "channel", "author_id", "title", "url"):
        posts[name] = posts[name].astype(object)
    hits = table.select(["keyword_ids", "title_hits", "body_hits", "first_pos"]).take(order).combine_chunks()
    del table
    parents = pc.list_parent_indices(hits.column("keyword_ids")).to_numpy() if n else np.zeros(0, dtype=np.int64)

    def flat(name: str, dtype) -> np.ndarray:
        column = hits.column(name)
        return pc.list_flatten(column).to_numpy(zero_copy_only=False).astype(dtype) if n else np.zeros(0, dtype)

    pairs = Pairs(parents.astype(np.int64), flat("keyword_ids", np.int64), flat("title_hits", np.int64),
                  flat("body_hits", np.int64), flat("first_pos", np.float64))
    del hits, parents
    extractor = KeywordExtractor(matcher, settings)
    n_kw = len(matcher.canon)
    df_now = np.bincount(pairs.keyword, minlength=n_kw)
    if pairs.post.size:
        post_keywords = extractor.score(pairs, n, posts["post_id"], doc_freq if doc_freq is not None
                                        else pd.Series(dtype=float), n_docs, query_volume)
    else:
        post_keywords = _empty()
    found = np.flatnonzero(df_now)
    doc_freq_now = pd.Series(df_now[found].astype(np.int64), index=pd.Index(matcher.canon[found], dtype=object,
                                                                            name="keyword"), name="doc_freq")
    return MappedHour(posts, signatures, post_keywords, doc_freq_now, query_volume)
