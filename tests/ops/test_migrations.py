"""Schema migrations: a fresh database, a database created before migrations (a column added later
reaches it), a newer database refused, and first runs at once on an empty PostgreSQL database."""
from __future__ import annotations

import configparser
import fnmatch
import json
import threading
from datetime import datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from jobs.cli.main import EXIT_DATABASE, EXIT_LOCKED, main
from jobs.store.issue_store import IssueStore
from jobs.store.lock import RunLock
from jobs.store.migrate import MIGRATIONS, head_revision, schema_state, upgrade_database
from jobs.store.schema import metadata

from tests.jobs.helpers import START
from tests.ops.conftest import REPO, cli_args, spawn_cli
from tests.ops.test_crash import _wait_paused

HOUR = START + pd.Timedelta(hours=1)


def _schema_diff(url: str) -> list:
    """What Alembic's autogenerate finds between the database and ``jobs.store.schema`` (types too)."""
    engine = sa.create_engine(IssueStore(url, create=False).url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), metadata)
    engine.dispose()
    return diff


def _pre_migration_metadata(with_late_parts: bool) -> sa.MetaData:
    """The tables as ``create_all`` made them before migrations: without ``runs.inputs`` and
    ``console_audit`` (the code before #16), or with them (the code with the bridge)."""
    old = sa.MetaData()
    for table in metadata.sorted_tables:
        if table.name == "console_audit" and not with_late_parts:
            continue
        columns = [c._copy() for c in table.columns if with_late_parts or (table.name, c.name) != ("runs", "inputs")]
        sa.Table(table.name, old, *columns)               # index=True columns bring their index
    return old


def _legacy_database(url: str, with_late_parts: bool) -> None:
    engine = sa.create_engine(IssueStore(url, create=False).url)
    _pre_migration_metadata(with_late_parts).create_all(engine)
    with engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO runs (hour, status, posts_read) VALUES (:h, 'ok', 7)"),
                     {"h": datetime(2026, 5, 3, 15)})
    engine.dispose()


def test_db_upgrade_creates_a_fresh_database_and_says_so(db_url, capsys):
    assert main(["db", "upgrade", "--db", db_url]) == 0
    assert capsys.readouterr().out.strip().endswith(f"upgraded from (empty) to {head_revision()}")
    assert _schema_diff(db_url) == []
    assert main(["db", "upgrade", "--db", db_url]) == 0
    assert capsys.readouterr().out.strip().endswith(f"at {head_revision()} (head), nothing to do")


@pytest.mark.parametrize("with_late_parts", [False, True], ids=["before-16", "bridge"])
def test_a_database_created_before_migrations_is_adopted_and_upgraded(db_url, with_late_parts, capsys):
    _legacy_database(db_url, with_late_parts)
    assert schema_state(IssueStore(db_url, create=False).engine).legacy
    assert main(["db", "upgrade", "--db", db_url]) == 0
    out = capsys.readouterr().out.strip()
    assert out.endswith(f"adopted a database created before migrations as 0001; upgraded from 0001 to "
                        f"{head_revision()}"), out
    assert _schema_diff(db_url) == []                     # runs.inputs and console_audit reached it
    runs = IssueStore(db_url).table("runs")
    assert runs[["status", "posts_read"]].values.tolist() == [["ok", 7]] and runs["inputs"].isna().all()


def test_run_upgrades_an_old_database_by_itself_and_uses_the_new_column(ops_inputs, tmp_path, capsys):
    db_url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    _legacy_database(db_url, with_late_parts=False)
    assert main(["run", "--hour", HOUR.isoformat(), "--quiet", *cli_args(ops_inputs, db_url)]) == 0
    events = [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]
    upgrade = [e for e in events if e["event"] == "schema_upgrade"]
    assert upgrade == [{"event": "schema_upgrade", "database": db_url, "from": "0001", "to": head_revision(),
                        "adopted": True}]
    run = IssueStore(db_url).run_record(HOUR)
    assert run["status"] == "ok" and json.loads(run["inputs"])          # the column added in 0002


def test_the_schema_does_not_change_under_a_running_hour(ops_inputs, db_url, capsys):
    """A database with a run lock is upgraded only by the lock's holder: while another run holds
    it, `db upgrade` and `run` exit 5 and the schema stays as it was."""
    _legacy_database(db_url, with_late_parts=False)
    other = RunLock(IssueStore(db_url, create=False).engine, ttl_seconds=600, owner="other-host:9:running",
                    heartbeat_seconds=3600)
    other.acquire()
    try:
        assert main(["db", "upgrade", "--db", db_url]) == EXIT_LOCKED
        assert main(["run", "--hour", HOUR.isoformat(), "--quiet", *cli_args(ops_inputs, db_url)]) == EXIT_LOCKED
        assert "another run holds the lock: other-host:9:running" in capsys.readouterr().err
        assert schema_state(IssueStore(db_url, create=False).engine).legacy
    finally:
        other.release()
    assert main(["db", "upgrade", "--db", db_url]) == 0
    assert _schema_diff(db_url) == []


