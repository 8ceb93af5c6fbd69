"""An editor's change: preview it on a stored hour, then save it to the override file and the audit log.

    >>> import tempfile
    >>> from jobs.settings import Settings
    >>> editor = EditDesk(Settings(), IssueStore("sqlite://"), OverrideFile(f"{tempfile.mkdtemp()}/overrides.toml"))
    >>> edit = OverrideEdit("rewrite", "임재범", title="나가수 임재범")
    >>> base_text, base_sha, new_text, rules = editor.candidate(edit)     # what a preview recomputes with
    >>> rules.rewrites
    {'임재범': '나가수 임재범'}
    >>> editor.save(edit, base_sha, Who("kim", "10.0.0.7"), hour=None)["outcome"]
    'saved; applies from the next run'
    >>> [(row["user"], row["address"], row["summary"]) for row in editor.audit_log()]
    [('kim', '10.0.0.7', "rewrite '임재범' as '나가수 임재범'")]

**Preview** builds the candidate file text (:func:`titling.override_writer.apply_edit`, which
validates it with the run's own validator), then recomputes the stored hour in memory through
the hour's shell (:func:`jobs.runner.hour.compute_hour` with the candidate rules, the run's
recorded input files and compute settings, :func:`jobs.runner.hour.settings_for_recompute`):
nothing is written, nothing published, the override file is not touched. The preview lists, per
channel, the published ranking against the recomputed one.

**Save** writes the file atomically (temporary file in the same folder, fsync, rename, the
file's mode kept) under an exclusive lock, and only if the file is still the one the preview was
built on (its SHA-256): a hand edit or another editor's save in between is refused with "preview
again". Every save is a ``console_audit`` row: who, when, from which address, what (the rule as
a sentence and as the TOML it became), the file's SHA before and after, and what happened (saved;
re-run of the hour and its outcome). The next scheduled run uses the new file; ``rerun=True``
runs the hour again now (under the run lock, publishing as a run does).
"""
from __future__ import annotations

import fcntl
import hashlib
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from issues.atomic_file import atomic_write
from jobs.store.issue_store import IssueStore, StoreError, console_audit, from_db_time, runs, to_db_time, utc_now
from titling.override_writer import OverrideEdit, apply_edit
from titling.overrides import OverrideError, Overrides, parse_overrides


class EditConflict(RuntimeError):
    """The override file changed after the preview was made."""


class RecomputeUnavailable(RuntimeError):
    """The hour cannot be recomputed (its run recorded no inputs, or they are gone)."""


