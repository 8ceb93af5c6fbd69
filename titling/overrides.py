"""Operator overrides: one plain-text file, validated as a whole before a run uses it.

    >>> rules = parse_overrides("rewrite 임재범 => 나가수 임재범\\nblock 무기징역\\n", "overrides.txt")
    >>> rules.rewrites["임재범"], sorted(rules.blocked_keywords)
    ('나가수 임재범', ['무기징역'])

One rule per line; ``#`` starts a comment line; blank lines are ignored; keywords and titles
may contain spaces:

    rewrite <keyword> => <title>                  the issue of <keyword> gets this title
    block <keyword>                               never an issue (also removes it as a facet)
    block-title <title>                           an issue whose final title is exactly this is dropped
    merge <representative> <= <kw>, <kw>, ...     these keywords' issues become one, under <representative>
    pin <channel> <keyword> [=> <title>]          an evergreen issue shown first in <channel> (or home)

Any error anywhere (unknown rule, missing ``=>``, empty part, a keyword rewritten twice, a
keyword merged into two representatives, a pinned keyword also blocked) rejects the whole
file with :class:`OverrideError` naming the file and line; the run then publishes nothing
and the last good feed stays.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


class OverrideError(ValueError):
    """The override file is invalid; ``str(e)`` is ``file:line: what is wrong``."""

    def __init__(self, path: str, line: int, message: str):
        self.path, self.line, self.message = path, line, message
        super().__init__(f"{path}:{line}: {message}")


@dataclass(frozen=True)
class Pin:
    channel: str
    keyword: str
    title: str | None
    line: int


@dataclass
class Overrides:
    rewrites: dict[str, str] = field(default_factory=dict)
    blocked_keywords: set[str] = field(default_factory=set)
    blocked_titles: set[str] = field(default_factory=set)
    merges: dict[str, str] = field(default_factory=dict)      # member keyword -> representative
    pins: list[Pin] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.rewrites or self.blocked_keywords or self.blocked_titles or self.merges or self.pins)


def _norm(text: str) -> str:
    return " ".join(text.split())


def _split(rest: str, arrow: str, path: str, line: int, rule: str) -> tuple[str, str]:
    if arrow not in rest:
        raise OverrideError(path, line, f"'{rule}' needs '{arrow}' (e.g. {_EXAMPLES[rule]})")
    left, right = (_norm(p) for p in rest.split(arrow, 1))
    if not left or not right:
        raise OverrideError(path, line, f"'{rule}' needs text on both sides of '{arrow}'")
    return left, right


_EXAMPLES = {
    "rewrite": "rewrite 임재범 => 나가수 임재범",
    "block": "block 무기징역",
    "block-title": "block-title 나쁜 제목",
    "merge": "merge 어린이날 <= 어린이날 선물, 어린이날 행사",
    "pin": "pin home 설 연휴 => 설 연휴 귀성길",
}


def parse_overrides(text: str, path: str = "<overrides>") -> Overrides:
    """Parse and validate the whole file; the first error raises :class:`OverrideError`."""
    rules = Overrides()
    rewrite_lines: dict[str, int] = {}
    merge_lines: dict[str, int] = {}
    block_lines: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        rule, _, rest = line.partition(" ")
        rest = rest.strip()
        if rule not in _EXAMPLES:
            raise OverrideError(path, number, f"unknown rule {rule!r}; expected one of {', '.join(_EXAMPLES)}")
        if not rest:
            raise OverrideError(path, number, f"'{rule}' needs an argument (e.g. {_EXAMPLES[rule]})")
        if rule == "rewrite":
            keyword, title = _split(rest, "=>", path, number, rule)
            if keyword in rewrite_lines:
                raise OverrideError(path, number, f"{keyword!r} is already rewritten on line {rewrite_lines[keyword]}")
            rewrite_lines[keyword] = number
            rules.rewrites[keyword] = title
        elif rule == "block":
            rules.blocked_keywords.add(_norm(rest))
            block_lines.setdefault(_norm(rest), number)
        elif rule == "block-title":
            rules.blocked_titles.add(_norm(rest))
        elif rule == "merge":
            representative, members = _split(rest, "<=", path, number, rule)
            names = [_norm(m) for m in members.split(",")]
            if any(not m for m in names):
                raise OverrideError(path, number, "'merge' has an empty keyword in its list")
            for member in names:
                if member == representative:
                    continue
                if member in rules.merges and rules.merges[member] != representative:
                    raise OverrideError(path, number, f"{member!r} is already merged into "
                                        f"{rules.merges[member]!r} on line {merge_lines[member]}")
                rules.merges[member] = representative
                merge_lines[member] = number
        elif rule == "pin":
            target, _, title = rest.partition("=>")
            channel, _, keyword = _norm(target).partition(" ")
            if not channel or not keyword:
                raise OverrideError(path, number, f"'pin' needs a channel and a keyword (e.g. {_EXAMPLES['pin']})")
            if "=>" in rest and not _norm(title):
                raise OverrideError(path, number, "'pin' has an empty title after '=>'")
            rules.pins.append(Pin(channel, keyword, _norm(title) or None, number))
    for pin in rules.pins:
        if pin.keyword in rules.blocked_keywords:
            raise OverrideError(path, pin.line, f"{pin.keyword!r} is pinned but blocked on line {block_lines[pin.keyword]}")
    for member, representative in rules.merges.items():
        if representative in rules.merges:
            raise OverrideError(path, merge_lines[member], f"{representative!r} is a merge representative "
                                f"and is itself merged into {rules.merges[representative]!r}")
    return rules


def load_overrides(path: str | Path | None) -> Overrides:
    """Read and validate an override file; no path means no overrides."""
    if not path:
        return Overrides()
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise OverrideError(str(path), 0, "override file not found") from None
    except UnicodeDecodeError as exc:
        line = Path(path).read_bytes()[: exc.start].count(b"\n") + 1
        raise OverrideError(str(path), line, "not valid UTF-8") from None
    return parse_overrides(text, str(path))
