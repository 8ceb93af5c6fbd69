"""Shared fixtures: real PostgreSQL and Redis (started here if they are installed but not running).

PostgreSQL: ``ISSUEWIRE_TEST_PG`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/test``);
each test gets its own schema, dropped afterwards. Redis: ``ISSUEWIRE_TEST_REDIS`` (default
``redis://127.0.0.1:6379/15``); each test gets its own key prefix, deleted afterwards.
If a service is down and cannot be started, the test fails with a message that says how to start it.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest

PG_URL = os.environ.get("ISSUEWIRE_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("ISSUEWIRE_TEST_REDIS", "redis://127.0.0.1:6379/15")
SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

PG_START = "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start"
REDIS_START = ("redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save '' --appendonly no "
               "--dir /tmp --logfile /tmp/issuewire-test-redis.log")


def _pg_ok() -> bool:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return True
    except Exception:  # noqa: BLE001
        return False


def _redis_ok() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except Exception:  # noqa: BLE001
        return False


def _ensure(check, start_cmd: str, binary: str, name: str) -> None:
    if check():
        return
    if shutil.which(binary):
        subprocess.run(start_cmd, shell=True, check=False, capture_output=True, timeout=60)
        for _ in range(50):
            if check():
                return
            time.sleep(0.2)
    pytest.fail(f"{name} is not reachable and could not be started here; start it with:\n  {start_cmd}\n"
                f"or point the tests elsewhere with ISSUEWIRE_TEST_PG / ISSUEWIRE_TEST_REDIS", pytrace=False)


@pytest.fixture(scope="session")
def pg_server() -> str:
    _ensure(_pg_ok, PG_START, "pg_ctlcluster", "PostgreSQL at 127.0.0.1:5432")
    return PG_URL


@pytest.fixture()
def pg_url(pg_server) -> str:
    """A PostgreSQL URL whose search_path is a fresh schema."""
    import sqlalchemy as sa

    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(pg_server)
    with engine.begin() as conn:
        conn.execute(sa.text(f"create schema {schema}"))
    sep = "&" if "?" in pg_server else "?"
    yield f"{pg_server}{sep}options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(sa.text(f"drop schema {schema} cascade"))
    engine.dispose()


@pytest.fixture(scope="session")
def redis_server() -> str:
    _ensure(_redis_ok, REDIS_START, "redis-server", "Redis at 127.0.0.1:6379")
    return REDIS_URL


@pytest.fixture()
def redis_prefix(redis_server):
    """A unique key prefix; every key under it is deleted after the test."""
    import redis

    prefix = f"iwtest:{uuid.uuid4().hex[:10]}"
    yield prefix
    client = redis.Redis.from_url(redis_server)
    keys = list(client.scan_iter(match=f"{prefix}:*"))
    if keys:
        client.delete(*keys)


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request, tmp_path):
    """The same test against SQLite and PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'issuewire.sqlite'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture()
def issue_store(db_url):
    """An :class:`jobs.store.issue_store.IssueStore` on SQLite and on PostgreSQL, migrated."""
    from jobs.store.issue_store import IssueStore

    store = IssueStore(db_url)
    yield store
    store.engine.dispose()


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.exists():
        pytest.fail(f"../shared/data not found at {SHARED_DATA}", pytrace=False)
    return SHARED_DATA