def sha_of(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Who:
    user: str
    address: str | None


class OverrideFile:
    """The override file on disk: read with its SHA, replaced atomically if unchanged."""

    def __init__(self, path: str | Path):
        self.path = Path(path)

    def read(self) -> tuple[str, str]:
        """``(text, sha)``; a missing file reads as empty (the first save creates it)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            text = ""
        return text, sha_of(text)

    def replace(self, new_text: str, expected_sha: str) -> None:
        """Write ``new_text`` if the file's SHA is still ``expected_sha`` (else :class:`EditConflict`)."""
        lock_path = self.path.with_name(f".{self.path.name}.lock")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current, sha = self.read()
            if sha != expected_sha:
                raise EditConflict(f"{self.path} changed since the preview (edited by hand or by another editor): "
                                   f"preview the change again")
            mode = self.path.stat().st_mode & 0o777 if self.path.exists() else None   # new: from the umask
            atomic_write(self.path, new_text, mode=mode)


@dataclass
class Preview:
    edit: OverrideEdit
    hour: pd.Timestamp
    base_sha: str
    new_text: str
    rules: Overrides
    before: dict[str, Any]                 # recomputed with the file as it is
    after: dict[str, Any]                  # recomputed with the candidate file
    fired: list[dict[str, Any]] = field(default_factory=list)   # the candidate rule's firings
    notes: list[str] = field(default_factory=list)
    published_differs: bool = False        # the published hour is not what the file as it is gives

    @property
    def channels(self) -> list[str]:
        return ["home"] + sorted((set(self.before["channels"]) | set(self.after["channels"])) - {"home"})

    def changed_channels(self) -> list[str]:
        return [c for c in self.channels if _ranking(self.before, c) != _ranking(self.after, c)]

    def rows(self, channel: str) -> list[dict[str, Any]]:
        """Rank by rank: the issue before and after, each marked ``gone``/``added``/``changed``/``moved``.

        >>> p = Preview(None, None, "", "", None, {"channels": {"home": [{"keyword": "a", "title": "A"},
        ...             {"keyword": "b", "title": "B"}]}}, {"channels": {"home": [{"keyword": "b", "title": "B2"}]}})
        >>> [(r["before_mark"], r["after_mark"]) for r in p.rows("home")]
        [('gone', 'changed'), ('moved', '')]
        """
        before, after = self.before["channels"].get(channel, []), self.after["channels"].get(channel, [])
        old = {i["keyword"]: (k, i) for k, i in enumerate(before)}
        new = {i["keyword"]: (k, i) for k, i in enumerate(after)}
        rows = []
        for k in range(max(len(before), len(after))):
            b = before[k] if k < len(before) else None
            a = after[k] if k < len(after) else None
            b_mark = "" if b is None else ("gone" if b["keyword"] not in new else
                                           ("moved" if new[b["keyword"]][0] != k else ""))
            a_mark = ""
            if a is not None:
                was = old.get(a["keyword"])
                if was is None:
                    a_mark = "added"
                elif was[1]["title"] != a["title"] or bool(was[1].get("pinned")) != bool(a.get("pinned")):
                    a_mark = "changed"
                elif was[0] != k:
                    a_mark = "moved"
            rows.append({"rank": k + 1, "before": b, "after": a, "before_mark": b_mark, "after_mark": a_mark})
        return rows


def _ranking(document: dict, channel: str) -> list[tuple]:
    return [(i["keyword"], i["title"], i.get("pinned", False)) for i in document["channels"].get(channel, [])]


def rule_toml(old_text: str, new_text: str) -> str:
    """The lines the edit added or changed (for the preview and the audit log); for a removal, the
    lines it took out, each marked ``-``.

    >>> print(rule_toml('[[block]]\\nkeyword = "a"\\n', ""))
    - [[block]]
    - keyword = "a"
    """
    import difflib

    diff = list(difflib.unified_diff(old_text.splitlines(), new_text.splitlines(), lineterm="", n=0))
    added = [line[1:] for line in diff if line.startswith("+") and not line.startswith("+++")]
    removed = ["- " + line[1:] for line in diff if line.startswith("-") and not line.startswith("---") and line[1:].strip()]
    return "\n".join(added or removed)


def removable_rules(text: str) -> list[dict[str, Any]]:
    """Every rule of the override file with the removal edit that takes it out (for the console's
    "remove" buttons); an invalid file has none.

    >>> [(r["label"], r["action"], r["subject"]) for r in removable_rules('[[block]]\\nkeyword = "광고"\\n')]
    [("block keyword '광고'", 'unblock-keyword', '광고')]
    """
    import tomllib

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return []
    rules = []
    for t in data.get("rewrite", []):
        rules.append({"label": f"rewrite {t.get('from')!r} as {t.get('to')!r}", "action": "remove-rewrite",
                      "subject": str(t.get("from", "")), "keywords": (), "channel": ""})
    for t in data.get("block", []):
        key = "keyword" if "keyword" in t else "title"
        until = f" until {t['expires']}" if t.get("expires") else ""
        rules.append({"label": f"block {key} {t.get(key)!r}{until}", "action": f"unblock-{key}",
                      "subject": str(t.get(key, "")), "keywords": (), "channel": ""})
    for t in data.get("merge", []):
        members = tuple(str(k) for k in t.get("keywords", []))
        rules.append({"label": f"merge {', '.join(repr(k) for k in members)} into {t.get('into')!r}",
                      "action": "unmerge", "subject": str(t.get("into", "")), "keywords": (), "channel": "",
                      "members": members})
    for t in data.get("pin", []):
        rules.append({"label": f"pin {t.get('keyword')!r} in {t.get('channel')} until {t.get('expires')}",
                      "action": "unpin", "subject": str(t.get("keyword", "")), "keywords": (),
                      "channel": str(t.get("channel", ""))})
    return rules


class EditDesk:
    """Preview and save editors' changes for one console process (previews run one at a time)."""

    def __init__(self, settings, store: IssueStore, file: OverrideFile,
                 clock: Callable[[], pd.Timestamp] = lambda: pd.Timestamp.now(tz="UTC")):
        self.settings, self.store, self.file, self.clock = settings, store, file, clock
        self._contexts: dict[str, Any] = {}
        self._current: dict[tuple, dict] = {}       # (hour, file sha) -> the hour with the file as it is
        self._compute = threading.Lock()

    # ------------------------------------------------------------ recompute
    def _context(self, inputs: str):
        from jobs.runner.hour import RunContext, settings_for_recompute

        settings, posts, queries = settings_for_recompute(self.settings, inputs)
        if inputs not in self._contexts:
            if len(self._contexts) >= 4:
                self._contexts.pop(next(iter(self._contexts)))
            ctx = RunContext(settings)
            ctx._store = self.store
            self._contexts[inputs] = ctx
        return self._contexts[inputs], posts, queries

    def recompute(self, hour: pd.Timestamp, rules: Overrides) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The hour's feed document as ``rules`` would make it, and the rules that fired (in memory;
        nothing written)."""
        from jobs.pipeline.feed import feed_document
        from jobs.runner.hour import compute_hour

        run = self.store.run_record(hour) or {}
        inputs = run.get("inputs")
        if not inputs or (not isinstance(inputs, str)):
            raise RecomputeUnavailable("this hour's run recorded no input files (it ran before the console "
                                       "existed): re-run it once with `issuewire run` to preview changes on it")
        with self._compute:
            ctx, posts, queries = self._context(inputs)
            missing = [p for p in posts + queries if not Path(p).exists()]
            if missing:
                raise RecomputeUnavailable(f"input file {missing[0]} of this hour is gone: cannot recompute it")
            result, *_ = compute_hour(ctx, hour, posts, queries, overrides=rules)
        return feed_document(result, ctx.settings.timezone), result.firings.to_dict("records")

    # ------------------------------------------------------------ preview and save
    def candidate(self, edit: OverrideEdit) -> tuple[str, str, str, Overrides]:
        """``(base text, base sha, new text, rules)``; OverrideError if the file would be invalid."""
        text, sha = self.file.read()
        new_text = apply_edit(text, edit, str(self.file.path))
        return text, sha, new_text, parse_overrides(new_text, str(self.file.path))

    def preview(self, edit: OverrideEdit, hour: pd.Timestamp, published: dict[str, Any]) -> Preview:
        """The hour recomputed with the file as it is and with the edit; ``published`` is the stored
        document (to say when the file has changed since the hour ran)."""
        text, sha, new_text, rules = self.candidate(edit)
        key = (hour, sha)
        if key not in self._current:
            if len(self._current) >= 16:
                self._current.pop(next(iter(self._current)))
            self._current[key] = self.recompute(hour, parse_overrides(text, str(self.file.path)))[0]
        before = self._current[key]
        after, firings = self.recompute(hour, rules)
        subjects = {edit.subject, *edit.keywords} | ({edit.title} if edit.title else set())
        fired = [f for f in firings if f["subject"] in subjects]
        notes = []
        if edit.expires is not None and pd.Timestamp(edit.expires) <= self.clock():
            notes.append("this expiry is already past: the rule will never apply")
        if edit.expires is not None and pd.Timestamp(edit.expires) <= hour:
            notes.append("the rule expires before this hour, so this preview shows no change from it")
        differs = any(_ranking(before, c) != _ranking(published, c)
                      for c in set(before["channels"]) | set(published.get("channels", {})))
        return Preview(edit, hour, sha, new_text, rules, before, after, fired, notes, differs)

    def save(self, edit: OverrideEdit, base_sha: str, who: Who, hour: pd.Timestamp | None,
             rerun: bool = False) -> dict[str, Any]:
        """Write the edit (if the file is still ``base_sha``), audit it, and optionally re-run ``hour``."""
        text, sha = self.file.read()
        if sha != base_sha:
            raise EditConflict(f"{self.file.path} changed since the preview (edited by hand or by another "
                               f"editor): preview the change again")
        new_text = apply_edit(text, edit, str(self.file.path))
        self.file.replace(new_text, base_sha)
        outcome = "saved; applies from the next run"
        audit_id = self.audit(who, "save", hour, edit.describe(), rule_toml(text, new_text), sha, sha_of(new_text),
                              outcome)
        result = {"outcome": outcome, "audit_id": audit_id, "sha": sha_of(new_text)}
        if rerun and hour is not None:
            result["outcome"] = outcome = self.rerun(hour)
            self._set_outcome(audit_id, f"saved; {outcome}")
        return result

    def newest_hour(self) -> pd.Timestamp | None:
        """The newest hour with a run row (the "current hour" an editor may re-run)."""
        frame = self.store._frame(sa.select(sa.func.max(runs.c.hour).label("hour")))
        value = frame["hour"].iloc[0] if len(frame) else None
        return None if value is None or pd.isna(value) else from_db_time(pd.Series([value])).iloc[0]

    def rerun(self, hour: pd.Timestamp) -> str:
        """Run ``hour`` again with the saved file, as ``issuewire run`` would, if it is the newest stored
        hour (an older hour is never re-run from here: its successors were computed from it); returns
        what happened."""
        from dataclasses import replace

        from jobs.publish.feed import PublishError
        from jobs.runner.hour import RunContext, run_hour, settings_for_recompute
        from jobs.store.lock import LockBusyError, LockLostError

        newest = self.newest_hour()
        if newest is None or pd.Timestamp(hour) != newest:
            shown = "none" if newest is None else newest.tz_convert(self.settings.timezone).isoformat()
            return (f"not re-run: only the newest stored hour is re-run from the console "
                    f"(newest: {shown}); the change applies from the next run")
        run = self.store.run_record(hour) or {}
        if not run.get("inputs"):
            return "not re-run: this hour recorded no input files"
        settings, posts, queries = settings_for_recompute(self.settings, run["inputs"])
        settings = replace(settings, overrides=str(self.file.path))
        try:
            report = run_hour(RunContext(settings), hour, posts, queries)
        except (LockBusyError, LockLostError):
            return "not re-run: another run holds the run lock (the next run applies the change)"
        except PublishError as exc:
            return f"re-run stored, publish failed: {exc}"
        except Exception as exc:  # noqa: BLE001 - the editor sees one line; the run recorded its failure
            return f"re-run failed: {exc.__class__.__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
        return f"re-ran the hour: feed version {report.version}"

    # ------------------------------------------------------------ audit log
    def audit(self, who: Who, action: str, hour, summary: str, rule: str | None, sha_before: str | None,
              sha_after: str | None, outcome: str) -> int:
        return write_audit(self.store, who, action, summary, outcome, hour=hour, rule=rule, path=str(self.file.path),
                           sha_before=sha_before, sha_after=sha_after)

    def _set_outcome(self, audit_id: int, outcome: str) -> None:
        try:
            with self.store.engine.begin() as conn:
                conn.execute(console_audit.update().where(console_audit.c.id == audit_id).values(outcome=outcome))
        except SQLAlchemyError as exc:
            raise self.store._wrap(exc) from None

    def audit_log(self, limit: int = 200) -> list[dict[str, Any]]:
        return audit_log(self.store, limit)


def write_audit(store: IssueStore, who: Who, action: str, summary: str, outcome: str, hour=None, rule: str | None = None,
                path: str | None = None, sha_before: str | None = None, sha_after: str | None = None) -> int:
    """One ``console_audit`` row (a save, a refused save, a login cool-down); its id."""
    try:
        with store.engine.begin() as conn:
            result = conn.execute(console_audit.insert().values(
                at=utc_now(), user=who.user[:200], address=(who.address or "")[:200], action=action[:32],
                hour=None if hour is None else to_db_time(hour), summary=summary, rule=rule,
                path=path, sha_before=sha_before, sha_after=sha_after, outcome=outcome))
            return int(result.inserted_primary_key[0])
    except SQLAlchemyError as exc:
        raise store._wrap(exc) from None


def audit_log(store: IssueStore, limit: int = 200) -> list[dict[str, Any]]:
    """The newest ``limit`` audit rows, newest first, times as UTC timestamps."""
    frame = store._frame(sa.select(console_audit).order_by(console_audit.c.id.desc()).limit(limit))
    rows = frame.to_dict("records")
    for r in rows:
        r["at"] = from_db_time(pd.Series([r["at"]])).iloc[0]
        r["hour"] = None if r["hour"] is None or pd.isna(r["hour"]) else from_db_time(pd.Series([r["hour"]])).iloc[0]
    return rows


__all__ = ["EditConflict", "EditDesk", "OverrideEdit", "OverrideError", "OverrideFile", "Preview",
           "RecomputeUnavailable", "StoreError", "Who", "audit_log", "removable_rules", "rule_toml", "sha_of",
           "write_audit"]
