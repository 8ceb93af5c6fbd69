"""The title blocklist: titles an editor would never sign, whatever users searched.

    >>> bl = parse_blocklist("word 씨발\\npattern 01[016789][- ]?\\\\d{3,4}[- ]?\\\\d{4}\\ncrime 마약\\nperson 홍길동\\n")
    >>> bl.blocks("홍길동 마약"), bl.blocks("홍길동 콘서트"), bl.blocks("연락처 010-1234-5678")
    (True, False, True)

``dictionaries/title_blocklist.txt``, UTF-8, one rule per line, ``#`` comments:

    word <text>             abuse word: blocked anywhere in a title (case-insensitive, spaces ignored)
    pattern <regex>         personal data and the like (Python ``re``, searched in the title)
    crime <word>            a crime word: blocked next to any marked person
    person <name>           a person an operator marked: blocked with any crime word
    combo <a> + <b>         these two together (e.g. one person and one accusation)

A bad line (unknown rule, empty argument, a regex that does not compile) raises
:class:`BlocklistError` naming the file and line.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from keywords.errors import InputError


class BlocklistError(InputError, ValueError):
    def __init__(self, path: str, line: int, message: str):
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line}: {message}")


def _key(text: str) -> str:
    return "".join(str(text).lower().split())


@dataclass
class TitleBlocklist:
    words: list[str] = field(default_factory=list)
    patterns: list[re.Pattern] = field(default_factory=list)
    crimes: list[str] = field(default_factory=list)
    persons: list[str] = field(default_factory=list)
    combos: list[tuple[str, str]] = field(default_factory=list)

    def reason(self, title: str) -> str | None:
        """Why ``title`` is blocked (the rule), or None."""
        key = _key(title)
        for w in self.words:
            if w in key:
                return f"word {w}"
        for p in self.patterns:
            if p.search(title):
                return f"pattern {p.pattern}"
        people = [p for p in self.persons if p in key]
        if people:
            for c in self.crimes:
                if c in key:
                    return f"person {people[0]} + crime {c}"
        for a, b in self.combos:
            if a in key and b in key:
                return f"combo {a} + {b}"
        return None

    def blocks(self, title: str) -> bool:
        return self.reason(title) is not None


def parse_blocklist(text: str, path: str = "<blocklist>") -> TitleBlocklist:
    bl = TitleBlocklist()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        rule, _, rest = line.partition(" ")
        rest = rest.strip()
        if not rest:
            raise BlocklistError(path, number, f"'{rule}' needs an argument")
        if rule == "word":
            bl.words.append(_key(rest))
        elif rule == "pattern":
            try:
                bl.patterns.append(re.compile(rest))
            except re.error as exc:
                raise BlocklistError(path, number, f"bad pattern: {exc}") from None
        elif rule == "crime":
            bl.crimes.append(_key(rest))
        elif rule == "person":
            bl.persons.append(_key(rest))
        elif rule == "combo":
            a, plus, b = rest.partition("+")
            if not plus or not _key(a) or not _key(b):
                raise BlocklistError(path, number, "'combo' needs '<a> + <b>'")
            bl.combos.append((_key(a), _key(b)))
        else:
            raise BlocklistError(path, number, f"unknown rule {rule!r}; expected word, pattern, crime, person or combo")
    return bl


def load_blocklist(path: str | Path | None) -> TitleBlocklist:
    if not path or not Path(path).exists():
        return TitleBlocklist()
    return parse_blocklist(Path(path).read_text(encoding="utf-8"), str(path))


def load_evergreen(path: str | Path | None) -> frozenset[str]:
    """``dictionaries/evergreen.txt``: one keyword per line, ``#`` comments; never an issue by burst."""
    if not path or not Path(path).exists():
        return frozenset()
    words = (" ".join(line.split("#", 1)[0].split()) for line in Path(path).read_text(encoding="utf-8").splitlines())
    return frozenset(w for w in words if w)
