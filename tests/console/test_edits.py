"""Editors' changes without a browser: the file writer, the run's validator, the conflict check, the
atomic write, the audit row, and a preview that recomputes the stored hour exactly (SQLite and
PostgreSQL)."""
from __future__ import annotations

import doctest
import importlib
import os
import stat
from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest

from jobs.console.edits import EditConflict, EditDesk, OverrideFile, RecomputeUnavailable, Who, sha_of
from jobs.runner.hour import RunContext, run_hour
from jobs.store.issue_store import IssueStore
from tests.console.conftest import OVERRIDES, make_settings
from tests.jobs.helpers import START, write_inputs
from titling.override_writer import OverrideEdit, apply_edit
from titling.overrides import OverrideError

KST = timezone(timedelta(hours=9))


@pytest.mark.parametrize("module", ["titling.override_writer", "jobs.console.edits", "jobs.console.access",
                                    "jobs.console.desk", "jobs.console.app", "jobs.publish.display", "jobs.publish.chart",
                                    "jobs.publish.explain", "jobs.publish.report", "jobs.cli.console"])
def test_docstring_examples_run(module):
    assert doctest.testmod(importlib.import_module(module)).failed == 0


def test_writer_keeps_comments_and_order_and_edits_a_rule_in_place():
    text = OVERRIDES + '\n[[rewrite]]   # the query got it wrong\nfrom = "임재범"\nto = "임재범 노래"\n'
    new = apply_edit(text, OverrideEdit("rewrite", "임재범", title="나가수 임재범"), "o.toml")
    assert new == text.replace('to = "임재범 노래"', 'to = "나가수 임재범"')
    new = apply_edit(new, OverrideEdit("block-keyword", "도박", expires=datetime(2026, 6, 1, tzinfo=KST)), "o.toml")
    lines = new.splitlines()
    assert lines[:3] == OVERRIDES.splitlines()[:3]                   # the operator's comment lines kept
    assert lines.index('keyword = "도박"') == lines.index('keyword = "광고"') + 3      # after the other block
    assert "expires = 2026-06-01T00:00:00+09:00" in new
    new = apply_edit(new, OverrideEdit("merge", "어린이날", keywords=("어린이날 선물",)), "o.toml")
    new = apply_edit(new, OverrideEdit("merge", "어린이날", keywords=("어린이날 행사", "어린이날 선물")), "o.toml")
    assert 'keywords = ["어린이날 선물", "어린이날 행사"]' in new and new.count("[[merge]]") == 1


def test_writer_refuses_what_the_run_would_refuse_with_the_line():
    pin = OverrideEdit("pin", "광고", channel="home", expires=datetime(2026, 6, 1, tzinfo=KST))
    with pytest.raises(OverrideError, match=r"o\.toml:\d+: \[\[pin\]\] '광고' is pinned but blocked on line 2"):
        apply_edit(OVERRIDES, pin, "o.toml")
    with pytest.raises(OverrideError, match="TOML override files only"):
        apply_edit("block 광고\n", OverrideEdit("block-keyword", "도박"), "overrides.txt")
    with pytest.raises(OverrideError, match="needs a time with an offset|offset"):
        apply_edit("", OverrideEdit("pin", "a", channel="home", expires=datetime(2026, 6, 1)), "o.toml")
    with pytest.raises(OverrideError, match="not valid TOML"):
        apply_edit("[[rewrite]\n", OverrideEdit("block-keyword", "a"), "o.toml")


def test_hostile_text_is_a_toml_string_not_syntax():
    edit = OverrideEdit("rewrite", 'a"]\n[[pin]]\nchannel="home"', title='x"\nkeyword = "y')
    import tomllib

    new = apply_edit("", edit, "o.toml")
    assert list(tomllib.loads(new)) == ["rewrite"] and len(tomllib.loads(new)["rewrite"]) == 1   # nothing injected


def test_file_replace_is_atomic_keeps_mode_and_refuses_a_changed_file(tmp_path):
    path = tmp_path / "overrides.toml"
    path.write_text(OVERRIDES, encoding="utf-8")
    os.chmod(path, 0o640)
    file = OverrideFile(path)
    text, sha = file.read()
    file.replace(text + "# more\n", sha)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640 and path.read_text(encoding="utf-8").endswith("# more\n")
    with pytest.raises(EditConflict, match="preview the change again"):
        file.replace("x", sha)                                       # the file moved on since `sha`
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []


