"""The run lock: one holder, a stale holder taken over, a fenced write refused, and two real
processes that never overlap."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time

import pandas as pd
import pytest

from jobs.runner.hour import RunContext, run_hour
from jobs.store.lock import LockBusyError, LockLostError, RunLock, lock_holder
from jobs.store.issue_store import IssueStore

from tests.jobs.helpers import START
from tests.ops.conftest import cli_args, make_settings, run_cli, spawn_cli
from tests.ops.test_crash import _wait_paused

EMPTY = dict(stats=pd.DataFrame(), activity=pd.Series(dtype="int64"), queries=None,
             issue_rows=pd.DataFrame(), bundle_rows=pd.DataFrame(),
             reject_rows=pd.DataFrame(columns=["kind", "source", "line", "reason", "raw"]))


def test_one_holder_at_a_time_and_tokens_grow(db_url):
    store = IssueStore(db_url)
    a = RunLock(store.engine, ttl_seconds=60, owner="host-a:101:aa")
    b = RunLock(store.engine, ttl_seconds=60, owner="host-b:202:bb")
    first = a.acquire()
    with pytest.raises(LockBusyError, match="host-a:101:aa"):
        b.acquire()
    assert lock_holder(store.engine)["owner"] == "host-a:101:aa"
    a.release()
    assert lock_holder(store.engine)["owner"] is None
    assert b.acquire() == first + 1
    b.release()
    with pytest.raises(LockBusyError):                       # waiting gives up when the holder stays
        with a.held(), b.held(wait_seconds=0.3):
            pass


def test_expired_holder_is_taken_over_and_its_write_is_fenced(db_url):
    store = IssueStore(db_url)
    hour = pd.Timestamp("2026-05-04T00:00Z")
    stale = RunLock(store.engine, ttl_seconds=0.3, owner="host-a:101:aa", heartbeat_seconds=3600)
    stale.acquire()                                           # then "pauses": no heartbeat
    time.sleep(0.5)
    fresh = RunLock(store.engine, ttl_seconds=60, owner="host-b:202:bb")
    assert fresh.acquire() == stale.token + 1
    assert stale.heartbeat() is False and stale.lost
    with pytest.raises(LockLostError):
        stale.check()
    with pytest.raises(LockLostError, match="refused"):
        store.save_hour(hour, {"status": "ok"}, fence=stale.fence, **EMPTY)
    assert store.table("runs").empty                          # the stale holder wrote nothing
    store.save_hour(hour, {"status": "ok"}, fence=fresh.fence, **EMPTY)
    assert len(store.table("runs")) == 1
    token = fresh.token
    stale.release()                                           # releasing a lost lock frees nothing
    assert lock_holder(store.engine)["owner"] == "host-b:202:bb"
    fresh.release()
    assert lock_holder(store.engine) == {**lock_holder(store.engine), "owner": None, "token": token}


def test_a_dead_local_process_is_taken_over_at_once(db_url):
    store = IssueStore(db_url)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                          text=True, check=True).stdout.strip()
    live = RunLock(store.engine, ttl_seconds=3600, owner=f"{socket.gethostname()}:{os.getpid()}:live",
                   heartbeat_seconds=3600)
    live.acquire()                                            # a live local holder is respected
    with pytest.raises(LockBusyError):
        RunLock(store.engine, ttl_seconds=60).acquire()
    live.release()
    ghost = RunLock(store.engine, ttl_seconds=3600, owner=f"{socket.gethostname()}:{dead}:ghost",
                    heartbeat_seconds=3600)
    ghost.acquire()                                           # its expiry is an hour away, its process gone
    ghost._stop.set()
    mine = RunLock(store.engine, ttl_seconds=60)
    assert mine.acquire() == ghost.token + 1
    mine.release()


def test_two_processes_never_overlap(ops_inputs, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    hour = START + pd.Timedelta(hours=1)
    holder = spawn_cli(["run", "--hour", hour.isoformat(), "--quiet", *cli_args(ops_inputs, db_url)],
                       {"IWTEST_PAUSE_AT": "core"})
    try:
        _wait_paused(holder, "core")
        second = spawn_cli(["run", "--hour", hour.isoformat(), "--quiet", *cli_args(ops_inputs, db_url)])
        status = run_cli(["status", "--db", db_url])
        out, err = second.communicate(timeout=120)
        assert second.returncode == 5, err
        assert f"another run holds the lock: {socket.gethostname()}:{holder.pid}:" in err
        assert f"lock: HELD by {socket.gethostname()}:{holder.pid}:" in status.stdout
        assert IssueStore(db_url).table("runs").empty
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    # the killed holder's lock is stale: the next run takes it over without waiting for the expiry
    started = time.monotonic()
    report = run_hour(RunContext(make_settings(ops_inputs, db_url)), hour, [ops_inputs["posts"]],
                      [ops_inputs["queries"]])
    assert report.counts["posts_in_hour"] > 0 and time.monotonic() - started < 60
    assert lock_holder(IssueStore(db_url).engine)["owner"] is None


def test_a_scheduler_firing_skips_while_another_run_holds_the_lock(ops_inputs, tmp_path, caplog):
    from jobs.runner.scheduler import scheduled_firing

    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    ctx = RunContext(make_settings(ops_inputs, db_url))
    other = RunLock(ctx.store.engine, ttl_seconds=60, owner="other-host:77:manual")
    with other.held(), caplog.at_level("INFO", logger="issuewire.scheduler"):
        assert scheduled_firing(ctx, [ops_inputs["posts"]], [ops_inputs["queries"]]) == []
    assert "firing skipped: another run holds the lock: other-host:77:manual" in caplog.text
    assert ctx.store.table("runs").empty


def test_the_heartbeat_keeps_a_long_run_holding(db_url):
    store = IssueStore(db_url)
    long_run = RunLock(store.engine, ttl_seconds=0.8, owner="host-a:101:aa", heartbeat_seconds=0.1)
    with long_run.held():
        time.sleep(2.0)                                       # well past the ttl: the heartbeat renews it
        with pytest.raises(LockBusyError):
            RunLock(store.engine, ttl_seconds=60, owner="host-b:202:bb").acquire()
        long_run.check()                                      # still ours
        row = lock_holder(store.engine)
        assert (row["heartbeat_at"] - row["acquired_at"]).total_seconds() > 1.5
