"""``issuewire status`` through the command line: valid JSON after a failed publish, a mistyped
SQLite path is an error (and creates nothing), a killed or silent lock holder is shown as stale."""
from __future__ import annotations

import json
import signal
import socket
import time

import pandas as pd
import sqlalchemy as sa

from jobs.cli.main import EXIT_DATABASE, EXIT_INPUT, main
from jobs.store.issue_store import IssueStore
from jobs.store.lock import FakeClock, RunLock

from tests.jobs.helpers import START
from tests.ops.conftest import cli_args, run_cli, spawn_cli
from tests.ops.test_crash import _wait_paused


def _strict_json(text: str):
    def refuse(constant):
        raise ValueError(f"not JSON: {constant}")
    return json.loads(text, parse_constant=refuse)


def test_status_json_stays_valid_json_once_a_run_has_an_error(ops_inputs, tmp_path, capsys):
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    assert main(["run", "--hour", START.isoformat(), "--quiet", *cli_args(ops_inputs, db_url)]) == 0
    (tmp_path / "blocker").write_text("a file where the feed folder should be")
    failing = cli_args(ops_inputs, db_url, "--feed-file", str(tmp_path / "blocker" / "feed.json"))
    assert main(["run", "--hour", (START + pd.Timedelta(hours=1)).isoformat(), "--quiet", *failing]) == 4
    capsys.readouterr()
    assert main(["status", "--db", db_url, "--json"]) == 0
    status = _strict_json(capsys.readouterr().out)
    newest, older = status["runs"]
    assert "feed file" in newest["error"] and newest["file"] is False
    assert older["error"] is None and older["file"] is None and older["redis"] is None
    assert status["lock"]["state"] == "free"


def test_status_with_a_mistyped_sqlite_path_is_one_line_exit_2_and_creates_nothing(tmp_path):
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    IssueStore(db_url)
    typo = tmp_path / "db.sqlit"
    done = run_cli(["status", "--db", f"sqlite:///{typo}"])
    assert done.returncode == EXIT_INPUT
    assert done.stderr.splitlines() == [f"issuewire: error: --db sqlite:///{typo}: no database file at {typo} "
                                        f"(status creates nothing; check the path)"]
    assert not typo.exists()
    assert main(["status", "--db", f"sqlite:///{tmp_path / 'nowhere' / 'db.sqlite'}"]) == EXIT_INPUT
    assert not (tmp_path / "nowhere").exists()


def test_rejects_with_a_mistyped_sqlite_path_is_one_line_exit_2_and_creates_nothing(tmp_path):
    typo = tmp_path / "db.sqlit"
    done = run_cli(["rejects", "--hour", "2026-05-04T08:00", "--db", f"sqlite:///{typo}"])
    assert done.returncode == EXIT_INPUT
    assert done.stderr.splitlines() == [f"issuewire: error: --db sqlite:///{typo}: no database file at {typo} "
                                        f"(rejects creates nothing; check the path)"]
    assert not typo.exists()


def test_status_of_a_database_behind_the_code_says_to_upgrade_and_changes_nothing(tmp_path, capsys):
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    engine = sa.create_engine(db_url)
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE runs (hour DATETIME PRIMARY KEY, status VARCHAR(16) NOT NULL)"))
    assert main(["status", "--db", db_url]) == EXIT_DATABASE
    err = capsys.readouterr().err
    assert "was created before migrations; this issuewire needs 0002: run `issuewire db upgrade" in err
    assert sa.inspect(engine).get_table_names() == ["runs"]


def test_status_shows_a_sigkilled_holder_as_stale_with_its_pid(ops_inputs, tmp_path):
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    holder = spawn_cli(["run", "--hour", START.isoformat(), "--quiet", *cli_args(ops_inputs, db_url)],
                       {"IWTEST_PAUSE_AT": "core"})
    try:
        _wait_paused(holder, "core")
        assert "lock: HELD by " in run_cli(["status", "--db", db_url]).stdout
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=30)
    text = run_cli(["status", "--db", db_url]).stdout
    owner = f"{socket.gethostname()}:{holder.pid}:"
    line = text.splitlines()[0]
    assert line.startswith(f"lock: STALE (dead): {owner}") and "HELD" not in text
    assert f"(pid {holder.pid} on {socket.gethostname()}) held it, its process is gone" in line
    assert "the next run takes it over" in line
    lock = _strict_json(run_cli(["status", "--db", db_url, "--json"]).stdout)["lock"]
    assert lock["state"] == "dead" and lock["pid"] == holder.pid and lock["owner"].startswith(owner)
    assert lock["acquired_at"].endswith("Z")


def test_status_shows_a_holder_past_its_expiry_as_stale(tmp_path, capsys):
    """A holder on another host (its pid cannot be checked) that stopped heart-beating: its expiry
    has passed, so status says so instead of HELD."""
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    store = IssueStore(db_url)
    an_hour_ago = FakeClock(time.time() - 3600)
    silent = RunLock(store.engine, ttl_seconds=60, owner="other-host:4242:aa", clock=an_hour_ago,
                     heartbeat_seconds=3600)
    silent.acquire()
    silent._stop.set()                                        # it never beats again
    assert main(["status", "--db", db_url]) == 0
    line = capsys.readouterr().out.splitlines()[0]
    assert line.startswith("lock: STALE (expired): other-host:4242:aa (pid 4242 on other-host) held it, "
                           "it stopped heart-beating past its expiry"), line
