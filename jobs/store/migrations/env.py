"""Alembic environment of the run database: run by :mod:`jobs.store.migrate`, always on a connection
it hands over (``config.attributes["connection"]``) inside a transaction that already holds the
schema lock, so every revision of one upgrade commits together (or not at all).

Imported outside an Alembic run (documentation tools, doctest collection) it does nothing.
"""
from __future__ import annotations

from alembic import context


def run_migrations(config) -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations with `issuewire db upgrade` (jobs.store.migrate), not `alembic`")
    context.configure(connection=connection, target_metadata=None, transaction_per_migration=False)
    with context.begin_transaction():
        context.run_migrations()


try:
    _config = context.config
except AttributeError:                      # not inside an Alembic command
    _config = None
if _config is not None:
    run_migrations(_config)
