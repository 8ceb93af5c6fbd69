"""Operator overrides: one file, validated as a whole before a run uses it.

    >>> rules = parse_overrides('[[rewrite]]\\nfrom = "임재범"\\nto = "나가수 임재범"\\n', "overrides.toml")
    >>> rules.rewrites["임재범"], rules.line_of("rewrite", "임재범")
    ('나가수 임재범', 1)

The documented format is TOML (a file whose name ends in ``.toml``), one array-of-tables entry per
rule; every rule may carry a ``note``:

    [[rewrite]]                 # keyword or title -> title
    from = "임재범"
    to = "나가수 임재범"

    [[block]]                   # a keyword (never an issue) or a title; optional expiry
    keyword = "광고"
    expires = 2026-06-01T00:00:00+09:00

    [[merge]]                   # several keywords -> one representative
    into = "어린이날"
    keywords = ["어린이날 선물", "어린이날 행사"]

    [[pin]]                     # an evergreen bundle first in a channel, until it expires
    channel = "home"
    keyword = "길고양이"
    title = "길고양이 겨울나기"
    expires = 2026-05-31T00:00:00+09:00

Unknown tables or keys, a missing field, an expiry without an offset, and the conflicts below are
``file:line: [[rule]] message`` with the line of the rule's ``[[...]]`` header. Other file names
are read in the plain-text format that came first (kept for existing files):

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
keyword merged into two representatives, a pinned keyword also blocked, a control or invisible
character, a keyword, title or channel longer than the database stores or a channel name that
breaks :func:`issues.field_rules.channel_name`) rejects the whole file with
:class:`OverrideError` naming the file and line; the run then publishes nothing and the last
good feed stays. A pin must name a channel that exists (:func:`check_pin_channels`): the run
checks that against the channels it knows, and a file failing it never becomes the "last valid
file".
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from issues.field_rules import INVISIBLE, RowError, channel_name, storable_limits
from keywords.errors import InputError


class OverrideError(InputError, ValueError):
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
    expires: pd.Timestamp | None = None


@dataclass
class Overrides:
    rewrites: dict[str, str] = field(default_factory=dict)
    blocked_keywords: set[str] = field(default_factory=set)
    blocked_titles: set[str] = field(default_factory=set)
    merges: dict[str, str] = field(default_factory=dict)      # member keyword -> representative
    pins: list[Pin] = field(default_factory=list)
    lines: dict[tuple[str, str], int] = field(default_factory=dict)       # (rule, subject) -> line
    expires: dict[tuple[str, str], pd.Timestamp] = field(default_factory=dict)
    path: str = ""
    text: str = ""

    def line_of(self, rule: str, subject: str) -> int:
        """The line of the rule about ``subject`` (0 if unknown): for the record of fired rules."""
        return self.lines.get((rule, subject), 0)

    def active_at(self, hour) -> "Overrides":
        """The rules still in force at ``hour``: expired blocks and pins dropped."""
        hour = pd.Timestamp(hour)
        live = {k: e for k, e in self.expires.items() if e > hour}
        gone = set(self.expires) - set(live)
        if not gone:
            return self
        return replace(self,
                       blocked_keywords={k for k in self.blocked_keywords if ("block", k) not in gone},
                       blocked_titles={t for t in self.blocked_titles if ("block-title", t) not in gone},
                       pins=[p for p in self.pins if p.expires is None or p.expires > hour])

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
    """Parse and validate the whole file (TOML if ``path`` ends in ``.toml``); the first error
    raises :class:`OverrideError`."""
    if str(path).endswith(".toml"):
        return parse_overrides_toml(text, path)
    text = _checked_text(text, path)
    rules = Overrides(path=str(path), text=text)
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
            rules.lines[("rewrite", keyword)] = number
        elif rule == "block":
            rules.blocked_keywords.add(_norm(rest))
            block_lines.setdefault(_norm(rest), number)
            rules.lines.setdefault(("block", _norm(rest)), number)
        elif rule == "block-title":
            rules.blocked_titles.add(_norm(rest))
            rules.lines.setdefault(("block-title", _norm(rest)), number)
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
                rules.lines[("merge", member)] = number
        elif rule == "pin":
            target, _, title = rest.partition("=>")
            channel, _, keyword = _norm(target).partition(" ")
            if not channel or not keyword:
                raise OverrideError(path, number, f"'pin' needs a channel and a keyword (e.g. {_EXAMPLES['pin']})")
            if "=>" in rest and not _norm(title):
                raise OverrideError(path, number, "'pin' has an empty title after '=>'")
            rules.pins.append(Pin(channel, keyword, _norm(title) or None, number))
            rules.lines[("pin", keyword)] = number
    for pin in rules.pins:
        if pin.keyword in rules.blocked_keywords:
            raise OverrideError(path, pin.line, f"{pin.keyword!r} is pinned but blocked on line {block_lines[pin.keyword]}")
    for member, representative in rules.merges.items():
        if representative in rules.merges:
            raise OverrideError(path, merge_lines[member], f"{representative!r} is a merge representative "
                                f"and is itself merged into {rules.merges[representative]!r}")
    return _check_storable(rules, "'{rule}'")


_HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z_-]+)\s*\]\]")
_FIELDS = {"rewrite": ({"from", "to"}, {"note"}),
           "block": (set(), {"keyword", "title", "expires", "note"}),
           "merge": ({"into", "keywords"}, {"note"}),
           "pin": ({"channel", "keyword", "expires"}, {"title", "note"})}


def _expiry(value, path: str, line: int, rule: str) -> pd.Timestamp:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise OverrideError(path, line, f"[[{rule}]] 'expires' needs an offset (e.g. 2026-06-01T00:00:00+09:00)")
        return pd.Timestamp(value).tz_convert("UTC")
    if isinstance(value, date):
        raise OverrideError(path, line, f"[[{rule}]] 'expires' needs a time with an offset, not a bare date")
    raise OverrideError(path, line, f"[[{rule}]] 'expires' must be a TOML date-time with an offset")


def _text(item: dict, key: str, path: str, line: int, rule: str) -> str:
    value = item.get(key)
    if not isinstance(value, str) or not _norm(value):
        raise OverrideError(path, line, f"[[{rule}]] '{key}' must be a non-empty string")
    return _norm(value)


def parse_overrides_toml(text: str, path: str = "<overrides.toml>") -> Overrides:
    """The TOML format (module docstring); every error names the line of the rule's header."""
    text = _checked_text(text, path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"line (\d+)", str(exc))
        raise OverrideError(path, int(found.group(1)) if found else 0, f"not valid TOML: {exc}") from None
    headers: dict[str, list[int]] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        m = _HEADER.match(raw)
        if m:
            headers.setdefault(m.group(1), []).append(number)
    rules = Overrides(path=str(path), text=text)
    for rule, items in data.items():
        first = (headers.get(rule) or [next((n for n, raw in enumerate(text.splitlines(), 1)
                                             if raw.strip().startswith(rule)), 0)])[0]
        if rule not in _FIELDS:
            raise OverrideError(path, first, f"unknown rule [[{rule}]]; expected one of "
                                f"{', '.join(f'[[{r}]]' for r in _FIELDS)}")
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise OverrideError(path, first, f"'{rule}' must be written as [[{rule}]] tables")
    ordered = sorted(((headers.get(rule, [0] * len(items))[k] if k < len(headers.get(rule, [])) else 0, rule, item)
                      for rule, items in data.items() for k, item in enumerate(items)), key=lambda t: t[0])
    for line, rule, item in ordered:
        required, optional = _FIELDS[rule]
        unknown = set(item) - required - optional
        if unknown:
            raise OverrideError(path, line, f"[[{rule}]] unknown key(s) {', '.join(sorted(unknown))}")
        missing = required - set(item)
        if missing:
            raise OverrideError(path, line, f"[[{rule}]] needs {', '.join(sorted(missing))}")
        if rule == "rewrite":
            subject = _text(item, "from", path, line, rule)
            if subject in rules.rewrites:
                raise OverrideError(path, line, f"[[rewrite]] {subject!r} is already rewritten on line "
                                    f"{rules.line_of('rewrite', subject)}")
            rules.rewrites[subject] = _text(item, "to", path, line, rule)
            rules.lines[("rewrite", subject)] = line
        elif rule == "block":
            if ("keyword" in item) == ("title" in item):
                raise OverrideError(path, line, "[[block]] needs exactly one of 'keyword' or 'title'")
            kind = "block" if "keyword" in item else "block-title"
            subject = _text(item, "keyword" if kind == "block" else "title", path, line, rule)
            (rules.blocked_keywords if kind == "block" else rules.blocked_titles).add(subject)
            rules.lines.setdefault((kind, subject), line)
            if "expires" in item:
                rules.expires[(kind, subject)] = _expiry(item["expires"], path, line, rule)
        elif rule == "merge":
            into = _text(item, "into", path, line, rule)
            members = item["keywords"]
            if not isinstance(members, list) or not members or not all(isinstance(m, str) and _norm(m) for m in members):
                raise OverrideError(path, line, "[[merge]] 'keywords' must be a non-empty list of keywords")
            for member in (_norm(m) for m in members):
                if member == into:
                    continue
                if member in rules.merges and rules.merges[member] != into:
                    raise OverrideError(path, line, f"[[merge]] {member!r} is already merged into "
                                        f"{rules.merges[member]!r} on line {rules.line_of('merge', member)}")
                rules.merges[member] = into
                rules.lines[("merge", member)] = line
        else:
            channel, keyword = _text(item, "channel", path, line, rule), _text(item, "keyword", path, line, rule)
            title = _text(item, "title", path, line, rule) if "title" in item else None
            expires = _expiry(item["expires"], path, line, rule)
            rules.pins.append(Pin(channel, keyword, title, line, expires))
            rules.lines[("pin", keyword)] = line
            rules.expires[("pin", keyword)] = expires
    for pin in rules.pins:
        if pin.keyword in rules.blocked_keywords:
            raise OverrideError(path, pin.line, f"[[pin]] {pin.keyword!r} is pinned but blocked on line "
                                f"{rules.line_of('block', pin.keyword)}")
    for member, representative in rules.merges.items():
        if representative in rules.merges:
            raise OverrideError(path, rules.line_of("merge", member), f"[[merge]] {representative!r} is a merge "
                                f"representative and is itself merged into {rules.merges[representative]!r}")
    return _check_storable(rules, "[[{rule}]]")


