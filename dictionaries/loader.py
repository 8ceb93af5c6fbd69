"""The operators' keyword dictionary and stopword list.

    >>> d = KeywordDictionary.from_records([
    ...     {"keyword": "나는가수다", "type": "event", "aliases": ["나가수"]},
    ...     {"keyword": "임재범", "type": "person", "weight": 2},
    ... ])
    >>> d.canonical("나가수"), d.display_form("임재범")
    ('나는가수다', '임재범')

File format (``dictionaries/keywords.tsv``, UTF-8, tab separated)::

    keyword<TAB>type<TAB>aliases<TAB>weight[<TAB>display]
    나는가수다<TAB>event<TAB>나가수|나가수2<TAB>1.5
    bts<TAB>organisation<TAB>방탄소년단<TAB><TAB>BTS

* The header row is required and names the columns in this order; the fifth
  column ``display`` is optional (a 4-column file stays valid).  ``display`` is
  the form operators want shown (e.g. ``BTS`` for a keyword typed ``bts``);
  empty means the keyword itself.
* Only ``keyword`` is required; trailing columns may be empty or left out
  altogether (a line ``임재범`` is valid), but a line never has more fields
  than the header.
* ``type`` is empty or one of :data:`TYPES`; ``aliases`` are separated by
  ``|``; ``weight`` is a finite number >= 0, default 1.0.
* Lines starting with ``#`` and blank lines are ignored.
* Keywords and aliases are normalised with :func:`keywords.normalize.normalize_text`
  and compared by :func:`keywords.normalize.surface_key` (case-insensitive,
  punctuation as spaces), so ``BTS`` and ``bts`` are the same surface: a surface
  claimed twice (duplicate keyword, alias of two keywords, alias equal to
  another keyword) is an error.

Every problem raises :class:`DictionaryError` naming the file and line.
"""
from __future__ import annotations

import pathlib
from typing import Iterable

import pandas as pd

from issues.contracts import TEXT_LIMITS
from dictionaries.tsv import TsvError, parse_weight, tsv_rows
from keywords.normalize import normalize_text, surface_key

__all__ = [
    "TYPES",
    "DictionaryError",
    "KeywordDictionary",
    "load_dictionary",
    "load_stopwords",
    "default_dictionary_path",
    "default_stopwords_path",
]

TYPES = frozenset({"person", "organisation", "place", "event", "product", "common"})
HEADER = ("keyword", "type", "aliases", "weight", "display")
_HERE = pathlib.Path(__file__).resolve().parent


class DictionaryError(TsvError):
    """A malformed dictionary or stopword line: ``str(e) == f"{path}:{line}: {message}"``."""


class KeywordDictionary:
    """Canonical keywords with type, weight, aliases and display form.

    >>> d = KeywordDictionary.from_records([{"keyword": "BTS", "aliases": "방탄소년단"}])
    >>> d.surfaces()
    {'BTS': 'BTS', '방탄소년단': 'BTS'}
    >>> d.canonical("bts"), d.canonical("없는말")
    ('BTS', None)
    """

    def __init__(self, entries: pd.DataFrame):
        self.entries = entries.reset_index(drop=True)
        self._surfaces = {
            alias: keyword
            for keyword, aliases in zip(self.entries["keyword"], self.entries["aliases"])
            for alias in (keyword, *aliases)
        }
        self._by_key = {surface_key(s): k for s, k in self._surfaces.items()}
        self._display = dict(zip(self.entries["keyword"], self.entries["display"]))

    def __len__(self) -> int:
        return len(self.entries)

    def canonical(self, surface: str) -> str | None:
        """The canonical keyword of a keyword or alias (any case/punctuation), else None."""
        return self._by_key.get(surface_key(surface))

    def surfaces(self) -> dict[str, str]:
        """Every keyword and alias (normalised) -> its canonical keyword."""
        return dict(self._surfaces)

    def display_form(self, keyword: str) -> str:
        """The form operators want shown; the keyword itself if it has none or is unknown."""
        found = self._display.get(keyword)
        if found is None:
            canonical = self.canonical(keyword)
            found = self._display.get(canonical, keyword) if canonical else keyword
        return found

    @classmethod
    def from_records(cls, rows: Iterable[dict], *, source: str = "<records>") -> "KeywordDictionary":
        """Build from dicts with ``keyword`` and optional ``type``, ``aliases``
        (list or '|'-string), ``weight``, ``display``; errors name record numbers from 1."""
        builder = _Builder(source)
        for number, row in enumerate(rows, start=1):
            aliases = row.get("aliases") or ()
            if isinstance(aliases, str):
                aliases = aliases.split("|")
            builder.add(
                number,
                row.get("keyword") or "",
                row.get("type") or "",
                list(aliases),
                row.get("weight"),
                row.get("display") or "",
            )
        return builder.build()


