"""aggregate_keyword_stats on integer codes gives exactly the frame of the old string group-bys."""
import numpy as np
import pandas as pd
import pytest

from issues.aggregate import HOME, STAT_COLUMNS, _DTYPES, aggregate_keyword_stats, encode_hour


def _per_group_oracle(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
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


def aggregate_oracle(post_keywords, posts, query_volume=None, influential=None, duplicate_group=None):
    """The pandas implementation before the integer codes (merge and group-bys on strings)."""
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
    home = _per_group_oracle(frame, ["keyword"])
    home.insert(1, "channel", HOME)
    per_channel = _per_group_oracle(frame, ["keyword", "channel"])
    stats = pd.concat([home, per_channel], ignore_index=True)
    volume = query_volume if query_volume is not None else pd.Series(dtype="int64")
    stats["query_volume"] = stats["keyword"].map(volume).fillna(0).astype("int64")
    stats["influential"] = stats["influential"].fillna(0.0)
    stats = stats.astype(_DTYPES)
    return stats[STAT_COLUMNS].sort_values(["channel", "keyword"], kind="stable").reset_index(drop=True)


def random_hour(seed, n_posts=400, n_keywords=40, n_channels=4, n_authors=60, per_post=4):
    """Posts (some without author or channel) and their keywords, shuffled; some rows name posts
    that are not in the hour, a few keywords are missing, scores are awkward floats."""
    rng = np.random.default_rng(seed)
    authors = np.array([f"a{i}" for i in range(n_authors)], dtype=object)
    channels = np.array([f"c{i}" for i in range(n_channels)], dtype=object)
    posts = pd.DataFrame({"post_id": [f"p{i}" for i in rng.permutation(n_posts)],
                          "channel": channels[rng.integers(0, n_channels, n_posts)],
                          "author_id": authors[rng.zipf(1.6, n_posts) % n_authors]})
    posts.loc[rng.random(n_posts) < 0.03, "author_id"] = None
    posts.loc[rng.random(n_posts) < 0.02, "channel"] = None
    counts = rng.integers(1, per_post + 1, n_posts)
    post = np.repeat(np.arange(n_posts), counts)
    keywords = np.array([f"키워드{i}" for i in range(n_keywords)], dtype=object)
    kw = keywords[rng.zipf(1.3, post.size) % n_keywords]
    ids = np.array([f"p{i}" for i in range(n_posts + 20)], dtype=object)
    pk = pd.DataFrame({"post_id": ids[np.where(rng.random(post.size) < 0.02, n_posts + post % 20, post)],
                       "keyword": kw, "title_hits": rng.integers(0, 3, post.size),
                       "score": rng.random(post.size) * 10 ** rng.uniform(-3, 3, post.size)})
    pk = pk.drop_duplicates(["post_id", "keyword"]).sample(frac=1.0, random_state=seed)
    pk.loc[pk.index[:3], "keyword"] = None
    pk = pd.concat([pk, pk.iloc[3:8]])                            # a few (post, keyword) rows twice
    pk.loc[pk.index[-1:], "keyword"] = "한번만"                      # a keyword in one post
    influential = pd.Series({"a0": 2.0, "a3": 0.1, "a7": 1e-17, "zz": 5.0})
    volume = pd.Series({keywords[0]: 100, keywords[5]: 3})
    return pk.reset_index(drop=True), posts, volume, influential


def random_groups(posts, seed):
    rng = np.random.default_rng(seed)
    ids = posts["post_id"].to_numpy()
    members = rng.choice(ids, size=len(ids) // 3, replace=False)
    firsts = rng.choice(members, size=max(len(members) // 5, 1), replace=False)
    return pd.Series(firsts[rng.integers(0, len(firsts), len(members))], index=members)


def _same(new, old):
    pd.testing.assert_frame_equal(new, old, check_exact=True)


@pytest.mark.parametrize("seed", range(6))
def test_same_frame_as_the_string_groupbys(seed):
    pk, posts, volume, influential = random_hour(seed)
    _same(aggregate_keyword_stats(pk, posts, volume, influential),
          aggregate_oracle(pk, posts, volume, influential))


@pytest.mark.parametrize("seed", range(6))
def test_same_frame_with_near_duplicate_groups(seed):
    pk, posts, volume, influential = random_hour(seed + 100)
    groups = random_groups(posts, seed)
    groups = pd.concat([groups, pd.Series({"nowhere": "p1"})])     # a member that is not a post
    codes = encode_hour(pk, posts)
    expected = aggregate_oracle(pk, posts, volume, influential, groups)
    _same(aggregate_keyword_stats(pk, posts, volume, influential, groups), expected)
    _same(aggregate_keyword_stats(pk, posts, volume, influential, groups, codes=codes), expected)


def test_many_authors_and_one_channel():
    pk, posts, volume, influential = random_hour(7, n_posts=3000, n_keywords=25, n_channels=1, n_authors=2000,
                                                 per_post=8)
    _same(aggregate_keyword_stats(pk, posts, volume, influential), aggregate_oracle(pk, posts, volume, influential))


def test_string_dtype_columns():
    pk, posts, volume, influential = random_hour(8)
    pk, posts = pk.astype({"keyword": "str", "post_id": "str"}), posts.astype({"post_id": "str"})
    _same(aggregate_keyword_stats(pk, posts, volume, influential), aggregate_oracle(pk, posts, volume, influential))


def test_edges_empty_and_unmatched():
    pk, posts, volume, influential = random_hour(9)
    _same(aggregate_keyword_stats(pk.iloc[:0], posts), aggregate_oracle(pk.iloc[:0], posts))
    nowhere = pk.assign(post_id="elsewhere")
    _same(aggregate_keyword_stats(nowhere, posts), aggregate_oracle(nowhere, posts))
    one = pk.iloc[:1].assign(keyword="혼자")
    _same(aggregate_keyword_stats(one, posts, volume), aggregate_oracle(one, posts, volume))
    nobody = posts.assign(author_id=None)
    _same(aggregate_keyword_stats(pk, nobody, volume, influential), aggregate_oracle(pk, nobody, volume, influential))


def test_duplicate_post_ids_are_refused():
    pk, posts, _, _ = random_hour(10)
    with pytest.raises(ValueError, match="post_id is not unique"):
        aggregate_keyword_stats(pk, pd.concat([posts, posts.iloc[:1]]))


def test_candidate_posts_and_previous_flags_as_the_string_lookups():
    from issues.seeds import candidate_posts, previous_hour_flags
    from issues.spam import posts_of_keywords

    pk, posts, volume, influential = random_hour(11)
    codes = encode_hour(pk, posts)
    for wanted in (["키워드0", "키워드3", "한번만"], [], ["없는말"]):
        expected = posts["post_id"].isin(posts_of_keywords(pk, wanted)).to_numpy()
        np.testing.assert_array_equal(candidate_posts(codes, wanted), expected)
    stats = aggregate_keyword_stats(pk, posts, volume, influential, codes=codes)
    before = {("키워드0", "home"), ("키워드1", "c2"), ("없는말", "home")}
    expected = [(k, c) in before for k, c in zip(stats["keyword"], stats["channel"])]
    assert previous_hour_flags(stats, before).tolist() == expected and sum(expected) == 2
    assert not previous_hour_flags(stats, set()).any()
