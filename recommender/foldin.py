"""Serving every user: each user's history at serving time, folded into the model, or a fallback.

    >>> import pandas as pd
    >>> liked = pd.DataFrame({"user_id": ["u1", "u2", "new"], "item_id": ["a", "b", "a"],
    ...                       "timestamp": [1.0, 2.0, 3.0]})
    >>> touched = pd.concat([liked, pd.DataFrame({"user_id": ["u1"], "item_id": ["c"], "timestamp": [4.0]})])
    >>> store = HistoryStore.from_events(liked, touched, item_ids=["a", "b", "c"])
    >>> liked_rows, touched_rows, known = store.rows(["u1", "nobody"])
    >>> liked_rows.toarray().tolist(), touched_rows.toarray().tolist(), known.tolist()
    ([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0]], [[1.0, 0.0, 1.0], [0.0, 0.0, 0.0]], [True, False])
    >>> popular_and_trending(store, now=4.0).round(2).tolist()   # 'a': most liked, and bursting
    [2.0, 0.05, 0.0]

``HistoryStore`` holds, for every user of the training file (also those too light to train
on) and every user of the interactions given at serving time, what they liked (the model's
input) and everything they touched (liked or not, feedback good or bad: never recommended
back), over the model's item index. Items the model does not know are dropped from the
history (they cannot be scored) but a user with only such items still gets the fallback.

The fallback list (``popular_and_trending``) is for users with no usable history and the tail
of short lists: recent popularity (positives among the newest ``recent_share`` of the likes
before ``now`` - a window sized by activity, not days, so a sparse catalogue is not judged on a
handful of likes - with all-time popularity a tenth below it to break ties) plus, for items whose interactions are
bursting now, their burst surprise: the same negative-binomial/Poisson tail and
Benjamini-Hochberg false-discovery control that find the hour's issues
(``issues.detect.tail_log10p`` / ``bh_qvalues``), comparing the last ``trend_hours`` with the
``baseline_days`` before them; plus the boost of items matching the current issue feed.
Each term is scaled to [0, 1] before the weights apply.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import scipy.sparse as sp

from issues.detect import bh_qvalues, tail_log10p

__all__ = ["HistoryStore", "FallbackSettings", "popular_and_trending", "trending_items"]


@dataclass(frozen=True)
class FallbackSettings:
    recent_share: float = 0.05             # "recent": the newest 5% of the likes before now
    trend_hours: float = 24.0
    baseline_days: float = 14.0
    trend_fdr: float = 0.05
    trend_min_lift: float = 2.0
    trend_weight: float = 1.0
    issue_weight: float = 0.5


def _csr(users: np.ndarray, items: np.ndarray, values, shape, dtype) -> sp.csr_matrix:
    m = sp.csr_matrix((np.asarray(values, dtype=dtype), (users, items)), shape=shape)
    m.sum_duplicates()
    return m


@dataclass
class HistoryStore:
    """What each user liked and touched, over ``item_ids``; ``liked_times`` has the like's time."""

    user_ids: np.ndarray
    item_ids: np.ndarray
    liked: sp.csr_matrix
    touched: sp.csr_matrix
    liked_times: sp.csr_matrix

    @classmethod
    def from_events(cls, liked: pd.DataFrame, touched: pd.DataFrame, item_ids, user_ids=None) -> "HistoryStore":
        item_ids = np.asarray(item_ids).astype(str)
        if user_ids is None:
            user_ids = np.unique(np.concatenate([touched["user_id"].to_numpy(str), liked["user_id"].to_numpy(str)]))
        user_ids = np.asarray(user_ids).astype(str)
        uix, iix = pd.Index(user_ids), pd.Index(item_ids)
        shape = (len(user_ids), len(item_ids))

        def coords(df):
            u = uix.get_indexer(df["user_id"].to_numpy(str))
            i = iix.get_indexer(df["item_id"].to_numpy(str))
            ok = (u >= 0) & (i >= 0)
            return u[ok], i[ok], df["timestamp"].to_numpy(np.float64)[ok]
        lu, li, lt = coords(liked.drop_duplicates(["user_id", "item_id"], keep="last"))
        tu, ti, _ = coords(touched)
        liked_m = _csr(lu, li, np.ones(len(lu)), shape, np.float32)
        touched_m = _csr(np.concatenate([tu, lu]), np.concatenate([ti, li]), np.ones(len(tu) + len(lu)),
                         shape, np.float32)
        touched_m.data[:] = 1.0
        return cls(user_ids, item_ids, liked_m, touched_m, _csr(lu, li, lt, shape, np.float64))

    @property
    def n_users(self) -> int:
        return len(self.user_ids)

    def merged(self, liked: pd.DataFrame, touched: pd.DataFrame, bad: pd.DataFrame | None = None
               ) -> "HistoryStore":
        """This store plus later events; ``bad`` (user_id, item_id) pairs leave the liked set."""
        mine = self._frames()
        users = np.union1d(self.user_ids, np.concatenate([liked["user_id"].to_numpy(str),
                                                          touched["user_id"].to_numpy(str)]))
        all_liked = pd.concat([mine[0], liked], ignore_index=True)
        if bad is not None and len(bad):
            key = lambda d: d["user_id"].astype(str) + "\x1f" + d["item_id"].astype(str)
            all_liked = all_liked[~key(all_liked).isin(set(key(bad)))]
        all_liked = all_liked.sort_values("timestamp", kind="stable")
        return HistoryStore.from_events(all_liked, pd.concat([mine[1], touched], ignore_index=True),
                                        self.item_ids, users)

    def _frames(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        lt = self.liked_times.tocoo()
        liked = pd.DataFrame({"user_id": self.user_ids[lt.row], "item_id": self.item_ids[lt.col],
                              "timestamp": lt.data})
        t = self.touched.tocoo()
        touched = pd.DataFrame({"user_id": self.user_ids[t.row], "item_id": self.item_ids[t.col],
                                "timestamp": 0.0})
        return liked, touched

    def rows(self, users) -> tuple[sp.csr_matrix, sp.csr_matrix, np.ndarray]:
        """(liked, touched, known) rows for ``users`` (strings); unknown users get empty rows."""
        idx = pd.Index(self.user_ids).get_indexer(np.asarray(users).astype(str))
        known = idx >= 0
        pick = sp.csr_matrix((np.ones(known.sum(), np.float32), (np.flatnonzero(known), idx[known])),
                             shape=(len(idx), self.n_users))
        return (pick @ self.liked).tocsr(), (pick @ self.touched).tocsr(), known


def _scaled(x: np.ndarray) -> np.ndarray:
    top = float(np.max(x)) if len(x) else 0.0
    return x / top if top > 0 else np.zeros_like(x)


def trending_items(times: sp.csr_matrix, now: float, s: FallbackSettings) -> np.ndarray:
    """Per item, the surprise (-log10 p) of its likes in the last ``trend_hours`` against the rate
    of the ``baseline_days`` before; 0 unless it passes the FDR and the lift gates."""
    coo = times.tocoo()
    n_items = times.shape[1]
    start = now - s.trend_hours * 3600.0
    base_start = start - s.baseline_days * 86400.0
    recent = np.bincount(coo.col[(coo.data > start) & (coo.data <= now)], minlength=n_items).astype(float)
    base = np.bincount(coo.col[(coo.data > base_start) & (coo.data <= start)], minlength=n_items).astype(float)
    # expected likes in the trend window; a floor of one like per baseline period keeps new items honest
    expected = (base + 1.0) * (s.trend_hours / (s.baseline_days * 24.0))
    log_p = tail_log10p(recent, expected)
    active = recent > 0
    q = np.ones(n_items)
    q[active] = bh_qvalues(log_p[active], int(active.sum()))
    passing = (q <= s.trend_fdr) & (recent >= s.trend_min_lift * expected)
    return np.where(passing, -log_p, 0.0)


def popular_and_trending(store: HistoryStore, now: float | None = None, boost: np.ndarray | None = None,
                         settings: FallbackSettings = FallbackSettings()) -> np.ndarray:
    """One score per item for users without usable history (higher first); see the module text."""
    s = settings
    coo = store.liked_times.tocoo()
    n_items = len(store.item_ids)
    if now is None:
        now = float(coo.data.max()) if coo.nnz else 0.0
    known = coo.data <= now
    all_time = np.bincount(coo.col[known], minlength=n_items).astype(float)
    since = np.quantile(coo.data[known], 1.0 - s.recent_share) if known.any() else now
    recent = np.bincount(coo.col[known & (coo.data >= since)], minlength=n_items).astype(float)
    score = _scaled(recent) + 0.1 * _scaled(all_time)
    score = _scaled(score)
    score = score + s.trend_weight * _scaled(trending_items(store.liked_times, now, s))
    if boost is not None:
        score = score + s.issue_weight * _scaled(np.asarray(boost, dtype=float))
    return score
