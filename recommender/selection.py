"""Choices made on validation: the window, EASE's ridge, the served list, the similar-items model.

    >>> import pandas as pd
    >>> from recommender.data import DataSettings, Interactions
    >>> df = pd.DataFrame({"user_id": list("aabbccdd"), "item_id": list("xyxyxzyz"),
    ...                    "timestamp": [1, 9, 2, 8, 3, 7, 4, 5]})
    >>> data = Interactions.from_frame(df, settings=DataSettings(min_user_count=1, min_item_count=1))
    >>> cut = validation_cut(data, n_users=3)      # the latest cut with 3 users on both sides
    >>> cut, int((data.times.tocoo().data >= cut).sum())
    (7.0, 3)

``validation_cut`` sizes the time-based validation window by users, not by days: the latest
time such that at least ``n_users`` users have liked items both before it (what is folded in)
and at or after it (the target). ``tune_ease`` fits EASE for each ridge of a grid on the
training part and keeps the best NDCG@k on the window. ``choose_served`` scores the three
lists ``recommend`` can serve (``vote``: the hard vote with the fused fill, ``rrf``: the fused
list, ``ease``: EASE alone) on the same window and picks the best NDCG@k (ties: the simpler,
EASE first). ``choose_similar`` does the same for the item-to-item lists (EASE's weights or
item-kNN cosine), scoring each as a recommender that sums the similar-items lists of the user's
items. ``champion_reference`` is the current model as the champion gate judges it: its own
recipe refitted on its own data before the candidate's window, so neither model has seen the
window's targets (the served model's EASE was refitted on all data, targets included).

    >>> ens = Ensemble([EASE(l2=1.0)]).fit(data)
    >>> ref = champion_reference(ens, cut)
    >>> int(ref.train_.matrix.sum()), int(ens.train_.matrix.sum()), ref.members[0].l2
    (5, 8, 1.0)
"""

from __future__ import annotations

import copy

import numpy as np
import scipy.sparse as sp

from recommender.ease import EASE
from recommender.ensemble import Ensemble
from recommender.neural import NeuralRecommender
from recommender.splits import time_split
from recommender.metrics import ndcg_at_k, recall_at_k
from recommender.serving import SERVED_METHODS, holdout_metrics_by_id
from recommender.similar import similar_matrix

__all__ = ["validation_cut", "tune_ease", "choose_served", "choose_similar", "champion_reference"]


def validation_cut(data, n_users: int) -> float:
    """The latest cut (an interaction time) with >= ``n_users`` users on both sides of it."""
    t = data.times.tocsr()
    firsts, lasts = [], []
    for r in range(t.shape[0]):
        row = t.data[t.indptr[r]:t.indptr[r + 1]]
        if len(row) >= 2:
            firsts.append(row.min())
            lasts.append(row.max())
    firsts, lasts = np.sort(firsts), np.sort(lasts)
    cuts = np.unique(t.data)[::-1]
    # users split by c: first < c <= last  ==  #(first < c) - #(last < c)
    n_split = np.searchsorted(firsts, cuts, side="left") - np.searchsorted(lasts, cuts, side="left")
    ok = np.flatnonzero(n_split >= n_users)
    if not len(ok):
        best = int(np.argmax(n_split)) if len(n_split) else 0
        return float(cuts[best]) if len(cuts) else 0.0
    return float(cuts[ok[0]])


def tune_ease(train, holdout, grid, k: int = 20, fitted: dict | None = None
              ) -> tuple[float, dict[float, float]]:
    """The ridge of ``grid`` with the best NDCG@k of EASE on ``holdout`` (ties: the larger). The
    Gram matrix is computed once for the grid; ``fitted`` (a dict) receives the best model."""
    scores, best_key, best_model = {}, None, None
    gram = EASE.gram(train)
    for l2 in grid:
        model = EASE(l2=float(l2)).fit_gram(train, gram)
        idx, _ = model.recommend_history(holdout.fold_in, k)
        scores[float(l2)] = ndcg_at_k(idx, holdout.target, k)
        if best_key is None or (scores[float(l2)], float(l2)) > best_key:
            best_key, best_model = (scores[float(l2)], float(l2)), model
    best = best_key[1]
    if fitted is not None:
        fitted["ease"] = best_model
    return best, scores


def choose_served(ens, holdout, item_ids, k: int = 20) -> tuple[str, dict[str, dict]]:
    """The served list with the best NDCG@k on ``holdout`` and every list's metrics."""
    methods = [m for m in SERVED_METHODS if m != "ease" or "ease" in ens.member_names]
    metrics = {m: holdout_metrics_by_id(ens, holdout.fold_in, holdout.target, item_ids, k, method=m)
               for m in methods}
    order = {"ease": 0, "vote": 1, "rrf": 2}
    best = max(metrics, key=lambda m: (metrics[m][f"ndcg@{k}"], -order[m]))
    return best, metrics


def similar_scores(similar: sp.csr_matrix, history: sp.csr_matrix) -> np.ndarray:
    scores = np.asarray((sp.csr_matrix(history) @ similar).todense(), dtype=np.float32)
    rows, cols = sp.csr_matrix(history).nonzero()
    scores[rows, cols] = -np.inf
    return scores


def choose_similar(candidates: dict, holdout, k: int = 20, n_similar: int = 20
                   ) -> tuple[str, dict[str, dict]]:
    """``candidates``: name -> item-item matrix (row i: how i points to others). The best by NDCG@k
    of the user scores that sum the top-``n_similar`` lists of the user's items."""
    from recommender.base import top_k
    metrics = {}
    for name, weights in candidates.items():
        sim = similar_matrix(weights, n_similar)
        idx, val = top_k(similar_scores(sim, holdout.fold_in), k)
        idx = np.where(np.isfinite(val) & (val > 0), idx, -1)
        metrics[name] = {f"ndcg@{k}": ndcg_at_k(idx, holdout.target, k),
                         f"recall@{k}": recall_at_k(idx, holdout.target, k)}
    best = max(metrics, key=lambda m: (metrics[m][f"ndcg@{k}"], m == "ease"))
    return best, metrics


def champion_reference(ens: Ensemble, cut: float) -> Ensemble:
    """The fitted ensemble ``ens`` with every closed-form member (EASE, item-kNN, ...) refitted with
    its own settings on ``ens``'s training data before ``cut``; the neural members are kept as they
    are (they never see the data after their own validation cut). Ids and item columns are
    unchanged, so it scores the candidate's window exactly like ``ens`` would."""
    before, _ = time_split(ens.train_, cut)
    members = [m if isinstance(m, NeuralRecommender) else copy.deepcopy(m).fit(before) for m in ens.members]
    reference = copy.copy(ens)                   # same voting and fusion settings
    reference.members = members
    return reference.fit_from_members(before)
