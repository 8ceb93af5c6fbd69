"""Schema migrations of the run database (Alembic), applied under the run lock.

    >>> import sqlalchemy as sa
    >>> engine = sa.create_engine("sqlite://")
    >>> print(upgrade_database(engine).describe())
    database sqlite://: upgraded from (empty) to 0002
    >>> print(upgrade_database(engine).describe())
    database sqlite://: at 0002 (head), nothing to do
    >>> schema_state(engine).revision, head_revision()
    ('0002', '0002')

The revisions live in ``jobs/store/migrations/versions`` and ship inside the package
(``0001``: the tables as they were when migrations came, ``0002``: ``runs.inputs`` and
``console_audit``). Alembic is used as a library: :func:`upgrade_database` hands it one connection
inside one transaction, so an upgrade commits whole or not at all (PostgreSQL and SQLite both
have transactional DDL).

Who may change the schema, and when:

- **the schema lock** serialises every upgrade of one database: on PostgreSQL a transaction-scoped
  advisory lock keyed on the current schema (``pg_advisory_xact_lock``), on SQLite the database's
  write lock (``BEGIN IMMEDIATE``). Inside it the revision is read again, so of two processes that
  both found an empty database, the second finds the first one's tables and does nothing;
- **the run lock** (:mod:`jobs.store.lock`) is held around the upgrade whenever the database has
  a ``run_lock`` table, so the schema never changes under a running hour (an empty database has
  no run lock to take, and no hour running).

A database created before migrations (by ``create_all``: issuewire's tables, no
``alembic_version``) is *adopted*: stamped ``0001`` and upgraded from there (``0002`` checks
what the old code had already added). A database at a revision this code does not know (a newer
issuewire wrote it) is refused with :class:`~jobs.store.errors.StoreError`.

``issuewire db upgrade`` (:mod:`jobs.cli.db`) runs :func:`upgrade_database` and prints
:meth:`Upgrade.describe`; every :class:`~jobs.store.issue_store.IssueStore` opened with
``create=True`` (``run``, ``backfill``, ``schedule``, the console) applies pending revisions the
same way and logs ``{"event": "schema_upgrade", ...}``.
"""
from __future__ import annotations

import contextlib
import functools
import json
import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import sqlalchemy as sa

from jobs.runner.faults import checkpoint
from jobs.store.errors import StoreError, database_errors, redact_url
from jobs.store.lock import LockBusyError, RunLock

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
HEAD = "0002"                          # the newest revision in MIGRATIONS (a test checks it with Alembic)
INITIAL = "0001"                       # what a database created before migrations is stamped as
LEGACY_MARKER = "runs"                 # a table every pre-migration issuewire database has
SCHEMA_LOCK_TIMEOUT = "120s"           # PostgreSQL: how long an upgrade waits for another one

log = logging.getLogger("issuewire.run.schema")


@dataclass(frozen=True)
class SchemaState:
    """What a database holds: its revision (None: no ``alembic_version``), and its tables."""

    revision: str | None
    tables: frozenset[str]

    @property
    def empty(self) -> bool:
        return self.revision is None and LEGACY_MARKER not in self.tables

    @property
    def legacy(self) -> bool:
        """issuewire tables created before migrations: adopted as ``0001`` by the next upgrade."""
        return self.revision is None and LEGACY_MARKER in self.tables


@dataclass(frozen=True)
class Upgrade:
    """What :func:`upgrade_database` did: from ``before`` (None: an empty database) to ``after``."""

    database: str
    before: str | None
    after: str
    adopted: bool = False

    @property
    def changed(self) -> bool:
        return self.adopted or self.before != self.after

    def describe(self) -> str:
        if not self.changed:
            return f"database {self.database}: at {self.after} (head), nothing to do"
        before = "(empty)" if self.before is None else self.before
        adopted = (f"adopted a database created before migrations as {INITIAL}; " if self.adopted else "")
        return f"database {self.database}: {adopted}upgraded from {before} to {self.after}"


@functools.cache
def _script():
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(MIGRATIONS))


def head_revision() -> str:
    """The newest revision this code ships (:data:`HEAD`: opening a database that is up to date
    does not even import Alembic)."""
    return HEAD


