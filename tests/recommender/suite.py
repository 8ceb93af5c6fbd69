"""The shared checks every recommender model passes; each model's test file subclasses this.

    class TestEASE(RecommenderSuite):
        def make_model(self):
            return EASE(l2=10.0)

Data is a small planted-cluster world (``planted_interactions``): users of cluster c like
mostly items of cluster c, so a working model puts in-cluster items first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

from recommender.base import NotFittedError, Recommender, UnknownUserError
from recommender.data import DataSettings, Interactions

N_CLUSTERS = 3


def planted_frame(n_users=90, n_items=45, per_user=8, noise=0.1, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    items_per = n_items // N_CLUSTERS
    rows = []
    for u in range(n_users):
        c = u % N_CLUSTERS
        own = rng.choice(np.arange(c * items_per, (c + 1) * items_per), per_user, replace=False)
        for i in own:
            if rng.random() < noise:
                i = rng.integers(n_items)
            rows.append((f"u{u}", f"i{i}", 5, 1_600_000_000 + u * 3600 + int(i)))
    return pd.DataFrame(rows, columns=["user_id", "item_id", "rating", "timestamp"])


def planted_interactions(**kw) -> Interactions:
    df = planted_frame(**kw)
    items = pd.DataFrame({"item_id": sorted(df.item_id.unique())})
    items["title"] = "title " + items.item_id
    return Interactions.from_frame(df, items=items, settings=DataSettings(min_user_count=1, min_item_count=1))


def cluster_of(ids) -> np.ndarray:
    n_items_per = 45 // N_CLUSTERS
    return np.array([int(str(x)[1:]) // n_items_per for x in np.ravel(ids)]).reshape(np.shape(ids))


class RecommenderSuite:
    """Subclass and implement ``make_model``; set ``learns_clusters = False`` for baselines."""

    learns_clusters = True
    min_in_cluster = 0.8

    def make_model(self) -> Recommender:
        raise NotImplementedError

    @pytest.fixture(scope="class")
    def data(self):
        return planted_interactions()

    @pytest.fixture(scope="class")
    def fitted(self, data):
        return self.make_model().fit(data)

    def test_fit_returns_self(self, data):
        model = self.make_model()
        assert model.fit(data) is model
        assert any(k.endswith("_") for k in vars(model))

    def test_not_fitted_raises(self):
        with pytest.raises(NotFittedError):
            self.make_model().recommend(["u0"], k=3)

    def test_shapes_sorted_unique_known_ids(self, fitted, data):
        users = data.user_ids[:7]
        ids, scores = fitted.recommend(users, k=5)
        assert ids.shape == scores.shape == (7, 5)
        assert np.all(np.diff(scores, axis=1) <= 0)
        assert all(len(set(row)) == 5 for row in ids)
        assert set(ids.ravel()) <= set(data.item_ids)
        assert np.isfinite(scores).all()

    def test_excludes_seen(self, fitted, data):
        ids, _ = fitted.recommend(data.user_ids, k=10)
        for u, row in zip(data.user_ids, ids):
            r = data.user_index([u])[0]
            seen = set(data.item_ids[data.matrix[r].indices])
            assert not (seen & set(row))

    def test_include_seen_allowed(self, fitted, data):
        ids, _ = fitted.recommend(data.user_ids[:3], k=data.n_items, exclude_seen=False)
        assert ids.shape == (3, data.n_items)

    def test_k_clipped_and_tail_is_minus_inf(self, fitted, data):
        ids, scores = fitted.recommend(data.user_ids[:2], k=data.n_items + 10)
        assert ids.shape[1] == data.n_items
        n_seen = np.diff(data.matrix[data.user_index(data.user_ids[:2])].indptr)
        for row, s in zip(scores, n_seen):
            assert np.isneginf(row[-s:]).all() and np.isfinite(row[:-s]).all()

    def test_unknown_user(self, fitted):
        with pytest.raises(UnknownUserError, match="1 user"):
            fitted.recommend(["nobody"], k=3)

    def test_deterministic(self, data, fitted):
        again = self.make_model().fit(data)
        a, sa = fitted.recommend(data.user_ids[:10], k=5)
        b, sb = again.recommend(data.user_ids[:10], k=5)
        np.testing.assert_array_equal(a, b)
        np.testing.assert_allclose(sa, sb, rtol=1e-5, atol=1e-6)

    def test_fold_in_matches_recommend(self, fitted, data):
        rows = np.arange(4)
        idx, _ = fitted.recommend_history(data.matrix[rows], k=5)
        ids, _ = fitted.recommend(data.user_ids[rows], k=5)
        np.testing.assert_array_equal(data.item_ids[idx], ids)

    def test_learns_planted_clusters(self, fitted, data):
        if not self.learns_clusters:
            pytest.skip("a baseline is not expected to personalise")
        ids, _ = fitted.recommend(data.user_ids, k=3)
        user_cluster = np.array([int(u[1:]) % N_CLUSTERS for u in data.user_ids])
        share = (cluster_of(ids) == user_cluster[:, None]).mean()
        assert share >= self.min_in_cluster, share

    def test_empty_history_row(self, fitted, data):
        idx, scores = fitted.recommend_history(sp.csr_matrix((1, data.n_items), dtype=np.float32), k=3)
        assert idx.shape == (1, 3) and np.isfinite(scores).all()
