"""Context candidates for titling: non-dictionary nouns co-occurring in an issue's titles.

    >>> from dictionaries import KeywordDictionary
    >>> d = KeywordDictionary.from_records([{"keyword": "내란"}])
    >>> titles = {"내란": ["윤석열 내란 1심 무기징역", "내란 우두머리 윤석열, 무기징역 선고"]}
    >>> context_candidates(titles, d, ContextSettings(backend="regex"))  # doctest: +NORMALIZE_WHITESPACE
      issue_key  word  count  first_position
    0        내란   윤석열      2               0
    1        내란  무기징역      2              10
    2        내란  우두머리      1               3
    3        내란    1심      1               7
    4        내란    선고      1              18

Signature::

    context_candidates(titles_by_issue: Mapping[str, Sequence[str]],
                       dictionary: KeywordDictionary,
                       settings: ContextSettings = ContextSettings(),
                       stopwords: Iterable[str] = ()) -> pandas.DataFrame

``titles_by_issue`` maps an issue key (its keyword, or any id) to the titles of the
posts of that candidate issue (only those: the caller picks them, not every post).
Each title is normalised (:func:`keywords.normalize.normalize_text`) and cut into
nouns by ``settings.backend``; adjacent noun tokens with nothing between them are
joined into one compound (``무기`` + ``징역`` -> ``무기징역``, ``SK`` + ``하이닉스``), as
are digits, prefixes and noun suffixes glued to them (``HBM4``, ``미성년자``).  A word is dropped when it is a
dictionary keyword or alias (any case/punctuation, :meth:`KeywordDictionary.canonical`),
a stopword, shorter than ``settings.min_chars`` or made of digits only.

Columns: ``issue_key``; ``word``; ``count`` = number of the issue's titles containing
the word; ``first_position`` = the smallest character offset of the word in a
normalised title of the issue.  Rows are ordered by issue (input order), count
descending, first position, word; at most ``settings.top_n`` per issue (None: all) and
only words with ``count >= settings.min_count``.

Backends (``settings.backend``):

``kiwi`` (default)
    kiwipiepy's ``Kiwi.tokenize`` over all titles at once (its batch API); nouns are
    NNG, NNP, SL (Latin), SH (Hanja); digits, prefixes (XPN), noun suffixes (XSN) and
    bound nouns (NNB) only when glued to them (미성년자, 재건축, 부정적, 2차).  Best names and
    compounds in ``python -m benchmarks.bench_context`` and the fastest tagger.
``okt``
    konlpy's Okt (JVM) ``pos`` per title, ``Noun`` and ``Alpha`` tokens (``Number``,
    ``Prefix``, ``Suffix`` glued to them), offsets found by searching the tokens in order.  Kept available; several times slower.
``regex``
    no tagger: runs of Hangul/Latin/digits, minus an agreeing particle at the end
    (:mod:`keywords.particles`), minus words ending like a verb or adverb.  Works
    everywhere; splits nothing, so compounds are kept whole but so are some non-nouns.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Mapping, Sequence

import pandas as pd

from keywords.normalize import normalize_text, surface_key
from keywords.particles import strip_particle

__all__ = ["ContextSettings", "context_candidates", "title_nouns", "BACKENDS"]

BACKENDS = ("kiwi", "okt", "regex")
COLUMNS = ["issue_key", "word", "count", "first_position"]


@dataclass(frozen=True)
class ContextSettings:
    """``backend``: one of :data:`BACKENDS`; ``min_chars``: shortest word kept;
    ``min_count``: fewest titles a word must be in; ``top_n``: words kept per issue."""

    backend: str = "kiwi"
    min_chars: int = 2
    min_count: int = 1
    top_n: int | None = None

    def __post_init__(self):
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if self.min_chars < 1 or self.min_count < 1 or (self.top_n is not None and self.top_n < 1):
            raise ValueError("min_chars, min_count and top_n must be >= 1")


@lru_cache(maxsize=1)
def _kiwi():
    from kiwipiepy import Kiwi

    return Kiwi()


@lru_cache(maxsize=1)
def _okt():
    from konlpy.tag import Okt

    return Okt()


_KIWI_NOUN = {"NNG", "NNP", "SL", "SH"}
# joined to an adjacent noun, never a word alone: digits, prefixes (미+성년자, 재+건축),
# noun suffixes (부정+적, 가능+성), bound nouns (2+차); the plural 들 is left off
_KIWI_GLUE = {"SN", "XPN", "XSN", "NNB"}
_NOT_GLUE = {"들"}
_WORD = re.compile(r"[가-힣A-Za-z0-9]+")
# endings of verbs, adjectives and adverbs seen in headlines (했다, 하는, 위해, 대한, 없이 ...)
_VERBISH = re.compile(r"(?:다|며|면|는|던|했|됐|겠|려고|하|되|한|된|할|될|해|게|록|듯|지만|서는|받|받자|"
                      r"므|으므)$")


def _join(spans: list[tuple[str, int, int, bool]]) -> list[tuple[str, int]]:
    """(form, start, end, is_noun) tokens -> (compound, start): adjacent tokens joined; a
    run is kept when it has a noun (glue tokens such as digits never make a word alone)."""
    out, current = [], None  # current: [text, start, end, has_noun]
    for form, start, end, noun in spans:
        if current is not None and current[2] == start:
            current[0] += form
            current[2] = end
            current[3] = current[3] or noun
        else:
            if current and current[3]:
                out.append((current[0], current[1]))
            current = [form, start, end, noun]
    if current and current[3]:
        out.append((current[0], current[1]))
    return out


def _kiwi_nouns(titles: list[str]) -> list[list[tuple[str, int]]]:
    results = []
    for tokens in _kiwi().tokenize(titles):
        spans = [(t.form, t.start, t.start + t.len, t.tag in _KIWI_NOUN) for t in tokens
                 if t.tag in _KIWI_NOUN or (t.tag in _KIWI_GLUE and t.form not in _NOT_GLUE)]
        results.append(_join(spans))
    return results


def _okt_nouns(titles: list[str]) -> list[list[tuple[str, int]]]:
    okt, results = _okt(), []
    for title in titles:
        spans, cursor = [], 0
        for form, tag in okt.pos(title):
            at = title.find(form, cursor)
            if at < 0:
                continue
            cursor = at + len(form)
            if tag in ("Noun", "Alpha") or (tag in ("Number", "Suffix", "Prefix") and form not in _NOT_GLUE):
                spans.append((form, at, cursor, tag in ("Noun", "Alpha")))
        results.append(_join(spans))
    return results


def _regex_nouns(titles: list[str]) -> list[list[tuple[str, int]]]:
    results = []
    for title in titles:
        words = []
        for m in _WORD.finditer(title):
            word = strip_particle(m.group())
            if _VERBISH.search(word) and not word.isascii() and len(word) > 1 and word == m.group():
                continue
            words.append((word, m.start()))
        results.append(words)
    return results


_BACKEND = {"kiwi": _kiwi_nouns, "okt": _okt_nouns, "regex": _regex_nouns}


def _unescape(title: str) -> str:
    """Entities escaped more than once by a feed (``&amp;quot;``) decoded, so ``quot`` is never a noun;
    :func:`keywords.normalize.normalize_text` decodes the last level."""
    for _ in range(3):
        if "&amp;" not in title:
            break
        title = html.unescape(title)
    return title


def title_nouns(titles: Sequence[str], backend: str = "kiwi") -> list[list[tuple[str, int]]]:
    """(noun or compound, character offset) per normalised title, by ``backend``.

    >>> title_nouns(["최가온, 스노보드 첫 금메달"], "regex")
    [[('최가온', 0), ('스노보드', 5), ('첫', 10), ('금메달', 12)]]
    >>> title_nouns(["네이버페이 &amp;quot;오류&amp;quot;"], "regex")
    [[('네이버페이', 0), ('오류', 7)]]
    """
    return _BACKEND[backend]([normalize_text(_unescape(t)) if isinstance(t, str) else "" for t in titles])


def context_candidates(titles_by_issue: Mapping[str, Sequence[str]], dictionary,
                       settings: ContextSettings = ContextSettings(),
                       stopwords: Iterable[str] = ()) -> pd.DataFrame:
    """Non-dictionary nouns of each issue's titles; see the module docstring."""
    keys, flat = [], []
    for key, titles in titles_by_issue.items():
        for title in titles:
            keys.append(key)
            flat.append(title)
    if not flat:
        return pd.DataFrame({c: pd.Series(dtype=t) for c, t in
                             zip(COLUMNS, [object, object, "int64", "int64"])})
    stop = {surface_key(w) for w in stopwords}
    rows: dict[tuple[str, str], list[int]] = {}  # (issue, word) -> [count, first position]
    known: dict[str, bool] = {}
    distinct = list(dict.fromkeys(flat))           # a title in several issues (home and its channel) is tagged once
    nouns_of = dict(zip(distinct, title_nouns(distinct, settings.backend)))
    for key, nouns in zip(keys, map(nouns_of.__getitem__, flat)):
        seen = set()
        for word, at in nouns:
            ok = known.get(word)
            if ok is None:
                skey = surface_key(word)
                ok = (len(word) >= settings.min_chars and not word.isdigit() and bool(skey)
                      and skey not in stop and dictionary.canonical(word) is None)
                known[word] = ok
            if not ok:
                continue
            entry = rows.setdefault((key, word), [0, at])
            if word not in seen:
                entry[0] += 1
                seen.add(word)
            entry[1] = min(entry[1], at)
    order = {key: i for i, key in enumerate(titles_by_issue)}
    frame = pd.DataFrame([(k, w, c, p) for (k, w), (c, p) in rows.items()], columns=COLUMNS)
    frame = frame.astype({"issue_key": object, "word": object, "count": "int64",
                          "first_position": "int64"})
    frame = frame[frame["count"] >= settings.min_count]
    frame["_issue"] = frame["issue_key"].map(order)
    frame = frame.sort_values(["_issue", "count", "first_position", "word"],
                              ascending=[True, False, True, True], kind="mergesort")
    if settings.top_n is not None:
        frame = frame[frame.groupby("_issue").cumcount() < settings.top_n]
    return frame.drop(columns="_issue").reset_index(drop=True)
