"""The baseline's state is read an hour at a time, with the values SQLAlchemy's own read gives."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from jobs.store.issue_store import from_db_time
from jobs.store.schema import keyword_stats

NO_REJECTS = pd.DataFrame(columns=["kind", "source", "line", "reason", "raw"])
COLUMNS = ["hour", "keyword", "channel", "authors", "posts", "query_volume", "expected", "expected_posts",
           "expected_queries", "masked", "is_issue"]


def test_history_rows_and_values_equal_a_plain_read(issue_store):
    rng = np.random.default_rng(3)
    now = pd.Timestamp("2026-05-12T09:00Z")
    stored = [now - pd.Timedelta(hours=h) for h in (1, 2, 5, 24, 168, 400)]     # 400 h: outside every window
    keywords = ["어린이날", "임재범", "tab\tkey", "b", "a"]
    for n, hour in enumerate(stored):
        k = len(keywords) * 2
        stats = pd.DataFrame({"keyword": keywords * 2, "channel": ["home"] * 5 + ["news"] * 5,
                              "posts": rng.integers(1, 9, k), "authors": rng.integers(1, 9, k), "title_hits": 0,
                              "query_volume": rng.integers(0, 5, k), "expected": rng.random(k),
                              "expected_posts": [None] * k if n % 2 else rng.random(k),
                              "is_issue": rng.random(k) < .3, "masked": rng.random(k) < .3})
        issue_store.save_hour(hour, {"status": "ok"}, stats, pd.Series({"home": 10}), None, pd.DataFrame(),
                              pd.DataFrame(), NO_REJECTS)
    history, run_hours, _ = issue_store.load_history(now, seasonal_days=7, level_hours=24, weekly_weeks=1)
    assert list(history.columns) == COLUMNS
    assert sorted(run_hours) == sorted(stored[:5])
    c = keyword_stats.c
    with issue_store.engine.connect() as conn:
        plain = pd.DataFrame([tuple(r) for r in conn.execute(sa.select(*[c[name] for name in COLUMNS]))],
                             columns=COLUMNS)
    plain["hour"] = from_db_time(plain["hour"])
    plain = plain.loc[plain["hour"].isin(run_hours)]
    key = ["hour", "keyword", "channel"]
    got = history.sort_values(key).reset_index(drop=True)
    want = plain.sort_values(key).reset_index(drop=True)
    assert len(got) == 50
    for name in COLUMNS:
        if name in ("hour", "keyword", "channel", "masked", "is_issue", "authors", "posts", "query_volume"):
            assert got[name].tolist() == want[name].tolist(), name
        else:
            np.testing.assert_array_equal(got[name].to_numpy(float), want[name].to_numpy(float), err_msg=name)
    assert got["masked"].dtype == bool and got["authors"].dtype == "int64"


def test_no_history_is_an_empty_frame_with_the_columns(issue_store):
    history, run_hours, activity = issue_store.load_history(pd.Timestamp("2026-05-12T09:00Z"))
    assert history.empty and list(history.columns) == COLUMNS and len(run_hours) == 0
