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

How it runs (an hour has ~10M (post, keyword) rows): on integer codes, never on the strings.
:func:`encode_hour` turns the ids into codes once (the posts' row of each post_keywords row, the
keyword, channel and author codes; :func:`issues.seeds.find_seeds` passes them to both of its
aggregations). The posts are ranked by (author, channel, post), and one ``np.sort`` of 64-bit
keys (keyword, that rank, row) lays every (keyword, author) and (keyword, author, channel) run
out contiguously: distinct posts and authors are boundaries of sorted runs, counts are
``np.bincount``, the top author a ``np.maximum.at``. The float sums keep the old row order,
so they are the same to the bit: ``score_sum`` sums the rows in input order, ``author_entropy``
and ``influential`` the (keyword, author) pairs in order of first appearance (the order the old
``groupby(sort=False)``/``drop_duplicates`` gave), each a pandas group-by sum on integer codes
(the same compensated summation).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

HOME = "home"
STAT_COLUMNS = ["keyword", "channel", "posts", "authors", "title_hits", "score_sum",
                "top_author_share", "author_entropy", "influential", "channels", "query_volume"]
_DTYPES = {"posts": "int64", "authors": "int64", "title_hits": "int64", "score_sum": "float64",
           "top_author_share": "float64", "author_entropy": "float64", "influential": "float64",
           "channels": "int64", "query_volume": "int64"}


@dataclass(frozen=True)
class HourCodes:
    """Integer codes of an hour's ``post_keywords`` and ``posts`` (:func:`encode_hour`); -1 = missing.

    >>> codes = encode_hour(pd.DataFrame({"post_id": ["p2", "p9"], "keyword": ["비", "눈"]}),
    ...                     pd.DataFrame({"post_id": ["p1", "p2"], "channel": "news", "author_id": ["a", "b"]}))
    >>> codes.post_row.tolist(), codes.keyword.tolist(), list(codes.keywords), codes.author.tolist()
    ([1, -1], [0, 1], ['비', '눈'], [0, 1])
    """
    post_index: pd.Index        # the posts' post_id (unique)
    post_row: np.ndarray        # per post_keywords row: its post's row in ``posts``
    keyword: np.ndarray         # per post_keywords row: code into ``keywords``
    keywords: pd.Index
    channel: np.ndarray         # per post: code into ``channels``
    channels: pd.Index
    author: np.ndarray          # per post: code into ``authors``
    authors: pd.Index