@pytest.fixture()
def three_hours(db_url, tmp_path):
    inputs = write_inputs(tmp_path, hours=10)
    (tmp_path / "overrides.toml").write_text(OVERRIDES, encoding="utf-8")
    settings = make_settings(inputs, tmp_path, db_url=db_url)
    ctx = RunContext(settings)
    for h in (7, 8, 9):
        run_hour(ctx, START + pd.Timedelta(hours=h), [inputs["posts"]], [inputs["queries"]])
    return {"settings": settings, "store": ctx.store, "folder": tmp_path, "inputs": inputs}


def test_preview_recomputes_the_stored_hour_exactly_and_writes_nothing(three_hours):
    s, store, folder = three_hours["settings"], three_hours["store"], three_hours["folder"]
    hour = START + pd.Timedelta(hours=8)
    editor = EditDesk(s, store, OverrideFile(folder / "overrides.toml"))
    published = editor_desk_document(store, hour)
    same, _ = editor.recompute(hour, editor.candidate(OverrideEdit("block-title", "없는 제목"))[3])
    assert same == published                                           # the same rules give the same hour
    tables = {t: len(store.table(t)) for t in ("runs", "issues", "override_files", "console_audit")}
    preview = editor.preview(OverrideEdit("rewrite", "선물", title="새 제목"), hour, published)
    assert preview.changed_channels() == ["home", "blog"]
    assert [r["after_mark"] for r in preview.rows("home")][0] == "changed"
    assert preview.after["channels"]["home"][0]["title"] == "새 제목"
    assert preview.fired and not preview.published_differs
    assert {t: len(store.table(t)) for t in tables} == tables          # nothing written
    assert (folder / "overrides.toml").read_text(encoding="utf-8") == OVERRIDES


def editor_desk_document(store: IssueStore, hour) -> dict:
    import json

    return json.loads(store.table("feeds", hour)["document"].iloc[0])


def test_save_writes_the_file_and_the_audit_row(three_hours):
    s, store, folder = three_hours["settings"], three_hours["store"], three_hours["folder"]
    hour = START + pd.Timedelta(hours=9)
    editor = EditDesk(s, store, OverrideFile(folder / "overrides.toml"))
    _, sha = editor.file.read()
    edit = OverrideEdit("block-keyword", "물가", note="console: kim")
    result = editor.save(edit, sha, Who("kim", "10.1.2.3"), hour)
    row = store.table("console_audit").iloc[-1]
    assert (row["user"], row["address"], row["action"], row["summary"]) == ("kim", "10.1.2.3", "save",
                                                                          "block keyword '물가'")
    assert row["sha_before"] == sha and row["sha_after"] == result["sha"] == sha_of(editor.file.read()[0])
    assert 'keyword = "물가"' in row["rule"] and row["outcome"] == "saved; applies from the next run"
    with pytest.raises(EditConflict):
        editor.save(edit, sha, Who("lee", "10.1.2.4"), hour)              # a second save from a stale preview
    assert len(store.table("console_audit")) == 1


def test_an_hour_without_recorded_inputs_says_how_to_preview_it(three_hours):
    import sqlalchemy as sa

    from jobs.store.issue_store import runs

    s, store, folder = three_hours["settings"], three_hours["store"], three_hours["folder"]
    with store.engine.begin() as conn:
        conn.execute(runs.update().values(inputs=None))
    editor = EditDesk(s, store, OverrideFile(folder / "overrides.toml"))
    with pytest.raises(RecomputeUnavailable, match="re-run it once"):
        editor.preview(OverrideEdit("block-keyword", "물가"), START + pd.Timedelta(hours=9), {"channels": {}})
    assert store.table("runs")["inputs"].isna().all() and sa is not None


def test_an_old_database_gains_the_inputs_column(tmp_path):
    import sqlalchemy as sa

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("create table runs (hour datetime primary key, status varchar(16) not null)"))
    IssueStore(url)
    assert "inputs" in {c["name"] for c in sa.inspect(sa.create_engine(url)).get_columns("runs")}


def test_merge_and_pin_previews_show_the_hour_as_it_would_be(three_hours):
    s, store, folder = three_hours["settings"], three_hours["store"], three_hours["folder"]
    hour = START + pd.Timedelta(hours=9)
    editor = EditDesk(s, store, OverrideFile(folder / "overrides.toml"))
    published = editor_desk_document(store, hour)
    home = [i["keyword"] for i in published["channels"]["home"]]
    merge = editor.preview(OverrideEdit("merge", home[0], keywords=(home[1],)), hour, published)
    after = merge.after["channels"]["home"]
    assert home[1] not in [i["keyword"] for i in after] and home[1] in after[0]["facets"]
    assert any(f["rule"] == "merge" for f in merge.fired)
    pin = editor.preview(OverrideEdit("pin", "길고양이", channel="home", title="길고양이 겨울나기",
                                      expires=datetime(2027, 1, 1, tzinfo=KST)), hour, published)
    first = pin.after["channels"]["home"][0]
    assert (first["keyword"], first["title"], first["pinned"]) == ("길고양이", "길고양이 겨울나기", True)
    assert pin.rows("home")[0]["after_mark"] == "added"


