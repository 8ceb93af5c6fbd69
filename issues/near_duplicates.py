"""Near-duplicate groups from precomputed signatures: LSH bands propose pairs, the signatures confirm them.

    >>> from keywords.signature import minhash_signatures
    >>> texts = ["무료 쿠폰 받기 010-1234-5678 지금 클릭", "무료 쿠폰 받기 010-9876-5432 지금 클릭",
    ...          "국회 본회의 예산안 통과", "무료쿠폰 받기 010-1111-2222 지금  클릭"]
    >>> duplicate_groups(minhash_signatures(texts), threshold=0.7).tolist()
    [0, 0, -1, 0]

:func:`duplicate_groups` takes the ``(posts, NUM_BINS)`` signatures of
:func:`keywords.signature.minhash_signatures` (computed once per post in the map stage,
:mod:`keywords.stream`) and returns, per row, the group of its near-duplicates (the position of
the group's first row) or -1 when it has none. Two rows are near-duplicates when the share of
bins where their signatures agree (the estimated Jaccard similarity of their 3-gram sets) is at
least ``threshold``; groups are the connected components of that relation (union-find through
``scipy.sparse.csgraph.connected_components``).

Candidate pairs come from LSH banding, as datasketch's ``MinHashLSH`` does: the bins are cut into
``b`` bands of ``r`` rows, the ``(b, r)`` minimising the weighted false positive and false
negative probabilities at ``threshold`` (:func:`lsh_bands`, datasketch's rule with equal weights);
rows agreeing on a whole band are candidates (one ``np.unique`` over the band's bytes per band),
and every candidate pair is checked on the full signature. No per-post Python.
"""
from __future__ import annotations

import functools

import numpy as np
from scipy import integrate
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = ["duplicate_groups", "lsh_bands"]

_MAX_BLOCK = 2000          # rows of one band bucket compared at once (all pairs)


@functools.cache
def lsh_bands(threshold: float, num_perm: int) -> tuple[int, int]:
    """``(bands, rows)`` with ``bands x rows <= num_perm`` minimising false positives + false negatives.

    >>> lsh_bands(0.7, 64), lsh_bands(0.6, 64)
    ((8, 8), (10, 6))
    """
    def false_positive(b, r):
        return integrate.quad(lambda s: 1 - (1 - s ** float(r)) ** float(b), 0.0, threshold)[0]

    def false_negative(b, r):
        return integrate.quad(lambda s: 1 - (1 - (1 - s ** float(r)) ** float(b)), threshold, 1.0)[0]

    best, out = float("inf"), (1, num_perm)
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            error = 0.5 * false_positive(b, r) + 0.5 * false_negative(b, r)
            if error < best:
                best, out = error, (b, r)
    return out


def _band_pairs(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All pairs ``(i, j)``, ``i < j``, of rows with equal keys."""
    _, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    shared = counts[inverse] > 1
    if not shared.any():
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    rows = np.flatnonzero(shared)
    order = np.argsort(inverse[rows], kind="stable")
    rows, bucket = rows[order], inverse[rows][order]
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    ends = np.r_[starts[1:], rows.size]
    left, right = [], []
    for s, e in zip(starts.tolist(), ends.tolist()):
        members = rows[s:e]
        i, j = np.triu_indices(members.size, k=1)
        left.append(members[i])
        right.append(members[j])
    return np.concatenate(left), np.concatenate(right)


def duplicate_groups(signatures: np.ndarray, threshold: float = 0.7) -> np.ndarray:
    """Per row: the first row of its near-duplicate group, or -1 (see the module docstring)."""
    sig = np.ascontiguousarray(signatures, dtype=np.uint32)
    n, num_perm = sig.shape if sig.ndim == 2 else (0, 0)
    out = np.full(n, -1, dtype=np.int64)
    if n < 2:
        return out
    bands, rows = lsh_bands(float(threshold), int(num_perm))
    left, right = [], []
    for band in range(bands):
        part = np.ascontiguousarray(sig[:, band * rows:(band + 1) * rows])
        keys = part.view(np.dtype((np.void, part.dtype.itemsize * rows))).reshape(-1)
        i, j = _band_pairs(keys)
        left.append(i)
        right.append(j)
    i, j = np.concatenate(left), np.concatenate(right)
    if i.size == 0:
        return out
    pair = np.unique(i * n + j)
    i, j = pair // n, pair % n
    keep = np.zeros(i.size, dtype=bool)
    for s in range(0, i.size, 1 << 18):                    # bounded memory for huge buckets
        a, b = i[s:s + (1 << 18)], j[s:s + (1 << 18)]
        keep[s:s + a.size] = np.count_nonzero(sig[a] == sig[b], axis=1) >= threshold * num_perm - 1e-9
    i, j = i[keep], j[keep]
    if i.size == 0:
        return out
    graph = coo_matrix((np.ones(i.size, dtype=np.int8), (i, j)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    sizes = np.bincount(labels)
    first = np.full(sizes.size, n, dtype=np.int64)
    np.minimum.at(first, labels, np.arange(n))
    grouped = sizes[labels] > 1
    out[grouped] = first[labels[grouped]]
    return out