def _factorize(values: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Codes (-1: missing) and the distinct values, as objects (pandas infers their dtype again
    when they become the result's columns, as its group-by did)."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object))
    return codes.astype(np.int64, copy=False), pd.Index(uniques, dtype=object)


def _post_rows(post_index: pd.Index, ids: pd.Series) -> np.ndarray:
    """``post_index.get_indexer(ids)``, looked up once per run of equal ids (post_keywords come
    grouped by post, so a 10M-row hour looks up ~1M ids)."""
    values = ids.to_numpy(dtype=object)
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    starts = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    rows = post_index.get_indexer(values[starts]).astype(np.int64, copy=False)
    return np.repeat(rows, np.diff(np.r_[starts, values.size]))


def encode_hour(post_keywords: pd.DataFrame, posts: pd.DataFrame) -> HourCodes:
    """The codes :func:`aggregate_keyword_stats` computes from (see :class:`HourCodes`)."""
    post_index = pd.Index(posts["post_id"].to_numpy(dtype=object), dtype=object)
    if not post_index.is_unique:
        raise ValueError("posts: post_id is not unique (each post_keywords row must find one post)")
    keyword, keywords = _factorize(post_keywords["keyword"])
    channel, channels = _factorize(posts["channel"])
    author, authors = _factorize(posts["author_id"])
    return HourCodes(post_index, _post_rows(post_index, post_keywords["post_id"]), keyword, keywords,
                     channel, channels, author, authors)


def _group_authors(codes: HourCodes, duplicate_group: pd.Series) -> np.ndarray:
    """Per post: its author code, the first (non-missing) author of its near-duplicate group for
    the posts of a group (in ``posts`` order)."""
    author = codes.author
    if not duplicate_group.index.is_unique:
        raise ValueError("duplicate_group: a post_id appears twice")
    member = codes.post_index.get_indexer(duplicate_group.index.to_numpy(dtype=object))
    group, _ = _factorize(duplicate_group)
    keep = (member >= 0) & (group >= 0)
    if not keep.any():
        return author
    label = np.full(author.size, -1, dtype=np.int64)
    label[member[keep]] = group[keep]
    rows = np.flatnonzero(label >= 0)                    # grouped posts, in posts order
    known = rows[author[rows] >= 0]
    first_author = np.full(int(group.max()) + 1, -1, dtype=np.int64)
    labels, first = np.unique(label[known], return_index=True)
    first_author[labels] = author[known[first]]
    out = author.copy()
    out[rows] = first_author[label[rows]]
    return out


def _ordered_sums(values: np.ndarray, groups: np.ndarray, n_groups: int) -> np.ndarray:
    """Per group (0..n_groups-1; -1: none): the sum of ``values`` (columns; NaN skipped) in array
    order by pandas' group-by sum (compensated), so it is the bit-exact sum a group-by of the
    rows in that order gives; the groups as a categorical, so pandas does not hash them again."""
    values = values[:, None] if values.ndim == 1 else values
    if groups.size == 0 or n_groups == 0:
        return np.zeros((n_groups, values.shape[1]))
    key = pd.Categorical.from_codes(groups, categories=pd.RangeIndex(n_groups))
    return pd.DataFrame(values).groupby(key, observed=False, sort=True).sum().to_numpy()


def _run_starts(*keys: np.ndarray) -> np.ndarray:
    """Start positions of the runs of equal consecutive ``keys`` tuples."""
    n = keys[0].size
    change = np.zeros(n, dtype=bool)
    if n:
        change[0] = True
        for key in keys:
            np.not_equal(key[1:], key[:-1], out=change[1:], where=~change[1:])
    return np.flatnonzero(change)


def _author_signals(group: np.ndarray, author: np.ndarray, new_post: np.ndarray, row: np.ndarray,
                    n_groups: int, n_rows: int, influence: np.ndarray):
    """Per group: distinct authors, the top author's distinct posts, and the entropy and influence
    sums, from rows sorted by (group, author, post); ``new_post`` marks a row's first (group, post),
    ``row`` is its position in the input."""
    starts = _run_starts(group, author)
    n_posts = np.add.reduceat(new_post, starts) if starts.size else np.zeros(0, np.int64)
    run_author, run_group = author[starts], group[starts]
    known = run_author >= 0
    everyone = bool(known.all())
    known_group = run_group if everyone else run_group[known]
    known_posts = n_posts if everyone else n_posts[known]
    authors = np.bincount(known_group, minlength=n_groups)
    top = np.zeros(n_groups, dtype=np.int64)
    np.maximum.at(top, known_group, known_posts)
    total = np.bincount(known_group, weights=known_posts, minlength=n_groups)
    del known_group, known_posts
    with np.errstate(divide="ignore", invalid="ignore"):
        share = n_posts / total.astype(np.int64)[run_group]
        term = -(share * np.log(share))
        if not everyone:
            term[~known] = np.nan
    del share
    weight = influence[run_author]
    # the old group-bys summed the (group, author) pairs in order of their first row
    first_row = np.minimum.reduceat(row, starts) if starts.size else np.zeros(0, np.int64)
    slot = np.full(n_rows, -1, dtype=np.int32 if starts.size < 2**31 else np.int64)
    slot[first_row] = np.arange(starts.size, dtype=slot.dtype)
    order = slot[slot >= 0]
    del slot, first_row
    group_order = run_group[order]
    entropy = _ordered_sums(term[order], group_order, n_groups)[:, 0]
    # a group of zero weights sums to 0: only groups with an influential author need the sum
    weighted = np.bincount(run_group, weights=weight != 0, minlength=n_groups) > 0
    influential = np.zeros(n_groups)
    if weighted.any():
        pick = order[weighted[group_order]]
        influential = _ordered_sums(weight[pick], run_group[pick], n_groups)[:, 0]
    return authors, top, entropy, influential


def _sorted_rows(keyword: np.ndarray, post: np.ndarray, author: np.ndarray, channel: np.ndarray, n_kw: int):
    """The rows sorted by (keyword, author, channel, post): keyword, author, channel, input row
    and whether the row is the first of its (keyword, post), each in sorted order; one ``np.sort``
    of packed 64-bit keys (keyword, post's rank by (author, channel, post), row) when they fit."""
    n_rows, n_posts = post.size, author.size
    by_rank = np.lexsort((np.arange(n_posts), channel, author))
    rank = np.empty(n_posts, dtype=np.int64)
    rank[by_rank] = np.arange(n_posts)
    row_bits, rank_bits = max(int(n_rows - 1).bit_length(), 1), max(int(n_posts - 1).bit_length(), 1)
    fits = max(n_kw - 1, 1).bit_length() + rank_bits + row_bits <= 63
    if fits:
        packed = keyword << (rank_bits + row_bits)
        rank_part = rank[post]
        rank_part <<= row_bits
        packed |= rank_part
        del rank_part
        packed |= np.arange(n_rows)
        packed.sort()
        row = (packed & ((1 << row_bits) - 1)).astype(np.int32 if n_rows < 2**31 else np.int64)
        packed >>= row_bits                                # (keyword, rank)
    else:                                                  # too many bits: a lexsort
        row = np.lexsort((np.arange(n_rows), rank[post], keyword))
        packed = keyword[row] * n_posts + rank[post[row]]
    del rank
    new_post = np.ones(n_rows, dtype=np.int32)
    np.not_equal(packed[1:], packed[:-1], out=new_post[1:], casting="unsafe")
    s_kw = packed >> rank_bits if fits else packed // n_posts
    ranked = packed & ((1 << rank_bits) - 1) if fits else packed % n_posts
    del packed
    return s_kw, author[by_rank][ranked], channel[by_rank][ranked], row, new_post


def _frame(keywords: np.ndarray, posts, authors, title_hits, score_sum, channels, top, entropy, influence):
    top_share = np.where(authors > 0, top / np.maximum(posts, 1), np.nan)
    author_entropy = np.where(authors > 1, entropy / np.log(np.maximum(authors, 2)), 0.0)
    return pd.DataFrame({"keyword": keywords, "posts": posts, "authors": authors, "title_hits": title_hits,
                         "score_sum": score_sum, "channels": channels, "top_author_share": top_share,
                         "author_entropy": author_entropy, "influential": influence})


def aggregate_keyword_stats(post_keywords: pd.DataFrame, posts: pd.DataFrame,
                            query_volume: pd.Series | None = None,
                            influential: pd.Series | None = None,
                            duplicate_group: pd.Series | None = None,
                            codes: HourCodes | None = None) -> pd.DataFrame:
    """One row per (keyword, channel) with a ``home`` row per keyword over all channels;
    ``codes`` (:func:`encode_hour` of the same frames) saves encoding them again."""
    if post_keywords.empty:
        return pd.DataFrame(columns=STAT_COLUMNS).astype(_DTYPES)
    codes = encode_hour(post_keywords, posts) if codes is None else codes
    author = codes.author
    if duplicate_group is not None and len(duplicate_group):
        author = _group_authors(codes, duplicate_group)
    weights = influential if influential is not None else pd.Series(dtype=float)
    influence = pd.Series(codes.authors.to_numpy(dtype=object)).map(weights).fillna(0.0).to_numpy(dtype=float)
    influence = np.append(influence, 0.0)                  # code -1 (no author) weighs 0
    # the rows that find their post and have a keyword (what the old inner merge + group-by kept)
    kept = (codes.post_row >= 0) & (codes.keyword >= 0)
    every = bool(kept.all())
    post = codes.post_row if every else codes.post_row[kept]
    keyword = codes.keyword if every else codes.keyword[kept]
    in_title = post_keywords["title_hits"].to_numpy() > 0
    score = post_keywords["score"].to_numpy(dtype=float)
    if not every:
        in_title, score = in_title[kept], score[kept]
    del kept
    n_rows, n_kw, n_ch = post.size, len(codes.keywords), max(len(codes.channels), 1)
    channel = codes.channel
    s_kw, s_author, s_channel, row, new_post = _sorted_rows(keyword, post, author, channel, n_kw)
    home_posts = np.bincount(s_kw, weights=new_post, minlength=n_kw).astype(np.int64)
    h_authors, h_top, h_entropy, h_influence = _author_signals(s_kw, s_author, new_post, row, n_kw, n_rows,
                                                               influence)
    # channel groups: the (keyword, channel) pairs used, numbered in order; rows without a channel
    # are in home only
    if (s_channel < 0).any():
        has = np.flatnonzero(s_channel >= 0)
        s_kw, s_channel, s_author, new_post, row = s_kw[has], s_channel[has], s_author[has], new_post[has], row[has]
    s_cg = s_kw * n_ch + s_channel
    del s_kw
    used = np.zeros(n_kw * n_ch, dtype=bool)
    used[s_cg] = True
    dense = np.cumsum(used) - 1
    cg_codes = np.flatnonzero(used)
    n_cg = cg_codes.size
    s_cg = dense[s_cg]
    del s_channel
    cg_posts = np.bincount(s_cg, weights=new_post, minlength=n_cg).astype(np.int64)
    c_authors, c_top, c_entropy, c_influence = _author_signals(s_cg, s_author, new_post, row, n_cg, n_rows,
                                                               influence)
    del s_cg, s_author, new_post, row
    cg_kw, cg_ch = cg_codes // n_ch, cg_codes % n_ch
    home_channels = np.bincount(cg_kw, minlength=n_kw)
    # row sums in input order
    row_channel = channel[post]
    has_ch = row_channel >= 0
    row_cg = np.where(has_ch, dense[keyword * n_ch + row_channel], -1)
    home_title = np.bincount(keyword[in_title], minlength=n_kw)
    cg_title = np.bincount(row_cg[in_title & has_ch], minlength=n_cg)
    home_score = _ordered_sums(score, keyword, n_kw)[:, 0]
    cg_score = _ordered_sums(score, row_cg, n_cg)[:, 0]
    seen = np.flatnonzero(home_posts > 0)
    kw_values = pd.Index(codes.keywords.to_numpy(dtype=object))
    home = _frame(kw_values.take(seen), home_posts[seen], h_authors[seen], home_title[seen], home_score[seen],
                  home_channels[seen], h_top[seen], h_entropy[seen], h_influence[seen])
    home.insert(1, "channel", HOME)
    per_channel = _frame(kw_values.take(cg_kw), cg_posts, c_authors, cg_title, cg_score, np.ones(n_cg, np.int64),
                         c_top, c_entropy, c_influence)
    per_channel.insert(1, "channel", pd.Index(codes.channels.to_numpy(dtype=object)).take(cg_ch))
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
