"""The store's one error, and the one place a database error becomes it.

    >>> import sqlalchemy as sa
    >>> engine = sa.create_engine("sqlite://")
    >>> with database_errors("postgresql://issuewire:s3cret@db.internal/issuewire", "reading the runs"):
    ...     with engine.connect() as conn:
    ...         conn.execute(sa.text("select * from no_such_table"))
    Traceback (most recent call last):
    ...
    jobs.store.errors.StoreError: database postgresql://issuewire:***@db.internal/issuewire failed reading the runs: OperationalError: (sqlite3.OperationalError) no such table: no_such_table

Every SQLAlchemy error raised in ``jobs/store`` goes through :func:`database_errors`: the
message names the database with its password hidden, whether it was unreachable
(``unavailable``: no connection) or failed, what the store was doing, and the first
line of the driver's message; the chain is dropped (``from None``) so no URL leaks through a
traceback's context. The CLI turns :class:`StoreError` into exit code 3.
"""
from __future__ import annotations

import contextlib
from typing import Iterator

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from keywords.errors import DatabaseError


class StoreError(DatabaseError, RuntimeError):
    """The database failed or is unreachable; the message says which database and why."""


def redact_url(url) -> str:
    """The URL with its password hidden (``***``); ``<invalid database URL>`` if it does not parse.

    >>> redact_url("postgresql+psycopg://u:p%40ss@h:5432/db")
    'postgresql+psycopg://u:***@h:5432/db'
    """
    try:
        return sa.engine.make_url(str(url) if not isinstance(url, sa.URL) else url).render_as_string(
            hide_password=True)
    except Exception:  # noqa: BLE001 - a bad URL still gets a message
        return "<invalid database URL>"


def describe(url, doing: str, exc: BaseException) -> StoreError:
    """The :class:`StoreError` for ``exc`` raised while ``doing`` on the database at ``url``."""
    first = (str(exc).splitlines() or [""])[0]
    if isinstance(exc, DBAPIError) and exc.statement is None:      # could not even connect
        what = f"unavailable ({doing})" if doing else "unavailable"
    else:
        what = f"failed {doing}" if doing else "failed"
    return StoreError(f"database {redact_url(url)} {what}: {exc.__class__.__name__}: {first}")


@contextlib.contextmanager
def database_errors(url, doing: str, also: tuple[type[BaseException], ...] = ()) -> Iterator[None]:
    """Turn :class:`~sqlalchemy.exc.SQLAlchemyError` (and the exception types in ``also``) raised
    in the block into :class:`StoreError`; other exceptions pass through unchanged."""
    try:
        yield
    except (SQLAlchemyError, *also) as exc:
        raise describe(url, doing, exc) from None
