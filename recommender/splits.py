"""Train/validation/test splits: strong generalization (held-out users) and a global time split.

    >>> import pandas as pd
    >>> from recommender.data import DataSettings, Interactions
    >>> df = pd.DataFrame({"user_id": [str(u) for u in range(30) for _ in range(3)],
    ...                    "item_id": [str((u % 2) * 3 + j) for u in range(30) for j in range(3)]})
    >>> data = Interactions.from_frame(df, settings=DataSettings(min_user_count=1, min_item_count=1))
    >>> rng = np.random.default_rng(0)
    >>> train, val, test = strong_generalization_split(data, n_holdout_users=5, rng=rng)
    >>> train.n_users, val.n_users, test.n_users, int(test.target.sum(axis=1).min())
    (20, 5, 5, 1)

A ``Holdout`` is a pair of CSR matrices over the *training* item columns: what the model
may see of each evaluation user (``fold_in``) and what it must find (``target``).

* Strong generalization (Liang et al. 2018): ``n_holdout_users`` users for validation and
  as many for test are removed from training; for each, a random ``target_fraction``
  (20%) of their items is the target and the rest (80%) is folded in.
* Time split: every interaction before ``cutoff`` trains; users active both before and
  after are evaluated on their later items, folding in all of their earlier ones.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from recommender.data import Interactions

__all__ = ["Holdout", "strong_generalization_split", "time_split", "fold_in_split"]


@dataclass
class Holdout:
    fold_in: sp.csr_matrix
    target: sp.csr_matrix
    user_ids: np.ndarray

    @property
    def n_users(self) -> int:
        return self.fold_in.shape[0]


def fold_in_split(matrix: sp.csr_matrix, user_ids, target_fraction: float, rng: np.random.Generator
                  ) -> Holdout:
    """Per row, move ``ceil(target_fraction * n)`` random items (at least 1, never all) to target."""
    matrix = sp.csr_matrix(matrix)
    fold_r, fold_c, tgt_r, tgt_c = [], [], [], []
    for r in range(matrix.shape[0]):
        items = matrix.indices[matrix.indptr[r]:matrix.indptr[r + 1]]
        n = len(items)
        if n < 2:
            continue
        n_t = min(max(1, int(np.ceil(target_fraction * n))), n - 1)
        perm = rng.permutation(items)
        tgt_r.extend([r] * n_t); tgt_c.extend(perm[:n_t])
        fold_r.extend([r] * (n - n_t)); fold_c.extend(perm[n_t:])
    shape = matrix.shape
    mk = lambda r, c: sp.csr_matrix((np.ones(len(r), np.float32), (r, c)), shape=shape)
    h = Holdout(mk(fold_r, fold_c), mk(tgt_r, tgt_c), np.asarray(user_ids))
    keep = np.diff(h.target.indptr) > 0
    return Holdout(h.fold_in[keep], h.target[keep], h.user_ids[keep])


def strong_generalization_split(data: Interactions, n_holdout_users: int, rng: np.random.Generator,
                                target_fraction: float = 0.2
                                ) -> tuple[Interactions, Holdout, Holdout]:
    """Training users, a validation holdout and a test holdout of disjoint users."""
    if 2 * n_holdout_users >= data.n_users:
        raise ValueError(f"cannot hold out 2 x {n_holdout_users} of {data.n_users} users")
    perm = rng.permutation(data.n_users)
    val_rows, test_rows = perm[:n_holdout_users], perm[n_holdout_users:2 * n_holdout_users]
    train_rows = np.sort(perm[2 * n_holdout_users:])
    train = data.subset_users(train_rows)
    val = fold_in_split(data.matrix[val_rows], data.user_ids[val_rows], target_fraction, rng)
    test = fold_in_split(data.matrix[test_rows], data.user_ids[test_rows], target_fraction, rng)
    return train, val, test


def time_split(data: Interactions, cutoff: float) -> tuple[Interactions, Holdout]:
    """Interactions before ``cutoff`` (unix seconds) train; later ones of known users are targets.

    The training matrix keeps every user and item column, so fold-in rows of the holdout
    are simply the users' training rows.
    """
    if data.times is None:
        raise ValueError("a time split needs timestamps")
    t = data.times.tocoo()
    before = t.data < cutoff
    shape = data.matrix.shape
    mk = lambda m: sp.csr_matrix((np.ones(int(m.sum()), np.float32), (t.row[m], t.col[m])), shape=shape)
    train_m, after_m = mk(before), mk(~before)
    train_t = sp.csr_matrix((t.data[before], (t.row[before], t.col[before])), shape=shape)
    train = Interactions(train_m, data.user_ids, data.item_ids, train_t, data.items)
    has_train = np.diff(train_m.indptr) > 0
    has_after = np.diff(after_m.indptr) > 0
    rows = np.flatnonzero(has_train & has_after)
    holdout = Holdout(train_m[rows], after_m[rows], data.user_ids[rows])
    return train, holdout
