"""Near-duplicate signatures: one-permutation MinHash of a post's character 3-grams, in NumPy.

    >>> sig = minhash_signatures(["무료 쿠폰 받기 010-1234-5678 지금", "무료 쿠폰 받기 010-9876-5432 지금",
    ...                           "국회 본회의 예산안 통과"])
    >>> sig.shape, sig.dtype
    ((3, 64), dtype('uint32'))
    >>> float(signature_similarity(sig[0], sig[1])), bool(signature_similarity(sig[0], sig[2]) < 0.3)
    (1.0, True)

A post's text (its title and the start of its body, :func:`shingle_text`) is lowered, its
whitespace removed (spacing tricks do not help) and, with ``mask_digits``, every run of digits
becomes ``#`` (a template varying its prices or phone numbers still collapses); its set of
character 3-grams is the set MinHash estimates the Jaccard similarity of. That is the set
:func:`issues.spam.shingles` defines; only the hashing differs from datasketch.

How it runs (one batch of texts at a time, no per-shingle Python): the texts are joined and
encoded to UTF-32, so each character is a code point in a NumPy array; a 3-gram is the 63-bit
integer of its three code points; it is hashed once with splitmix64 (vectorised). One-permutation
MinHash (Li, Owen & Zhang 2012) splits the hash range into ``NUM_BINS`` bins by the top bits and
keeps the minimum per (text, bin) with one ``np.minimum.at``; empty bins are filled by rotation
densification (Shrivastava & Li 2014: the next non-empty bin to the right, offset by the
distance), so two texts agree in a bin with probability equal to their Jaccard similarity.
Cost: one hash per 3-gram instead of ``num_perm`` (datasketch's ``MinHash.bulk`` applies 64
permutations to a Python ``sha1`` of every 3-gram), measured in ``benchmarks/bench_hour.py``.
A text with no character (after the cuts) gets a signature of its own (``salt`` hashed),
never similar to anything.
"""
from __future__ import annotations

import functools
import re
from typing import Sequence

import numpy as np

__all__ = ["NUM_BINS", "SIGNATURE_BYTES", "minhash_signatures", "shingle_text", "signature_similarity"]

NUM_BINS = 64
SIGNATURE_BYTES = NUM_BINS * 4
_SEP = "\x00"
_PAD = 0x1FFFFF                        # above every code point: pads 1- and 2-character texts
_EMPTY = np.uint64(0xFFFFFFFFFFFFFFFF)
_M1, _M2 = np.uint64(0xBF58476D1CE4E5B9), np.uint64(0x94D049BB133111EB)


def shingle_text(title: str, body: str, body_chars: int = 300) -> str:
    """The text a post's signature is taken from: title, a space, the first ``body_chars`` of the body.

    >>> shingle_text("속보", "본문입니다", 2)
    '속보 본문'
    """
    return f"{title} {body[:body_chars]}"


def _splitmix(x: np.ndarray) -> np.ndarray:
    x = x + np.uint64(0x9E3779B97F4A7C15)
    x = (x ^ (x >> np.uint64(30))) * _M1
    x = (x ^ (x >> np.uint64(27))) * _M2
    return x ^ (x >> np.uint64(31))


@functools.cache
def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per code point: its lower case (0 where ``str.lower`` gives more than one character), is it
    whitespace (``\\s`` of ``re``), is it a decimal digit (``\\d``); built once per process from one
    string of all code points (surrogates stand in as themselves, ``surrogatepass``)."""
    every = "".join(map(chr, range(0x110000)))
    several = [i for i in (0x130,) if len(chr(i).lower()) > 1]     # the one such code point Python knows
    plain = every
    for i in several:
        plain = plain.replace(chr(i), "\x00")
    lowered = plain.lower()
    if len(lowered) == len(plain):
        lower = np.frombuffer(lowered.encode("utf-32-le", "surrogatepass"), dtype=np.uint32).copy()
    else:                                             # a Python with more of them: one by one
        lower = np.fromiter((ord(c.lower()) if len(c.lower()) == 1 else 0 for c in every), dtype=np.uint32,
                            count=len(every))
    lower[several] = 0
    space = np.zeros(0x110000, dtype=bool)
    space[[m.start() for m in re.finditer(r"\s", every)]] = True
    digit = np.zeros(0x110000, dtype=bool)
    digit[[m.start() for m in re.finditer(r"\d", every)]] = True
    return lower, space, digit


def _compact_points(texts: Sequence[str], mask_digits: bool) -> tuple[np.ndarray, np.ndarray]:
    """The texts lowered, whitespace removed, digit runs as ``#``: (code points of all, length of each)."""
    n = len(texts)
    joined = _SEP.join(t.replace(_SEP, "") if _SEP in t else t for t in texts)
    points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32)
    lower, space, digit = _tables()
    low = lower[points]
    if np.any((low == 0) & (points != 0)):          # a character lowering to several ('İ'): str.lower
        low = np.frombuffer(joined.lower().encode("utf-32-le"), dtype=np.uint32)
    points = low
    points = points[~space[points]]
    if mask_digits:
        is_digit = digit[points]
        follows = np.zeros(points.size, dtype=bool)
        follows[1:] = is_digit[1:] & is_digit[:-1]
        points = np.where(is_digit, np.uint32(ord("#")), points)[~follows]
    seps = np.flatnonzero(points == 0)
    bounds = np.concatenate([[-1], seps, [points.size]])
    lengths = np.diff(bounds) - 1
    assert lengths.size == n
    return points[points != 0], lengths.astype(np.int64)


