"""A post with the longest title the contract allows (1,000,000 characters) is accepted, but every
stage, the store and the feed see it cut to ``[ingest] title_chars`` (issue 12, item 7; the time it
used to cost is measured by ``benchmarks/bench_long_title.py``)."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from crawler.ingest import read_posts
from jobs.runner.hour import RunContext, run_hour
from jobs.store.issue_store import IssueStore

from tests.jobs.helpers import START
from tests.ops.conftest import make_settings
from tests.ops.test_storable_rows import _event_post

HOUR = START + pd.Timedelta(hours=8)


def test_a_million_character_title_is_cut_everywhere(ops_inputs, tmp_path):
    base = _event_post(ops_inputs)
    huge = ("선물 어린이날 축하 " * 100_000)[:1_000_000]
    body = "본문 " * 50_000
    path = tmp_path / "posts.jsonl"
    text = Path(ops_inputs["posts"]).read_text(encoding="utf-8")
    extra = json.dumps(dict(base, post_id="long1", author_id="longwriter", title=huge, body=body), ensure_ascii=False)
    path.write_text(text + extra + "\n", encoding="utf-8")

    batch = read_posts([path], title_chars=300, body_chars=20_000)
    row = batch.accepted.set_index("post_id").loc["long1"]
    assert len(row["title"]) == 300 and row["title"].endswith("…") and len(row["body"]) == 20_000

    db = f"sqlite:///{tmp_path / 'db.sqlite'}"
    settings = make_settings(ops_inputs, db, str(tmp_path / "feed-{hour}.json"))
    assert settings.ingest.title_chars == 300 and settings.ingest.body_chars == 20_000
    report = run_hour(RunContext(settings), HOUR, [str(path)], [ops_inputs["queries"]])
    assert report.counts["posts_rejected"] == 2                           # only the fixture's two bad rows
    store = IssueStore(db)
    bundles = store.table("bundles")
    assert "long1" in set(bundles["post_id"]) and bundles["title"].str.len().max() <= 300
    assert store.table("issues")["title"].str.len().max() <= 400
    feed = tmp_path / "feed-20260504T08.json"
    assert feed.stat().st_size < 200_000
    posts = [p for items in json.loads(feed.read_text(encoding="utf-8"))["channels"].values()
             for i in items for p in i["posts"]]
    assert max(len(p["title"]) for p in posts) <= 300 * 6                  # HTML-escaped at most 6 per character
