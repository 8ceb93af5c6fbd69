import numpy as np
import pandas as pd
import scipy.sparse as sp
from hypothesis import given, strategies as st

from recommender.issue_features import (choose_issue_weight, issues_from_feed, item_boosts,
                                        item_issue_features, match_issues, normalise, rerank)

FEED = {"hour": "2026-02-13T20:00:00+09:00", "channels": {
    "home": [
        {"issue_id": "a", "rank": 1, "title": "최가온 금메달", "keyword": "최가온", "score": 10.0,
         "post_ids": ["1"], "state": "rising", "onset": "2026-02-13T18:00:00+09:00"},
        {"issue_id": "b", "rank": 2, "title": "Star Wars day", "keyword": "Star Wars", "score": 5.0,
         "post_ids": []},
        {"issue_id": "c", "rank": 3, "title": "x", "keyword": "x", "score": 1.0, "post_ids": []},
    ],
    "sports": [{"issue_id": "a", "rank": 1, "title": "dup", "keyword": "최가온", "score": 3.0, "post_ids": []}],
}}
ITEMS = pd.DataFrame({"item_id": [1, 2, 3, 4, 5],
                      "title": ["최가온의 스노보드", "Star Wars (1977)", "Stardust", "코미디", "Mars"],
                      "genres": ["", "Sci-Fi", "", "최가온", "Star|Wars"]})


def test_feed_parsing_dedups_and_keeps_optional_fields():
    issues = issues_from_feed(FEED)
    assert [i.issue_id for i in issues] == ["a", "b", "c"]
    assert issues[0].state == "rising" and issues[1].onset is None


def test_matching_hangul_substring_latin_tokens_short_keywords_ignored():
    pairs = match_issues(ITEMS, issues_from_feed(FEED))
    got = sorted(map(tuple, pairs.values.tolist()))
    # 최가온 matches title (with particle) and genre; "Star Wars" matches 2 and genres "Star|Wars" of 5
    # but not "Stardust"; the 1-char keyword "x" is ignored
    assert got == [(1, "a"), (2, "b"), (4, "a"), (5, "b")]


def test_features_and_boosts():
    feats = item_issue_features(ITEMS, issues_from_feed(FEED), at=FEED["hour"])
    row = feats[feats.item_id == 1].iloc[0]
    assert row.issue_score == 1.0 and row.hours_since_onset == 2.0 and row.state == "rising"
    boost, source = item_boosts(feats, np.array([1, 2, 3, 4, 5]), half_life_hours=2.0)
    # b states no state: the contract's default, "new" (weight 1), and no onset (no decay)
    np.testing.assert_allclose(boost, [0.5, 0.5 * 1.0, 0, 0.5, 0.5], rtol=1e-6)
    assert source.tolist() == ["a", "b", "", "a", "b"]


def test_rerank_zero_weight_keeps_order_and_boost_moves_items_up():
    cands = np.array([[0, 1, 2, -1]])
    boost = np.array([0.0, 0.0, 1.0], dtype=np.float32)
    assert rerank(cands, boost, 0.0, 3)[0].tolist() == [[0, 1, 2]]
    assert rerank(cands, boost, 1.0, 3)[0].tolist() == [[2, 0, 1]]


def test_choose_weight_finds_lift_and_reports_nil():
    cands = np.array([[0, 1, 2], [0, 1, 2]])
    target = sp.csr_matrix(np.array([[0, 0, 1], [0, 0, 1]]))
    helpful = choose_issue_weight(cands, target, np.array([0, 0, 1.0]), k=1)
    assert helpful["weight"] > 0 and helpful["lift"] > 0
    useless = choose_issue_weight(cands, target, np.array([1.0, 0, 0]), k=1)
    assert useless["weight"] == 0.0 and useless["lift"] == 0.0


@given(st.text())
def test_normalise_never_raises_and_is_idempotent(s):
    assert normalise(normalise(s)) == normalise(s)
