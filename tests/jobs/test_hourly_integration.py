"""Three consecutive hours end to end: real SQLite and PostgreSQL, real Redis, the JSON file."""
import json

import pandas as pd
import pytest
import redis

from jobs.publish.feed import IssueFeedPublisher
from jobs.runner.hour import RunContext, run_hour
from jobs.settings import resolve_settings
from jobs.store.issue_store import IssueStore

from tests.jobs.helpers import START, write_inputs


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    return write_inputs(tmp_path_factory.mktemp("inputs"))


def _settings(inputs, db_url, tmp_path, redis_url=None, prefix=None):
    flags = {"db_url": db_url, "dictionary": inputs["dictionary"], "stopwords": "",
             "feed_file": str(tmp_path / "feeds" / "feed-{hour}.json"), "redis_url": redis_url,
             "redis_prefix": prefix}
    return resolve_settings(flags, environ={})


def _run_hours(settings, inputs, hours):
    ctx = RunContext(settings)
    return [run_hour(ctx, START + pd.Timedelta(hours=h), [inputs["posts"]], [inputs["queries"]]) for h in hours]


def _db_snapshot(db_url, tables=("runs", "keyword_stats", "issues", "bundles", "rejects", "query_stats")):
    store = IssueStore(db_url)
    out = {}
    for name in tables:
        frame = store.table(name)
        drop = [c for c in ("started_at", "finished_at", "stage_seconds") if c in frame]
        frame = frame.drop(columns=drop)
        out[name] = frame.sort_values(list(frame.columns[:3])).reset_index(drop=True)
    return out


def test_three_hours_db_redis_file_and_rerun(inputs, db_url, tmp_path, redis_server, redis_prefix):
    settings = _settings(inputs, db_url, tmp_path, redis_server, redis_prefix)
    _run_hours(settings, inputs, range(0, 7))                 # warm-up history
    reports = _run_hours(settings, inputs, [7, 8, 9])           # the three hours under test

    # the planted event (hour 8) tops the home panel, one issue titled from its surging query
    home8 = reports[1].document["channels"]["home"]
    event = home8[0]
    assert {event["keyword"], *event["facets"]} == {"어린이날", "선물"} and event["title"] == "선물 어린이날"
    assert not any("어린이날" in [i["keyword"], *i["facets"]] for i in reports[0].document["channels"]["home"])
    # one author's flood of 광고 is never an issue
    assert all(i["keyword"] != "광고" for r in reports for i in r.document["channels"]["home"])
    # the issue keeps its id while it continues
    ids9 = {i["keyword"]: i["issue_id"] for i in reports[2].document["channels"]["home"]}
    assert ids9.get(event["keyword"]) == event["issue_id"]

    # DB: one run row per hour, stats, issues and bundles; rejects kept once with reasons
    store = IssueStore(db_url)
    runs = store.table("runs")
    assert len(runs) == 10 and set(runs["status"]) == {"ok"} and runs["redis_published"].all()
    assert (runs["posts_rejected"] == 2).all()
    rejects = store.table("rejects")
    assert sorted(rejects["reason"].str[:14]) == ["invalid JSON: ", "missing field "]
    issues = store.table("issues", START + pd.Timedelta(hours=8))
    assert issues.loc[issues.channel == "home"].sort_values("rank")["issue_id"].iloc[0] == event["issue_id"]
    bundles = store.table("bundles", START + pd.Timedelta(hours=8))
    assert len(bundles) and (bundles.groupby(["channel", "issue_id", "author_id"]).size() <= 2).all()

    # Redis: the pointer names the last hour's snapshot, whole
    client = redis.Redis.from_url(redis_server)
    current = IssueFeedPublisher(client, redis_prefix).current()
    assert current["version"] == reports[-1].version
    assert current["channels"]["home"] == json.loads(json.dumps(reports[-1].document["channels"]["home"]))

    # the JSON file of each hour
    path = tmp_path / "feeds" / "feed-20260504T08.json"
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert doc["hour"] == "2026-05-04T08:00:00+09:00" and "home" in doc["channels"]
    assert [i["rank"] for i in doc["channels"]["home"]] == list(range(1, len(doc["channels"]["home"]) + 1))
    for issue in doc["channels"]["home"]:
        assert {"issue_id", "rank", "title", "keyword", "score", "post_ids"} <= set(issue)

    # re-running an hour changes nothing: same rows, same file, same Redis version
    before_db, before_file = _db_snapshot(db_url), path.read_bytes()
    again = _run_hours(settings, inputs, [8])[0]
    after_db = _db_snapshot(db_url)
    for name in before_db:
        pd.testing.assert_frame_equal(before_db[name], after_db[name], check_dtype=False)
    assert path.read_bytes() == before_file and again.version == reports[1].version
    # re-running an older hour does not move the Redis pointer back
    assert IssueFeedPublisher(client, redis_prefix).current()["version"] == reports[-1].version


def test_hour_without_posts_publishes_empty_lists(inputs, tmp_path):
    settings = _settings(inputs, f"sqlite:///{tmp_path / 'x.sqlite'}", tmp_path)
    report = _run_hours(settings, inputs, [100])[0]
    assert report.document["channels"] == {"home": []}
    doc = json.loads((tmp_path / "feeds" / "feed-20260508T04.json").read_text())
    assert doc["channels"]["home"] == []
