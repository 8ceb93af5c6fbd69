"""Spam: near-duplicate posts found with MinHash LSH, so a template posted by many accounts counts once.

    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "title": ["무료 쿠폰 010-1234-5678 클릭"] * 2 + ["예산안 통과"],
    ...                       "body": ["지금 바로 받으세요", "지금  바로 받으세요", "국회 본회의"]})
    >>> near_duplicate_groups(posts, threshold=0.7).to_dict()      # post_id -> group id
    {'p1': 'p1', 'p2': 'p1'}

Each post becomes the set of character ``shingle``-grams of its normalised title and the start
of its body (spaces removed, so spacing tricks do not help; every run of digits masked as ``#``, so a
template that varies its numbers — prices, phone numbers, counters — still collapses: two such
posts had Jaccard 0.51 unmasked); :func:`keywords.signature.minhash_signatures` signs them
(NumPy one-permutation MinHash, once per post in the map stage) and
:func:`issues.near_duplicates.duplicate_groups` proposes pairs by LSH bands, keeps those above
``threshold`` estimated Jaccard similarity and joins them transitively. Only posts in a group of
two or more appear in the result.

The hourly run applies it to the posts of *candidate* keywords only (those that would pass the
gates before collapsing), so its cost follows the issues of the hour, not the whole stream.
"""
from __future__ import annotations

import re
from typing import Iterable

import numpy as np
import pandas as pd

from issues.near_duplicates import duplicate_groups
from keywords.signature import minhash_signatures, shingle_text

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


def near_duplicate_groups(posts: pd.DataFrame, threshold: float = 0.7, body_chars: int = 300,
                          mask_digits: bool = True, signatures: np.ndarray | None = None) -> pd.Series:
    """post_id -> group id (the group's first member post_id, in ``posts`` order) for posts with at
    least one near-duplicate. ``signatures`` (row-aligned with ``posts``, from the map stage) are
    used as given; without them they are computed from ``title`` and ``body`` here."""
    if len(posts) < 2:
        return pd.Series(dtype=object)
    ids = posts["post_id"].astype(str).to_numpy(dtype=object)
    if signatures is None:
        titles = posts["title"].fillna("").astype(str).tolist()
        bodies = posts["body"].fillna("").astype(str).tolist() if "body" in posts else [""] * len(posts)
        signatures = minhash_signatures([shingle_text(t, b, body_chars) for t, b in zip(titles, bodies)],
                                        mask_digits=mask_digits, salt=ids.tolist())
    first = duplicate_groups(signatures, threshold)
    keep = first >= 0
    return pd.Series(ids[first[keep]], index=ids[keep])


def posts_of_keywords(post_keywords: pd.DataFrame, keywords: Iterable[str]) -> pd.Index:
    """The ids of the posts that mention any of ``keywords``."""
    wanted = set(keywords)
    return pd.Index(post_keywords.loc[post_keywords["keyword"].isin(wanted), "post_id"].unique())
