"""duplicate_groups gives the groups of the plain LSH it replaced (kept here as the oracle)."""
import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

import issues.near_duplicates as nd
from issues.near_duplicates import duplicate_groups, lsh_bands


def _band_pairs_oracle(keys):
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


def duplicate_groups_oracle(signatures, threshold=0.7):
    """The implementation before the row dedup and hashed bands (void keys, all pairs at once)."""
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
        i, j = _band_pairs_oracle(keys)
        left.append(i)
        right.append(j)
    i, j = np.concatenate(left), np.concatenate(right)
    if i.size == 0:
        return out
    pair = np.unique(i * n + j)
    i, j = pair // n, pair % n
    keep = np.count_nonzero(sig[i] == sig[j], axis=1) >= threshold * num_perm - 1e-9
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


def planted_signatures(seed, n=3000, num_perm=64, values=1 << 32):
    """Random signatures, then copies (exact, and with a few bins changed, around every threshold),
    chains of small edits, a big bucket sharing one band, all shuffled."""
    rng = np.random.default_rng(seed)
    sig = rng.integers(0, values, size=(n, num_perm), dtype=np.uint64).astype(np.uint32)
    base = rng.integers(0, n, n // 2)
    for k, row in enumerate(rng.integers(0, n, n // 2)):
        sig[row] = sig[base[k]]
        changed = rng.integers(0, num_perm // 2 + 1) if rng.random() < 0.7 else 0
        cols = rng.choice(num_perm, size=changed, replace=False)
        sig[row, cols] = rng.integers(0, values, size=changed, dtype=np.uint64).astype(np.uint32)
    chain = rng.choice(n, size=min(40, n), replace=False)
    for a, b in zip(chain[:-1], chain[1:]):
        sig[b] = sig[a]
        sig[b, rng.choice(num_perm, size=num_perm // 8, replace=False)] = rng.integers(0, values, num_perm // 8)
    big = rng.choice(n, size=min(300, n), replace=False)
    sig[big, :num_perm // 8] = sig[big[0], :num_perm // 8]
    return sig[rng.permutation(n)]


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("threshold", [0.5, 0.6, 0.7, 0.9])
def test_same_groups_as_the_plain_lsh(seed, threshold):
    sig = planted_signatures(seed)
    expected = duplicate_groups_oracle(sig, threshold)
    assert (expected >= 0).sum() > 100 and len(set(expected[expected >= 0])) > 50
    np.testing.assert_array_equal(duplicate_groups(sig, threshold), expected)


def test_same_groups_with_few_values_and_other_widths():
    for seed, num_perm, values in ((1, 32, 4), (2, 64, 3), (3, 48, 1 << 32), (4, 20, 2)):
        sig = planted_signatures(seed, n=800, num_perm=num_perm, values=values)
        for threshold in (0.6, 0.8):
            np.testing.assert_array_equal(duplicate_groups(sig, threshold), duplicate_groups_oracle(sig, threshold))


def test_same_groups_in_small_chunks(monkeypatch):
    sig = planted_signatures(5)
    expected = duplicate_groups_oracle(sig, 0.7)
    monkeypatch.setattr(nd, "_PAIR_CHUNK", 97)
    monkeypatch.setattr(nd, "_CHECK_CHUNK", 13)
    np.testing.assert_array_equal(duplicate_groups(sig, 0.7), expected)


def test_same_groups_when_every_hash_collides(monkeypatch):
    sig = planted_signatures(6, n=600)
    expected = duplicate_groups_oracle(sig, 0.7)
    monkeypatch.setattr(nd, "_row_hash", lambda columns: np.zeros(columns.shape[0], dtype=np.uint64))
    np.testing.assert_array_equal(duplicate_groups(sig, 0.7), expected)


def test_edges():
    sig = planted_signatures(7, n=50)
    for rows in (sig[:0], sig[:1], sig[:2], np.repeat(sig[:1], 5, axis=0)):
        for threshold in (0.7, 1.0, 1.5):
            np.testing.assert_array_equal(duplicate_groups(rows, threshold), duplicate_groups_oracle(rows, threshold))
