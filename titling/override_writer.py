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

The file stays the operators' one source of truth and stays hand-editable: the text is edited
with tomlkit, which keeps comments, order and formatting; a rule about a subject that already
has one is changed in place (a rewrite of the same keyword, a block of the same keyword or title,
a merge into the same representative gains members, a pin of the same keyword in the same
channel), anything else is appended as a new ``[[table]]`` after the rules of its kind. The new
text is then validated by :func:`titling.overrides.parse_overrides`, the very validator a run
uses, so an edit is accepted exactly when the file would be (:class:`OverrideError` with the
file and line otherwise). Only the TOML format is edited; a plain-text file must be converted
by hand first.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from issues.contracts import BlockRule, MergeRule, PinRule, RewriteRule
from titling.overrides import OverrideError, Overrides, parse_overrides

ACTIONS = ("rewrite", "block-keyword", "block-title", "merge", "pin")


@dataclass(frozen=True)
class OverrideEdit:
    """One editor's change: ``subject`` is the keyword (or title) the rule is about."""

    action: str
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