class _Builder:
    """Validates entries one at a time and assembles the DataFrame."""

    def __init__(self, source):
        self.source = source
        self.rows: list[tuple] = []
        self.owner: dict[str, tuple[str, int]] = {}  # surface key -> (keyword, line)

    def fail(self, line: int, message: str):
        raise DictionaryError(self.source, line, message)

    def claim(self, line: int, surface: str, keyword: str) -> bool:
        key = surface_key(surface)
        if not key:
            self.fail(line, f"alias {surface!r} of {keyword!r} has no letters or digits")
        owner = self.owner.get(key)
        if owner is None:
            self.owner[key] = (keyword, line)
            return True
        if owner[0] == keyword:
            return False  # repeated alias of the same keyword: harmless
        what = "keyword" if surface == keyword else "alias"
        self.fail(line, f"{what} {surface!r} already claimed by {owner[0]!r} on line {owner[1]}")

    def add(self, line, keyword, type_, aliases, weight, display):
        keyword = normalize_text(str(keyword))
        key = surface_key(keyword)
        if not key:
            self.fail(line, "empty keyword")
        owner = self.owner.get(key)
        if owner is not None and surface_key(owner[0]) == key:
            self.fail(line, f"duplicate keyword {keyword!r} (first on line {owner[1]})")
        if len(keyword) > TEXT_LIMITS["keyword"]:
            self.fail(line, f"keyword of {len(keyword)} characters (at most {TEXT_LIMITS['keyword']}: "
                            "what the issue tables store)")
        type_ = str(type_).strip().lower()
        if type_ and type_ not in TYPES:
            self.fail(line, f"unknown type {type_!r} (expected one of {', '.join(sorted(TYPES))} or empty)")
        weight = self.parse_weight(line, weight)
        self.claim(line, keyword, keyword)
        kept = []
        for alias in aliases:
            alias = normalize_text(str(alias))
            if not alias:
                continue
            if surface_key(alias) == key:
                continue
            if self.claim(line, alias, keyword):
                kept.append(alias)
        display = normalize_text(str(display)) or keyword
        if len(display) > TEXT_LIMITS["issue_title"]:
            self.fail(line, f"display form of {len(display)} characters (at most {TEXT_LIMITS['issue_title']}: "
                            "it can become an issue title)")
        self.rows.append((keyword, type_, weight, tuple(kept), display))

    def parse_weight(self, line, weight) -> float:
        try:
            return parse_weight(weight, self.source, line)
        except TsvError as exc:
            self.fail(line, exc.message)

    def build(self) -> KeywordDictionary:
        entries = pd.DataFrame(self.rows, columns=["keyword", "type", "weight", "aliases", "display"])
        entries = entries.astype({"keyword": object, "type": object, "weight": "float64",
                                  "display": object})
        return KeywordDictionary(entries)


def load_dictionary(path) -> KeywordDictionary:
    """Read a keyword TSV (format in the module docstring).

    >>> d = load_dictionary(default_dictionary_path())
    >>> len(d) > 30000, d.canonical("자민당")
    (True, '자민당')
    """
    path = pathlib.Path(path)
    builder = _Builder(path)
    with _open(path, newline="") as handle:
        try:
            for number, fields in tsv_rows(handle, str(path), [HEADER[:4], HEADER]):
                display = fields[4] if len(fields) == 5 else ""
                builder.add(number, fields[0], fields[1], fields[2].split("|"), fields[3], display)
        except TsvError as exc:
            raise DictionaryError(exc.path, exc.line, exc.message) from None
        except UnicodeDecodeError as exc:
            raise DictionaryError(str(path), _line_of(path, exc), "not valid UTF-8") from None
    return builder.build()


def _open(path: pathlib.Path, **kwargs):
    """Open an operator's text file; a missing or unreadable one is a DictionaryError naming it."""
    try:
        return path.open(encoding="utf-8", **kwargs)
    except FileNotFoundError:
        raise DictionaryError(str(path), 0, "file not found") from None
    except OSError as exc:
        raise DictionaryError(str(path), 0, f"cannot be read: {exc.strerror or exc}") from None


def _line_of(path: pathlib.Path, exc: UnicodeDecodeError) -> int:
    """The line of a decoding error (its byte offset counts from the start of the file only if read whole)."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as whole:
        return data[: whole.start].count(b"\n") + 1
    return 0


def load_stopwords(path) -> frozenset[str]:
    """Read one stopword per line (normalised); ``#`` starts a comment line.

    >>> "관련" in load_stopwords(default_stopwords_path())
    True
    """
    words = set()
    path = pathlib.Path(path)
    with _open(path) as handle:
        try:
            for raw in handle:
                word = normalize_text(raw)
                if word and not word.startswith("#"):
                    words.add(word)
        except UnicodeDecodeError as exc:
            raise DictionaryError(str(path), _line_of(path, exc), "not valid UTF-8") from None
    return frozenset(words)


def default_dictionary_path() -> pathlib.Path:
    """``dictionaries/keywords.tsv`` next to this module."""
    return _HERE / "keywords.tsv"


def default_stopwords_path() -> pathlib.Path:
    """``dictionaries/stopwords.txt`` next to this module."""
    return _HERE / "stopwords.txt"