def _known(revision: str) -> bool:
    from alembic.util import CommandError

    try:
        return _script().get_revision(revision) is not None
    except CommandError:
        return False


def _read_state(conn: sa.Connection) -> SchemaState:
    inspector = sa.inspect(conn)
    tables = frozenset(inspector.get_table_names())
    revision = None
    if "alembic_version" in tables:
        revision = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar()
    return SchemaState(revision, tables)


def schema_state(engine: sa.Engine) -> SchemaState:
    """The database's revision and tables (read only: opens no lock, changes nothing)."""
    with database_errors(engine.url, "reading the schema revision"):
        with engine.connect() as conn:
            return _read_state(conn)


def check_current(engine: sa.Engine) -> None:
    """Raise :class:`StoreError` unless the database is at this code's head revision (for read-only
    commands such as ``status``, which never change the schema)."""
    state = schema_state(engine)
    head = head_revision()
    if state.revision == head:
        return
    where = "has no issuewire tables" if state.empty else (
        "was created before migrations" if state.legacy else f"is at schema revision {state.revision}")
    raise StoreError(f"database {redact_url(engine.url)} {where}; this issuewire needs {head}: "
                     f"run `issuewire db upgrade --db URL` (or the next `issuewire run` does it)")


@contextlib.contextmanager
def schema_lock(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A connection inside a transaction that holds the database's schema lock; commits on exit.
    Waiting for it longer than SQLite's busy timeout or :data:`SCHEMA_LOCK_TIMEOUT` raises
    :class:`~jobs.store.lock.LockBusyError` (exit 5)."""
    with engine.connect() as conn:
        try:
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{SCHEMA_LOCK_TIMEOUT}'")
                conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext('issuewire-schema:' || current_schema()))"))
            elif conn.dialect.name == "sqlite":
                conn.exec_driver_sql("BEGIN IMMEDIATE")
        except sa.exc.OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) == "55P03" or "database is locked" in str(exc.orig):
                raise LockBusyError("another process changing the schema", None) from None
            raise
        yield conn
        conn.commit()


def upgrade_schema(engine: sa.Engine) -> Upgrade:
    """Bring the database to the head revision under the schema lock (not the run lock: see
    :func:`upgrade_database`)."""
    from alembic import command
    from alembic.config import Config

    head = head_revision()
    with database_errors(engine.url, "upgrading the schema"):
        with schema_lock(engine) as conn:
            checkpoint("store:migrating")
            state = _read_state(conn)           # again, under the lock: another process may have done it
            if state.revision is not None and not _known(state.revision):
                raise StoreError(f"database {redact_url(engine.url)} is at schema revision {state.revision}, "
                                 f"newer than this issuewire knows (head {head}): upgrade issuewire")
            if state.revision == head:
                return Upgrade(redact_url(engine.url), head, head)
            config = Config()
            config.set_main_option("script_location", str(MIGRATIONS))
            config.attributes["connection"] = conn
            before = state.revision
            if state.legacy:
                command.stamp(config, INITIAL)
                before = INITIAL
            command.upgrade(config, "head")
    return Upgrade(redact_url(engine.url), None if state.empty else before, head, adopted=state.legacy)


def upgrade_database(engine: sa.Engine, *, lock_ttl_seconds: float = 300, lock_wait_seconds: float = 0,
                     lock: RunLock | None = None) -> Upgrade:
    """Apply pending revisions, under the run lock when the database has one (waiting for it up to
    ``lock_wait_seconds``; :class:`~jobs.store.lock.LockBusyError` if a run keeps it). Pass ``lock``
    when the caller already holds it."""
    state = schema_state(engine)
    head = head_revision()
    if state.revision == head:
        return Upgrade(redact_url(engine.url), head, head)
    if lock is not None or "run_lock" not in state.tables:
        result = upgrade_schema(engine)
    else:
        with RunLock(engine, ttl_seconds=lock_ttl_seconds).held(lock_wait_seconds):
            result = upgrade_schema(engine)
    if result.changed:
        log.info(json.dumps({"event": "schema_upgrade", "database": result.database, "from": result.before,
                             "to": result.after, "adopted": result.adopted}))
    return result
