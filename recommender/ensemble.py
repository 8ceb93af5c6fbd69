"""Combining models: hard voting over top-10 lists, and reciprocal-rank fusion.

    >>> import pandas as pd
    >>> from recommender.data import DataSettings, Interactions
    >>> df = pd.DataFrame({"user_id": [str(u) for u in range(30) for _ in range(3)],
    ...                    "item_id": [str((u % 2) * 3 + j) for u in range(30) for j in range(3)]})
    >>> data = Interactions.from_frame(df, settings=DataSettings(min_user_count=1, min_item_count=1))
    >>> from recommender.baselines import ItemKNN
    >>> from recommender.ease import EASE
    >>> ens = Ensemble([EASE(l2=1.0), ItemKNN()], per_model_k=1).fit(data)
    >>> history = sp.csr_matrix(np.array([[1, 1, 0, 0, 0, 0]], np.float32))
    >>> votes = ens.vote_history(history)
    >>> data.item_ids[votes.item_idx[0, :1]].tolist(), votes.voter_names(0, 0)
    (['2'], ['ease', 'item_knn'])

Hard voting (as the webtoon seed does): every member proposes its top ``per_model_k``
(10) unseen items; an item's rank is ordered by the number of members that proposed it,
then by its best (lowest) mean rank among those members, then by item index. At most
``n_members * per_model_k`` candidates exist, and ``max_items`` (20) are kept. The
ensemble score is ``votes - mean_rank / (per_model_k + 1)``: it orders exactly like the
rule above and lies in ``(votes - 1, votes)``.

Reciprocal-rank fusion (Cormack et al. 2009) scores ``sum_m 1 / (c + rank_m)`` over each
member's top ``rrf_depth`` items; it gives long lists (NDCG@100) that voting cannot.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recommender.base import Recommender, UnknownUserError

__all__ = ["Ensemble", "VoteResult", "hard_vote", "reciprocal_rank_fusion"]


@dataclass
class VoteResult:
    """Per user (rows) and rank (columns); padding has item -1, score -inf, voters 0."""

    item_idx: np.ndarray
    scores: np.ndarray
    votes: np.ndarray
    mean_rank: np.ndarray
    voters: np.ndarray  # bitmask over members: bit m set when member m proposed the item
    member_names: list[str]

    def voter_names(self, row: int, col: int) -> list[str]:
        mask = int(self.voters[row, col])
        return [n for m, n in enumerate(self.member_names) if mask >> m & 1]


def _group(n_users: int, users, items, values_by_key: dict, n_items: int):
    key = users.astype(np.int64) * n_items + items
    uniq, inv = np.unique(key, return_inverse=True)
    out = {name: np.bincount(inv, weights=v, minlength=len(uniq)) for name, v in values_by_key.items()}
    return uniq // n_items, uniq % n_items, out


def _take_top(n_users, u, i, key, k, extra: dict):
    order = np.lexsort((i, -key, u))
    u, i, key = u[order], i[order], key[order]
    extra = {n: v[order] for n, v in extra.items()}
    start = np.searchsorted(u, np.arange(n_users))
    pos = np.arange(len(u)) - start[u]
    keep = pos < k
    idx = np.full((n_users, k), -1, dtype=np.int64)
    val = np.full((n_users, k), -np.inf, dtype=np.float32)
    idx[u[keep], pos[keep]] = i[keep]
    val[u[keep], pos[keep]] = key[keep]
    out = {}
    for n, v in extra.items():
        a = np.zeros((n_users, k), dtype=v.dtype)
        a[u[keep], pos[keep]] = v[keep]
        out[n] = a
    return idx, val, out


def hard_vote(member_ranked: list[np.ndarray], n_items: int, per_model_k: int = 10,
              max_items: int = 20, member_names: list[str] | None = None) -> VoteResult:
    """Vote over members' ranked index arrays (n_users x >=per_model_k, -1 = no item)."""
    n_users = member_ranked[0].shape[0]
    us, its, ranks, bits = [], [], [], []
    for m, ranked in enumerate(member_ranked):
        r = np.asarray(ranked)[:, :per_model_k]
        uu, pp = np.nonzero(r >= 0)
        us.append(uu); its.append(r[uu, pp]); ranks.append(pp + 1.0)
        bits.append(np.full(len(uu), float(1 << m)))
    u, i, agg = _group(n_users, np.concatenate(us), np.concatenate(its),
                       {"votes": np.ones(sum(map(len, us))), "rank_sum": np.concatenate(ranks),
                        "bits": np.concatenate(bits)}, n_items)
    mean_rank = agg["rank_sum"] / agg["votes"]
    key = agg["votes"] - mean_rank / (per_model_k + 1)
    idx, val, extra = _take_top(n_users, u, i, key, max_items,
                                {"votes": agg["votes"].astype(np.int64), "mean_rank": mean_rank,
                                 "voters": agg["bits"].astype(np.int64)})
    names = member_names or [f"m{m}" for m in range(len(member_ranked))]
    return VoteResult(idx, val, extra["votes"], extra["mean_rank"], extra["voters"], names)


