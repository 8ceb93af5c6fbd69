"""insert_rows writes what SQLAlchemy's own insert writes, on SQLite and on PostgreSQL (COPY)."""
from __future__ import annotations

from datetime import datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from jobs.store.bulk import insert_rows
from jobs.store.issue_store import IssueStore
from jobs.store.schema import keyword_stats, query_stats

HOSTILE = ["나가수 임재범", "tab\there", "new\nline", "back\\slash", "comma, \"quoted\"", "\\N", "", "어린이날 🎈",
           "semi;colon' OR 1=1 --", "x" * 400]


def _written(url: str, how: str) -> list[tuple]:
    store = IssueStore(url)
    hour = datetime(2026, 5, 5, 9)
    rows = [(hour, q, i + 1) for i, q in enumerate(HOSTILE)]
    with store.engine.begin() as conn:
        conn.execute(query_stats.delete())
        if how == "bulk":
            assert insert_rows(conn, query_stats, {"hour": hour, "query": [r[1] for r in rows],
                                                   "count": [r[2] for r in rows]}) == len(rows)
        else:
            conn.execute(query_stats.insert(), [{"hour": h, "query": q, "count": c} for h, q, c in rows])
    with store.engine.connect() as conn:
        found = conn.execute(sa.select(query_stats).order_by(query_stats.c.count)).all()
    # the hour reads back through SQLAlchemy's own type: the delete of a re-run matches it
    with store.engine.begin() as conn:
        deleted = conn.execute(query_stats.delete().where(query_stats.c.hour == hour)).rowcount
    store.engine.dispose()
    return [tuple(r) for r in found] + [("deleted", deleted)]


def test_bulk_rows_read_back_as_sqlalchemy_writes_them(db_url):
    bulk, plain = _written(db_url, "bulk"), _written(db_url, "plain")
    assert bulk == plain
    assert bulk[-1] == ("deleted", len(HOSTILE))
    assert [r[1] for r in bulk[:-1]] == HOSTILE


def test_keyword_stats_keep_nan_none_and_booleans(db_url):
    store = IssueStore(db_url)
    hour = pd.Timestamp("2026-05-05T09:00Z")
    stats = pd.DataFrame({"keyword": ["어린이날", "임재범"], "channel": "home", "posts": [30, 3], "authors": [25, 3],
                          "title_hits": [20, 0], "score_sum": [1.5, float("nan")], "is_issue": [True, False],
                          "masked": [True, False]})
    store.save_hour(hour, {"status": "ok"}, stats, pd.Series({"home": 33}), None, pd.DataFrame(), pd.DataFrame(),
                    pd.DataFrame(columns=["kind", "source", "line", "reason", "raw"]))
    store.save_hour(hour, {"status": "ok"}, stats, pd.Series({"home": 33}), None, pd.DataFrame(), pd.DataFrame(),
                    pd.DataFrame(columns=["kind", "source", "line", "reason", "raw"]))      # a re-run replaces
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(keyword_stats.c.keyword, keyword_stats.c.posts, keyword_stats.c.score_sum,
                                      keyword_stats.c.expected, keyword_stats.c.is_issue)
                            .order_by(keyword_stats.c.posts)).all()
    store.engine.dispose()
    assert [(r[0], r[1], r[4]) for r in rows] == [("임재범", 3, False), ("어린이날", 30, True)]
    assert rows[1][2] == 1.5 and rows[1][3] is None
    assert rows[0][2] is None                                # a missing value is NULL on both


def test_columns_of_different_lengths_are_refused():
    engine = sa.create_engine("sqlite://")
    query_stats.metadata.create_all(engine, tables=[query_stats])
    with engine.begin() as conn, pytest.raises(ValueError, match="different lengths"):
        insert_rows(conn, query_stats, {"hour": datetime(2026, 5, 5), "query": ["a", "b"], "count": [1]})