HAND_EDITED = OVERRIDES + '''
# the second block: gambling, until June
[[block]]
keyword = "도박"   # inline comment
expires = 2026-06-01T00:00:00+09:00

# rewrites below
[[rewrite]]   # the query got it wrong
from = "임재범"
to = "나가수 임재범"

[[merge]]
into = "어린이날"
keywords = ["어린이날 선물", "어린이날 행사"]

[[pin]]
channel = "home"
keyword = "길고양이"
expires = 2027-01-01T00:00:00+09:00
'''


def test_removing_a_rule_takes_out_its_lines_and_keeps_every_comment_around_it():
    import tomllib

    data = tomllib.loads(HAND_EDITED)
    cases = {
        OverrideEdit("unblock-keyword", "광고"): ("block", 0),
        OverrideEdit("unblock-keyword", "도박"): ("block", 1),
        OverrideEdit("remove-rewrite", "임재범"): ("rewrite", 0),
        OverrideEdit("unmerge", "어린이날"): ("merge", 0),
        OverrideEdit("unpin", "길고양이", channel="home"): ("pin", 0),       # before its expiry
    }
    comments = [line for line in HAND_EDITED.splitlines() if line.startswith("#")]
    for edit, (kind, index) in cases.items():
        new = apply_edit(HAND_EDITED, edit, "o.toml")
        expected = {**data, kind: [t for i, t in enumerate(data[kind]) if i != index]}
        assert tomllib.loads(new) == {k: v for k, v in expected.items() if v}, edit
        assert [line for line in new.splitlines() if line.startswith("#")] == comments, edit   # hand comments kept
        assert "\n\n\n" not in new
    new = apply_edit(HAND_EDITED, OverrideEdit("unblock-keyword", "도박"), "o.toml")
    assert "inline comment" not in new and "# the second block" in new           # the rule's own comment goes
    new = apply_edit(HAND_EDITED, OverrideEdit("unmerge", "어린이날", keywords=("어린이날 선물",)), "o.toml")
    assert 'keywords = ["어린이날 행사"]' in new and new.count("[[merge]]") == 1
    assert apply_edit(OVERRIDES, OverrideEdit("unblock-keyword", "광고"), "o.toml") == OVERRIDES.splitlines()[0] + "\n"


def test_removing_a_rule_the_file_does_not_have_is_refused_with_the_file():
    for edit, message in ((OverrideEdit("unpin", "길고양이", channel="news"), "no \\[\\[pin\\]\\] of '길고양이' in news"),
                          (OverrideEdit("unblock-title", "광고"), "no \\[\\[block\\]\\] of title '광고'"),
                          (OverrideEdit("unmerge", "어린이날", keywords=("없는 말",)), "has no member '없는 말'")):
        with pytest.raises(OverrideError, match=f"^o.toml:0: .*{message}"):
            apply_edit(HAND_EDITED, edit, "o.toml")


def test_a_removal_is_previewed_saved_and_audited_like_any_edit(three_hours):
    s, store, folder = three_hours["settings"], three_hours["store"], three_hours["folder"]
    hour = START + pd.Timedelta(hours=9)
    editor = EditDesk(s, store, OverrideFile(folder / "overrides.toml"))
    published = editor_desk_document(store, hour)
    keyword = published["channels"]["home"][0]["keyword"]
    _, sha = editor.file.read()
    editor.save(OverrideEdit("block-keyword", keyword), sha, Who("kim", "10.1.2.3"), hour)
    unblock = OverrideEdit("unblock-keyword", keyword)
    preview = editor.preview(unblock, hour, published)
    assert [i["keyword"] for i in preview.after["channels"]["home"]] == [i["keyword"] for i in published["channels"]["home"]]
    assert keyword not in [i["keyword"] for i in preview.before["channels"]["home"]]   # blocked now, back after
    editor.save(unblock, preview.base_sha, Who("kim", "10.1.2.3"), hour)
    assert editor.file.read()[0] == OVERRIDES                                        # back to the hand-made file
    row = store.table("console_audit").iloc[-1]
    assert row["summary"] == f"unblock keyword '{keyword}'" and row["rule"].startswith("- [[block]]")
