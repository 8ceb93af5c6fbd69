"""A backfill whose Redis publish fails for some hours runs every hour, keeps their publishes
pending, exits 4 with one summary line, and the next run publishes what is pending (with the
hour's report). Redis is a real server started for the test, made to reject writes with
``CONFIG SET min-replicas-to-write 1`` (every write then fails with ``NOREPLICAS``)."""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time

import pandas as pd
import pytest
import redis

from jobs.publish.feed import IssueFeedPublisher
from jobs.runner.backfill import backfill
from jobs.runner.hour import RunContext, run_hour
from jobs.runner.status import collect_status
from jobs.store.issue_store import IssueStore

from tests.jobs.helpers import START
from tests.ops.conftest import cli_args, make_settings, run_cli


def _hour(h: int) -> pd.Timestamp:
    return START + pd.Timedelta(hours=h)


@pytest.fixture()
def own_redis(tmp_path):
    """A Redis server of this test alone (so it can be made to fail), on a free port."""
    if not shutil.which("redis-server"):
        pytest.fail("redis-server is not installed", pytrace=False)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", str(tmp_path)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = redis.Redis(host="127.0.0.1", port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    try:
        yield f"redis://127.0.0.1:{port}/0", client
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _reject_writes(client, on: bool) -> None:
    client.config_set("min-replicas-to-write", 1 if on else 0)


def test_a_backfill_runs_every_hour_when_redis_fails_and_exits_4(ops_inputs, tmp_path, own_redis):
    url, client = own_redis
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    feeds = tmp_path / "feeds"
    args = ["--quiet", "--redis", url, "--redis-prefix", "iw", "--feed-file", str(feeds / "feed-{hour}.json"),
            *cli_args(ops_inputs, db_url)]

    first = run_cli(["backfill", "--from", _hour(0).isoformat(), "--to", _hour(2).isoformat(), *args])
    assert first.returncode == 0, first.stderr
    consumer = IssueFeedPublisher(client, "iw")
    published = consumer.current()["version"]

    _reject_writes(client, True)
    failed = run_cli(["backfill", "--from", _hour(3).isoformat(), "--to", _hour(9).isoformat(), *args])
    assert failed.returncode == 4, failed.stderr
    human = [line for line in failed.stderr.splitlines() if not line.startswith("{")]
    assert human == ["issuewire: error: backfill: 7 hours: 0 ok, 7 with pending publish (2026-05-04T03:00+09:00, "
                     "2026-05-04T04:00+09:00, 2026-05-04T05:00+09:00, ...), 0 failed"]
    store = IssueStore(db_url)
    runs = store.table("runs").sort_values("hour")
    assert len(runs) == 10 and set(runs["status"]) == {"ok"}
    assert [bool(v) for v in runs["redis_published"]] == [True] * 3 + [False] * 7
    assert sorted(p.name for p in feeds.glob("feed-*.json")) == [f"feed-20260504T{h:02d}.json" for h in range(10)]
    assert sorted(p.name for p in feeds.glob("report-*.html")) == [f"report-20260504T{h:02d}.html" for h in range(10)]
    assert consumer.current()["version"] == published                      # consumers keep the last good one
    pending = collect_status(make_settings(ops_inputs, db_url, redis_url=url, prefix="iw"), last=12)["pending"]
    newest = runs.iloc[-1]["feed_version"]
    assert pending["redis"][0] == newest

    # Redis accepts writes again: the next run (no new hour due yet) publishes the pending feed
    _reject_writes(client, False)
    again = run_cli(["schedule", "--once", "--now", (_hour(10) + pd.Timedelta(minutes=5)).isoformat(), *args])
    assert again.returncode == 0, again.stderr
    assert consumer.current()["version"] == newest
    assert consumer.current()["channels"] == json.loads(store.table("feeds", _hour(9)).iloc[0]["document"])["channels"]
    assert collect_status(make_settings(ops_inputs, db_url, redis_url=url, prefix="iw"), last=12)["pending"]["redis"] == []


def test_hours_after_a_failed_publish_run_and_publish_again(ops_inputs, tmp_path, own_redis):
    """Redis rejects writes for hours 2 and 3 only: all six hours run, 2 and 3 are reported pending,
    hour 4's run publishes the newest pending one before its own."""
    url, client = own_redis
    settings = make_settings(ops_inputs, f"sqlite:///{tmp_path / 'db.sqlite'}", str(tmp_path / "feed-{hour}.json"),
                             url, "iw")

    def flip(report):
        hour = int((report.hour - START.tz_convert("UTC")) / pd.Timedelta(hours=1))
        _reject_writes(client, hour in (1, 2))          # after hour 1: fail 2 and 3; after 3: back

    runs = backfill(RunContext(settings), _hour(0), _hour(5), [ops_inputs["posts"]], [ops_inputs["queries"]],
                    progress=False, on_report=flip)
    assert [r.hour for r in runs] == [_hour(h).tz_convert("UTC") for h in range(6)]
    assert [h for h, _ in runs.pending] == [_hour(2).tz_convert("UTC"), _hour(3).tz_convert("UTC")]
    assert all("NOREPLICAS" in error for _, error in runs.pending)
    assert runs.summary().startswith("backfill: 6 hours: 4 ok, 2 with pending publish (2026-05-04T02:00+09:00, "
                                     "2026-05-04T03:00+09:00), 0 failed")
    assert IssueFeedPublisher(client, "iw").current()["version"] == runs[-1].version
    store = IssueStore(settings.db_url)
    assert store.run_record(_hour(3))["redis_published"]                 # re-published by hour 4's run
    assert not store.run_record(_hour(2))["redis_published"]             # superseded: one pointer, newest wins


def test_a_republished_hour_gets_its_report(ops_inputs, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    feeds = tmp_path / "feeds"
    feeds.write_text("a file where the feed folder should be")
    settings = make_settings(ops_inputs, db_url, str(feeds / "feed-{hour}.json"))
    with pytest.raises(Exception, match="feed file"):
        run_hour(RunContext(settings), _hour(0), [ops_inputs["posts"]], [ops_inputs["queries"]])
    feeds.unlink()                                                         # the operator fixes the folder
    run_hour(RunContext(settings), _hour(1), [ops_inputs["posts"]], [ops_inputs["queries"]])
    assert sorted(p.name for p in feeds.iterdir()) == ["feed-20260504T00.json", "feed-20260504T01.json",
                                                      "report-20260504T00.html", "report-20260504T01.html"]
    assert "2026-05-04" in (feeds / "report-20260504T00.html").read_text(encoding="utf-8")