def test_a_database_newer_than_the_code_is_refused(db_url, capsys):
    upgrade_database(IssueStore(db_url, create=False).engine)
    engine = sa.create_engine(IssueStore(db_url, create=False).url)
    with engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()
    assert main(["db", "upgrade", "--db", db_url]) == EXIT_DATABASE
    human = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("{")]
    assert len(human) == 1 and "is at schema revision 9999, newer than this issuewire knows" in human[0]


def test_concurrent_upgrades_of_an_empty_postgresql_database_make_one_schema(pg_url):
    """Threads in one process, each with its own engine, released together: one creates the tables,
    the others find them (no UniqueViolation from two CREATE TABLEs at once)."""
    engines = [IssueStore(pg_url, create=False).engine for _ in range(4)]
    barrier, results, errors = threading.Barrier(len(engines)), [], []

    def upgrade(engine):
        barrier.wait()
        try:
            results.append(upgrade_database(engine))
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=upgrade, args=(e,)) for e in engines]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert errors == []
    assert sorted(r.before is None for r in results) == [False, False, False, True]
    assert _schema_diff(pg_url) == []


def test_an_upgrade_kept_waiting_for_the_schema_lock_is_a_busy_lock(pg_url, monkeypatch):
    """Another session holds the schema lock past the timeout: LockBusyError (exit 5), not a
    database error; once it lets go, the upgrade goes through."""
    import jobs.store.migrate as migrate
    from jobs.store.lock import LockBusyError

    monkeypatch.setattr(migrate, "SCHEMA_LOCK_TIMEOUT", "200ms")
    engine = IssueStore(pg_url, create=False).engine
    with engine.connect() as other:
        other.execute(sa.text("SELECT pg_advisory_lock(hashtext('issuewire-schema:' || current_schema()))"))
        with pytest.raises(LockBusyError, match="another process changing the schema"):
            upgrade_database(engine)
        other.execute(sa.text("SELECT pg_advisory_unlock(hashtext('issuewire-schema:' || current_schema()))"))
    assert upgrade_database(engine).before is None and _schema_diff(pg_url) == []


def test_two_first_runs_at_once_on_empty_postgresql(ops_inputs, pg_url):
    """Real processes: each exits 0 (it ran the hour after the other) or 5 (the other held the run
    lock), never 3; the hour is stored once."""
    procs = [spawn_cli(["run", "--hour", HOUR.isoformat(), "--quiet", *cli_args(ops_inputs, pg_url)])
             for _ in range(3)]
    outcomes = [(p.returncode, err) for p in procs for _, err in [p.communicate(timeout=300)]]
    for code, err in outcomes:
        assert code in (0, 5), err
        assert "UniqueViolation" not in err and "already exists" not in err
    assert 0 in [code for code, _ in outcomes]
    runs = IssueStore(pg_url).table("runs")
    assert len(runs) == 1 and runs["status"].iloc[0] == "ok"


def test_a_run_killed_inside_the_migration_leaves_an_empty_database_the_next_run_upgrades(ops_inputs, pg_url):
    """SIGKILL while the first run holds the schema lock mid-upgrade: its transaction is rolled back
    (no half schema), and a second run that was waiting for the schema lock then upgrades and runs."""
    first = spawn_cli(["run", "--hour", HOUR.isoformat(), "--quiet", *cli_args(ops_inputs, pg_url)],
                      {"IWTEST_PAUSE_AT": "store:migrating"})
    try:
        _wait_paused(first, "store:migrating")
        second = spawn_cli(["run", "--hour", HOUR.isoformat(), "--quiet", *cli_args(ops_inputs, pg_url)])
        assert schema_state(IssueStore(pg_url, create=False).engine).empty
    finally:
        first.kill()
        first.wait(timeout=30)
    _, err = second.communicate(timeout=300)
    assert second.returncode == 0, err
    assert _schema_diff(pg_url) == [] and len(IssueStore(pg_url).table("runs")) == 1


def test_the_head_constant_is_alembics_head():
    from alembic.script import ScriptDirectory

    script = ScriptDirectory(str(MIGRATIONS))
    assert script.get_heads() == [head_revision()]          # one head, the one the code names
    assert [r.revision for r in script.walk_revisions()][-1] == "0001"


def test_migrations_ship_in_the_package():
    """setup.cfg's package data covers every file of jobs/store/migrations (they are not a package)."""
    cfg = configparser.ConfigParser()
    cfg.read(REPO / "setup.cfg")
    patterns = [p.strip() for p in cfg["options.package_data"]["jobs.store"].split(",")]
    assert "alembic>=1.13" in cfg["options"]["install_requires"].split()
    files = [p.relative_to(MIGRATIONS.parent).as_posix() for p in MIGRATIONS.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts]
    assert files and all(any(fnmatch.fnmatch(f, pat) for pat in patterns) for f in files), (files, patterns)
    assert not (MIGRATIONS / "__init__.py").exists() and Path(MIGRATIONS / "versions").is_dir()
