"""Interactions: from a user-item table to the sparse matrix every model trains on.

    >>> import pandas as pd
    >>> df = pd.DataFrame({"user_id": [1, 1, 2], "item_id": ["a", "b", "a"],
    ...                    "rating": [5, 2, 4], "timestamp": [10, 11, 12]})
    >>> data = Interactions.from_frame(df, settings=DataSettings(min_user_count=1, min_item_count=1))
    >>> data.matrix.toarray().tolist()      # rating 2 < 3 is dropped
    [[1.0], [1.0]]

The contract (CSV or Parquet, read by ``recommender/shell.py``): columns ``user_id``,
``item_id``, ``timestamp`` (unix seconds or ISO 8601) and an optional ``rating``.
When a rating is present only rows with ``rating >= rating_threshold`` are positives
(default 3, i.e. "liked" on a 5-point scale; use 6 on a 10-point scale). Duplicated
(user, item) pairs keep their latest timestamp. Users and items with fewer than
``min_user_count`` / ``min_item_count`` positives are removed repeatedly until both
conditions hold (default 10).

Item metadata (``item_id``, ``title``, optional ``genres`` as a ``|``-separated string)
travels with the data so that issue keywords can be matched to items.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

__all__ = ["DataSettings", "Interactions", "filter_min_counts", "data_fingerprint"]


@dataclass(frozen=True)
class DataSettings:
    """How raw interactions become positives."""

    rating_threshold: float | None = 3.0
    min_user_count: int = 10
    min_item_count: int = 10
    max_filter_rounds: int = 50


def filter_min_counts(df: pd.DataFrame, min_user: int, min_item: int, max_rounds: int = 50) -> pd.DataFrame:
    """Iteratively drop users/items with too few rows until both thresholds hold."""
    for _ in range(max_rounds):
        uc = df["user_id"].map(df["user_id"].value_counts())
        ic = df["item_id"].map(df["item_id"].value_counts())
        keep = (uc >= min_user) & (ic >= min_item)
        if keep.all():
            return df
        df = df[keep]
    return df


def _to_unix_seconds(ts: pd.Series) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(ts):
        return ts.to_numpy(dtype=np.float64)
    parsed = pd.to_datetime(ts, utc=True, format="ISO8601")
    return (parsed - pd.Timestamp(0, tz="UTC")).dt.total_seconds().to_numpy()


@dataclass
class Interactions:
    """Positive user-item interactions as a CSR matrix plus the id maps.

    ``matrix[u, i] == 1`` when user ``user_ids[u]`` liked item ``item_ids[i]``;
    ``times`` holds the timestamp of each stored entry (same sparsity pattern).
    """

    matrix: sp.csr_matrix
    user_ids: np.ndarray
    item_ids: np.ndarray
    times: sp.csr_matrix | None = None
    items: pd.DataFrame | None = field(default=None, repr=False)  # item_id, title, genres
    _user_index: dict = field(default=None, repr=False)
    _item_index: dict = field(default=None, repr=False)

    @classmethod
    def from_frame(cls, df: pd.DataFrame, items: pd.DataFrame | None = None,
                   settings: DataSettings = DataSettings()) -> "Interactions":
        missing = {"user_id", "item_id"} - set(df.columns)
        if missing:
            raise ValueError(f"interactions lack column(s) {sorted(missing)}")
        df = df.copy()
        if "timestamp" not in df.columns:
            df["timestamp"] = 0.0
        df["timestamp"] = _to_unix_seconds(df["timestamp"])
        if "rating" in df.columns and settings.rating_threshold is not None:
            df = df[df["rating"] >= settings.rating_threshold]
        df = df.sort_values("timestamp", kind="stable").drop_duplicates(["user_id", "item_id"], keep="last")
        df = filter_min_counts(df, settings.min_user_count, settings.min_item_count, settings.max_filter_rounds)
        return cls.from_pairs(df["user_id"].to_numpy(), df["item_id"].to_numpy(),
                              df["timestamp"].to_numpy(dtype=np.float64), items=items)

    @classmethod
    def from_pairs(cls, users, items_col, timestamps=None, items: pd.DataFrame | None = None,
                   user_ids=None, item_ids=None) -> "Interactions":
        """Build from parallel arrays; ``user_ids``/``item_ids`` fix the index order if given."""
        users = np.asarray(users)
        items_col = np.asarray(items_col)
        user_ids = np.unique(users) if user_ids is None else np.asarray(user_ids)
        item_ids = np.unique(items_col) if item_ids is None else np.asarray(item_ids)
        u = pd.Index(user_ids).get_indexer(users)
        i = pd.Index(item_ids).get_indexer(items_col)
        ok = (u >= 0) & (i >= 0)
        t = (np.zeros(len(users)) if timestamps is None else np.asarray(timestamps, dtype=np.float64))[ok]
        pairs = pd.DataFrame({"u": u[ok], "i": i[ok], "t": t}).sort_values("t", kind="stable")
        pairs = pairs.drop_duplicates(["u", "i"], keep="last")  # a repeated pair keeps its latest time
        u, i, t = pairs["u"].to_numpy(), pairs["i"].to_numpy(), pairs["t"].to_numpy()
        shape = (len(user_ids), len(item_ids))
        mat = sp.csr_matrix((np.ones(len(u), dtype=np.float32), (u, i)), shape=shape)
        times = sp.csr_matrix((t, (u, i)), shape=shape) if timestamps is not None else None
        return cls(mat, user_ids, item_ids, times, items)

    @property
    def n_users(self) -> int:
        return self.matrix.shape[0]

    @property
    def n_items(self) -> int:
        return self.matrix.shape[1]

    def user_index(self, users) -> np.ndarray:
        """Row indices of external user ids (-1 for unknown users)."""
        return pd.Index(self.user_ids).get_indexer(np.asarray(users))

    def item_index(self, items) -> np.ndarray:
        return pd.Index(self.item_ids).get_indexer(np.asarray(items))

    def subset_users(self, rows: np.ndarray) -> "Interactions":
        rows = np.asarray(rows)
        times = self.times[rows] if self.times is not None else None
        return Interactions(self.matrix[rows], self.user_ids[rows], self.item_ids, times, self.items)

    def to_frame(self) -> pd.DataFrame:
        coo = self.matrix.tocoo()
        t = np.zeros(len(coo.row))
        if self.times is not None:
            t = np.asarray(self.times[coo.row, coo.col]).ravel()
        return pd.DataFrame({"user_id": self.user_ids[coo.row], "item_id": self.item_ids[coo.col],
                             "timestamp": t})


def data_fingerprint(data: Interactions) -> str:
    """A sha256 over the id maps and the sparsity pattern: same data, same fingerprint."""
    h = hashlib.sha256()
    m = data.matrix.tocsr()
    m.sort_indices()
    for arr in (np.asarray(data.user_ids).astype(str), np.asarray(data.item_ids).astype(str)):
        h.update("\x1f".join(arr.tolist()).encode())
    h.update(m.indptr.astype(np.int64).tobytes())
    h.update(m.indices.astype(np.int64).tobytes())
    return h.hexdigest()[:16]
