"""Redis down during publish: the hour is recorded, consumers keep the last snapshot, the next run
re-publishes. Database down: exit 3, one clear line, nothing published anywhere."""
from __future__ import annotations

import json

import pandas as pd
import pytest
import redis

from jobs.cli.main import EXIT_DATABASE, main
from jobs.publish.feed import IssueFeedPublisher, PublishError
from jobs.runner.hour import RunContext, run_hour
from jobs.runner.scheduler import catch_up
from jobs.runner.status import collect_status, format_status
from jobs.store.issue_store import IssueStore

from tests.jobs.helpers import START
from tests.ops.conftest import cli_args, make_settings

DOWN = "redis://127.0.0.1:1/0"


def _hour(h):
    return START + pd.Timedelta(hours=h)


def test_redis_down_is_recorded_and_the_next_run_republishes(ops_inputs, tmp_path, redis_server, redis_prefix,
                                                             db_url):
    feed = str(tmp_path / "feeds" / "feed-{hour}.json")
    up = make_settings(ops_inputs, db_url, feed, redis_server, redis_prefix)
    down = make_settings(ops_inputs, db_url, feed, DOWN, redis_prefix)
    client = redis.Redis.from_url(redis_server)
    consumer = IssueFeedPublisher(client, redis_prefix)
    pubsub = client.pubsub()
    pubsub.subscribe(f"{redis_prefix}:published")
    pubsub.get_message(timeout=1)

    first = run_hour(RunContext(up), _hour(0), [ops_inputs["posts"]], [ops_inputs["queries"]])
    ctx_down = RunContext(down, _tools=None)
    with pytest.raises(PublishError, match="redis publish of .* failed"):
        run_hour(ctx_down, _hour(1), [ops_inputs["posts"]], [ops_inputs["queries"]])
    store = IssueStore(db_url)
    run = store.run_record(_hour(1))
    assert run["status"] == "ok" and run["redis_published"] is not None and not run["redis_published"]
    assert run["file_published"] and "redis publish" in run["error"]
    assert consumer.current()["version"] == first.version          # consumers keep the last snapshot
    assert consumer.current()["channels"] == first.document["channels"]
    text = format_status(collect_status(up, last=5))
    assert f"pending redis publish (retried by the next run): {run['feed_version']}" in text
    assert "failed attempt: hour 2026-05-04T01:00+09:00 at stage redis" in text

    # the next run (nothing new is due yet) re-publishes the stored feed of the missed hour
    catch_up(RunContext(up), [ops_inputs["posts"]], [ops_inputs["queries"]], now=_hour(2))
    assert consumer.current()["version"] == run["feed_version"]
    assert store.run_record(_hour(1))["redis_published"]
    published = json.loads(json.dumps(consumer.current()["channels"]))
    assert published == json.loads(store.table("feeds", _hour(1)).iloc[0]["document"])["channels"]
    # and a later hour goes out as usual
    third = run_hour(RunContext(up), _hour(2), [ops_inputs["posts"]], [ops_inputs["queries"]])
    assert consumer.current()["version"] == third.version
    messages = [json.loads(m["data"]) for m in iter(lambda: pubsub.get_message(timeout=1), None)
                if m["type"] == "message"]
    assert [m["version"] for m in messages] == [first.version, run["feed_version"], third.version]
    assert "pending redis" not in format_status(collect_status(up, last=5))


def test_a_feed_file_that_could_not_be_written_is_written_by_the_next_run(ops_inputs, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    feeds = tmp_path / "feeds"
    feeds.write_text("a file where the folder should be")
    settings = make_settings(ops_inputs, db_url, str(feeds / "feed-{hour}.json"))
    with pytest.raises(PublishError, match="feed file"):
        run_hour(RunContext(settings), _hour(0), [ops_inputs["posts"]], [ops_inputs["queries"]])
    assert IssueStore(db_url).run_record(_hour(0))["file_published"] in (False, 0)
    feeds.unlink()                                            # the operator fixes the folder
    run_hour(RunContext(settings), _hour(1), [ops_inputs["posts"]], [ops_inputs["queries"]])
    missed = json.loads((feeds / "feed-20260504T00.json").read_text())
    assert missed == json.loads(IssueStore(db_url).table("feeds", _hour(0)).iloc[0]["document"])
    assert (feeds / "feed-20260504T01.json").exists() and IssueStore(db_url).run_record(_hour(0))["file_published"]


def test_database_down_exits_3_and_publishes_nothing(ops_inputs, tmp_path, redis_server, redis_prefix, capsys):
    client = redis.Redis.from_url(redis_server)
    good = f"sqlite:///{tmp_path / 'db.sqlite'}"
    args = ["--redis", redis_server, "--redis-prefix", redis_prefix, "--feed-file", str(tmp_path / "feed.json")]
    assert main(["run", "--hour", _hour(0).isoformat(), "--quiet", *cli_args(ops_inputs, good), *args]) == 0
    before = {k: client.dump(k) for k in client.scan_iter(match=f"{redis_prefix}:*")}
    file_before = (tmp_path / "feed.json").read_bytes()
    capsys.readouterr()
    bad = "postgresql://issuewire:hunter2secret@127.0.0.1:1/test"
    code = main(["run", "--hour", _hour(1).isoformat(), "--quiet", *cli_args(ops_inputs, bad), *args])
    err = capsys.readouterr().err
    assert code == EXIT_DATABASE
    human = [line for line in err.splitlines() if not line.startswith("{")]
    assert len(human) == 1 and "database postgresql+psycopg://issuewire:***@127.0.0.1:1/test unavailable" in human[0]
    assert "hunter2secret" not in err
    failed = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert failed[-1]["event"] == "run_failed" and failed[-1]["stage"] == "lock"
    assert {k: client.dump(k) for k in client.scan_iter(match=f"{redis_prefix}:*")} == before
    assert (tmp_path / "feed.json").read_bytes() == file_before
