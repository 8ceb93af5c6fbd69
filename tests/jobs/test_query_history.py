"""Titling reads the stored query history for its candidates only, with the same titles."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from jobs.store.issue_store import IssueStore
from keywords.matcher import KeywordMatcher
from titling.titles import TitleChooser, TitleSettings

NO_REJECTS = pd.DataFrame(columns=["kind", "source", "line", "reason", "raw"])


def _save_hours(store: IssueStore, hours: list[pd.Timestamp], queries: list[pd.DataFrame]) -> None:
    stats = pd.DataFrame({"keyword": ["임재범"], "channel": "home", "posts": [1], "authors": [1], "title_hits": [1],
                          "is_issue": False, "masked": False})
    for hour, q in zip(hours, queries):
        store.save_hour(hour, {"status": "ok"}, stats, pd.Series({"home": 1}), q, pd.DataFrame(), pd.DataFrame(),
                        NO_REJECTS)


def test_the_lookup_reads_what_the_whole_history_holds_for_those_queries(issue_store):
    rng = np.random.default_rng(5)
    now = pd.Timestamp("2026-05-05T09:00Z")
    hours = [now - pd.Timedelta(hours=h) for h in (30, 3, 2, 1)]          # the first is out of the 24 h window
    names = [f"임재범 {i}" for i in range(1200)] + ["나가수 임재범", "tab\tquery", "x" * 450]
    queries = [pd.DataFrame({"query": names, "count": rng.integers(1, 50, len(names))}) for _ in hours]
    _save_hours(issue_store, hours, queries)
    whole = issue_store.query_history(now, 24)
    asked = names[::3] + ["never searched"]                              # > 500: read in several chunks
    found = issue_store.query_history(now, 24, queries=asked)
    expected = whole.reindex([q[:400] for q in asked]).dropna()
    pd.testing.assert_series_equal(found.sort_index(), expected.sort_index(), check_names=False)
    assert len(found) == len(asked) - 1 and "never searched" not in found.index
    assert issue_store.query_history_lookup(now, 24)(["나가수 임재범"]).to_dict() == {"나가수 임재범": whole["나가수 임재범"]}
    assert issue_store.query_history(now, 24, queries=[]).empty
    assert issue_store.query_history(hours[0], 24, queries=["나가수 임재범"]).empty      # no completed hour before


def test_titles_from_the_lookup_equal_titles_from_the_whole_history(issue_store):
    now = pd.Timestamp("2026-05-05T09:00Z")
    yesterday = pd.DataFrame({"query": ["임재범 나이", "나가수 임재범", "어린이날 선물"], "count": [40, 3, 90]})
    _save_hours(issue_store, [now - pd.Timedelta(hours=2)], [yesterday])
    matcher = KeywordMatcher({"임재범": "임재범", "나가수": "나는가수다", "나는가수다": "나는가수다", "어린이날": "어린이날"})
    queries_now = pd.DataFrame({"query": ["나가수 임재범", "임재범 나이", "어린이날 선물", "어린이날 행사"],
                                "count": [120, 45, 100, 30]})
    chooser = TitleChooser(matcher, TitleSettings())
    whole = chooser.choose(["임재범", "어린이날"], queries_now, issue_store.query_history(now, 24))
    asked: list[str] = []
    lookup = issue_store.query_history_lookup(now, 24)

    def counting(queries):
        asked.extend(queries)
        return lookup(queries)

    looked_up = chooser.choose(["임재범", "어린이날"], queries_now, counting)
    pd.testing.assert_frame_equal(whole, looked_up)
    assert sorted(asked) == sorted(queries_now["query"])      # the candidates, asked once
    assert whole.loc["어린이날", "title"] == "어린이날 행사"       # 선물 was searched as much before: no surge
