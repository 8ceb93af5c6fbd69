"""Dictionary keyword matching over normalised Korean text.

    >>> from dictionaries import KeywordDictionary
    >>> d = KeywordDictionary.from_records([{"keyword": "임재범"}, {"keyword": "재범"},
    ...                                     {"keyword": "BTS", "aliases": ["방탄소년단"]}])
    >>> m = KeywordMatcher.from_dictionary(d, stopwords=frozenset())
    >>> m.find("“임재범”은 bts와 방탄소년단의 재범가")
    [('임재범', 1, 4), ('BTS', 7, 10), ('BTS', 12, 17)]

The rule.  A dictionary surface (keyword or alias) is a hit when

1. it starts a word: the character before it is not a letter or digit
   (``str.isalnum``) or it is at the start of the text;
2. the rest of its word (up to the next non letter/digit) is empty or a
   particle/ending from :data:`keywords.particles.PARTICLES` agreeing with the
   surface's final syllable (임재범이, 임재범의 but not 임재범가; Latin/digit
   finals take every form);
3. of the hits starting at the same place, only the longest is kept; hits
   starting elsewhere inside it are kept too (``서울 시청에서`` gives both
   ``서울 시청`` and ``시청`` if both are keywords);
4. Latin letters compare case-insensitively; every non letter/digit in text
   and surfaces compares as a space (``설·연휴`` matches ``설 연휴``; runs are
   not collapsed in the text, so ``설,  연휴`` does not);
5. aliases report their canonical keyword; stopwords (as keywords or
   surfaces) are never reported.

How it is fast.  All texts of a batch are folded (lower case, non
letter/digit -> space; length preserving, :func:`keywords.normalize.fold`) and
joined with ``"\\0 "`` separators into one string, scanned once by a compiled
Aho-Corasick automaton (``ahocorasick_rs``, overlapping matches) whose
patterns are the surfaces prefixed with a space, so only word starts can
match (rule 1) and no pattern crosses a document.  Rules 2-3 are then NumPy
over the match arrays (:meth:`KeywordMatcher.scan`): the characters after each
match are read from the code-point array one position at a time; a candidate is
dropped as soon as its character at position j cannot be the j-th of any particle
(per-position tables), so most prefix matches inside longer words go at the first
step; a tail that reaches the end of its word is encoded as one integer (Hangul
syllables in base 11173, at most :data:`~keywords.particles.MAX_PARTICLE_LEN`) and
looked up in a sorted table of particle codes carrying a bit mask of the finals
each accepts.  Overlapping matches arrive ordered by end, so a stable sort by
start (cheap: nearly sorted) leaves each start's longest match last.
"""
from __future__ import annotations

from itertools import chain
from typing import NamedTuple, Sequence

import ahocorasick_rs
import numpy as np
import pandas as pd

from keywords.normalize import fold_points, from_points, surface_key, to_points
from keywords.particles import MAX_PARTICLE_LEN, PARTICLES, final_class

__all__ = ["KeywordMatcher", "Hits"]

_BASE = 0xD7A3 - 0xAC00 + 2  # 11173: Hangul syllable + 1, 0 = no character
_SEP = "\0 "


class Hits(NamedTuple):
    """Hits of a batch as parallel int64 arrays: ``doc`` (position of the text in the
    batch), ``keyword`` (index into ``KeywordMatcher.canon``), ``start``, ``end`` (offsets
    in that text); ``lengths`` is the length of every text of the batch."""

    doc: np.ndarray
    keyword: np.ndarray
    start: np.ndarray
    end: np.ndarray
    lengths: np.ndarray


def _tail_code(tail: str) -> int:
    code = 0
    for power, ch in enumerate(tail):
        code += (ord(ch) - 0xAC00 + 1) * _BASE**power
    return code


