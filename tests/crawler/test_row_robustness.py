"""One row never stops a file: whatever a line holds, the readers give row rejects with reasons,
never an exception (issue 12, item 3); accepted rows always keep the field rules."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from issues.field_rules import INVISIBLE, storable_limits
from crawler.ingest import read_posts, read_query_counts

GOOD = {"post_id": "p0", "channel": "news", "author_id": "a1", "title": "어린이날 선물", "body": "본문",
        "published_at": "2026-05-04T08:10:00+09:00"}
POST_FIELDS = ["post_id", "channel", "author_id", "title", "body", "published_at", "url", "recommend_count",
               "editor_score", "source"]


def _line(**fields) -> str:
    return json.dumps({**GOOD, **fields}, ensure_ascii=False)


BAD_LINES = {
    "lone surrogate": (_line(post_id="s1").replace('"title": "', '"title": "\\ud800', 1),
                       "field 'title' contains a lone surrogate (invalid Unicode)"),
    "nested 5,000 deep": ('{"post_id": "d1", "x": ' + "[" * 5000 + "]" * 5000 + "}", "invalid JSON: nested too deeply"),
    "recommend_count 10^30": (_line(post_id="o1", recommend_count=10 ** 30),
                              "field 'recommend_count' is too large (more than 9223372036854775807)"),
    "recommend_count 1e400": (_line(post_id="o2", recommend_count="1e400"), "field 'recommend_count' must be finite"),
    "a 5,000-digit number": (_line(post_id="n1", recommend_count=12345).replace("12345", "9" * 5000),
                             "invalid JSON: Exceeds the limit (4300 digits) for integer string conversion"),
    "editor_score of 10^400": (_line(post_id="n2", editor_score=1).replace('"editor_score": 1', '"editor_score": 1'
                                                                           + "0" * 400), "field 'editor_score' is too large"),
}


@pytest.mark.parametrize("case", list(BAD_LINES))
def test_a_hostile_line_is_that_rows_reject(case, tmp_path):
    line, reason = BAD_LINES[case]
    path = tmp_path / "posts.jsonl"
    path.write_text("\n".join([_line(post_id="g1"), line, _line(post_id="g2")]) + "\n", encoding="utf-8")
    batch = read_posts([path])
    assert batch.accepted["post_id"].tolist() == ["g1", "g2"]
    assert batch.rejects[["line"]].values.tolist() == [[2]]
    assert batch.rejects["reason"].item().startswith(reason), batch.rejects["reason"].item()


def test_the_same_rows_in_a_run_are_rejects_and_the_hour_publishes(tmp_path):
    from jobs.runner.hour import RunContext, run_hour
    from jobs.settings import resolve_settings
    from tests.jobs.helpers import START, write_inputs

    inputs = write_inputs(tmp_path, hours=2, bad_rows=False)
    with open(inputs["posts"], "a", encoding="utf-8") as fh:
        for line, _ in BAD_LINES.values():
            fh.write(line + "\n")
    settings = resolve_settings({"db_url": f"sqlite:///{tmp_path / 'db.sqlite'}", "dictionary": inputs["dictionary"],
                                 "stopwords": ""}, {})
    report = run_hour(RunContext(settings), START + pd.Timedelta(hours=1), [inputs["posts"]], [inputs["queries"]])
    assert report.counts["posts_rejected"] == len(BAD_LINES) and report.status == "ok"


def _check_batch(batch, kind: str) -> None:
    """Invariants of any read: counts add up, every reject has a reason and storable raw text, every
    accepted row keeps the field rules."""
    assert len(batch.accepted) + len(batch.rejects) == batch.rows_read or kind == "query"
    limits = storable_limits()
    for text in list(batch.rejects["reason"]) + list(batch.rejects["raw"]):
        assert "\x00" not in text and text.encode("utf-8")
    assert batch.rejects["reason"].str.len().min() > 0 if len(batch.rejects) else True
    if kind == "post":
        for row in batch.accepted.itertuples(index=False):
            assert 0 < len(row.post_id) <= limits.post_id and 0 < len(row.author_id) <= limits.author_id
            assert 0 < len(row.channel) <= limits.channel and (row.channel[0].isalnum())
            for text in (row.post_id, row.author_id, row.channel, row.title):
                assert not INVISIBLE.search(text), text
            assert "\x00" not in row.body and row.body.encode("utf-8")
            assert row.url == "" or row.url.lower().startswith(("http://", "https://"))
            assert 0 <= row.recommend_count < 2 ** 63 and row.editor_score >= 0
    else:
        assert batch.accepted["query"].map(lambda q: 0 < len(q) <= limits.query and "\x00" not in q).all()


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(lines=st.lists(st.binary(max_size=200) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
                      max_size=8))
def test_arbitrary_lines_never_raise_in_the_post_and_query_readers(tmp_path, lines):
    for suffix in ("jsonl", "csv"):
        header = {"jsonl": b"", "csv": b"post_id,channel,author_id,title,body,published_at\n"}[suffix]
        path = tmp_path / f"posts.{suffix}"
        path.write_bytes(header + b"\n".join(line.replace(b"\n", b" ") for line in lines) + b"\n")
        _check_batch(read_posts([path]), "post")
        qpath = tmp_path / f"queries.{suffix}"
        qpath.write_bytes((b"hour,query,count\n" if suffix == "csv" else b"")
                          + b"\n".join(line.replace(b"\n", b" ") for line in lines) + b"\n")
        _check_batch(read_query_counts([qpath]), "query")


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=40)
    | st.sampled_from(["2026-05-04T08:10:00+09:00", "2026-05-04T08:10:00", "1e400", "-1", "https://x.kr/a",
                       "javascript:alert(1)", "\u0000", "\ud800", "a" * 201, "\u202e", "뉴스"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=6)


@hsettings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.fixed_dictionaries({}, optional={name: JSON_VALUES for name in POST_FIELDS + ["hour", "query", "count"]}))
def test_arbitrary_json_values_in_every_field_never_raise(tmp_path, values):
    path = tmp_path / "rows.jsonl"
    rows = [{**GOOD, **values}, values]
    with open(path, "w", encoding="utf-8", errors="surrogatepass") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=True, allow_nan=True) + "\n")
    _check_batch(read_posts([path]), "post")
    _check_batch(read_query_counts([path]), "query")
