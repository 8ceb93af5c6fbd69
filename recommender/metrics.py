"""Top-N metrics over ranked item indices and a sparse target matrix.

    >>> ranked = np.array([[3, 1, 2]])
    >>> target = sp.csr_matrix(np.array([[0, 1, 0, 0]]))
    >>> float(recall_at_k(ranked, target, 3)), float(hit_at_k(ranked, target, 1))
    (1.0, 0.0)

Recall@k uses ``min(k, |target|)`` in the denominator (Liang et al. 2018) so that a
perfect ranking scores 1; NDCG@k uses binary gains and the same ideal cut-off. All
functions return the mean over users; ``per_user=True`` gives the vector.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["hits_matrix", "recall_at_k", "ndcg_at_k", "hit_at_k", "coverage", "evaluate_ranking"]


def hits_matrix(ranked: np.ndarray, target: sp.csr_matrix, k: int) -> np.ndarray:
    """Boolean (n_users, k): is the item at each rank in the user's target set?"""
    ranked = np.asarray(ranked)[:, :k]
    target = sp.csr_matrix(target)
    rows = np.repeat(np.arange(ranked.shape[0]), ranked.shape[1])
    cols = ranked.ravel()
    valid = cols >= 0
    out = np.zeros(len(cols), dtype=bool)
    out[valid] = np.asarray(target[rows[valid], cols[valid]]).ravel() > 0
    return out.reshape(ranked.shape)


def _n_target(target) -> np.ndarray:
    return np.diff(sp.csr_matrix(target).indptr)


def recall_at_k(ranked, target, k, per_user=False):
    hits = hits_matrix(ranked, target, k).sum(axis=1)
    v = hits / np.maximum(np.minimum(k, _n_target(target)), 1)
    return v if per_user else float(v.mean())


def ndcg_at_k(ranked, target, k, per_user=False):
    hits = hits_matrix(ranked, target, k)
    disc = 1.0 / np.log2(np.arange(2, hits.shape[1] + 2))
    dcg = (hits * disc).sum(axis=1)
    n_ideal = np.minimum(k, _n_target(target))
    full_disc = 1.0 / np.log2(np.arange(2, k + 2))
    idcg = np.concatenate([[0.0], np.cumsum(full_disc)])[n_ideal]
    v = dcg / np.maximum(idcg, 1e-12)
    return v if per_user else float(v.mean())


def hit_at_k(ranked, target, k, per_user=False):
    v = hits_matrix(ranked, target, k).any(axis=1).astype(float)
    return v if per_user else float(v.mean())


def coverage(ranked, n_items: int, k: int) -> float:
    """Share of the catalogue that appears in at least one user's top-k."""
    r = np.asarray(ranked)[:, :k]
    return float(len(np.unique(r[r >= 0])) / max(n_items, 1))


def evaluate_ranking(ranked: np.ndarray, target: sp.csr_matrix, n_items: int) -> dict[str, float]:
    """The benchmark's standard set on one ranked list (needs at least 100 columns for NDCG@100)."""
    return {
        "recall@20": recall_at_k(ranked, target, 20),
        "ndcg@20": ndcg_at_k(ranked, target, 20),
        "ndcg@100": ndcg_at_k(ranked, target, 100),
        "hit@10": hit_at_k(ranked, target, 10),
        "coverage@20": coverage(ranked, n_items, 20),
    }