def _particle_table() -> tuple[np.ndarray, np.ndarray]:
    codes = {_tail_code(form): sum(1 << c for c in classes) for form, classes in PARTICLES.items()}
    keys = np.array(sorted(codes), dtype=np.int64)
    masks = np.array([codes[k] for k in keys], dtype=np.int64)
    return keys, masks


_PARTICLE_KEYS, _PARTICLE_MASKS = _particle_table()


class KeywordMatcher:
    """Finds dictionary keywords (and aliases) in normalised text by the particle rule.

    >>> m = KeywordMatcher({"설 연휴": "설 연휴", "설": "설"})
    >>> m.find("설 연휴가 끝나고 설이 지나")
    [('설 연휴', 0, 4), ('설', 10, 11)]
    """

    def __init__(self, surfaces: dict[str, str], stopwords=frozenset(), weights=None):
        """``surfaces``: surface -> canonical keyword; ``weights``: keyword -> dictionary weight."""
        stop = {surface_key(w) for w in stopwords}
        stopped = {k for k in set(surfaces.values()) if surface_key(k) in stop} if stop else set()
        by_key: dict[str, str] = {}
        for surface, keyword in surfaces.items():
            key = surface_key(surface)
            if key and key not in stop and keyword not in stopped:
                by_key.setdefault(key, keyword)
        self._surfaces = dict(surfaces)
        self._stopwords = frozenset(stopwords)
        canon = sorted(set(by_key.values()))
        index = {k: i for i, k in enumerate(canon)}
        keys = list(by_key)
        self._pattern_keys = keys
        self.keywords: frozenset[str] = frozenset(canon)
        self._canon = np.array(canon, dtype=object)
        #: canonical keywords, sorted: the ``keyword`` ids of :meth:`scan` index this
        self.canon = self._canon
        self.canon_index = pd.Index(canon, dtype=object)
        self._pattern_keyword = np.array([index[by_key[k]] for k in keys], dtype=np.int64)
        self._pattern_class = np.array([1 << final_class(k) for k in keys], dtype=np.int64)
        self.weights = pd.Series(
            {k: float((weights or {}).get(k, 1.0)) for k in canon}, dtype="float64", name="weight"
        )
        self._automaton = (
            ahocorasick_rs.AhoCorasick([" " + k for k in keys],
                                       matchkind=ahocorasick_rs.MATCHKIND_STANDARD)
            if keys else None
        )

    @classmethod
    def from_dictionary(cls, dictionary, stopwords=frozenset()) -> "KeywordMatcher":
        """Matcher over every keyword and alias of a :class:`dictionaries.KeywordDictionary`."""
        weights = dict(zip(dictionary.entries["keyword"], dictionary.entries["weight"]))
        return cls(dictionary.surfaces(), stopwords=stopwords, weights=weights)

    def subset(self, keywords) -> "KeywordMatcher":
        """A matcher over only these keywords' surfaces (a small automaton, e.g. for titling)."""
        wanted = set(keywords)
        return KeywordMatcher({s: k for s, k in self._surfaces.items() if k in wanted}, stopwords=self._stopwords)

    @property
    def surface_map(self) -> dict[str, str]:
        """surface -> canonical keyword, as given."""
        return dict(self._surfaces)

    def __reduce__(self):  # rebuilt on unpickling (e.g. sent to Dask workers)
        return (_rebuild, (self._surfaces, self._stopwords, self.weights.to_dict()))

    def scan(self, texts: Sequence[str]) -> Hits:
        """Kept hits of a batch as arrays (see :class:`Hits`), ordered by doc and start.

        >>> KeywordMatcher({"설": "설"}).scan(["설에", "이번 설"]).start.tolist()
        [0, 3]
        """
        texts = list(texts)
        lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
        empty = np.zeros(0, dtype=np.int64)
        if self._automaton is None or not texts:
            return Hits(empty, empty, empty, empty, lengths)
        offsets = np.zeros(len(texts), dtype=np.int64)
        np.cumsum(lengths[:-1] + len(_SEP), out=offsets[1:])
        offsets += 1
        points = fold_points(to_points(" " + _SEP.join(texts) + "\0"))
        points[offsets + lengths] = 0  # the separators (folding made them spaces)
        found = self._automaton.find_matches_as_indexes(from_points(points), overlapping=True)
        if not found:
            return Hits(empty, empty, empty, empty, lengths)
        hits = np.fromiter(chain.from_iterable(found), dtype=np.int64, count=3 * len(found))
        pattern, start, end = hits[0::3], hits[1::3] + 1, hits[2::3]
        # Rule 2 without a search for the end of each word: read up to MAX_PARTICLE_LEN + 1
        # characters after each match (the text ends with NUL padding) and encode the tail.
        padded = np.concatenate([points, np.zeros(MAX_PARTICLE_LEN + 1, dtype=points.dtype)])
        nxt = padded[end]
        ok = (nxt == 32) | (nxt == 0)
        maybe = np.flatnonzero(~ok)
        if maybe.size:
            at = end[maybe]
            cls = self._pattern_class[pattern[maybe]]
            code = np.zeros(maybe.size, dtype=np.int64)
            open_ = np.ones(maybe.size, dtype=bool)  # tail not finished yet
            valid = np.ones(maybe.size, dtype=bool)
            for j in range(MAX_PARTICLE_LEN + 1):
                ch = padded[at + j].astype(np.int64)
                boundary = (ch == 32) | (ch == 0)
                if j == MAX_PARTICLE_LEN:
                    valid &= ~open_ | boundary  # tail longer than any particle
                    break
                syl = ch - 0xAC00
                inside = open_ & ~boundary
                valid &= ~inside | ((syl >= 0) & (syl < _BASE - 1))
                code += np.where(inside, syl + 1, 0) * _BASE**j
                open_ = inside
            slot = np.minimum(np.searchsorted(_PARTICLE_KEYS, code), len(_PARTICLE_KEYS) - 1)
            valid &= (_PARTICLE_KEYS[slot] == code) & ((_PARTICLE_MASKS[slot] & cls) != 0)
            ok[maybe] = valid
        pattern, start, end = pattern[ok], start[ok], end[ok]
        # Rule 3, longest per start: matches come ordered by end, so a stable sort by start
        # (cheap: nearly sorted already) leaves each start's longest match last.
        order = np.argsort(start, kind="stable")
        start = start[order]
        last = np.ones(start.size, dtype=bool)
        last[:-1] = start[1:] != start[:-1]
        keep = order[last]
        pattern, start, end = pattern[keep], start[last], end[keep]
        doc = np.searchsorted(offsets, start, side="right") - 1
        return Hits(doc, self._pattern_keyword[pattern], start - offsets[doc], end - offsets[doc],
                    lengths)

    def _scan(self, texts: Sequence[str]):
        return tuple(self.scan(texts))

    def find(self, text: str) -> list[tuple[str, int, int]]:
        """(canonical keyword, start, end) of every hit in ``text``, by start."""
        _, keyword, start, end, _ = self._scan([text])
        return list(zip(self._canon[keyword].tolist(), start.tolist(), end.tolist()))

    def find_many(self, texts: Sequence[str]) -> pd.DataFrame:
        """One row per hit: ``doc`` (position in ``texts``), ``keyword``, ``start``,
        ``length`` (length of that text, for relative positions), by doc and start.

        >>> KeywordMatcher({"설": "설"}).find_many(["설에", "", "이번 설"])
           doc keyword  start  length
        0    0       설      0       2
        1    2       설      3       4
        """
        doc, keyword, start, _, lengths = self._scan(texts)
        return pd.DataFrame({
            "doc": doc,
            "keyword": pd.Series(self._canon[keyword], dtype=object),
            "start": start,
            "length": lengths[doc] if len(lengths) else np.zeros(0, dtype=np.int64),
        })


def _rebuild(surfaces, stopwords, weights):
    return KeywordMatcher(surfaces, stopwords=stopwords, weights=weights)
