"""EASE (Steck 2019): a closed-form item-item linear autoencoder.

    >>> import pandas as pd
    >>> from recommender.data import DataSettings, Interactions
    >>> df = pd.DataFrame({"user_id": [str(u) for u in range(30) for _ in range(3)],
    ...                    "item_id": [str((u % 2) * 3 + j) for u in range(30) for j in range(3)]})
    >>> data = Interactions.from_frame(df, settings=DataSettings(min_user_count=1, min_item_count=1))
    >>> model = EASE(l2=1.0).fit(data)
    >>> history = sp.csr_matrix(np.array([[1, 1, 0, 0, 0, 0]], np.float32))   # liked items '0' and '1'
    >>> idx, scores = model.recommend_history(history, k=1)
    >>> data.item_ids[idx].tolist()
    [['2']]
    >>> same = EASE(l2=1.0).fit_gram(data, EASE.gram(data))     # one Gram for a grid of ridges
    >>> bool(np.allclose(same.weights_, model.weights_))
    True

``B = I - P diagMat(1 / diag(P))`` with ``P = (X^T X + l2 I)^-1``. ``P`` is computed in
float32 from a Cholesky factorisation of the (symmetric positive definite) Gram matrix,
never with a float64 ``inv``. The dense item-item matrices need about
``3 * n_items^2 * 4`` bytes; above ``max_items`` (default from a 4 GiB budget, about
18,000 items) ``fit`` refuses with ``ModelTooLargeError`` instead of swapping.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg
import scipy.sparse as sp

from recommender.base import ModelTooLargeError, Recommender

__all__ = ["EASE"]

BYTES_PER_ENTRY = 4 * 3  # float32 Gram, its factor, and the inverse


class EASE(Recommender):
    """Embarrassingly shallow autoencoder.

    Parameters
    ----------
    l2 : ridge penalty added to the Gram diagonal.
    memory_budget_bytes : refuse to fit when the dense matrices would exceed this.
    """

    name = "ease"

    def __init__(self, l2: float = 500.0, memory_budget_bytes: float = 4 * 2**30):
        self.l2 = l2
        self.memory_budget_bytes = memory_budget_bytes

    @property
    def max_items(self) -> int:
        return int(np.sqrt(self.memory_budget_bytes / BYTES_PER_ENTRY))

    @staticmethod
    def gram(interactions) -> np.ndarray:
        """``X^T X`` in float32 (what ``fit`` starts from; shared by a ridge grid)."""
        X = sp.csr_matrix(interactions.matrix, dtype=np.float32)
        return (X.T @ X).toarray().astype(np.float32)

    def fit_gram(self, interactions, gram: np.ndarray) -> "EASE":
        """``fit`` from a precomputed ``EASE.gram(interactions)`` (left unchanged)."""
        self.train_ = interactions
        self._solve(interactions.n_items, gram.copy())
        return self

    def _fit(self, interactions, validation) -> None:
        self._solve(interactions.n_items, None, interactions)

    def _solve(self, n: int, G: np.ndarray | None, interactions=None) -> None:
        if self.l2 <= 0:
            raise ValueError("l2 must be positive for the Gram matrix to be positive definite")
        if n > self.max_items:
            raise ModelTooLargeError("EASE", n, self.max_items, float(n) ** 2 * BYTES_PER_ENTRY)
        G = self.gram(interactions) if G is None else G
        G[np.diag_indices(n)] += np.float32(self.l2)
        factor = scipy.linalg.cho_factor(G, lower=True, overwrite_a=True, check_finite=False)
        P = scipy.linalg.cho_solve(factor, np.eye(n, dtype=np.float32), overwrite_b=True,
                                   check_finite=False).astype(np.float32, copy=False)
        B = P / (-np.diag(P))[None, :]
        B[np.diag_indices(n)] = 0.0
        self.weights_ = B.astype(np.float32, copy=False)

    def _score(self, history: sp.csr_matrix) -> np.ndarray:
        return np.asarray(history @ self.weights_)
