"""Edits of the override file as text: one rule in, the whole file's new text out, validated.

    >>> text = '# editors\\n[[rewrite]]   # wrong query title\\nfrom = "임재범"\\nto = "임재범 노래"\\n'
    >>> new = apply_edit(text, OverrideEdit("rewrite", "임재범", title="나가수 임재범"), "overrides.toml")
    >>> print(new)
    # editors
    [[rewrite]]   # wrong query title
    from = "임재범"
    to = "나가수 임재범"
    <BLANKLINE>
    >>> new = apply_edit(new, OverrideEdit("block-keyword", "광고", note="console: kim"), "overrides.toml")
    >>> new.splitlines()[-4:]
    ['', '[[block]]', 'keyword = "광고"', 'note = "console: kim"']
    >>> print(apply_edit(new, OverrideEdit("unblock-keyword", "광고"), "overrides.toml"))    # a removal
    # editors
    [[rewrite]]   # wrong query title
    from = "임재범"
    to = "나가수 임재범"
    <BLANKLINE>

The file stays the operators' one source of truth and stays hand-editable: the text is edited
with tomlkit, which keeps comments, order and formatting; a rule about a subject that already
has one is changed in place (a rewrite of the same keyword, a block of the same keyword or title,
a merge into the same representative gains members, a pin of the same keyword in the same
channel), anything else is appended as a new ``[[table]]`` after the rules of its kind. The new
text is then validated by :func:`titling.overrides.parse_overrides`, the very validator a run
uses, so an edit is accepted exactly when the file would be (:class:`OverrideError` with the
file and line otherwise). A removal (:data:`REMOVALS`: un-block a keyword or a title, remove a
rewrite, un-merge members or the whole merge, un-pin before the expiry) takes out the rule's own
lines, header through last key, and keeps every comment around it (tomlkit files the comment lines
above a table under the table before it, so deleting through tomlkit would lose or move them);
the TOML parser then checks that exactly that rule is gone. Only the TOML format is edited; a plain-text file must be converted
by hand first.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime

from issues.contracts import BlockRule, MergeRule, PinRule, RewriteRule
from titling.overrides import OverrideError, Overrides, parse_overrides

ADDITIONS = ("rewrite", "block-keyword", "block-title", "merge", "pin")
REMOVALS = ("remove-rewrite", "unblock-keyword", "unblock-title", "unmerge", "unpin")
ACTIONS = ADDITIONS + REMOVALS
_HEADER = re.compile(r"^\s*\[")
_AOT_HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_-]+)\s*\]\]")


@dataclass(frozen=True)
class OverrideEdit:
    """One editor's change: ``subject`` is the keyword (or title) the rule is about."""

    action: str               # one of ACTIONS: a rule added or changed, or (REMOVALS) taken out
    subject: str
    title: str | None = None                   # rewrite: the new title; pin: the title shown
    channel: str | None = None                 # pin
    keywords: tuple[str, ...] = field(default=())   # merge: the members merged into ``subject``
    expires: datetime | None = None            # block, pin (pin needs one)
    note: str | None = None

    def describe(self) -> str:
        """One line for the audit log and the preview.

        >>> OverrideEdit("merge", "어린이날", keywords=("어린이날 선물",)).describe()
        "merge '어린이날 선물' into '어린이날'"
        """
        until = f" until {self.expires.isoformat()}" if self.expires else ""
        if self.action in REMOVALS:
            return {"remove-rewrite": f"remove the rewrite of {self.subject!r}",
                    "unblock-keyword": f"unblock keyword {self.subject!r}",
                    "unblock-title": f"unblock title {self.subject!r}",
                    "unpin": f"unpin {self.subject!r} in {self.channel}",
                    "unmerge": (f"un-merge {', '.join(repr(k) for k in self.keywords)} from {self.subject!r}"
                                if self.keywords else f"remove the merge into {self.subject!r}")}[self.action]
        if self.action == "rewrite":
            return f"rewrite {self.subject!r} as {self.title!r}"
        if self.action == "block-keyword":
            return f"block keyword {self.subject!r}{until}"
        if self.action == "block-title":
            return f"block title {self.subject!r}{until}"
        if self.action == "merge":
            return f"merge {', '.join(repr(k) for k in self.keywords)} into {self.subject!r}"
        return f"pin {self.subject!r} in {self.channel}" + (f" as {self.title!r}" if self.title else "") + until


