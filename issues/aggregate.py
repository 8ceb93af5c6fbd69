"""Aggregate: per keyword and channel (and ``home`` = all channels), what the hour's posts say.

    >>> stats = aggregate_keyword_stats(post_keywords, posts, query_volume)   # doctest: +SKIP
    >>> stats.columns.tolist()                                                # doctest: +SKIP
    ['keyword', 'channel', 'posts', 'authors', 'title_hits', 'score_sum', 'top_author_share', 'query_volume']

``post_keywords`` is the extractor's output (one row per post and keyword); ``posts`` the hour's
posts. ``authors`` counts distinct authors — the primary signal, so one author's flood counts
once; ``top_author_share`` is the largest share of the keyword's posts written by one author.
It is a reduce by keyword, so it can later run partitioned (map: extract, reduce: this).
"""
from __future__ import annotations

import pandas as pd

HOME = "home"
STAT_COLUMNS = ["keyword", "channel", "posts", "authors", "title_hits", "score_sum",
                "top_author_share", "query_volume"]


def _per_group(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    grouped = frame.groupby(keys, sort=True)
    out = grouped.agg(posts=("post_id", "nunique"), authors=("author_id", "nunique"),
                      title_hits=("in_title", "sum"), score_sum=("score", "sum"))
    per_author = frame.groupby(keys + ["author_id"], sort=False)["post_id"].nunique()
    out["top_author_share"] = per_author.groupby(level=list(range(len(keys)))).max() / out["posts"]
    return out.reset_index()


def aggregate_keyword_stats(post_keywords: pd.DataFrame, posts: pd.DataFrame,
                            query_volume: pd.Series | None = None) -> pd.DataFrame:
    """One row per (keyword, channel) with a ``home`` row per keyword over all channels."""
    if post_keywords.empty:
        return pd.DataFrame(columns=STAT_COLUMNS).astype(
            {"posts": "int64", "authors": "int64", "title_hits": "int64", "score_sum": "float64",
             "top_author_share": "float64", "query_volume": "int64"})
    frame = post_keywords[["post_id", "keyword", "title_hits", "score"]].merge(
        posts[["post_id", "channel", "author_id"]], on="post_id", how="inner", validate="many_to_one")
    frame["in_title"] = (frame["title_hits"] > 0).astype("int64")
    home = _per_group(frame, ["keyword"])
    home.insert(1, "channel", HOME)
    per_channel = _per_group(frame, ["keyword", "channel"])
    stats = pd.concat([home, per_channel], ignore_index=True)
    volume = query_volume if query_volume is not None else pd.Series(dtype="int64")
    stats["query_volume"] = stats["keyword"].map(volume).fillna(0).astype("int64")
    stats = stats.astype({"posts": "int64", "authors": "int64", "title_hits": "int64"})
    return stats[STAT_COLUMNS].sort_values(["channel", "keyword"], kind="stable").reset_index(drop=True)


def channel_activity(posts: pd.DataFrame) -> pd.Series:
    """Posts per channel in the hour, plus ``home`` (all posts)."""
    counts = posts.groupby("channel").size() if len(posts) else pd.Series(dtype="int64")
    counts[HOME] = len(posts)
    return counts.astype("int64")
