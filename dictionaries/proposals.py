"""Dictionary growth: frequent new words and surging queries proposed for operator review.

    >>> posts = pd.DataFrame({
    ...     "post_id": ["a", "b", "c", "d"], "author_id": ["u1", "u2", "u3", "u1"],
    ...     "title": ["색동원 원장 구속", "색동원 사건 파장", "색동원 피해자 증언", "날씨 맑음"],
    ...     "body": ["", "", "", ""],
    ...     "published_at": pd.to_datetime(["2026-02-19T10:00Z"] * 3 + ["2026-02-10T10:00Z"])})
    >>> d = KeywordDictionary.from_records([{"keyword": "날씨"}])
    >>> out = propose_keywords(posts, None, d, frozenset(), pd.Timestamp("2026-02-19T00:00Z"),
    ...                        ProposeSettings(min_posts=3, min_authors=3))
    >>> out[["candidate", "post_count", "distinct_authors"]].values.tolist()
    [['색동원', 3, 3]]

Signature::

    propose_keywords(posts: DataFrame[post_id, author_id, title, body, published_at],
                     queries: DataFrame[hour, query, count] | None,
                     dictionary: KeywordDictionary, stopwords: frozenset[str],
                     since: Timestamp, settings: ProposeSettings = ProposeSettings(),
                     until: Timestamp | None = None) -> DataFrame[PROPOSAL_COLUMNS]

Posts and queries before ``since`` are the background; those in ``[since, until)``
(``until`` default: after the last one) are recent.  Words are runs of Hangul, Latin
letters and digits of the normalised title and body with an agreeing particle removed
(``색동원을`` -> ``색동원``, :mod:`keywords.particles`) unless the whole word is itself seen
twice with a particle after it (``오키나와에`` keeps ``오키나와`` whole); ``settings.ngram``
adjacent words also form phrases (``서울중앙지법 형사합의25부``), kept only when they are in
at least ``phrase_share`` of the recent posts of their rarer word.  A candidate is dropped when it is a dictionary
keyword or alias (:meth:`KeywordDictionary.canonical`, any case/punctuation), or any
of its words is one, or any of its words is a stopword, shorter than ``min_chars``, a
number (with a unit: ``19일``) or ends like a verb.

Per candidate: ``first_seen`` (earliest post or query containing it, background
included), ``post_count`` and ``distinct_authors`` (recent posts containing it),
``query_count`` (recent query counts of queries containing it as a word),
``surge`` = ``(recent per hour + prior) / (background per hour + prior)`` over posts and
over query counts (the larger; ``prior`` = ``settings.prior_per_hour``), and up to
``settings.examples`` recent titles.  Proposed: ``post_count >= min_posts`` and
``distinct_authors >= min_authors``, or ``query_count >= min_queries``; and
``surge >= min_surge``.  Ordered by ``surge x ln(1 + post_count + query_count)``
descending, then candidate; at most ``settings.top`` rows.  Nothing here touches the
dictionary: operators review the TSV that ``issuewire propose-keywords`` writes.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from dictionaries import KeywordDictionary  # noqa: F401  (doctest)
from keywords.context import _VERBISH
from keywords.particles import strip_particle
from keywords.normalize import normalize_text, surface_key

__all__ = ["ProposeSettings", "propose_keywords", "PROPOSAL_COLUMNS"]

PROPOSAL_COLUMNS = ["candidate", "first_seen", "post_count", "distinct_authors", "query_count",
                    "surge", "example_titles"]
_WORD = re.compile(r"[가-힣A-Za-z0-9]+")


@dataclass(frozen=True)
class ProposeSettings:
    """Thresholds of :func:`propose_keywords` (see the module docstring)."""

    min_posts: int = 5
    min_authors: int = 3
    min_queries: int = 50
    min_surge: float = 3.0
    prior_per_hour: float = 0.1
    min_chars: int = 2
    ngram: int = 2
    examples: int = 3
    top: int = 200
    phrase_share: float = 0.5

    def __post_init__(self):
        if self.ngram < 1 or self.min_chars < 1 or self.top < 1 or self.examples < 0:
            raise ValueError("ngram, min_chars and top must be >= 1, examples >= 0")
        if self.prior_per_hour <= 0:
            raise ValueError("prior_per_hour must be > 0")


def _raw_words(text) -> list[str]:
    return _WORD.findall(normalize_text(text)) if isinstance(text, str) and text else []


def _stems(texts) -> set[str]:
    """Words seen twice or more followed by an agreeing particle (``오키나와에``): such a
    word keeps its last syllable even when that is a particle (``오키나와`` not ``오키나``)."""
    counts: dict[str, int] = {}
    for words in texts:
        for raw in words:
            stem = strip_particle(raw)
            if stem != raw:
                counts[stem] = counts.get(stem, 0) + 1
    return {w for w, c in counts.items() if c >= 2}


def _words(raw: list[str], whole: set[str]) -> list[str]:
    return [w if w in whole else strip_particle(w) for w in raw]


def _grams(words: list[str], n: int) -> set[str]:
    out = set(words)
    for size in range(2, n + 1):
        out.update(" ".join(words[i:i + size]) for i in range(len(words) - size + 1))
    return out


class _Filter:
    def __init__(self, dictionary, stopwords, settings):
        self.dictionary, self.settings = dictionary, settings
        self.stop = {surface_key(w) for w in stopwords}
        self.cache: dict[str, bool] = {}

    def _word_ok(self, word: str) -> bool:
        # not a number or a number with a unit (19일, 5600선); Latin mixes such as 5G stay
        numeric = word[0].isdigit() and not any("a" <= c.lower() <= "z" for c in word)
        return (not numeric and len(word) >= self.settings.min_chars
                and surface_key(word) not in self.stop
                and not (not word.isascii() and _VERBISH.search(word)))

    def __call__(self, cand: str) -> bool:
        ok = self.cache.get(cand)
        if ok is None:
            parts = cand.split(" ")
            ok = (all(self._word_ok(p) for p in parts)
                  and all(self.dictionary.canonical(p) is None for p in parts)
                  and self.dictionary.canonical(cand) is None
                  and surface_key(cand) not in self.stop)
            self.cache[cand] = ok
        return ok


def _hours(start, end) -> float:
    return max((end - start).total_seconds() / 3600.0, 1.0)


def propose_keywords(posts: pd.DataFrame, queries: pd.DataFrame | None, dictionary,
                     stopwords, since: pd.Timestamp, settings: ProposeSettings = ProposeSettings(),
                     until: pd.Timestamp | None = None) -> pd.DataFrame:
    """Review rows for operators; see the module docstring."""
    s = settings
    keep = _Filter(dictionary, stopwords, s)
    posts = posts if posts is not None else pd.DataFrame(
        columns=["post_id", "author_id", "title", "body", "published_at"])
    queries = queries if queries is not None else pd.DataFrame(columns=["hour", "query", "count"])
    times = pd.to_datetime(posts["published_at"], utc=True)
    qtimes = pd.to_datetime(queries["hour"], utc=True)
    since = pd.Timestamp(since)
    since = since.tz_localize("UTC") if since.tzinfo is None else since
    stamps = [t for t in (times.max() if len(times) else None, qtimes.max() if len(qtimes) else None)
              if t is not None and not pd.isna(t)]
    if until is None:
        until = max(stamps) + pd.Timedelta(seconds=1) if stamps else since
    until = until.tz_localize("UTC") if until.tzinfo is None else until
    earliest = min([t for t in (times.min() if len(times) else None,
                                qtimes.min() if len(qtimes) else None)
                    if t is not None and not pd.isna(t)], default=since)
    recent_h, back_h = _hours(since, until), _hours(earliest, since) if earliest < since else None

    stats: dict[str, dict] = {}
    raw_titles = [_raw_words(t) for t in posts["title"]]
    raw_bodies = [_raw_words(b) for b in posts["body"]]
    raw_queries = [_raw_words(q) for q in queries["query"]]
    whole = _stems(raw_titles + raw_bodies + raw_queries)
    word_posts: dict[str, int] = {}  # recent posts per word, dictionary words included
    for title, rt, rb, author, ts in zip(posts["title"], raw_titles, raw_bodies,
                                         posts["author_id"], times):
        if ts >= until:
            continue
        title = title if isinstance(title, str) else ""
        words = _words(rt, whole) + ["\0"] + _words(rb, whole)
        grams = {g for g in _grams(words, s.ngram) if "\0" not in g and keep(g)}
        recent = ts >= since
        if recent:
            for w in set(words):
                word_posts[w] = word_posts.get(w, 0) + 1
        for g in grams:
            st = stats.get(g)
            if st is None:
                st = stats[g] = {"first": ts, "recent": 0, "back": 0, "authors": set(),
                                 "titles": [], "q_recent": 0, "q_back": 0}
            st["first"] = min(st["first"], ts)
            if recent:
                st["recent"] += 1
                st["authors"].add(author)
                if len(st["titles"]) < s.examples and title and title not in st["titles"]:
                    st["titles"].append(normalize_text(title))
            else:
                st["back"] += 1
    for rq, count, ts in zip(raw_queries, queries["count"], qtimes):
        if ts >= until:
            continue
        for g in _grams(_words(rq, whole), s.ngram):
            if not keep(g):
                continue
            st = stats.get(g)
            if st is None:
                st = stats[g] = {"first": ts, "recent": 0, "back": 0, "authors": set(),
                                 "titles": [], "q_recent": 0, "q_back": 0}
            st["first"] = min(st["first"], ts)
            st["q_recent" if ts >= since else "q_back"] += int(count)

    rows = []
    for cand, st in stats.items():
        def surge(recent, back):
            base = (back / back_h if back_h else 0.0) + s.prior_per_hour
            return (recent / recent_h + s.prior_per_hour) / base
        post_surge = surge(st["recent"], st["back"])
        query_surge = surge(st["q_recent"], st["q_back"])
        by_posts = st["recent"] >= s.min_posts and len(st["authors"]) >= s.min_authors
        if by_posts and " " in cand:  # a phrase must be nearly as frequent as its rarer word
            rarest = min(word_posts.get(w, 0) for w in cand.split(" "))
            by_posts = st["recent"] >= s.phrase_share * rarest
        by_queries = st["q_recent"] >= s.min_queries
        best = max(post_surge if by_posts else 0.0, query_surge if by_queries else 0.0)
        if (by_posts or by_queries) and best >= s.min_surge:
            rows.append((cand, st["first"], st["recent"], len(st["authors"]), st["q_recent"],
                         round(best, 3), " | ".join(st["titles"])))
    out = pd.DataFrame(rows, columns=PROPOSAL_COLUMNS)
    if out.empty:
        return out.astype({"post_count": "int64", "distinct_authors": "int64",
                           "query_count": "int64", "surge": "float64"})
    rank = out["surge"] * np.log1p(out["post_count"] + out["query_count"])
    out = out.assign(_rank=rank).sort_values(["_rank", "candidate"], ascending=[False, True],
                                             kind="mergesort")
    out = out.drop(columns="_rank").head(s.top).reset_index(drop=True)
    return out.astype({"post_count": "int64", "distinct_authors": "int64",
                       "query_count": "int64", "surge": "float64"})
