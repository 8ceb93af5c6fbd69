"""Fixtures: a real portal HTTP server on 127.0.0.1, fast crawl settings, SQLite and PostgreSQL URLs."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))   # the server module sits beside the tests

from portal_server import PortalServer  # noqa: E402

from crawler.settings import CrawlSettings  # noqa: E402

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


@pytest.fixture
def server():
    with PortalServer() as srv:
        yield srv


@pytest.fixture
def fast(tmp_path) -> CrawlSettings:
    """Settings with short timeouts and backoff so every failure path runs in well under a second."""
    return CrawlSettings(data_dir=tmp_path / "data", workers=4, per_host_concurrency=4, connect_timeout=0.5,
                         read_timeout=0.3, total_timeout=5, retries=2, backoff_base=0.01, backoff_max=0.05,
                         retry_after_max=2, max_bytes=1_000_000, hold_back_seconds=60)


def _postgres_available() -> bool:
    try:
        import sqlalchemy as sa
        engine = sa.create_engine(POSTGRES_URL)
        with engine.connect():
            pass
        engine.dispose()
        return True
    except Exception:
        return False


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """The same tests against SQLite (a file) and the real PostgreSQL service (a fresh schema)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'crawl.sqlite'}"
        return
    if not _postgres_available():
        pytest.skip("PostgreSQL at 127.0.0.1:5432 is not reachable")
    import sqlalchemy as sa
    schema = f"crawl_test_{abs(hash(request.node.nodeid)) % 10**8}"
    engine = sa.create_engine(POSTGRES_URL)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    yield f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()