def reciprocal_rank_fusion(member_ranked: list[np.ndarray], n_items: int, k: int = 100,
                           c: float = 60.0) -> tuple[np.ndarray, np.ndarray]:
    """Fused top-k indices and RRF scores from members' ranked index arrays."""
    n_users = member_ranked[0].shape[0]
    us, its, w = [], [], []
    for ranked in member_ranked:
        uu, pp = np.nonzero(np.asarray(ranked) >= 0)
        us.append(uu); its.append(np.asarray(ranked)[uu, pp]); w.append(1.0 / (c + pp + 1.0))
    u, i, agg = _group(n_users, np.concatenate(us), np.concatenate(its), {"s": np.concatenate(w)}, n_items)
    idx, val, _ = _take_top(n_users, u, i, agg["s"], k, {})
    return idx, val


class Ensemble(Recommender):
    """Members are fitted together; ``method`` picks voting (default) or RRF for ``recommend``."""

    name = "ensemble"

    def __init__(self, members: list[Recommender], per_model_k: int = 10, max_items: int = 20,
                 method: str = "vote", rrf_depth: int = 200, rrf_c: float = 60.0):
        self.members = members
        self.per_model_k = per_model_k
        self.max_items = max_items
        self.method = method
        self.rrf_depth = rrf_depth
        self.rrf_c = rrf_c

    @property
    def member_names(self) -> list[str]:
        return [m.name for m in self.members]

    def _fit(self, interactions, validation) -> None:
        if self.method not in ("vote", "rrf"):
            raise ValueError(f"method must be 'vote' or 'rrf', not {self.method!r}")
        if len(set(self.member_names)) != len(self.members):
            raise ValueError(f"member names must be unique: {self.member_names}")
        for m in self.members:
            if not hasattr(m, "train_"):
                m.fit(interactions, validation)
        self.fitted_members_ = list(self.members)

    def fit_from_members(self, interactions) -> "Ensemble":
        """Adopt already-fitted members without refitting them."""
        self.train_ = interactions
        self._fit(interactions, None)
        return self

    def member_lists(self, history, depth: int, exclude_seen: bool, exclude=None) -> list[np.ndarray]:
        lists = []
        for m in self.members:
            idx, val = m.recommend_history(history, depth, exclude_seen, exclude)
            lists.append(np.where(np.isfinite(val), idx, -1))
        return lists

    def vote_history(self, history: sp.csr_matrix, exclude_seen: bool = True) -> VoteResult:
        self._check_fitted()
        lists = self.member_lists(history, self.per_model_k, exclude_seen)
        return hard_vote(lists, self.train_.n_items, self.per_model_k, self.max_items, self.member_names)

    def recommend_history(self, history, k: int = 10, exclude_seen: bool = True, exclude=None):
        self._check_fitted()
        history = sp.csr_matrix(history, dtype=np.float32)
        k = min(int(k), self.train_.n_items)
        if self.method == "vote":
            lists = self.member_lists(history, self.per_model_k, exclude_seen, exclude)
            res = hard_vote(lists, self.train_.n_items, self.per_model_k, self.max_items, self.member_names)
            idx, val = res.item_idx[:, :k], res.scores[:, :k]
        else:
            lists = self.member_lists(history, max(k, self.rrf_depth), exclude_seen, exclude)
            idx, val = reciprocal_rank_fusion(lists, self.train_.n_items, k, self.rrf_c)
        return idx, val

    def recommend(self, users, k: int = 10, exclude_seen: bool = True):
        """Like ``Recommender.recommend``; padding positions have item id ``None``."""
        self._check_fitted()
        rows = self.train_.user_index(users)
        if (rows < 0).any():
            raise UnknownUserError(np.asarray(users)[rows < 0])
        idx, val = self.recommend_history(self.train_.matrix[rows], k, exclude_seen)
        ids = np.where(idx >= 0, self.train_.item_ids[np.maximum(idx, 0)], None)
        return ids, val
