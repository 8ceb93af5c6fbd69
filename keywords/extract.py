"""Per-post keyword scoring: dictionary hits -> tf-idf x position x search popularity.

    >>> from dictionaries import KeywordDictionary
    >>> from keywords.matcher import KeywordMatcher
    >>> m = KeywordMatcher.from_dictionary(KeywordDictionary.from_records(
    ...     [{"keyword": "자민당"}, {"keyword": "총선"}]))
    >>> posts = pd.DataFrame({"post_id": ["p1"], "title": ["자민당 압승"],
    ...                       "body": ["일본 총선에서 자민당이 이겼다"]})
    >>> ex = KeywordExtractor(m, ExtractSettings(top_k=1))
    >>> ex.extract(posts, doc_freq=pd.Series(dtype=float), n_docs=0)[["post_id", "keyword"]]
      post_id keyword
    0      p1     자민당

Definitions (per post p and keyword k; ``s`` = :class:`ExtractSettings`):

* Text: title and body are normalised with :func:`keywords.normalize.normalize_text`;
  the body is cut to ``s.max_body_chars`` after that.  Hits follow
  :class:`keywords.matcher.KeywordMatcher`'s rule.
* ``title_hits``, ``body_hits``: numbers of hits of k in the title and in the body.
* ``first_pos``: 0.0 if k is in the title, else ``start / len(body)`` of its
  first body hit (0 at the start of the body, towards 1 at its end).
* ``tf = 1 + ln(tf_raw)`` with ``tf_raw = s.title_weight * title_hits + body_hits``
  (sublinear term frequency; 0 if ``tf_raw`` is 0, possible only with ``title_weight=0``).
* ``idf = ln((1 + n_docs + n_now) / (1 + df_hist + df_now)) + 1`` where ``n_docs`` and
  ``df_hist = doc_freq[k]`` (0 if absent) describe the stored history, ``n_now`` is the
  number of posts in this batch and ``df_now`` the number of them containing k (title or
  body).  The current hour counts, so a cold start (``n_docs = 0``) still ranks a word
  that is in every post below one that is in a few.
* ``position_weight = 1 - s.position_decay * first_pos``.
* ``popularity = 1 + s.popularity_weight * ln(1 + query_volume[k])`` (1 without volumes).
* ``score = tf * idf * position_weight * popularity * w`` with ``w`` the keyword's
  dictionary weight.

How it runs: :meth:`KeywordExtractor.pairs` scans the titles and bodies of the batch
in one :meth:`KeywordMatcher.scan` and turns the hit arrays into per (post, keyword)
counts (:class:`Pairs`) with a sort and ``np.bincount``; :meth:`KeywordExtractor.score`
computes the columns below as arrays.  ``extract`` = ``pairs`` + ``score``;
:func:`keywords.parallel.extract_parallel` runs ``pairs`` in worker processes and
``score`` with the whole batch's ``df_now``.  ``tests/keywords/reference_extract.py``
is the slow pure-Python reference it is tested against.

Per post the ``s.top_k`` highest scores are kept (ties by keyword, ascending);
``keep_all=True`` skips the cut (the lead derives ``df_now`` from it).  Rows are
ordered by post (input order), then score descending, then keyword.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple, Sequence

import numpy as np
import pandas as pd

from keywords.normalize import normalize_many

__all__ = ["ExtractSettings", "KeywordExtractor", "Pairs", "keyword_query_volume", "OUTPUT_COLUMNS"]

OUTPUT_COLUMNS = ["post_id", "keyword", "title_hits", "body_hits", "first_pos", "tf", "idf",
                  "position_weight", "popularity", "score"]


@dataclass(frozen=True)
class ExtractSettings:
    """Scoring parameters (see the module docstring for how each is used)."""

    top_k: int = 10
    title_weight: float = 3.0
    position_decay: float = 0.5
    popularity_weight: float = 0.25
    max_body_chars: int = 20000

    def __post_init__(self):
        if self.top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {self.top_k}")
        if self.title_weight < 0 or self.popularity_weight < 0:
            raise ValueError("title_weight and popularity_weight must be >= 0")
        if not 0 <= self.position_decay <= 1:
            raise ValueError(f"position_decay must be in [0, 1], got {self.position_decay}")
        if self.max_body_chars < 1:
            raise ValueError(f"max_body_chars must be >= 1, got {self.max_body_chars}")


class Pairs(NamedTuple):
    """One entry per (post, keyword) with a hit: parallel arrays, by post then keyword id."""

    post: np.ndarray
    keyword: np.ndarray
    title_hits: np.ndarray
    body_hits: np.ndarray
    first_pos: np.ndarray


def _clean(values, limit: int | None = None) -> list[str]:
    out = normalize_many(values)
    return [t[:limit] for t in out] if limit else out


def _clean_posts(posts: pd.DataFrame, limit: int) -> tuple[list[str], list[str]]:
    """Normalised titles and bodies (cut to ``limit``), one :func:`normalize_many` batch."""
    titles = posts["title"].tolist()
    out = normalize_many(titles + posts["body"].tolist())
    return out[:len(titles)], [t[:limit] for t in out[len(titles):]]


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in OUTPUT_COLUMNS})
    return frame.astype({"post_id": object, "keyword": object, "title_hits": "int64",
                         "body_hits": "int64"})


class KeywordExtractor:
    """Scores the dictionary keywords of each post; see the module docstring.

    >>> from keywords.matcher import KeywordMatcher
    >>> ex = KeywordExtractor(KeywordMatcher({"설": "설", "연휴": "연휴"}), ExtractSettings())
    >>> posts = pd.DataFrame({"post_id": ["p1"], "title": ["설 연휴"], "body": ["연휴 끝"]})
    >>> ex.extract(posts, pd.Series({"설": 3}), 10, pd.Series({"연휴": 100}))[["keyword", "title_hits", "body_hits"]]
      keyword  title_hits  body_hits
    0      연휴           1          1
    1       설           1          0
    """

    def __init__(self, matcher, settings: ExtractSettings = ExtractSettings()):
        self.matcher = matcher
        self.settings = settings
        self._weights = matcher.weights.reindex(matcher.canon).fillna(1.0).to_numpy(dtype=float)

    def extract(self, posts: pd.DataFrame, doc_freq: pd.Series, n_docs: int,
                query_volume: pd.Series | None = None, keep_all: bool = False) -> pd.DataFrame:
        """One row per (post, keyword) kept, columns :data:`OUTPUT_COLUMNS`."""
        if len(posts) == 0:
            return _empty()
        titles, bodies = _clean_posts(posts, self.settings.max_body_chars)
        pairs = self.pairs(titles, bodies)
        return self.score(pairs, len(posts), posts["post_id"], doc_freq, n_docs, query_volume,
                          keep_all=keep_all)

    def pairs(self, titles: Sequence[str], bodies: Sequence[str]) -> Pairs:
        """Per (post, keyword) hit counts of normalised titles and bodies, one scan for both.

        >>> from keywords.matcher import KeywordMatcher
        >>> ex = KeywordExtractor(KeywordMatcher({"설": "설"}))
        >>> ex.pairs(["설 연휴"], ["설에 설이"]).body_hits
        array([2])
        """
        n = len(titles)
        hits = self.matcher.scan(list(titles) + list(bodies))
        n_kw = max(len(self.matcher.canon), 1)
        post = hits.doc % n if n else hits.doc
        in_title = hits.doc < n
        # Hits are ordered by doc (titles before bodies) then start; a stable sort by
        # (post, keyword) keeps that order inside each pair.
        key = post * n_kw + hits.keyword
        order = np.argsort(key, kind="stable")
        key = key[order]
        new = np.ones(key.size, dtype=bool)
        new[1:] = key[1:] != key[:-1]
        first = np.flatnonzero(new)
        group = np.cumsum(new) - 1
        total = np.diff(np.append(first, key.size))
        title_hits = np.bincount(group, weights=in_title[order], minlength=first.size).astype(np.int64)
        body_hits = total - title_hits
        pair_post, pair_kw = post[order][first], hits.keyword[order][first]
        # first body hit of a pair: right after its title hits
        at = np.minimum(first + title_hits, max(key.size - 1, 0))
        first_body = hits.start[order][at] if key.size else np.zeros(0, dtype=np.int64)
        body_len = hits.lengths[n + pair_post] if key.size else np.zeros(0, dtype=np.int64)
        with np.errstate(divide="ignore", invalid="ignore"):
            rel = np.where(body_hits > 0, first_body / np.maximum(body_len, 1), 0.0)
        first_pos = np.where(title_hits > 0, 0.0, rel)
        return Pairs(pair_post, pair_kw, title_hits, body_hits, first_pos.astype(np.float64))

    def score(self, pairs: Pairs, n_posts: int, post_ids, doc_freq: pd.Series, n_docs: int,
              query_volume: pd.Series | None = None, keep_all: bool = False,
              df_now: np.ndarray | None = None, n_now: int | None = None) -> pd.DataFrame:
        """Score :class:`Pairs` (module docstring); ``df_now``/``n_now`` default to this batch's
        (a parallel run passes the whole hour's)."""
        s = self.settings
        if pairs.post.size == 0:
            return _empty()
        canon_index = self.matcher.canon_index
        n_kw = len(canon_index)
        kw = pairs.keyword
        if df_now is None:
            df_now = np.bincount(kw, minlength=n_kw)
        n_now = n_posts if n_now is None else n_now
        def factors(kw, title_hits, body_hits, first_pos):
            """tf, idf, position weight and popularity of pairs, elementwise (the same float64
            operations wherever the pairs are, so computing them again after the ordering gives
            the same bits as ordering them)."""
            df_hist = _dense(doc_freq, canon_index, kw)
            tf_raw = s.title_weight * title_hits + body_hits
            with np.errstate(divide="ignore"):
                tf = np.where(tf_raw > 0, 1.0 + np.log(np.maximum(tf_raw, 1e-300)), 0.0)
            idf = np.log((1.0 + n_docs + n_now) / (1.0 + df_hist + df_now[kw])) + 1.0
            position_weight = 1.0 - s.position_decay * first_pos
            if query_volume is not None and len(query_volume):
                volume = np.clip(np.nan_to_num(_dense(query_volume, canon_index, kw)), 0, None)
                popularity = 1.0 + s.popularity_weight * np.log1p(volume)
            else:
                popularity = np.ones(kw.size)
            return tf, idf, position_weight, popularity

        tf, idf, position_weight, popularity = factors(kw, pairs.title_hits, pairs.body_hits, pairs.first_pos)
        score = tf * idf * position_weight * popularity * self._weights[kw]
        del tf, idf, position_weight, popularity          # the factors of the kept rows are made again below
        # by post, score descending, keyword ascending (keyword ids are in sorted order)
        order = _order(pairs.post, score, kw, n_posts, n_kw)
        post = pairs.post[order]
        if not keep_all:
            new = np.ones(post.size, dtype=bool)
            new[1:] = post[1:] != post[:-1]
            starts = np.flatnonzero(new)
            rank = np.arange(post.size) - np.repeat(starts, np.diff(np.append(starts, post.size)))
            order = order[rank < s.top_k]
            post = pairs.post[order]
        score = score[order]
        kw, title_hits, body_hits, first_pos = kw[order], pairs.title_hits[order], pairs.body_hits[order], \
            pairs.first_pos[order]
        tf, idf, position_weight, popularity = factors(kw, title_hits, body_hits, first_pos)
        ids = np.asarray(post_ids.astype(str) if hasattr(post_ids, "astype") else post_ids,
                         dtype=object)
        return pd.DataFrame({
            "post_id": pd.Series(ids[post], dtype=object),
            "keyword": pd.Series(self.matcher.canon[kw], dtype=object),
            "title_hits": title_hits.astype(np.int64, copy=False),
            "body_hits": body_hits.astype(np.int64, copy=False),
            "first_pos": first_pos,
            "tf": tf,
            "idf": idf.astype(np.float64, copy=False),
            "position_weight": position_weight,
            "popularity": popularity.astype(np.float64, copy=False),
            "score": score.astype(np.float64, copy=False),
        }, copy=False)                     # fresh arrays: one block each, no consolidating copy


def _order(post: np.ndarray, score: np.ndarray, kw: np.ndarray, n_posts: int, n_kw: int):
    """Indices ordering by post, score descending, keyword id.

    Pairs come sorted by (post, keyword) (:meth:`KeywordExtractor.pairs`, and the map's per-post
    lists, :mod:`issues.reduce`): then only each post's block needs sorting, by score descending
    and stably (so equal scores keep keyword order). Blocks of the same length are sorted together
    as the rows of one matrix, a few dozen small NumPy sorts instead of one over every pair.
    Otherwise (or with a NaN score) one integer sort of ``(post * R + R - 1 - score rank) * K +
    keyword`` (R distinct scores, K keywords) when that fits in int64, else a three-key lexsort.

    >>> _order(np.array([0, 0, 0, 1]), np.array([1.0, 3.0, 1.0, 2.0]), np.array([2, 5, 7, 1]), 2, 8).tolist()
    [1, 0, 2, 3]
    """
    if post.size and _sorted_pairs(post, kw) and not np.isnan(score).any():
        return _order_blocks(post, score)
    ranks, inverse = np.unique(score, return_inverse=True)
    r, k = max(len(ranks), 1), max(n_kw, 1)
    if n_posts * r * k < 2**62:
        key = (post.astype(np.int64) * r + (r - 1 - inverse.reshape(-1))) * k + kw
        return np.argsort(key)  # keys are unique: no stability needed
    return np.lexsort((kw, -score, post))


def _sorted_pairs(post: np.ndarray, kw: np.ndarray) -> bool:
    """(post, keyword) strictly increasing."""
    step = np.diff(post)
    return bool(((step > 0) | ((step == 0) & (np.diff(kw) > 0))).all())


def _order_blocks(post: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Pairs sorted by (post, keyword): each post's block stably by score descending."""
    n = post.size
    new = np.ones(n, dtype=bool)
    new[1:] = post[1:] != post[:-1]
    starts = np.flatnonzero(new)
    lengths = np.diff(np.append(starts, n))
    out = np.arange(n)
    negative = -score
    for length in np.unique(lengths[lengths > 1]).tolist():
        block = starts[lengths == length][:, None] + np.arange(length)
        within = np.argsort(negative[block], axis=1, kind="stable")
        out[block] = np.take_along_axis(block, within, axis=1)
    return out


def _dense(values: pd.Series | None, index: pd.Index, kw: np.ndarray) -> np.ndarray:
    """``values[keyword]`` (0 if absent) for every keyword id in ``kw``."""
    if values is None or len(values) == 0:
        return np.zeros(kw.size)
    where = index.get_indexer(values.index)
    dense = np.zeros(len(index))
    found = where >= 0
    dense[where[found]] = pd.to_numeric(values, errors="coerce").fillna(0).to_numpy(
        dtype=float)[found]
    return dense[kw]


QUERY_CHUNK_ROWS = 250_000      # queries scanned at once by keyword_query_volume


def keyword_query_volume(queries: pd.DataFrame, matcher) -> pd.Series:
    """Summed ``count`` of the queries containing each keyword (same matching rule).

    >>> from keywords.matcher import KeywordMatcher
    >>> q = pd.DataFrame({"query": ["설 연휴 고속도로", "설 선물", "날씨"], "count": [5, 2, 9]})
    >>> keyword_query_volume(q, KeywordMatcher({"설": "설", "설 연휴": "설 연휴"})).to_dict()
    {'설': 2, '설 연휴': 5}
    """
    if queries is None or len(queries) == 0:
        return pd.Series(dtype="int64", name="query_volume").rename_axis("keyword")
    total = np.zeros(len(matcher.canon), dtype=np.int64)
    found = np.zeros(len(matcher.canon), dtype=bool)
    for start in range(0, len(queries), QUERY_CHUNK_ROWS):       # bounded memory: 5M queries are 2.7 GiB at once
        part = queries.iloc[start:start + QUERY_CHUNK_ROWS]
        hits = matcher.scan(_clean(part["query"]))
        counts = part["count"].fillna(0).astype("int64").to_numpy()
        # each (keyword, query) once, sorted by keyword id (= by keyword: ids are in sorted order)
        pair = np.sort(hits.keyword * max(len(part), 1) + hits.doc)
        pair = pair[np.append(True, pair[1:] != pair[:-1])] if pair.size else pair
        keyword, doc = np.divmod(pair, max(len(part), 1))
        new = np.ones(keyword.size, dtype=bool)
        new[1:] = keyword[1:] != keyword[:-1]
        starts = np.flatnonzero(new)
        if starts.size:
            total[keyword[starts]] += np.add.reduceat(counts[doc], starts)
            found[keyword[starts]] = True
    keyword = np.flatnonzero(found)
    index = pd.Index(matcher.canon[keyword], name="keyword")
    return pd.Series(total[keyword], index=index, name="query_volume")
