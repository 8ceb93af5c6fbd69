"""Choices made on validation (issue 15): the user-sized window, the ridge grid, the served list,
the similar-items lists."""
import numpy as np
import pandas as pd
import scipy.sparse as sp
from hypothesis import given, settings, strategies as st

from recommender.baselines import ItemKNN
from recommender.data import DataSettings, Interactions
from recommender.ease import EASE
from recommender.ensemble import Ensemble
from recommender.selection import choose_served, choose_similar, tune_ease, validation_cut
from recommender.similar import similar_matrix, similar_records
from recommender.splits import time_split
from tests.recommender.suite import planted_frame


def _split_users(times: sp.csr_matrix, cut: float) -> int:
    """The slow reference: users with a like before the cut and one at or after it."""
    n = 0
    for r in range(times.shape[0]):
        row = times.data[times.indptr[r]:times.indptr[r + 1]]
        n += bool(len(row)) and (row < cut).any() and (row >= cut).any()
    return n


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.integers(0, 6), st.integers(0, 50)), min_size=2, max_size=60),
       st.integers(1, 6))
def test_validation_cut_is_the_latest_cut_with_enough_users(rows, n_users):
    df = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"]).astype({"user_id": str, "item_id": str})
    data = Interactions.from_frame(df, settings=DataSettings(min_user_count=1, min_item_count=1))
    cut = validation_cut(data, n_users)
    times = data.times.tocsr()
    counts = {c: _split_users(times, c) for c in np.unique(times.data)}
    enough = [c for c, n in counts.items() if n >= n_users]
    if enough:
        assert cut == max(enough)
    else:
        assert counts.get(cut, 0) == max(counts.values())


def test_ridge_and_served_list_come_from_validation():
    df = planted_frame(n_users=120, per_user=10)
    df["timestamp"] = np.random.default_rng(1).integers(0, 10 * 86400, len(df))
    data = Interactions.from_frame(df, settings=DataSettings(min_user_count=1, min_item_count=1))
    cut = validation_cut(data, 20)
    train, holdout = time_split(data, cut)
    assert holdout.n_users >= 20
    l2, scores = tune_ease(train, holdout, (1.0, 10.0, 1000.0))
    assert set(scores) == {1.0, 10.0, 1000.0} and scores[l2] == max(scores.values())
    ens = Ensemble([EASE(l2=l2), ItemKNN()]).fit(train)
    served, metrics = choose_served(ens, holdout, data.item_ids)
    assert set(metrics) == {"vote", "rrf", "ease"}
    assert metrics[served]["ndcg@20"] == max(m["ndcg@20"] for m in metrics.values())
    best, sim_metrics = choose_similar({"ease": ens.members[0].weights_, "item_knn": ens.members[1].similarity_},
                                       holdout)
    assert sim_metrics[best]["ndcg@20"] == max(m["ndcg@20"] for m in sim_metrics.values())


def test_similar_lists_are_sorted_positive_and_never_the_item_itself():
    rng = np.random.default_rng(0)
    weights = rng.normal(size=(30, 30)).astype(np.float32)
    records = similar_records(similar_matrix(weights, k=5), np.array([f"i{j}" for j in range(30)]), "ease")
    for j, r in enumerate(records):
        scores = [x["score"] for x in r["similar"]]
        assert 0 < len(scores) <= 5 and scores == sorted(scores, reverse=True) and min(scores) > 0
        assert r["item_id"] not in {x["item_id"] for x in r["similar"]}
        row = weights[j].copy()
        row[j] = -np.inf
        assert r["similar"][0]["item_id"] == f"i{int(np.argmax(row))}"
