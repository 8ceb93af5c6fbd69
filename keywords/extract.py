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

Per post the ``s.top_k`` highest scores are kept (ties by keyword, ascending);
``keep_all=True`` skips the cut (the lead derives ``df_now`` from it).  Rows are
ordered by post (input order), then score descending, then keyword.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from keywords.normalize import normalize_text

__all__ = ["ExtractSettings", "KeywordExtractor", "keyword_query_volume", "OUTPUT_COLUMNS"]

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


def _clean(values, limit: int | None = None) -> list[str]:
    out = [normalize_text(v) if isinstance(v, str) else "" for v in values]
    return [t[:limit] for t in out] if limit else out


def _empty() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype="float64") for c in OUTPUT_COLUMNS})
    return frame.astype({"post_id": object, "keyword": object, "title_hits": "int64",
                         "body_hits": "int64"})


class KeywordExtractor:
    """Scores the dictionary keywords of each post; see the module docstring.

    >>> ex = KeywordExtractor(matcher, ExtractSettings())  # doctest: +SKIP
    >>> pk = ex.extract(posts, doc_freq, n_docs, query_volume)  # doctest: +SKIP
    """

    def __init__(self, matcher, settings: ExtractSettings = ExtractSettings()):
        self.matcher = matcher
        self.settings = settings

    def extract(self, posts: pd.DataFrame, doc_freq: pd.Series, n_docs: int,
                query_volume: pd.Series | None = None, keep_all: bool = False) -> pd.DataFrame:
        """One row per (post, keyword) kept, columns :data:`OUTPUT_COLUMNS`."""
        s = self.settings
        if len(posts) == 0:
            return _empty()
        titles = self.matcher.find_many(_clean(posts["title"]))
        bodies = self.matcher.find_many(_clean(posts["body"], s.max_body_chars))
        title_hits = titles.groupby(["doc", "keyword"]).size().rename("title_hits")
        body = bodies.groupby(["doc", "keyword"]).agg(
            body_hits=("start", "size"), first=("start", "min"), length=("length", "first"))
        hits = pd.concat([title_hits, body], axis=1).reset_index()
        if hits.empty:
            return _empty()
        hits["title_hits"] = hits["title_hits"].fillna(0).astype("int64")
        hits["body_hits"] = hits["body_hits"].fillna(0).astype("int64")
        in_title = hits["title_hits"].to_numpy() > 0
        rel = hits["first"].to_numpy(dtype=float) / hits["length"].to_numpy(dtype=float)
        hits["first_pos"] = np.where(in_title, 0.0, np.nan_to_num(rel))

        tf_raw = s.title_weight * hits["title_hits"] + hits["body_hits"]
        with np.errstate(divide="ignore"):
            hits["tf"] = np.where(tf_raw > 0, 1.0 + np.log(tf_raw.clip(lower=1e-300)), 0.0)
        keyword = hits["keyword"]
        df_now = keyword.map(keyword.value_counts())  # rows are unique per (doc, keyword)
        df_hist = keyword.map(doc_freq).fillna(0) if len(doc_freq) else 0.0
        hits["idf"] = np.log((1.0 + n_docs + len(posts)) / (1.0 + df_hist + df_now)) + 1.0
        hits["position_weight"] = 1.0 - s.position_decay * hits["first_pos"]
        if query_volume is not None and len(query_volume):
            volume = keyword.map(query_volume).fillna(0).clip(lower=0).astype(float)
            hits["popularity"] = 1.0 + s.popularity_weight * np.log1p(volume)
        else:
            hits["popularity"] = 1.0
        weight = keyword.map(self.matcher.weights).fillna(1.0)
        hits["score"] = (hits["tf"] * hits["idf"] * hits["position_weight"]
                         * hits["popularity"] * weight).astype(float)

        hits = hits.sort_values(["doc", "score", "keyword"], ascending=[True, False, True],
                                kind="mergesort")
        if not keep_all:
            hits = hits[hits.groupby("doc").cumcount() < s.top_k]
        hits["post_id"] = posts["post_id"].astype(str).to_numpy()[hits["doc"].to_numpy()]
        out = hits[OUTPUT_COLUMNS].reset_index(drop=True)
        return out.astype({c: "float64" for c in OUTPUT_COLUMNS[4:]})


def keyword_query_volume(queries: pd.DataFrame, matcher) -> pd.Series:
    """Summed ``count`` of the queries containing each keyword (same matching rule).

    >>> from keywords.matcher import KeywordMatcher
    >>> q = pd.DataFrame({"query": ["설 연휴 고속도로", "설 선물", "날씨"], "count": [5, 2, 9]})
    >>> keyword_query_volume(q, KeywordMatcher({"설": "설", "설 연휴": "설 연휴"})).to_dict()
    {'설': 2, '설 연휴': 5}
    """
    if queries is None or len(queries) == 0:
        return pd.Series(dtype="int64", name="query_volume").rename_axis("keyword")
    hits = matcher.find_many(_clean(queries["query"]))[["doc", "keyword"]].drop_duplicates()
    counts = queries["count"].fillna(0).astype("int64").to_numpy()
    hits["count"] = counts[hits["doc"].to_numpy()]
    volume = hits.groupby("keyword")["count"].sum().astype("int64")
    return volume.rename("query_volume").rename_axis("keyword")
