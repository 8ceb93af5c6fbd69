"""The run lock: one holder, a stale holder taken over, a fenced write refused, and two real
processes that never overlap. Time is a fake clock (:class:`jobs.store.lock.FakeClock`): no test
sleeps past a TTL."""
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
from jobs.store.errors import StoreError
from jobs.store.issue_store import IssueStore
from jobs.store.lock import FakeClock, LockBusyError, LockLostError, RunLock, lock_holder

from tests.jobs.helpers import START
from tests.ops.conftest import cli_args, make_settings, run_cli, spawn_cli
from tests.ops.test_crash import _wait_paused

EMPTY = dict(stats=pd.DataFrame(), activity=pd.Series(dtype="int64"), queries=None,
             issue_rows=pd.DataFrame(), bundle_rows=pd.DataFrame(),
             reject_rows=pd.DataFrame(columns=["kind", "source", "line", "reason", "raw"]))


T0 = 1_777_000_000.0                     # 2026-04-24T03:06:40Z


def test_one_holder_at_a_time_and_tokens_grow(db_url):
    store = IssueStore(db_url)
    clock = FakeClock(T0)
    a = RunLock(store.engine, ttl_seconds=60, owner="host-a:101:aa", clock=clock)
    b = RunLock(store.engine, ttl_seconds=60, owner="host-b:202:bb", clock=clock)
    first = a.acquire()
    with pytest.raises(LockBusyError, match="host-a:101:aa"):
        b.acquire()
    assert lock_holder(store.engine)["owner"] == "host-a:101:aa"
    a.release()
    assert lock_holder(store.engine)["owner"] is None
    assert b.acquire() == first + 1
    b.release()
    with pytest.raises(LockBusyError):                       # waiting gives up when the holder stays
        with a.held(), b.held(wait_seconds=30):
            pass
    assert T0 + 30 <= clock() < T0 + 32                      # b waited 30 s of the fake clock's time


def test_a_waiting_run_takes_the_lock_when_the_silent_holder_expires(db_url):
    store = IssueStore(db_url)
    clock = FakeClock(T0)
    silent = RunLock(store.engine, ttl_seconds=5, owner="host-a:101:aa", clock=clock, heartbeat_seconds=3600)
    silent.acquire()
    waiting = RunLock(store.engine, ttl_seconds=60, owner="host-b:202:bb", clock=clock, heartbeat_seconds=3600)
    assert waiting.acquire(wait_seconds=60) == silent.token + 1
    assert T0 + 5 <= clock() <= T0 + 6                       # it got the lock as soon as the expiry passed
    assert silent.heartbeat() is False
    waiting.release()
    silent.release()


def test_expired_holder_is_taken_over_and_its_write_is_fenced(db_url):
    store = IssueStore(db_url)
    hour = pd.Timestamp("2026-05-04T00:00Z")
    clock = FakeClock(T0)
    stale = RunLock(store.engine, ttl_seconds=300, owner="host-a:101:aa", heartbeat_seconds=3600, clock=clock)
    stale.acquire()                                           # then "pauses": no heartbeat
    clock.advance(299)
    with pytest.raises(LockBusyError, match="until 2026-04-24T03:11:40Z"):
        RunLock(store.engine, ttl_seconds=60, owner="host-b:202:bb", clock=clock).acquire()
    clock.advance(1)                                          # exactly at the expiry: it is over
    fresh = RunLock(store.engine, ttl_seconds=60, owner="host-b:202:bb", clock=clock)
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
    clock = FakeClock(T0)
    long_run = RunLock(store.engine, ttl_seconds=60, owner="host-a:101:aa", heartbeat_seconds=3600, clock=clock)
    other = RunLock(store.engine, ttl_seconds=60, owner="host-b:202:bb", clock=clock)
    with long_run.held():
        for _ in range(5):                                    # 250 s: well past the ttl, one beat every 50 s
            clock.advance(50)
            assert long_run.heartbeat() is True
        with pytest.raises(LockBusyError):
            other.acquire()
        long_run.check()                                      # still ours
        row = lock_holder(store.engine)
        assert (row["heartbeat_at"] - row["acquired_at"]).total_seconds() == 250
        assert (row["expires_at"] - row["heartbeat_at"]).total_seconds() == 60


def test_the_heartbeat_thread_renews_the_lock(db_url):
    """The thread beats by itself: with the fake clock moved on, the row follows without a call."""
    store = IssueStore(db_url)
    clock = FakeClock(T0)
    lock = RunLock(store.engine, ttl_seconds=60, owner="host-a:101:aa", heartbeat_seconds=0.02, clock=clock)
    with lock.held():
        clock.advance(40)
        deadline = time.monotonic() + 60                      # a bound on waiting, not a timed assertion
        while (row := lock_holder(store.engine))["heartbeat_at"] == row["acquired_at"] \
                and time.monotonic() < deadline:
            time.sleep(0.02)
        assert (row["heartbeat_at"] - row["acquired_at"]).total_seconds() == 40


def test_lock_errors_are_store_errors_naming_the_database_without_its_password():
    import sqlalchemy as sa

    lock = RunLock(sa.create_engine("postgresql+psycopg://issuewire:s3cret@127.0.0.1:1/test"), clock=FakeClock(T0))
    with pytest.raises(StoreError) as caught:
        lock.acquire()
    message = str(caught.value)
    assert message.startswith("database postgresql+psycopg://issuewire:***@127.0.0.1:1/test unavailable "
                              "(taking the run lock 'hourly'): OperationalError")
    assert "s3cret" not in message


def _store_imports(path) -> set[str]:
    """Every jobs.store module ``path`` imports, at module level or inside a function."""
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("jobs.store."):
            found.add(node.module.split(".")[2])
        elif isinstance(node, ast.Import):
            found.update(a.name.split(".")[2] for a in node.names if a.name.startswith("jobs.store."))
    return found


def test_the_store_modules_import_each_other_in_one_direction_only():
    """No cycle among jobs/store's modules, hidden function-level imports included; the lock knows
    the schema and the error wrapper, never the issue store; SQLAlchemy errors are caught in one place."""
    from pathlib import Path

    import jobs.store

    folder = Path(jobs.store.__file__).parent
    graph = {p.stem: _store_imports(p) - {p.stem} for p in folder.glob("*.py")}
    assert graph["lock"] == {"errors", "schema"}
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, f"import cycle: {' -> '.join(path + (module,))}"
        if module not in done:
            for dep in graph.get(module, ()):
                visit(dep, path + (module,))
            done.add(module)

    for module in graph:
        visit(module, ())
    catching = sorted(p.name for p in folder.rglob("*.py") if "SQLAlchemyError" in p.read_text(encoding="utf-8"))
    assert catching == ["errors.py"]
