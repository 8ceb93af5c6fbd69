"""SIGKILL a real ``python -m jobs.cli run`` at every named point of an hour; the previous feed
stays whole in Redis and the file, no half-written rows are visible, and the next run completes
the hour with exactly the feed an uninterrupted run gives."""
from __future__ import annotations

import json
import shutil
import signal
import threading

import pandas as pd
import redis

from jobs.publish.feed import IssueFeedPublisher
from jobs.runner.hour import RunContext, run_hour
from jobs.runner.scheduler import catch_up
from jobs.store.issue_store import IssueStore

from tests.jobs.helpers import START
from tests.ops.conftest import cli_args, make_settings, spawn_cli

POINTS = ["core", "store:in-transaction", "store:committed", "redis:snapshot-written", "redis:switched",
          "file:temp-written", "file:replaced", "marked"]
COMMITTED = set(POINTS[2:])
SWITCHED = set(POINTS[4:])
FILE_REPLACED = set(POINTS[6:])
HOUR = START + pd.Timedelta(hours=2)


def _wait_paused(proc, point: str, timeout: float = 150) -> list[str]:
    lines: list[str] = []
    reached = threading.Event()

    def read():
        for line in proc.stderr:
            lines.append(line)
            if line.strip() == f"paused at {point}":
                reached.set()
                return
    threading.Thread(target=read, daemon=True).start()
    assert reached.wait(timeout), f"never reached {point}: {''.join(lines)[-2000:]}"
    return lines


def _hour_rows(db_url: str) -> dict[str, int]:
    store = IssueStore(db_url)
    out = {name: len(store.table(name, HOUR)) for name in ("runs", "keyword_stats", "channel_activity",
                                                           "issues", "bundles", "feeds")}
    store.engine.dispose()
    return out


def test_sigkill_at_every_point_keeps_the_previous_feed_and_the_next_run_completes(
        ops_inputs, tmp_path, redis_server, redis_prefix):
    client = redis.Redis.from_url(redis_server)
    base_db = tmp_path / "base.sqlite"
    base = make_settings(ops_inputs, f"sqlite:///{base_db}", str(tmp_path / "base" / "feed.json"),
                         redis_server, f"{redis_prefix}:base")
    ctx = RunContext(base)
    for h in (0, 1):
        run_hour(ctx, START + pd.Timedelta(hours=h), [ops_inputs["posts"]], [ops_inputs["queries"]])
    feed_row = ctx.store.table("feeds", START + pd.Timedelta(hours=1)).iloc[0]
    prev_doc, prev_version = json.loads(feed_row["document"]), feed_row["version"]
    prev_bytes = (tmp_path / "base" / "feed.json").read_bytes()

    procs = {}
    for i, point in enumerate(POINTS):
        folder = tmp_path / f"p{i}"
        folder.mkdir()
        shutil.copy(base_db, folder / "db.sqlite")
        (folder / "feed.json").write_bytes(prev_bytes)
        IssueFeedPublisher(client, f"{redis_prefix}:{i}").publish(prev_doc, prev_version)
        args = ["run", "--hour", HOUR.isoformat(), "--quiet", "--redis", redis_server, "--redis-prefix",
                f"{redis_prefix}:{i}", "--feed-file", str(folder / "feed.json"),
                *cli_args(ops_inputs, f"sqlite:///{folder / 'db.sqlite'}")]
        procs[point] = spawn_cli(args, {"IWTEST_PAUSE_AT": point})

    reference = run_hour(ctx, HOUR, [ops_inputs["posts"]], [ops_inputs["queries"]])   # uninterrupted
    ref_rows = _hour_rows(f"sqlite:///{base_db}")
    assert reference.version != prev_version and ref_rows["keyword_stats"] > 0

    for i, point in enumerate(POINTS):
        proc = procs[point]
        try:
            _wait_paused(proc, point)
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL

    for i, point in enumerate(POINTS):
        folder, prefix = tmp_path / f"p{i}", f"{redis_prefix}:{i}"
        db_url = f"sqlite:///{folder / 'db.sqlite'}"
        publisher = IssueFeedPublisher(client, prefix)
        seen = publisher.current()
        # Redis: the consumer sees one whole snapshot: the previous one until the switch
        want_version = reference.version if point in SWITCHED else prev_version
        want_doc = reference.document if point in SWITCHED else prev_doc
        assert seen["version"] == want_version, point
        assert seen["channels"] == want_doc["channels"] and seen["hour"] == want_doc["hour"], point
        # the file: the previous bytes until the rename, then the new document whole
        if point in FILE_REPLACED:
            assert json.loads((folder / "feed.json").read_text()) == reference.document, point
        else:
            assert (folder / "feed.json").read_bytes() == prev_bytes, point
        # the database: all of the hour or nothing of it
        rows = _hour_rows(db_url)
        assert rows == (ref_rows if point in COMMITTED else dict.fromkeys(rows, 0)), point

        # the next run (the scheduler's catch-up) completes the hour: same feed as uninterrupted
        recover = make_settings(ops_inputs, db_url, str(folder / "feed.json"), redis_server, prefix)
        catch_up(RunContext(recover, _tools=ctx.tools), [ops_inputs["posts"]], [ops_inputs["queries"]],
                 now=HOUR + pd.Timedelta(hours=1))
        assert publisher.current()["version"] == reference.version, point
        assert json.loads((folder / "feed.json").read_text()) == reference.document, point
        assert _hour_rows(db_url) == ref_rows, point
        run = IssueStore(db_url).run_record(HOUR)
        assert run["status"] == "ok" and run["redis_published"] and run["file_published"], point
        assert run["feed_version"] == reference.version
        # the previous snapshot is no longer current and now expires; the current never does
        assert client.ttl(f"{prefix}:snapshot:{prev_version}") > 0
        assert client.ttl(f"{prefix}:snapshot:{reference.version}") == -1


def test_sigkill_inside_the_postgresql_transaction_leaves_nothing_and_the_lock_is_taken_over(
        ops_inputs, tmp_path, pg_url):
    """On PostgreSQL too: the server rolls back the killed process's transaction; the dead
    holder's lock is taken over at once and the catch-up completes the hour."""
    settings = make_settings(ops_inputs, pg_url, str(tmp_path / "feed.json"))
    ctx = RunContext(settings)
    run_hour(ctx, START + pd.Timedelta(hours=1), [ops_inputs["posts"]], [ops_inputs["queries"]])
    before = (tmp_path / "feed.json").read_bytes()
    proc = spawn_cli(["run", "--hour", HOUR.isoformat(), "--quiet", "--feed-file", str(tmp_path / "feed.json"),
                      *cli_args(ops_inputs, pg_url)], {"IWTEST_PAUSE_AT": "store:in-transaction"})
    try:
        _wait_paused(proc, "store:in-transaction")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    assert _hour_rows(pg_url) == dict.fromkeys(_hour_rows(pg_url), 0)
    assert (tmp_path / "feed.json").read_bytes() == before
    reports = catch_up(RunContext(settings, _tools=ctx.tools), [ops_inputs["posts"]], [ops_inputs["queries"]],
                       now=HOUR + pd.Timedelta(hours=1))
    assert [r.hour for r in reports] == [HOUR]
    assert _hour_rows(pg_url)["runs"] == 1 and json.loads((tmp_path / "feed.json").read_text()) == reports[0].document
