"""Baselines that every learned model must beat: popularity (global, recent) and item-kNN.

    >>> import pandas as pd
    >>> from recommender.data import DataSettings, Interactions
    >>> df = pd.DataFrame({"user_id": [str(u) for u in range(30) for _ in range(3)],
    ...                    "item_id": [str((u % 2) * 3 + j) for u in range(30) for j in range(3)]})
    >>> data = Interactions.from_frame(df, settings=DataSettings(min_user_count=1, min_item_count=1))
    >>> Popularity().fit(data).recommend(["0"], k=2)[0].tolist()    # user 0 liked 0, 1, 2
    [['3', '4']]
    >>> ids, scores = ItemKNN(n_neighbors=100).fit(data).recommend(["0", "1"], k=1)
    >>> ids.tolist(), scores.round(2).tolist()         # nothing co-liked: zero similarity
    ([['3'], ['0']], [[0.0], [0.0]])

``Popularity`` counts positives per item; with ``recent_days`` only the interactions of
the last ``recent_days`` before the newest timestamp count (falling back to all-time
counts, scaled below them, for items with none). ``ItemKNN`` scores an item by the sum of
its cosine similarities to the user's items, keeping ``n_neighbors`` per item.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from recommender.base import Recommender

__all__ = ["Popularity", "ItemKNN"]


class Popularity(Recommender):
    """Most-liked items first, the same list for everyone (minus what they have seen)."""

    def __init__(self, recent_days: float | None = None):
        self.recent_days = recent_days

    @property
    def name(self) -> str:
        return "pop_recent" if self.recent_days else "pop"

    def _fit(self, interactions, validation) -> None:
        counts = np.asarray(interactions.matrix.sum(axis=0)).ravel().astype(np.float64)
        scores = counts / max(counts.max(), 1.0)
        if self.recent_days and interactions.times is not None and interactions.times.nnz:
            t = interactions.times.tocoo()
            cutoff = t.data.max() - self.recent_days * 86400.0
            recent = np.bincount(t.col[t.data >= cutoff], minlength=interactions.n_items).astype(np.float64)
            # recent counts dominate; all-time popularity only breaks ties / fills the tail
            scores = recent + scores * 0.5
        self.scores_ = scores.astype(np.float32)

    def _score(self, history: sp.csr_matrix) -> np.ndarray:
        return np.broadcast_to(self.scores_, (history.shape[0], len(self.scores_))).copy()


class ItemKNN(Recommender):
    """Item-based nearest neighbours with cosine similarity, truncated to ``n_neighbors``."""

    name = "item_knn"

    def __init__(self, n_neighbors: int = 100, shrinkage: float = 0.0):
        self.n_neighbors = n_neighbors
        self.shrinkage = shrinkage

    def _fit(self, interactions, validation) -> None:
        X = sp.csc_matrix(interactions.matrix, dtype=np.float32)
        norms = np.sqrt(np.asarray(X.multiply(X).sum(axis=0)).ravel())
        co = (X.T @ X).tocsr().astype(np.float32)
        co.setdiag(0.0)
        co.eliminate_zeros()
        coo = co.tocoo()
        denom = norms[coo.row] * norms[coo.col] + self.shrinkage
        sim = sp.csr_matrix((coo.data / np.maximum(denom, 1e-12), (coo.row, coo.col)), shape=co.shape)
        self.similarity_ = self._truncate(sim, self.n_neighbors)

    @staticmethod
    def _truncate(sim: sp.csr_matrix, k: int) -> sp.csr_matrix:
        """Keep the k largest entries per column (neighbours of each target item)."""
        sim = sim.tocsc()
        rows, cols, vals = [], [], []
        for j in range(sim.shape[1]):
            lo, hi = sim.indptr[j], sim.indptr[j + 1]
            data, idx = sim.data[lo:hi], sim.indices[lo:hi]
            if len(data) > k:
                keep = np.argpartition(-data, k - 1)[:k]
                data, idx = data[keep], idx[keep]
            rows.append(idx)
            cols.append(np.full(len(idx), j))
            vals.append(data)
        if not rows:
            return sp.csr_matrix(sim.shape, dtype=np.float32)
        return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                             shape=sim.shape, dtype=np.float32)

    def _score(self, history: sp.csr_matrix) -> np.ndarray:
        return np.asarray((history @ self.similarity_).toarray())
