"""Spam: near-duplicate posts found with MinHash LSH, so a template posted by many accounts counts once.

    >>> groups = near_duplicate_groups(posts, threshold=0.7)     # doctest: +SKIP
    >>> groups.value_counts().head()                             # post_id -> group id   # doctest: +SKIP

Each post becomes the set of character ``shingle``-grams of its normalised title and the start
of its body (spaces removed, so spacing tricks do not help; every run of digits masked as ``#``, so a
template that varies its numbers — prices, phone numbers, counters — still collapses: two such
posts had Jaccard 0.51 unmasked); datasketch's ``MinHash.bulk`` signs
them and ``MinHashLSH`` proposes pairs above ``threshold`` Jaccard similarity; pairs are joined
transitively (union-find). Only posts in a group of two or more appear in the result.

The hourly run applies it to the posts of *candidate* keywords only (those that would pass the
gates before collapsing), so its cost follows the issues of the hour, not the whole stream.
"""
from __future__ import annotations

import re
from typing import Iterable

import numpy as np
import pandas as pd
from datasketch import MinHash, MinHashLSH

_SPACE = re.compile(r"\s+")
_DIGITS = re.compile(r"\d+")


def shingles(text: str, size: int = 3, mask_digits: bool = False) -> set[bytes]:
    """Character ``size``-grams of the text without spaces; with ``mask_digits`` every run of digits is ``#``."""
    compact = _SPACE.sub("", text.lower())
    if mask_digits:
        compact = _DIGITS.sub("#", compact)
    if len(compact) <= size:
        return {compact.encode()} if compact else set()
    return {compact[i:i + size].encode() for i in range(len(compact) - size + 1)}


def near_duplicate_groups(posts: pd.DataFrame, threshold: float = 0.7, num_perm: int = 64,
                          shingle: int = 3, body_chars: int = 300, seed: int = 1,
                          mask_digits: bool = True) -> pd.Series:
    """post_id -> group id (the smallest member post_id) for posts with at least one near-duplicate."""
    if len(posts) < 2:
        return pd.Series(dtype=object)
    ids = posts["post_id"].astype(str).tolist()
    texts = (posts["title"].fillna("").astype(str) + " " + posts["body"].fillna("").astype(str).str[:body_chars]).tolist()
    sets = [shingles(t, shingle, mask_digits) or {b"\x00" + i.encode()} for t, i in zip(texts, ids)]
    signatures = MinHash.bulk(sets, num_perm=num_perm, seed=seed)
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    parent = list(range(len(ids)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, sig in enumerate(signatures):
        for j in lsh.query(sig):
            if sig.jaccard(signatures[j]) >= threshold:
                a, b = find(i), find(j)
                if a != b:
                    parent[max(a, b)] = min(a, b)
        lsh.insert(i, sig)
    roots = np.array([find(i) for i in range(len(ids))])
    sizes = np.bincount(roots, minlength=len(ids))
    keep = sizes[roots] > 1
    labels = pd.Series(np.asarray(ids, dtype=object)[roots], index=ids)
    return labels[keep]


def posts_of_keywords(post_keywords: pd.DataFrame, keywords: Iterable[str]) -> pd.Index:
    """The ids of the posts that mention any of ``keywords``."""
    wanted = set(keywords)
    return pd.Index(post_keywords.loc[post_keywords["keyword"].isin(wanted), "post_id"].unique())
