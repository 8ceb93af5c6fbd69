"""What one backend cannot store is a reject, on every backend: the same input gives the same rows
on SQLite and PostgreSQL, and one row never fails the hour (issue 12, item 2)."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from issues.field_rules import storable_limits
from jobs.runner.hour import RunContext, run_hour
from jobs.store import issue_store
from jobs.store.issue_store import IssueStore
from titling.overrides import OverrideError

from tests.jobs.helpers import START
from tests.ops.conftest import make_settings

HOUR = START + pd.Timedelta(hours=8)


def test_the_contracts_limits_are_the_stores_column_lengths():
    limits = storable_limits()
    columns = {"post_id": [issue_store.bundles.c.post_id], "author_id": [issue_store.bundles.c.author_id],
               "channel": [t.c.channel for t in issue_store.metadata.tables.values() if "channel" in t.c],
               "keyword": [issue_store.keyword_stats.c.keyword, issue_store.issues.c.keyword],
               "query": [issue_store.query_stats.c.query], "issue_title": [issue_store.issues.c.title]}
    for name, cols in columns.items():
        assert {c.type.length for c in cols} == {getattr(limits, name)}, name
    assert (limits.post_id, limits.channel, limits.query, limits.issue_title) == (200, 100, 400, 400)


def _event_post(ops_inputs) -> dict:
    """A post of the planted 08h event, so that hostile copies of it land in the published bundles."""
    for line in Path(ops_inputs["posts"]).read_text(encoding="utf-8").splitlines()[:-2]:
        post = json.loads(line)
        if post["published_at"].startswith("2026-05-04T08") and "어린이날" in post["title"]:
            return dict(post, recommend_count=1000, editor_score=1.0)
    raise AssertionError("no event post")


def hostile_inputs(ops_inputs, folder: Path) -> tuple[str, str, dict[int, str]]:
    """The fixture's posts plus one line per storage edge (line -> the reject reason it must get),
    and its queries plus a NUL query and an over-long one."""
    base = _event_post(ops_inputs)
    cases = [
        (dict(base, post_id="x1", title="어린이날 \u0000 선물"), "field 'title' contains a NUL character"),
        (dict(base, post_id="x2", author_id="au\u0000thor"), "field 'author_id' contains a NUL character"),
        (dict(base, post_id="x3", channel="ne\u0000ws"), "field 'channel' contains a NUL character"),
        (dict(base, post_id="x4", channel="c" * 101), "channel longer than 100 characters"),
        (dict(base, post_id="p" * 201), "field 'post_id' longer than 200 characters"),
        (dict(base, post_id="x6", author_id="a" * 201), "field 'author_id' longer than 200 characters"),
        (dict(base, post_id="x7", body="본문 \u0000"), "field 'body' contains a NUL character"),
    ]
    lines = Path(ops_inputs["posts"]).read_bytes().rstrip(b"\n").split(b"\n")
    wanted = {}
    for row, reason in cases:
        lines.append(json.dumps(row, ensure_ascii=False).encode("utf-8"))
        wanted[len(lines)] = reason
    lines.append(b'{"post_id": "x8", "title": "\x00 a raw NUL in a broken line')      # rejected: its raw text too
    wanted[len(lines)] = "invalid JSON"
    posts = folder / "posts.jsonl"
    posts.write_bytes(b"\n".join(lines) + b"\n")
    queries = folder / "queries.csv"
    text = Path(ops_inputs["queries"]).read_text(encoding="utf-8")
    queries.write_text(text + "2026-05-04T08:00:00+09:00,어린이날\u0000선물,50\n"
                       + f"2026-05-04T08:00:00+09:00,{'어린이날 ' * 90},50\n", encoding="utf-8")
    return str(posts), str(queries), wanted


def _run(ops_inputs, db_url, folder: Path):
    posts, queries, wanted = hostile_inputs(ops_inputs, folder)
    settings = make_settings(ops_inputs, db_url, str(folder / "feed-{hour}.json"))
    report = run_hour(RunContext(settings), HOUR, [posts], [queries])
    return report, wanted, posts


def test_each_unstorable_row_is_a_reject_and_the_hour_publishes(ops_inputs, db_url, tmp_path):
    report, wanted, posts = _run(ops_inputs, db_url, tmp_path)
    store = IssueStore(db_url)
    rejects = store.table("rejects")
    mine = rejects.loc[rejects["source"] == posts].set_index("line")["reason"]
    for line, reason in wanted.items():
        assert mine[line].startswith(reason), (line, mine[line])
    raw_nul = rejects.loc[(rejects["source"] == posts) & (rejects["line"] == max(wanted)), "raw"].item()
    assert "\x00" not in raw_nul and "\ufffd a raw NUL" in raw_nul
    query_reasons = set(rejects.loc[rejects["kind"] == "query", "reason"])
    assert {"field 'query' contains a NUL character", "field 'query' longer than 400 characters"} <= query_reasons
    assert report.status == "ok" and store.run_record(HOUR)["status"] == "ok"
    assert report.document["channels"]["home"]                          # the event is published


def test_the_same_input_gives_the_same_rows_on_sqlite_and_postgresql(ops_inputs, pg_url, tmp_path):
    tables = {}
    for name, url in (("sqlite", f"sqlite:///{tmp_path / 'db.sqlite'}"), ("postgres", pg_url)):
        folder = tmp_path / name
        folder.mkdir()
        _run(ops_inputs, url, folder)
        store = IssueStore(url)
        tables[name] = {t: store.table(t) for t in ("issues", "bundles", "keyword_stats", "channel_activity",
                                                    "query_stats", "rejects", "feeds")}
    for table, frame in tables["sqlite"].items():
        other = tables["postgres"][table]
        for f in (frame, other):
            if "source" in f:                                            # the two runs read sibling folders
                f["source"] = f["source"].str.replace(r"/(sqlite|postgres)/", "/", regex=True)
        keys = [c for c in frame.columns if c not in ("score", "bundle_score", "expected", "document")]
        a = frame.sort_values(keys[:4], kind="stable").reset_index(drop=True)
        b = other.sort_values(keys[:4], kind="stable").reset_index(drop=True)
        pd.testing.assert_frame_equal(a, b, check_dtype=False, check_exact=False, obj=table)


def test_an_override_title_longer_than_the_database_stores_is_a_line_error_never_the_last_valid_file(
        ops_inputs, db_url, tmp_path):
    good = tmp_path / "good.toml"
    good.write_text('[[rewrite]]\nfrom = "어린이날"\nto = "어린이날 나들이"\n', encoding="utf-8")
    long = tmp_path / "long.toml"
    long.write_text('# a comment\n[[rewrite]]\nfrom = "어린이날"\nto = "' + "가" * 401 + '"\n', encoding="utf-8")
    posts, queries = [ops_inputs["posts"]], [ops_inputs["queries"]]
    fresh = make_settings(ops_inputs, f"sqlite:///{tmp_path / 'fresh.sqlite'}", overrides=str(long))
    with pytest.raises(OverrideError) as err:
        run_hour(RunContext(fresh), HOUR, posts, queries)
    assert str(err.value) == f"{long}:2: [[rewrite]] 'to' is longer than 400 characters"

    run_hour(RunContext(make_settings(ops_inputs, db_url, overrides=str(good))), HOUR, posts, queries)
    report = run_hour(RunContext(make_settings(ops_inputs, db_url, overrides=str(long))), HOUR, posts, queries)
    assert "override file rejected" in report.notes[0] and f"used the last valid file {good}" in report.notes[0]
    assert IssueStore(db_url).last_override_file()["path"] == str(good)
    broken = tmp_path / "broken.toml"
    broken.write_text("bad = \n", encoding="utf-8")
    report = run_hour(RunContext(make_settings(ops_inputs, db_url, overrides=str(broken))), HOUR, posts, queries)
    assert f"used the last valid file {good}" in report.notes[0]        # the fallback still works


def test_an_override_file_with_a_nul_or_a_bidi_control_names_its_line(tmp_path):
    from titling.overrides import load_overrides

    path = tmp_path / "o.txt"
    path.write_text("block 광고\nrewrite 임재범 => 나가수\u202e 임재범\n", encoding="utf-8")
    with pytest.raises(OverrideError, match=r"o.txt:2: control or invisible character U\+202E"):
        load_overrides(path)
    path.write_text("# a comment with a NUL \u0000\nblock 광고\n", encoding="utf-8")
    with pytest.raises(OverrideError, match=r"o.txt:1: control or invisible character U\+0000"):
        load_overrides(path)
    path.write_text("\ufeffblock 광고\n", encoding="utf-8")                # a BOM from a Windows editor is fine
    assert load_overrides(path).blocked_keywords == {"광고"}
