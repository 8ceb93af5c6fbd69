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
rows agreeing on a whole band are candidates, and every candidate pair is checked on the full
signature. No per-post Python.

How it stays fast on a million signatures (an hour's flood posts the same text many times):
rows with identical signatures are joined first (a 64-bit hash of each row, one sort, equality
checked on the rows) and only one row per distinct signature goes through the bands — an
identical row is a near-duplicate of its twin and of whatever its twin is near, so the groups
are the same. Per band the band's columns are hashed to one 64-bit key and sorted (keys that
collide are told apart on the band's values, so exactly the rows agreeing on the band are
candidates); the pairs of each bucket are made ``_PAIR_CHUNK`` at a time, deduplicated across
bands and checked in bounded chunks, and pairs already joined through earlier checks are not
checked again, so a huge bucket costs time but never the memory of all its pairs.
"""
from __future__ import annotations

import functools

import numpy as np
from scipy import integrate
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = ["duplicate_groups", "lsh_bands"]

_PAIR_CHUNK = 1 << 22      # candidate pairs made, deduplicated and checked at once (bounds memory)
_CHECK_CHUNK = 1 << 18     # pairs compared on the full signature at once
_MIX = np.uint64(0x9E3779B97F4A7C15)


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


def _splitmix(x: np.ndarray) -> np.ndarray:
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _row_hash(columns: np.ndarray) -> np.ndarray:
    """A 64-bit hash of each row of uint32 ``columns`` (pairs of columns read as one uint64)."""
    cols = np.ascontiguousarray(columns)
    if cols.shape[1] % 2 == 0 and cols.shape[1]:
        cols = cols.view(np.uint64)
    h = np.zeros(cols.shape[0], dtype=np.uint64)
    for j in range(cols.shape[1]):
        h = (h + cols[:, j]) * _MIX
        h ^= h >> np.uint64(29)
    return _splitmix(h)


def _runs(sorted_keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and lengths of the runs of equal consecutive keys."""
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    return starts, np.diff(np.r_[starts, sorted_keys.size])


def _identical_first(sig: np.ndarray) -> np.ndarray:
    """Per row: the first row with the same signature (itself when it is the first)."""
    n = sig.shape[0]
    keys = _row_hash(sig)
    order = np.argsort(keys, kind="stable")
    starts, lengths = _runs(keys[order])
    head = order[np.repeat(starts, lengths)]
    out = np.arange(n)
    twin = np.flatnonzero(head != order)
    for s in range(0, twin.size, _CHECK_CHUNK):          # a hash collision is no twin
        part = twin[s:s + _CHECK_CHUNK]
        same = (sig[order[part]] == sig[head[part]]).all(axis=1)
        out[order[part[same]]] = head[part[same]]
    return out


def _band_buckets(part: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rows agreeing on the whole band ``part``, as buckets of two rows or more: the rows grouped
    by bucket, and each bucket's start and size among them."""
    keys = _row_hash(part)
    order = np.argsort(keys)
    starts, sizes = _runs(keys[order])
    shared = sizes > 1
    members = order[np.repeat(shared, sizes)]
    sizes = sizes[shared]
    starts = np.cumsum(sizes) - sizes
    head = members[np.repeat(starts, sizes)]
    if not (part[members] == part[head]).all():       # a hash collision: buckets by the values
        _, inverse, counts = np.unique(part, axis=0, return_inverse=True, return_counts=True)
        inverse = inverse.reshape(-1)
        members = np.flatnonzero(counts[inverse] > 1)
        members = members[np.argsort(inverse[members], kind="stable")]
        starts, sizes = _runs(inverse[members])
    return members, starts, sizes


def _bucket_pairs(members: np.ndarray, starts: np.ndarray, sizes: np.ndarray, chunk: int):
    """All pairs of rows within each bucket, about ``chunk`` pairs at a time, as ``(i, j)``."""
    later = np.repeat(starts + sizes, sizes) - np.arange(members.size) - 1   # members after each
    done = np.cumsum(later)
    begin = 0
    while begin < members.size:
        stop = max(int(np.searchsorted(done, done[begin] - later[begin] + chunk, side="right")), begin + 1)
        count = later[begin:stop]
        left = np.repeat(np.arange(begin, stop), count)
        right = left + 1 + np.arange(left.size) - np.repeat(np.cumsum(count) - count, count)
        yield members[left], members[right]
        begin = stop


def _join(label: np.ndarray, i: np.ndarray, j: np.ndarray) -> np.ndarray:
    """Per row: the first row of its component once the pairs ``(i, j)`` are joined too."""
    n = label.size
    linked = np.flatnonzero(label != np.arange(n))
    a, b = np.r_[i, linked], np.r_[j, label[linked]]
    graph = coo_matrix((np.ones(a.size, dtype=np.int8), (a, b)), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    first = np.full(component.max() + 1, n, dtype=np.int64)
    np.minimum.at(first, component, np.arange(n))
    return first[component]


def duplicate_groups(signatures: np.ndarray, threshold: float = 0.7) -> np.ndarray:
    """Per row: the first row of its near-duplicate group, or -1 (see the module docstring)."""
    sig = np.ascontiguousarray(signatures, dtype=np.uint32)
    n, num_perm = sig.shape if sig.ndim == 2 else (0, 0)
    out = np.full(n, -1, dtype=np.int64)
    if n < 2:
        return out
    bands, rows = lsh_bands(float(threshold), int(num_perm))
    need = threshold * num_perm - 1e-9
    twin = _identical_first(sig) if num_perm >= need else np.arange(n)
    distinct = np.flatnonzero(twin == np.arange(n))
    usig = sig[distinct] if distinct.size < n else sig
    m = distinct.size
    label = np.arange(m)                                   # first distinct row of each joined set
    pending, size = [], 0

    def check(pending: list, label: np.ndarray) -> np.ndarray:
        pair = np.unique(np.concatenate(pending))
        i, j = pair // m, pair % m
        fresh = label[i] != label[j]                       # not yet joined through other pairs
        i, j = i[fresh], j[fresh]
        keep = np.zeros(i.size, dtype=bool)
        for s in range(0, i.size, _CHECK_CHUNK):
            a, b = i[s:s + _CHECK_CHUNK], j[s:s + _CHECK_CHUNK]
            keep[s:s + a.size] = np.count_nonzero(usig[a] == usig[b], axis=1) >= need
        return _join(label, i[keep], j[keep]) if keep.any() else label

    for band in range(bands if m > 1 else 0):
        members, starts, sizes = _band_buckets(usig[:, band * rows:(band + 1) * rows])
        for i, j in _bucket_pairs(members, starts, sizes, _PAIR_CHUNK):
            pending.append(np.minimum(i, j) * m + np.maximum(i, j))
            size += i.size
            if size >= _PAIR_CHUNK:
                label, pending, size = check(pending, label), [], 0
    if pending:
        label = check(pending, label)
    position = np.zeros(n, dtype=np.int64)
    position[distinct] = np.arange(m)
    group = label[position[twin]]                          # per row: its group's first distinct row
    grouped = np.bincount(group, minlength=m)[group] > 1
    out[grouped] = distinct[group[grouped]]
    return out
