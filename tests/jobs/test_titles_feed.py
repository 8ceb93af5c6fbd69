"""Titles, facets and bundles reach the feed (file and Redis); a bad override file falls back to
the last valid one kept in the database, and the run summary says so."""
import json

import pandas as pd
import pytest
import redis

from jobs.publish.feed import IssueFeedPublisher
from jobs.runner.hour import RunContext, run_hour
from jobs.settings import resolve_settings
from jobs.store.issue_store import IssueStore

from tests.jobs.helpers import START, write_inputs

VALID = """# operators' rules
[[pin]]
channel = "home"
keyword = "맛집"
title = "이번 주 <맛집>"
expires = 2026-06-01T00:00:00+09:00

[[block]]
keyword = "광고"
"""
BAD = VALID + """
[[rewrite]]
from = "어린이날"
"""


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return write_inputs(tmp_path_factory.mktemp("inputs"), bad_rows=False)


def test_feed_carries_title_facets_bundle_and_a_bad_override_file_falls_back(inputs, db_url, tmp_path,
                                                                              redis_server, redis_prefix):
    overrides = tmp_path / "overrides.toml"
    overrides.write_text(VALID, encoding="utf-8")
    settings = resolve_settings({"db_url": db_url, "dictionary": inputs["dictionary"], "stopwords": "",
                                 "feed_file": str(tmp_path / "feed-{hour}.json"), "redis_url": redis_server,
                                 "redis_prefix": redis_prefix, "overrides": str(overrides), "report": False},
                                environ={})
    ctx = RunContext(settings)
    reports = [run_hour(ctx, START + pd.Timedelta(hours=h), [inputs["posts"]], [inputs["queries"]])
               for h in range(0, 9)]
    home = reports[-1].document["channels"]["home"]
    pinned, event = home[0], next(i for i in home if i["keyword"] == "어린이날" or "어린이날" in i["facets"])
    assert pinned["pinned"] and pinned["title"] == "이번 주 &lt;맛집&gt;"          # escaped for HTML
    assert event["title"] == "선물 어린이날" and event["facets"]
    assert event["posts"] and len(event["posts"]) <= settings.bundle.max_posts
    assert {"post_id", "title", "author_id", "url"} <= set(event["posts"][0])
    assert [p["post_id"] for p in event["posts"]] == event["post_ids"]
    authors = pd.Series([p["author_id"] for p in event["posts"]])
    assert authors.value_counts().max() <= settings.bundle.max_per_author
    file_doc = json.loads((tmp_path / "feed-20260504T08.json").read_text(encoding="utf-8"))
    assert file_doc["channels"]["home"] == json.loads(json.dumps(home))
    current = IssueFeedPublisher(redis.Redis.from_url(redis_server), redis_prefix).current()
    assert current["channels"]["home"] == json.loads(json.dumps(home))
    store = IssueStore(db_url)
    fired = store.table("override_firings", START + pd.Timedelta(hours=8))
    assert {("pin", 2), ("block", 8)} <= set(zip(fired["rule"], fired["line"]))

    overrides.write_text(BAD, encoding="utf-8")                     # an operator's bad edit
    report = run_hour(ctx, START + pd.Timedelta(hours=9), [inputs["posts"]], [inputs["queries"]])
    assert "override file rejected" in report.summary() and "overrides.toml:11: [[rewrite]] needs to" in report.summary()
    assert report.document["channels"]["home"][0]["title"] == "이번 주 &lt;맛집&gt;"   # the last valid rules
    fired = store.table("override_firings", START + pd.Timedelta(hours=9))
    assert "file" in set(fired["rule"]) and "pin" in set(fired["rule"])
    assert store.last_override_file()["text"] == VALID