RULE_MODELS = {"rewrite": RewriteRule, "block": BlockRule, "merge": MergeRule, "pin": PinRule}


def _table(kind: str, values: dict):
    """A new ``[[kind]]`` table, shaped by the override-rule contract (:mod:`issues.contracts`);
    values the contract refuses are written as given, for the run's validator to name."""
    import pydantic
    import tomlkit

    values = {k: v for k, v in values.items() if v is not None}
    try:
        values = RULE_MODELS[kind].model_validate(values).model_dump(by_alias=True, exclude_none=True)
    except pydantic.ValidationError:
        pass
    table = tomlkit.table()
    for key, value in values.items():
        if value is not None:
            table.add(key, list(value) if isinstance(value, tuple) else value)
    return table


def _find(doc, kind: str, match) -> object | None:
    for table in doc.get(kind, []):
        if match(table):
            return table
    return None


def apply_edit(text: str, edit: OverrideEdit, path: str) -> str:
    """The file's new text with ``edit`` applied, validated as a run validates it."""
    import tomlkit

    if not str(path).endswith(".toml"):
        raise OverrideError(str(path), 0, "the console edits TOML override files only (*.toml); convert this "
                                          "file to the TOML format first (see titling/overrides.py)")
    if edit.action not in ACTIONS:
        raise OverrideError(str(path), 0, f"unknown edit {edit.action!r}; expected one of {', '.join(ACTIONS)}")
    try:
        doc = tomlkit.parse(text)
    except tomlkit.exceptions.TOMLKitError as exc:
        raise OverrideError(str(path), getattr(exc, "line", 0), f"not valid TOML: {exc}") from None
    subject = " ".join(str(edit.subject).split())
    if edit.action in REMOVALS:
        new = _remove(text, doc, edit, subject, str(path))
        validate(new, path)
        return new
    if edit.action == "rewrite":
        found = _find(doc, "rewrite", lambda t: " ".join(str(t.get("from", "")).split()) == subject)
        if found is not None:
            found["to"] = edit.title
        else:
            _append(doc, "rewrite", {"from": subject, "to": edit.title, "note": edit.note})
    elif edit.action in ("block-keyword", "block-title"):
        key = "keyword" if edit.action == "block-keyword" else "title"
        found = _find(doc, "block", lambda t: " ".join(str(t.get(key, "")).split()) == subject)
        if found is not None:
            if edit.expires is not None:
                found["expires"] = edit.expires
            elif "expires" in found:
                del found["expires"]
        else:
            _append(doc, "block", {key: subject, "expires": edit.expires, "note": edit.note})
    elif edit.action == "merge":
        members = [m for m in dict.fromkeys(" ".join(k.split()) for k in edit.keywords) if m and m != subject]
        found = _find(doc, "merge", lambda t: " ".join(str(t.get("into", "")).split()) == subject)
        if found is not None:
            have = [" ".join(str(k).split()) for k in found.get("keywords", [])]
            for member in members:
                if member not in have:
                    found["keywords"].append(member)
        else:
            _append(doc, "merge", {"into": subject, "keywords": tuple(members), "note": edit.note})
    else:
        channel = " ".join(str(edit.channel or "").split())
        found = _find(doc, "pin", lambda t: " ".join(str(t.get("keyword", "")).split()) == subject
                      and " ".join(str(t.get("channel", "")).split()) == channel)
        if found is not None:
            if edit.title:
                found["title"] = edit.title
            elif "title" in found:
                del found["title"]
            found["expires"] = edit.expires
        else:
            _append(doc, "pin", {"channel": channel, "keyword": subject, "title": edit.title or None,
                                 "expires": edit.expires, "note": edit.note})
    new = tomlkit.dumps(doc).rstrip("\n") + "\n"
    validate(new, path)
    return new


def _append(doc, kind: str, values: dict) -> None:
    import tomlkit

    table = _table(kind, values)
    table.add(tomlkit.nl())                 # a blank line before whatever follows
    if kind in doc:
        last = doc[kind][-1]
        if not last.as_string().endswith("\n\n"):
            last.add(tomlkit.nl())
        doc[kind].append(table)
    else:
        if doc.as_string().strip() and not doc.as_string().endswith("\n\n"):
            doc.add(tomlkit.nl())
        aot = tomlkit.aot()
        aot.append(table)
        doc.append(kind, aot)