def minhash_signatures(texts: Sequence[str], mask_digits: bool = True, salt: Sequence[str] | None = None
                       ) -> np.ndarray:
    """``(len(texts), NUM_BINS)`` uint32 signatures of the texts' character 3-gram sets.

    ``salt`` (e.g. the post ids) makes the signatures of empty texts distinct from each other."""
    n = len(texts)
    out = np.empty((n, NUM_BINS), dtype=np.uint32)
    if n == 0:
        return out
    points, lengths = _compact_points(texts, mask_digits)
    points = points.astype(np.uint64)
    starts = np.zeros(n, dtype=np.int64)
    np.cumsum(lengths[:-1], out=starts[1:])
    # regular 3-grams: positions i with i + 2 inside the same text
    n_grams = np.maximum(lengths - 2, 0)
    owner = np.repeat(np.arange(n, dtype=np.int64), n_grams)
    first = np.arange(owner.size, dtype=np.int64) - np.repeat(np.cumsum(n_grams) - n_grams, n_grams) \
        + starts[owner]
    codes = (points[first] << np.uint64(42)) | (points[first + 1] << np.uint64(21)) | points[first + 2]
    short = np.flatnonzero((lengths > 0) & (lengths < 3))      # the whole text is its one shingle
    if short.size:
        c0 = points[starts[short]]
        c1 = np.where(lengths[short] > 1, points[np.minimum(starts[short] + 1, points.size - 1)], _PAD)
        codes = np.concatenate([codes, (c0 << np.uint64(42)) | (np.asarray(c1, np.uint64) << np.uint64(21))
                                | np.uint64(_PAD)])
        owner = np.concatenate([owner, short])
    hashed = _splitmix(codes)
    bins = (hashed >> np.uint64(58)).astype(np.int64)            # top 6 bits: the bin
    values = hashed & np.uint64(0x03FFFFFFFFFFFFFF)
    table = np.full(n * NUM_BINS, _EMPTY, dtype=np.uint64)
    np.minimum.at(table, owner * NUM_BINS + bins, values)
    table = table.reshape(n, NUM_BINS)
    empty_text = lengths == 0
    if empty_text.any():
        names = salt if salt is not None else [str(i) for i in range(n)]
        for i in np.flatnonzero(empty_text):
            seed = np.frombuffer(("\x00" + str(names[i])).encode("utf-8")[:64].ljust(8, b"\x00"), dtype=np.uint8)
            base = np.uint64(int.from_bytes(seed.tobytes()[:8], "little") ^ len(seed))
            table[i] = _splitmix(base + np.arange(NUM_BINS, dtype=np.uint64)) & np.uint64(0x03FFFFFFFFFFFFFF)
    _densify(table)
    out[:] = (table ^ (table >> np.uint64(32))).astype(np.uint32)
    return out


def _densify(table: np.ndarray) -> None:
    """Rotation densification in place: an empty bin takes the next non-empty bin to its right
    (circularly), plus a constant times the distance, so equal texts stay equal."""
    empty = table == _EMPTY
    if not empty.any():
        return
    step = np.uint64(0x9E3779B97F4A7C15)
    filled = table.copy()
    # two sweeps right-to-left reach every empty bin from its nearest non-empty one (circular)
    for _ in range(2):
        for j in range(NUM_BINS - 1, -1, -1):
            nxt = (j + 1) % NUM_BINS
            take = (filled[:, j] == _EMPTY) & (filled[:, nxt] != _EMPTY)
            filled[take, j] = filled[take, nxt] + step
    table[:] = filled


def signature_similarity(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The estimated Jaccard similarity: the share of bins where the signatures agree (last axis)."""
    return np.mean(np.asarray(a) == np.asarray(b), axis=-1)
