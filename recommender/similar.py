"""Item-to-item lists ("viewers of this also liked"): the top similar items of every item.

    >>> import numpy as np
    >>> weights = np.array([[0.0, 0.9, 0.1], [0.8, 0.0, 0.0], [0.2, 0.3, 0.0]], np.float32)
    >>> records = similar_records(similar_matrix(weights, k=2), np.array(["a", "b", "c"]), "ease")
    >>> records[0]
    {'item_id': 'a', 'model': 'ease', 'similar': [{'item_id': 'b', 'score': 0.9}, {'item_id': 'c', 'score': 0.1}]}
    >>> records[1]["similar"]          # only positive weights are similar
    [{'item_id': 'a', 'score': 0.8}]

Row ``i`` of an item-item matrix says how much liking item ``i`` points to each other item:
EASE's weights ``B`` (a user's score is ``x @ B``) or item-kNN's cosine similarities. An item's
list is the ``k`` largest positive entries of its row, never itself; which matrix is served is
chosen on validation (``recommender.selection.choose_similar``).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

__all__ = ["similar_matrix", "similar_records"]


def similar_matrix(weights, k: int = 20) -> sp.csr_matrix:
    """Keep the ``k`` largest positive off-diagonal entries of each row (CSR, float32)."""
    dense = weights.toarray() if sp.issparse(weights) else np.array(weights, dtype=np.float32, copy=True)
    dense = dense.astype(np.float32, copy=False)
    np.fill_diagonal(dense, 0.0)
    n = dense.shape[0]
    k = min(k, max(n - 1, 0))
    if k <= 0:
        return sp.csr_matrix(dense.shape, dtype=np.float32)
    part = np.argpartition(-dense, k - 1, axis=1)[:, :k]
    vals = np.take_along_axis(dense, part, axis=1)
    keep = vals > 0
    rows = np.repeat(np.arange(n), k).reshape(n, k)
    return sp.csr_matrix((vals[keep], (rows[keep], part[keep])), shape=dense.shape, dtype=np.float32)


def similar_records(similar: sp.csr_matrix, item_ids: np.ndarray, model: str) -> list[dict]:
    """One record per item: ``{"item_id", "model", "similar": [{"item_id", "score"}, ...]}``, best first."""
    similar = sp.csr_matrix(similar)
    out = []
    for i, item in enumerate(item_ids):
        lo, hi = similar.indptr[i], similar.indptr[i + 1]
        cols, vals = similar.indices[lo:hi], similar.data[lo:hi]
        order = np.lexsort((cols, -vals))
        out.append({"item_id": str(item), "model": model,
                    "similar": [{"item_id": str(item_ids[c]), "score": round(float(v), 6)}
                                for c, v in zip(cols[order], vals[order])]})
    return out
