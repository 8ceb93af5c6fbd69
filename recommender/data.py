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

Files with other column names are mapped (``parse_columns``), ids are read as strings (portal
user ids are strings), and ``events`` splits a table into what the user *liked* (positives,
what models learn from) and everything the user *touched* (never recommended back):

    >>> raw = pd.DataFrame({"user": [7, 7, 8], "movie": [1, 2, 1], "rate": [9, 2, 8], "time": [1, 2, 3]})
    >>> df = map_columns(raw, parse_columns("user=user,item=movie,rating=rate,timestamp=time"), "r.csv")
    >>> liked, touched = events(df, DataSettings(rating_threshold=6))
    >>> liked[["user_id", "item_id"]].values.tolist(), len(touched)
    ([['7', '1'], ['8', '1']], 3)

Feedback (``user_id,item_id,feedback,timestamp``, feedback ``good`` or ``bad``) is applied by
``apply_feedback``: a good item is a positive, a bad one is removed from the positives (a
negative: never learned as liked, never served back).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

from recommender.base import InputFileError

__all__ = ["DataSettings", "Interactions", "filter_min_counts", "data_fingerprint", "parse_columns",
           "map_columns", "events", "apply_feedback", "read_feedback_frame", "CONTRACT_COLUMNS"]

CONTRACT_COLUMNS = {"user": "user_id", "item": "item_id", "rating": "rating", "timestamp": "timestamp",
                    "user_id": "user_id", "item_id": "item_id", "time": "timestamp"}


@dataclass(frozen=True)
class DataSettings:
    """How raw interactions become positives. ``rating_required``: the threshold was asked for
    explicitly, so a file without a rating column is an error rather than "every row liked"."""

    rating_threshold: float | None = 3.0
    min_user_count: int = 10
    min_item_count: int = 10
    max_filter_rounds: int = 50
    rating_required: bool = False


def parse_columns(spec: str | None) -> dict[str, str]:
    """``"user=user,item=movie"`` -> ``{"user": "user_id", "movie": "item_id"}`` (file -> contract).

    >>> parse_columns("user=uid,item=movie")
    {'uid': 'user_id', 'movie': 'item_id'}
    """
    out: dict[str, str] = {}
    for part in filter(None, (p.strip() for p in (spec or "").split(","))):
        name, sep, column = part.partition("=")
        if not sep or name.strip() not in CONTRACT_COLUMNS or not column.strip():
            raise InputFileError(f"--columns: {part!r} is not NAME=COLUMN with NAME one of "
                                 "user, item, rating, timestamp")
        out[column.strip()] = CONTRACT_COLUMNS[name.strip()]
    return out


def map_columns(df: pd.DataFrame, mapping: dict[str, str] | None, source, required=("user_id", "item_id")
                ) -> pd.DataFrame:
    """Rename the file's columns to the contract's, check the required ones, ids as strings."""
    mapping = mapping or {}
    absent = [c for c in mapping if c not in df.columns]
    if absent:
        raise InputFileError(f"{source}: --columns names column(s) {absent} the file does not have "
                             f"(it has {list(df.columns)})")
    df = df.rename(columns={k: v for k, v in mapping.items() if k in df.columns})
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise InputFileError(f"{source}: missing column(s) {missing} (it has {list(df.columns)}; "
                             "map them with --columns user=...,item=...)")
    df = df.copy()
    for c in ("user_id", "item_id"):
        if c in df.columns:
            bad = df[c].isna()
            if bad.any():
                raise InputFileError(f"{source}: line {int(np.flatnonzero(bad.to_numpy())[0]) + 2}: empty {c}")
            df[c] = _as_str_ids(df[c])
    return df


def _as_str_ids(col: pd.Series) -> pd.Series:
    """Ids as strings; a float column of whole numbers (pandas reading ints with gaps) loses the '.0'."""
    if pd.api.types.is_float_dtype(col) and np.all(np.mod(col.to_numpy(), 1) == 0):
        col = col.astype(np.int64)
    return col.astype(str)


def events(df: pd.DataFrame, settings: DataSettings, source="interactions") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(liked, touched): the positive rows after the rating threshold, and every row (any rating),
    both with ``user_id``, ``item_id``, ``timestamp`` (unix seconds); duplicates keep the latest."""
    if "rating" not in df.columns and settings.rating_required:
        raise InputFileError(f"{source}: --rating-threshold was given but there is no rating column "
                             "(map one with --columns rating=COLUMN)")
    df = df.copy()
    if "timestamp" not in df.columns:
        df["timestamp"] = 0.0
    try:
        df["timestamp"] = _to_unix_seconds(df["timestamp"])
    except (ValueError, TypeError) as e:
        raise InputFileError(f"{source}: unreadable timestamp ({e})") from None
    df = df.sort_values("timestamp", kind="stable").drop_duplicates(["user_id", "item_id"], keep="last")
    liked = df
    if "rating" in df.columns and settings.rating_threshold is not None:
        rating = pd.to_numeric(df["rating"], errors="coerce")
        liked = df[rating >= settings.rating_threshold]
    cols = ["user_id", "item_id", "timestamp"]
    return liked[cols].reset_index(drop=True), df[cols].reset_index(drop=True)


def read_feedback_frame(df: pd.DataFrame, source="feedback") -> pd.DataFrame:
    """Check a feedback table: ``user_id,item_id,feedback,timestamp`` with feedback good|bad."""
    df = map_columns(df, None, source, required=("user_id", "item_id", "feedback"))
    value = df["feedback"].astype(str).str.strip().str.lower()
    bad = ~value.isin(["good", "bad"])
    if bad.any():
        line = int(np.flatnonzero(bad.to_numpy())[0]) + 2
        raise InputFileError(f"{source}: line {line}: feedback must be good or bad, not {df['feedback'].iloc[line - 2]!r}")
    out = df.assign(feedback=value)
    if "timestamp" not in out.columns:
        out["timestamp"] = 0.0
    out["timestamp"] = _to_unix_seconds(out["timestamp"])
    # the latest word of a user on an item counts
    out = out.sort_values("timestamp", kind="stable").drop_duplicates(["user_id", "item_id"], keep="last")
    return out[["user_id", "item_id", "feedback", "timestamp"]].reset_index(drop=True)


def apply_feedback(liked: pd.DataFrame, touched: pd.DataFrame, feedback: pd.DataFrame | None
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Good items become positives, bad ones leave the positives; both count as touched.

    >>> liked = pd.DataFrame({"user_id": ["a"], "item_id": ["x"], "timestamp": [1.0]})
    >>> fb = pd.DataFrame({"user_id": ["a", "a"], "item_id": ["x", "y"], "feedback": ["bad", "good"],
    ...                    "timestamp": [2.0, 2.0]})
    >>> l, t = apply_feedback(liked, liked, fb)
    >>> l.item_id.tolist(), sorted(t.item_id)
    (['y'], ['x', 'y'])
    """
    if feedback is None or feedback.empty:
        return liked, touched
    cols = ["user_id", "item_id", "timestamp"]
    key = lambda d: d["user_id"] + "\x1f" + d["item_id"]
    bad = feedback[feedback["feedback"] == "bad"]
    good = feedback[feedback["feedback"] == "good"]
    liked = liked[~key(liked).isin(set(key(bad)))]
    liked = pd.concat([liked, good[cols]], ignore_index=True)
    touched = pd.concat([touched, feedback[cols]], ignore_index=True)
    dedup = lambda d: d.sort_values("timestamp", kind="stable").drop_duplicates(["user_id", "item_id"], keep="last")
    return dedup(liked).reset_index(drop=True), dedup(touched).reset_index(drop=True)


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
