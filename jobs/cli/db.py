"""``issuewire db upgrade``: apply the run database's pending schema migrations; the work is :mod:`jobs.store.migrate`.

    >>> parser = argparse.ArgumentParser(prog="issuewire")
    >>> _ = add_db_command(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["db", "upgrade", "--db", "sqlite://"])
    >>> args.db_command, args.db_url, args.func.__name__
    ('upgrade', 'sqlite://', 'cmd_db_upgrade')
    >>> cmd_db_upgrade(args)
    database sqlite://: upgraded from (empty) to 0002
    0

It prints what it did (``upgraded from 0001 to 0002``, ``at 0002 (head), nothing to do``, or
that it adopted a database created before migrations). ``issuewire run`` does the same by itself
before an hour; this command is for applying a new version's migrations at a chosen moment.
Exit codes as for every command (``issuewire --help``): 0 done, 2 a bad setting, 3 the
database failed (nothing changed: an upgrade commits whole or not at all), 5 a run holds the
run lock (it waits ``lock_wait_seconds`` first).
"""
from __future__ import annotations

import argparse

from jobs.cli.options import add_options
from jobs.errors import EXIT_OK


def add_db_command(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("db", help="the run database's schema: `db upgrade` applies pending migrations",
                              description="Manage the run database's schema (Alembic migrations shipped "
                                          "with issuewire).")
    db_sub = p.add_subparsers(dest="db_command", required=True, metavar="{upgrade}",
                              help="upgrade: apply pending migrations")
    up = db_sub.add_parser("upgrade", help="apply pending migrations under the run lock and say what was done",
                           description="Bring the run database to this version's schema, under the run lock; "
                                       "a database created before migrations is adopted.")
    add_options(up, "db", "config")
    up.set_defaults(func=cmd_db_upgrade)
    return p


def cmd_db_upgrade(args) -> int:
    from jobs.cli.options import settings_from_args
    from jobs.store.issue_store import IssueStore
    from jobs.store.migrate import upgrade_database

    settings = settings_from_args(args)
    store = IssueStore(settings.db_url, create=False)
    result = upgrade_database(store.engine, lock_ttl_seconds=settings.lock_ttl_seconds,
                              lock_wait_seconds=settings.lock_wait_seconds)
    print(result.describe())
    return EXIT_OK
