"""The one interface every recommender model implements, and the errors it raises.

    >>> import pandas as pd
    >>> from recommender.data import DataSettings, Interactions
    >>> from recommender.ease import EASE
    >>> df = pd.DataFrame({"user_id": ["u1", "u1", "u2", "u2", "u3"], "item_id": ["a", "b", "a", "c", "b"]})
    >>> data = Interactions.from_frame(df, settings=DataSettings(min_user_count=1, min_item_count=1))
    >>> model = EASE(l2=1.0).fit(data)
    >>> item_ids, scores = model.recommend(["u1", "u2"], k=1)
    >>> item_ids.tolist()
    [['c'], ['b']]

A model stores its settings in ``__init__`` and learns in ``fit(interactions)``, which
returns ``self`` and leaves its results in trailing-underscore attributes. Subclasses
implement one method, ``_score(history)``: dense float32 scores for a batch of users given
their interaction rows (CSR). Everything else - batching, excluding seen items, top-k with
``argpartition``, mapping ids - is done once, here.

``recommend`` returns two ``(n_users, k)`` arrays, ranked best first. If a user has fewer
than ``k`` unseen items the tail scores are ``-inf`` (filter with ``np.isfinite``).
``recommend_history`` does the same for users the model never saw (fold-in), which is how
strong-generalization evaluation works.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp

from keywords.errors import InputError

if TYPE_CHECKING:                       # recommender.data imports this module's errors
    from recommender.data import Interactions

__all__ = ["Recommender", "RecommenderError", "NotFittedError", "UnknownUserError",
           "ModelTooLargeError", "InputFileError", "top_k"]


class RecommenderError(InputError):
    """Base of the recommender's own errors."""


class InputFileError(RecommenderError, ValueError):
    """An interaction, item, feedback or feed file (or a column option) is unusable; the message
    names the file (and the line where one row is at fault)."""


class NotFittedError(RecommenderError):
    def __init__(self, model):
        super().__init__(f"{type(model).__name__} is not fitted: call fit(interactions) first")


class UnknownUserError(RecommenderError, LookupError):
    def __init__(self, users):
        users = list(users)
        shown = ", ".join(map(str, users[:5])) + (" ..." if len(users) > 5 else "")
        super().__init__(f"{len(users)} user(s) not in the training data: {shown}")
        self.users = users


class ModelTooLargeError(RecommenderError, MemoryError):
    def __init__(self, model_name: str, n_items: int, limit: int, need_bytes: float):
        super().__init__(
            f"{model_name}: {n_items:,} items exceed the limit of {limit:,} "
            f"(a dense item-item model would need about {need_bytes / 2**30:.1f} GiB); "
            f"raise min_item_count or the limit")


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the k largest entries per row, sorted descending (ties by index)."""
    n_cols = scores.shape[1]
    k = min(k, n_cols)
    if k <= 0:
        return np.empty((scores.shape[0], 0), dtype=np.int64), np.empty((scores.shape[0], 0), np.float32)
    if k < n_cols:
        part = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    else:
        part = np.tile(np.arange(n_cols), (scores.shape[0], 1))
    vals = np.take_along_axis(scores, part, axis=1)
    order = np.lexsort((part, -vals), axis=1) if vals.size else np.zeros_like(part)
    idx = np.take_along_axis(part, order, axis=1)
    return idx, np.take_along_axis(vals, order, axis=1)


class Recommender:
    """Base class: subclasses set ``name`` and implement ``_fit`` and ``_score``."""

    name = "recommender"
    batch_size_scoring = 1024

    def fit(self, interactions, validation=None) -> "Recommender":
        """Learn from ``interactions``; ``validation`` (a ``splits.Holdout``) is used by models
        that stop early and ignored by the others."""
        if interactions.n_users == 0 or interactions.n_items == 0:
            raise RecommenderError("cannot fit on empty interactions")
        self.train_ = interactions
        self._fit(interactions, validation)
        return self

    def _fit(self, interactions: Interactions, validation) -> None:
        raise NotImplementedError

    def _score(self, history: sp.csr_matrix) -> np.ndarray:
        raise NotImplementedError

    def _check_fitted(self):
        if not hasattr(self, "train_"):
            raise NotFittedError(self)

    def score_history(self, history: sp.csr_matrix) -> np.ndarray:
        """Dense float32 scores (n_users x n_items) for interaction rows over the training items."""
        self._check_fitted()
        history = sp.csr_matrix(history, dtype=np.float32)
        if history.shape[1] != self.train_.n_items:
            raise ValueError(f"history has {history.shape[1]} item columns, model has {self.train_.n_items}")
        return np.asarray(self._score(history), dtype=np.float32)

    def recommend_history(self, history: sp.csr_matrix, k: int = 10, exclude_seen: bool = True,
                          exclude: sp.csr_matrix | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k item *indices* and scores for each row of ``history`` (fold-in users); items
        nonzero in ``exclude`` (same shape: e.g. everything the user rated, liked or not) are
        never returned either."""
        self._check_fitted()
        history = sp.csr_matrix(history, dtype=np.float32)
        if exclude is not None:
            exclude = sp.csr_matrix(exclude)
        n = history.shape[0]
        k = min(int(k), self.train_.n_items)
        out_idx = np.empty((n, k), dtype=np.int64)
        out_val = np.empty((n, k), dtype=np.float32)
        for start in range(0, n, self.batch_size_scoring):
            block = history[start:start + self.batch_size_scoring]
            scores = self.score_history(block)
            if exclude_seen:
                rows, cols = block.nonzero()
                scores[rows, cols] = -np.inf
            if exclude is not None:
                rows, cols = exclude[start:start + self.batch_size_scoring].nonzero()
                scores[rows, cols] = -np.inf
            idx, val = top_k(scores, k)
            out_idx[start:start + len(idx)] = idx
            out_val[start:start + len(idx)] = val
        return out_idx, out_val

    def recommend(self, users, k: int = 10, exclude_seen: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Top-k item ids and scores for known users (external ids), best first."""
        self._check_fitted()
        rows = self.train_.user_index(users)
        if (rows < 0).any():
            raise UnknownUserError(np.asarray(users)[rows < 0])
        idx, val = self.recommend_history(self.train_.matrix[rows], k, exclude_seen)
        return self.train_.item_ids[idx], val

    def __repr__(self):
        params = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.endswith("_")
                           and not k.startswith("_"))
        return f"{type(self).__name__}({params})"