def validate(text: str, path: str) -> Overrides:
    """The run's validator (:func:`titling.overrides.parse_overrides`); raises :class:`OverrideError`."""
    return parse_overrides(text, str(path))


def _same(value, subject: str) -> bool:
    return " ".join(str(value or "").split()) == subject


def _remove(text: str, doc, edit: OverrideEdit, subject: str, path: str) -> str:
    """The text without the rule ``edit`` names (OverrideError if the file has no such rule)."""
    kind, match, what = {
        "remove-rewrite": ("rewrite", lambda t: _same(t.get("from"), subject), f"[[rewrite]] of {subject!r}"),
        "unblock-keyword": ("block", lambda t: _same(t.get("keyword"), subject), f"[[block]] of keyword {subject!r}"),
        "unblock-title": ("block", lambda t: _same(t.get("title"), subject), f"[[block]] of title {subject!r}"),
        "unmerge": ("merge", lambda t: _same(t.get("into"), subject), f"[[merge]] into {subject!r}"),
        "unpin": ("pin", lambda t: _same(t.get("keyword"), subject) and _same(t.get("channel"), edit.channel),
                  f"[[pin]] of {subject!r} in {edit.channel}"),
    }[edit.action]
    tables = list(doc.get(kind, []))
    index = next((i for i, t in enumerate(tables) if match(t)), None)
    if index is None:
        raise OverrideError(path, 0, f"there is no {what} in the file (removed or changed by hand?): nothing to remove")
    if edit.action == "unmerge" and edit.keywords:
        table = tables[index]
        have = [" ".join(str(k).split()) for k in table.get("keywords", [])]
        drop = {" ".join(k.split()) for k in edit.keywords}
        missing = sorted(drop - set(have))
        if missing:
            raise OverrideError(path, 0, f"{what} has no member {missing[0]!r}: nothing to un-merge")
        if set(have) - drop:                        # members remain: edit the array in place
            for k in reversed(range(len(have))):
                if have[k] in drop:
                    del table["keywords"][k]
            import tomlkit

            return tomlkit.dumps(doc).rstrip("\n") + "\n"
    return _cut_table(text, kind, index, path)


def _cut_table(text: str, kind: str, index: int, path: str) -> str:
    """``text`` without the ``index``-th ``[[kind]]`` table: its header line through its last key
    (comments inside it and on its header go with it). The comment lines around it stay: tomlkit
    files the comments above a table under the table before it, so deleting the table through
    tomlkit would drop or move its neighbours' comments. The result is checked with the TOML
    parser: exactly that table is gone and nothing else changed."""
    lines = text.splitlines(keepends=True)
    headers = [n for n, line in enumerate(lines) if _HEADER.match(line)]
    own = [n for n in headers if (m := _AOT_HEADER.match(lines[n])) and m.group(1) == kind]
    data = tomllib.loads(text)
    if len(own) != len(data.get(kind, [])):
        raise OverrideError(path, 0, f"cannot find the [[{kind}]] tables' lines in this file; remove the rule by hand")
    start = own[index]
    end = next((n for n in headers if n > start), len(lines))
    while end > start + 1 and (not lines[end - 1].strip() or lines[end - 1].lstrip().startswith("#")):
        end -= 1
    kept = lines[:start] + lines[end:]
    if start < len(kept) and not kept[start].strip() and (start == 0 or not kept[start - 1].strip()):
        del kept[start]                             # no double blank line (or a blank first line) at the cut
    new = "".join(kept).rstrip("\n") + "\n" if "".join(kept).strip() else ""
    expected = dict(data)
    expected[kind] = [t for i, t in enumerate(data[kind]) if i != index]
    if not expected[kind]:
        del expected[kind]
    try:
        same = tomllib.loads(new) == expected
    except tomllib.TOMLDecodeError:
        same = False
    if not same:
        raise OverrideError(path, lines and start + 1, f"cannot remove this [[{kind}]] table cleanly (its lines "
                                                      f"are unusual); remove the rule by hand")
    return new
