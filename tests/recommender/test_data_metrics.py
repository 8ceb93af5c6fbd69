import numpy as np
import pandas as pd
import scipy.sparse as sp
from hypothesis import given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from recommender.base import top_k
from recommender.data import DataSettings, Interactions, data_fingerprint, filter_min_counts
from recommender.metrics import hit_at_k, ndcg_at_k, recall_at_k
from recommender.splits import strong_generalization_split, time_split
from tests.recommender.suite import planted_frame, planted_interactions


def test_threshold_dedup_and_iterative_filter():
    df = pd.DataFrame({"user_id": [1, 1, 1, 2, 2, 3], "item_id": [1, 2, 2, 1, 2, 1],
                       "rating": [5, 4, 4, 3, 1, 5], "timestamp": [1, 2, 3, 4, 5, 6]})
    d = Interactions.from_frame(df, settings=DataSettings(min_user_count=2, min_item_count=2))
    # rating 1 dropped -> user 2 and 3 have one item -> removed -> item 1,2 have one user -> removed
    assert d.n_users == 0 or d.matrix.nnz == 0


def test_filter_reaches_fixpoint():
    df = planted_frame(seed=3)
    out = filter_min_counts(df, 8, 10)
    assert (out.user_id.value_counts() >= 8).all() and (out.item_id.value_counts() >= 10).all()


def test_iso_timestamps_and_fingerprint():
    df = pd.DataFrame({"user_id": ["a", "b"], "item_id": ["x", "x"],
                       "timestamp": ["2024-01-01T00:00:00+09:00", "2024-01-01T01:00:00Z"]})
    d = Interactions.from_frame(df, settings=DataSettings(min_user_count=1, min_item_count=1))
    assert d.times.toarray().ravel().tolist() == [1704034800.0, 1704070800.0]
    assert data_fingerprint(d) == data_fingerprint(Interactions.from_frame(
        df.iloc[::-1], settings=DataSettings(min_user_count=1, min_item_count=1)))


def test_strong_generalization_split_disjoint():
    data = planted_interactions()
    train, val, test = strong_generalization_split(data, 10, np.random.default_rng(0))
    assert not (set(train.user_ids) & set(val.user_ids)) and not (set(val.user_ids) & set(test.user_ids))
    assert val.fold_in.multiply(val.target).nnz == 0
    tot = val.fold_in + val.target
    assert (np.diff(val.target.indptr) <= np.ceil(0.2 * np.diff(tot.indptr))).all()


def test_time_split_respects_cutoff():
    data = planted_interactions()
    cutoff = np.median(data.times.data)
    train, hold = time_split(data, cutoff)
    assert train.times.data.max() < cutoff
    assert hold.n_users > 0 and hold.fold_in.multiply(hold.target).nnz == 0


def test_metrics_hand_computed():
    ranked = np.array([[0, 1, 2, 3], [3, 2, 1, 0]])
    target = sp.csr_matrix(np.array([[0, 1, 0, 1], [1, 0, 0, 0]]))
    assert recall_at_k(ranked, target, 2) == (0.5 + 0.0) / 2
    expected = (1 / np.log2(3)) / (1 + 1 / np.log2(3))
    np.testing.assert_allclose(ndcg_at_k(ranked, target, 2, per_user=True), [expected, 0.0])
    assert hit_at_k(ranked, target, 4) == 1.0


@settings(max_examples=50, deadline=None)
@given(arrays(np.float32, st.tuples(st.integers(1, 5), st.integers(1, 30)),
              elements=st.floats(-1e6, 1e6, width=32)), st.integers(1, 40))
def test_top_k_sorted_unique_matches_sort(scores, k):
    idx, vals = top_k(scores, k)
    kk = min(k, scores.shape[1])
    assert idx.shape == (scores.shape[0], kk)
    assert np.all(np.diff(vals, axis=1) <= 0)
    assert all(len(set(r)) == kk for r in idx)
    ref = -np.sort(-scores, axis=1)[:, :kk]
    np.testing.assert_array_equal(vals, ref)


def test_from_pairs_repeated_pair_keeps_latest_time():
    d = Interactions.from_pairs(["a", "a", "b"], ["x", "x", "x"], [5.0, 9.0, 1.0])
    assert d.matrix.toarray().tolist() == [[1.0], [1.0]]
    assert d.times.toarray().ravel().tolist() == [9.0, 1.0]
