"""Aggregate: per keyword and channel (and ``home`` = all channels), what the hour's posts say.

    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "channel": ["news", "news", "blog"],
    ...                       "author_id": ["a1", "a1", "a2"]})
    >>> post_keywords = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "keyword": "지진",
    ...                               "title_hits": [1, 0, 1], "score": [2.0, 1.0, 1.5]})
    >>> stats = aggregate_keyword_stats(post_keywords, posts, pd.Series({"지진": 40}))
    >>> stats[["channel", "posts", "authors", "title_hits", "query_volume"]].values.tolist()
    [['blog', 1, 1, 1, 40], ['home', 3, 2, 2, 40], ['news', 2, 1, 1, 40]]

``post_keywords`` is the extractor's output (one row per post and keyword); ``posts`` the hour's
posts. ``authors`` counts distinct authors — the primary signal, so one author's flood counts
once; with ``duplicate_group`` (post_id -> near-duplicate group, :mod:`issues.spam`) every post
of a group counts as written by the group's first author, so 30 sock-puppet accounts posting
one template count once too. ``top_author_share`` is the largest share of the keyword's posts
by one author, ``author_entropy`` the Shannon entropy of posts over authors divided by its
maximum (0 for a single author), ``influential`` the summed weights of the distinct influential
authors (``dictionaries/influential_authors.tsv``) and ``channels`` the number of channels.
It is a reduce by keyword, so it can later run partitioned (map: extract, reduce: this).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

HOME = "home"
STAT_COLUMNS = ["keyword", "channel", "posts", "authors", "title_hits", "score_sum",
                "top_author_share", "author_entropy", "influential", "channels", "query_volume"]
_DTYPES = {"posts": "int64", "authors": "int64", "title_hits": "int64", "score_sum": "float64",
           "top_author_share": "float64", "author_entropy": "float64", "influential": "float64",
           "channels": "int64", "query_volume": "int64"}


def _per_group(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    grouped = frame.groupby(keys, sort=True)
    out = grouped.agg(posts=("post_id", "nunique"), authors=("author_id", "nunique"),
                      title_hits=("in_title", "sum"), score_sum=("score", "sum"),
                      channels=("channel", "nunique"))
    level = list(range(len(keys)))
    per_author = frame.groupby(keys + ["author_id"], sort=False)["post_id"].nunique()
    out["top_author_share"] = per_author.groupby(level=level).max() / out["posts"]
    share = per_author / per_author.groupby(level=level).transform("sum")
    entropy = (-(share * np.log(share))).groupby(level=level).sum()
    out["author_entropy"] = np.where(out["authors"] > 1, entropy / np.log(np.maximum(out["authors"], 2)), 0.0)
    firsts = frame.drop_duplicates(keys + ["author_id"])
    out["influential"] = firsts.groupby(keys)["influence"].sum()
    return out.reset_index()


def aggregate_keyword_stats(post_keywords: pd.DataFrame, posts: pd.DataFrame,
                            query_volume: pd.Series | None = None,
                            influential: pd.Series | None = None,
                            duplicate_group: pd.Series | None = None) -> pd.DataFrame:
    """One row per (keyword, channel) with a ``home`` row per keyword over all channels."""
    if post_keywords.empty:
        return pd.DataFrame(columns=STAT_COLUMNS).astype(_DTYPES)
    authors = posts[["post_id", "channel", "author_id"]]
    if duplicate_group is not None and len(duplicate_group):
        group = authors["post_id"].map(duplicate_group)
        group = group.where(group.notna(), "post:" + authors["post_id"].astype(str))
        first_author = authors["author_id"].groupby(group.to_numpy()).transform("first")
        authors = authors.assign(author_id=first_author.to_numpy())
    frame = post_keywords[["post_id", "keyword", "title_hits", "score"]].merge(
        authors, on="post_id", how="inner", validate="many_to_one")
    frame["in_title"] = (frame["title_hits"] > 0).astype("int64")
    weights = influential if influential is not None else pd.Series(dtype=float)
    frame["influence"] = frame["author_id"].map(weights).fillna(0.0).astype(float)
    home = _per_group(frame, ["keyword"])
    home.insert(1, "channel", HOME)
    per_channel = _per_group(frame, ["keyword", "channel"])
    stats = pd.concat([home, per_channel], ignore_index=True)
    volume = query_volume if query_volume is not None else pd.Series(dtype="int64")
    stats["query_volume"] = stats["keyword"].map(volume).fillna(0).astype("int64")
    stats["influential"] = stats["influential"].fillna(0.0)
    stats = stats.astype(_DTYPES)
    return stats[STAT_COLUMNS].sort_values(["channel", "keyword"], kind="stable").reset_index(drop=True)


def channel_activity(posts: pd.DataFrame) -> pd.Series:
    """Posts per channel in the hour, plus ``home`` (all posts)."""
    counts = posts.groupby("channel").size() if len(posts) else pd.Series(dtype="int64")
    counts[HOME] = len(posts)
    return counts.astype("int64")
