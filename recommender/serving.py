"""From a fitted ensemble to the ranked, explained lists the portal imports.

    >>> import pandas as pd
    >>> from recommender.baselines import ItemKNN
    >>> from recommender.data import DataSettings, Interactions
    >>> from recommender.ease import EASE
    >>> df = pd.DataFrame({"user_id": ["u1", "u1", "u2", "u2", "u3", "u3"],
    ...                    "item_id": ["a", "b", "a", "c", "b", "c"]})
    >>> data = Interactions.from_frame(df, settings=DataSettings(min_user_count=1, min_item_count=1))
    >>> ens = Ensemble([EASE(l2=1.0), ItemKNN()], per_model_k=2).fit(data)
    >>> history = sp.csr_matrix(np.array([[1, 0, 0]], np.float32))     # a new user who liked 'a'
    >>> touched = sp.csr_matrix(np.array([[1, 0, 1]], np.float32))     # ... and rated 'c' badly
    >>> cands = ensemble_candidates(ens, history, n_candidates=3, exclude=touched)
    >>> cands = fill_with_fallback(cands, np.array([0.0, 0.5, 1.0]), touched, n_candidates=3)
    >>> rows = explain_lists(cands, ["new"], data.item_ids, np.zeros(3), np.full(3, ""), 0.0, k=3)
    >>> [(i["item_id"], i["voted_by"]) for i in rows[0]["items"]]
    [('b', ['ease', 'item_knn'])]

``ensemble_candidates`` asks every member once for its top ``n_candidates``; with the
``vote`` method the hard vote over their top-10s comes first (up to 20 items) and the
reciprocal-rank-fused list fills the remainder, so re-ranking has items below the vote to
promote; ``rrf`` serves the fused list alone, ``ease`` EASE's list alone (whichever won on
validation). ``exclude`` masks what the user touched but did not like. ``fill_with_fallback``
tops short lists up from the fallback ranking (popular and trending items), never with a
touched item. ``explain_lists`` turns re-ranked candidates into plain records: per user the
items with rank, score, the members that voted for each (empty for the fused fill and the
fallback), ``fallback`` when the item came from the fallback list, and the issue that
boosted it.

``holdout_metrics_by_id`` evaluates any fitted ensemble on a holdout built over a
*different* item index (yesterday's model on today's validation window), mapping by id.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recommender.ensemble import Ensemble, hard_vote, reciprocal_rank_fusion
from recommender.issue_features import rerank
from recommender.metrics import hit_at_k, ndcg_at_k, recall_at_k

__all__ = ["Candidates", "ensemble_candidates", "explain_lists", "holdout_metrics_by_id",
           "fill_with_fallback", "SERVED_METHODS"]

SERVED_METHODS = ("vote", "rrf", "ease")


@dataclass
class Candidates:
    item_idx: np.ndarray  # (n_users, n_candidates), -1 padded, vote first then fused fill
    voters: np.ndarray  # member bitmask per candidate (0 for fill-only items)
    member_names: list[str]
    fallback: np.ndarray | None = None  # True where the item came from the fallback list


def _first_unique(rows: np.ndarray, width: int) -> np.ndarray:
    out = np.full((rows.shape[0], width), -1, dtype=np.int64)
    for u, row in enumerate(rows):
        row = row[row >= 0]
        _, first = np.unique(row, return_index=True)
        keep = row[np.sort(first)][:width]
        out[u, :len(keep)] = keep
    return out


def ensemble_candidates(ens: Ensemble, history: sp.csr_matrix, n_candidates: int = 40,
                        exclude_seen: bool = True, exclude: sp.csr_matrix | None = None,
                        method: str = "vote") -> Candidates:
    if method not in SERVED_METHODS:
        raise ValueError(f"served method must be one of {SERVED_METHODS}, not {method!r}")
    history = sp.csr_matrix(history, dtype=np.float32)
    n_items = ens.train_.n_items
    depth = max(n_candidates, ens.per_model_k)
    lists = ens.member_lists(history, depth, exclude_seen, exclude)
    vote = hard_vote(lists, n_items, ens.per_model_k, ens.max_items, ens.member_names)
    if method == "ease":
        idx = _first_unique(lists[ens.member_names.index("ease")], n_candidates)
    else:
        fused, _ = reciprocal_rank_fusion(lists, n_items, depth, ens.rrf_c)
        idx = _first_unique(np.concatenate([vote.item_idx, fused], axis=1) if method == "vote" else fused,
                            n_candidates)
    voters = np.zeros_like(idx)
    for u in range(idx.shape[0]):
        vmap = dict(zip(vote.item_idx[u].tolist(), vote.voters[u].tolist()))
        voters[u] = [vmap.get(i, 0) if i >= 0 else 0 for i in idx[u].tolist()]
    return Candidates(idx, voters, ens.member_names, np.zeros(idx.shape, dtype=bool))


def fill_with_fallback(cands: Candidates, fallback_scores: np.ndarray, touched: sp.csr_matrix,
                       n_candidates: int) -> Candidates:
    """Top each list up to ``n_candidates`` with the best fallback items not touched nor listed."""
    n_users = cands.item_idx.shape[0]
    touched = sp.csr_matrix(touched)
    order = np.argsort(-np.asarray(fallback_scores), kind="stable")
    idx = np.full((n_users, n_candidates), -1, dtype=np.int64)
    voters = np.zeros((n_users, n_candidates), dtype=np.int64)
    fb = np.zeros((n_users, n_candidates), dtype=bool)
    width = min(cands.item_idx.shape[1], n_candidates)
    idx[:, :width] = cands.item_idx[:, :width]
    voters[:, :width] = cands.voters[:, :width]
    if cands.fallback is not None:
        fb[:, :width] = cands.fallback[:, :width]
    for u in range(n_users):
        have = int((idx[u] >= 0).sum())
        if have >= n_candidates:
            continue
        used = set(idx[u, :have].tolist()) | set(touched.indices[touched.indptr[u]:touched.indptr[u + 1]].tolist())
        extra = [i for i in order[:n_candidates + len(used)].tolist() if i not in used][:n_candidates - have]
        idx[u, have:have + len(extra)] = extra
        fb[u, have:have + len(extra)] = True
    return Candidates(idx, voters, cands.member_names, fb)


def fallback_candidates(n_users: int, fallback_scores: np.ndarray, touched: sp.csr_matrix, n_candidates: int,
                        member_names: list[str]) -> Candidates:
    """Lists from the fallback ranking alone (users with no usable history)."""
    empty = Candidates(np.full((n_users, 0), -1, dtype=np.int64), np.zeros((n_users, 0), dtype=np.int64),
                       member_names, np.zeros((n_users, 0), dtype=bool))
    return fill_with_fallback(empty, fallback_scores, touched, n_candidates)


def explain_lists(cands: Candidates, user_ids, item_ids, boost: np.ndarray, boost_source: np.ndarray,
                  weight: float, k: int = 20, issue_keywords: dict | None = None) -> list[dict]:
    """Re-rank and describe: one record per user with ``items`` best first."""
    ranked, scores = rerank(cands.item_idx, boost, weight, k)
    records = []
    for u, uid in enumerate(user_ids):
        pos = {int(i): p for p, i in enumerate(cands.item_idx[u]) if i >= 0}
        items = []
        for r, (i, s) in enumerate(zip(ranked[u].tolist(), scores[u].tolist())):
            if i < 0 or not np.isfinite(s):
                break
            mask = int(cands.voters[u, pos[i]])
            voted = [n for m, n in enumerate(cands.member_names) if mask >> m & 1]
            from_fallback = bool(cands.fallback is not None and cands.fallback[u, pos[i]])
            issue = None
            if weight > 0 and boost[i] > 0:
                iid = str(boost_source[i])
                issue = {"issue_id": iid, "boost": round(float(boost[i]), 6),
                         "keyword": (issue_keywords or {}).get(iid)}
            items.append({"item_id": _plain(item_ids[i]), "rank": r + 1, "score": round(float(s), 6),
                          "voted_by": voted, "fused_fill": not voted and not from_fallback,
                          "fallback": from_fallback, "issue": issue})
        records.append({"user_id": _plain(uid), "items": items})
    return records


def _plain(x):
    return x.item() if isinstance(x, np.generic) else x


def holdout_metrics_by_id(ens: Ensemble, fold_in: sp.csr_matrix, target: sp.csr_matrix,
                          item_ids: np.ndarray, k: int = 20, method: str = "vote") -> dict[str, float]:
    """NDCG/Recall@k and Hit@10 of ``ens``'s candidate top-k on a holdout over ``item_ids``."""
    model_ids = ens.train_.item_ids
    to_model = _index_in(model_ids, item_ids)  # holdout column -> model column (-1 unknown)
    fi = sp.csr_matrix(fold_in).tocoo()
    ok = to_model[fi.col] >= 0
    hist = sp.csr_matrix((np.ones(ok.sum(), np.float32), (fi.row[ok], to_model[fi.col[ok]])),
                         shape=(fold_in.shape[0], len(model_ids)))
    cands = ensemble_candidates(ens, hist, n_candidates=k, method=method)
    back = _index_in(item_ids, model_ids)
    ranked = np.where(cands.item_idx >= 0, back[np.maximum(cands.item_idx, 0)], -1)
    return {f"ndcg@{k}": ndcg_at_k(ranked, target, k), f"recall@{k}": recall_at_k(ranked, target, k),
            "hit@10": hit_at_k(ranked, target, 10), "n_users": int(fold_in.shape[0])}


def _index_in(haystack: np.ndarray, needles: np.ndarray) -> np.ndarray:
    return pd.Index(haystack).get_indexer(needles)