def _checked_text(text: str, path: str) -> str:
    """The file's text without a leading BOM; a control or invisible character is an error."""
    text = text[1:] if text.startswith("\ufeff") else text
    for number, raw in enumerate(text.split("\n"), start=1):
        bad = INVISIBLE.search(raw.rstrip("\r").replace("\t", " "))
        if bad:
            raise OverrideError(path, number, f"control or invisible character U+{ord(bad.group()):04X} "
                                "(an override file holds plain text)")
    return text


def _check_storable(rules: Overrides, label: str) -> Overrides:
    """Every keyword, title and channel of the rules fits what the database stores."""
    limits = storable_limits()
    kw, title = limits.keyword, limits.issue_title
    checks = [("rewrite", s, "from", s, title) for s in rules.rewrites]
    checks += [("rewrite", s, "to", t, title) for s, t in rules.rewrites.items()]
    checks += [("block", k, "keyword", k, kw) for k in rules.blocked_keywords]
    checks += [("block-title", t, "title", t, title) for t in rules.blocked_titles]
    checks += [("merge", m, "keyword", m, kw) for m in rules.merges]
    checks += [("merge", m, "into", into, kw) for m, into in rules.merges.items()]
    for rule, subject, name, value, limit in checks:
        if len(value) > limit:
            shown = label.format(rule="block" if rule.startswith("block") else rule)
            raise OverrideError(rules.path, rules.line_of(rule, subject),
                                f"{shown} {name!r} is longer than {limit} characters")
    for pin in rules.pins:
        shown = label.format(rule="pin")
        for name, value, limit in (("keyword", pin.keyword, kw), ("title", pin.title or "", title)):
            if len(value) > limit:
                raise OverrideError(rules.path, pin.line, f"{shown} {name!r} is longer than {limit} characters")
        try:
            channel_name(pin.channel, limits.channel)
        except RowError as exc:
            raise OverrideError(rules.path, pin.line, f"{shown} {exc}") from None
    return rules


def check_pin_channels(rules: Overrides, known: set[str] | frozenset[str]) -> None:
    """:class:`OverrideError` (with the pin's line) for a pin whose channel does not exist.

    >>> rules = parse_overrides("pin sprots 손흥민\\n", "o.txt")
    >>> try:
    ...     check_pin_channels(rules, {"home", "sports", "news"})
    ... except OverrideError as exc:
    ...     print(exc)
    o.txt:1: pin: channel 'sprots' does not exist (known: home, news, sports)
    """
    for pin in rules.pins:
        if pin.channel not in known:
            names = sorted(known)
            shown = ", ".join(names[:12]) + (f", … ({len(names)} in all)" if len(names) > 12 else "")
            raise OverrideError(rules.path, pin.line, f"pin: channel {pin.channel!r} does not exist (known: {shown})")


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


def fired_rule(rules: Overrides, rule: str, subject: str, channel: str, detail: str) -> dict:
    """One record of a rule that changed the hour's feed (kept in the ``override_firings`` table)."""
    return {"rule": rule, "line": rules.line_of(rule, subject), "subject": subject, "channel": channel,
            "detail": detail}
