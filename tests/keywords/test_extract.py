from math import log

import numpy as np
import pandas as pd
import pytest

from dictionaries import KeywordDictionary
from keywords.extract import OUTPUT_COLUMNS, ExtractSettings, KeywordExtractor, keyword_query_volume
from keywords.matcher import KeywordMatcher


@pytest.fixture
def matcher():
    d = KeywordDictionary.from_records([
        {"keyword": "자민당"}, {"keyword": "총선", "weight": 2.0}, {"keyword": "일본"},
    ])
    return KeywordMatcher.from_dictionary(d)


@pytest.fixture
def posts():
    return pd.DataFrame({
        "post_id": ["p1", "p2", "p3"],
        "title": ["자민당 압승", "<b>총선</b> 결과", "날씨"],
        "body": ["일본 총선에서 자민당이 이겼다", "총선 다음 날", "내일  일본 여행"],
        "channel": ["news"] * 3,
    })


def test_tfidf_by_hand_on_three_documents(matcher, posts):
    # history: 7 posts, 자민당 in 1, 일본 in 3, 총선 in none; this hour: 3 posts.
    doc_freq = pd.Series({"자민당": 1, "일본": 3})
    volume = pd.Series({"총선": 99, "날씨": 5})
    out = KeywordExtractor(matcher).extract(posts, doc_freq, n_docs=7, query_volume=volume)
    assert out.columns.tolist() == OUTPUT_COLUMNS
    # idf = ln((1 + 7 + 3) / (1 + df_hist + df_now)) + 1; df_now: 자민당 1, 총선 2, 일본 2
    idf_jmd, idf_cs, idf_jp = log(11 / 3) + 1, log(11 / 3) + 1, log(11 / 6) + 1  # 2.2993, 2.2993, 1.6061
    pop_cs = 1 + 0.25 * log(100)  # 2.1513
    expected = [
        # post, keyword, title, body, first_pos, tf, idf, position weight, popularity, score
        # p1 body "일본 총선에서 자민당이 이겼다" has 16 characters; 총선 starts at 3.
        ("p1", "총선", 0, 1, 3 / 16, 1.0, idf_cs, 1 - 0.5 * 3 / 16, pop_cs,
         1.0 * idf_cs * (1 - 0.5 * 3 / 16) * pop_cs * 2.0),  # 8.9654
        ("p1", "자민당", 1, 1, 0.0, 1 + log(4), idf_jmd, 1.0, 1.0, (1 + log(4)) * idf_jmd),  # 5.4868
        ("p1", "일본", 0, 1, 0.0, 1.0, idf_jp, 1.0, 1.0, idf_jp),  # 1.6061
        ("p2", "총선", 1, 1, 0.0, 1 + log(4), idf_cs, 1.0, pop_cs,
         (1 + log(4)) * idf_cs * pop_cs * 2.0),  # 23.6073
        # p3 body "내일 일본 여행" (normalised: one space) has 8 characters; 일본 starts at 3.
        ("p3", "일본", 0, 1, 3 / 8, 1.0, idf_jp, 1 - 0.5 * 3 / 8, 1.0, idf_jp * (1 - 0.5 * 3 / 8)),
    ]
    assert out[["post_id", "keyword", "title_hits", "body_hits"]].values.tolist() == \
        [list(row[:4]) for row in expected]
    np.testing.assert_allclose(out[OUTPUT_COLUMNS[4:]].to_numpy(dtype=float),
                               np.array([row[4:] for row in expected], dtype=float), rtol=1e-12)
    assert out["score"].iloc[0] == pytest.approx(8.9654, abs=1e-4)
    assert out["score"].iloc[3] == pytest.approx(23.6073, abs=1e-4)


def test_cold_start_and_no_volume(matcher, posts):
    out = KeywordExtractor(matcher).extract(posts, pd.Series(dtype="float64"), n_docs=0)
    row = out[(out.post_id == "p1") & (out.keyword == "자민당")].iloc[0]
    assert row["idf"] == pytest.approx(log(4 / 2) + 1) and row["popularity"] == 1.0


def test_top_k_cut_keep_all_and_ties(matcher, posts):
    ex = KeywordExtractor(matcher, ExtractSettings(top_k=2))
    out = ex.extract(posts, pd.Series(dtype=float), n_docs=0)
    assert out.groupby("post_id").size().to_dict() == {"p1": 2, "p2": 1, "p3": 1}
    assert out[out.post_id == "p1"].keyword.tolist() == ["자민당", "총선"]
    every = ex.extract(posts, pd.Series(dtype=float), n_docs=0, keep_all=True)
    assert len(every) == 5
    # equal scores are ordered by keyword
    tie = pd.DataFrame({"post_id": ["x"], "title": [""], "body": ["일본 자민당"]})
    flat = KeywordExtractor(matcher, ExtractSettings(top_k=1, position_decay=0.0))
    assert flat.extract(tie, pd.Series(dtype=float), 0).keyword.tolist() == ["일본"]


def test_deterministic_and_sorted(matcher):
    rng = np.random.default_rng(7)
    words = np.array(["자민당이", "총선", "일본의", "날씨", "오늘", "총선을"])
    posts = pd.DataFrame({
        "post_id": [f"p{i}" for i in range(200)],
        "title": [" ".join(rng.choice(words, 3)) for _ in range(200)],
        "body": [" ".join(rng.choice(words, 30)) for _ in range(200)],
    })
    ex = KeywordExtractor(matcher, ExtractSettings(top_k=2))
    a = ex.extract(posts, pd.Series({"일본": 5}), 50, pd.Series({"총선": 10}))
    b = ex.extract(posts, pd.Series({"일본": 5}), 50, pd.Series({"총선": 10}))
    pd.testing.assert_frame_equal(a, b)
    assert a.groupby("post_id").size().max() <= 2
    assert np.isfinite(a[OUTPUT_COLUMNS[4:]].to_numpy(dtype=float)).all()
    for _, group in a.groupby("post_id"):
        assert group["score"].is_monotonic_decreasing and group["keyword"].is_unique


def test_long_bodies_are_cut_and_empty_input(matcher):
    posts = pd.DataFrame({"post_id": ["p"], "title": [None], "body": ["가" * 30 + " 일본"]})
    ex = KeywordExtractor(matcher, ExtractSettings(max_body_chars=20))
    assert ex.extract(posts, pd.Series(dtype=float), 0).empty
    empty = ex.extract(posts.iloc[:0], pd.Series(dtype=float), 0)
    assert empty.empty and empty.columns.tolist() == OUTPUT_COLUMNS
    with pytest.raises(ValueError):
        ExtractSettings(top_k=0)


def test_keyword_query_volume(matcher):
    q = pd.DataFrame({"query": ["일본 총선 결과", "자민당 자민당", "일본여행", "날씨"],
                      "count": [10, 3, 7, 100]})
    assert keyword_query_volume(q, matcher).to_dict() == {"일본": 10, "자민당": 3, "총선": 10}
    assert keyword_query_volume(q.iloc[:0], matcher).empty


def _reference_order(post, score, kw):
    """By post, score descending, keyword ascending: the plain three-key sort."""
    return np.lexsort((kw, -score, post))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_order_of_pairs_sorted_by_post_equals_the_three_key_sort(seed):
    rng = np.random.default_rng(seed)
    per_post = rng.integers(1, 40, 500)
    per_post[::7] = 1
    per_post[3] = 300                                    # one long block
    post = np.repeat(np.arange(per_post.size), per_post)
    kw = np.concatenate([np.sort(rng.choice(1000, n, replace=False)) for n in per_post])
    score = rng.choice([0.5, 1.0, 1.5, 2.25, 0.0, -0.0], post.size) + (rng.random(post.size) < 0.5) * rng.random(post.size)
    from keywords.extract import _order, _sorted_pairs
    assert _sorted_pairs(post, kw)
    assert np.array_equal(_order(post, score, kw, per_post.size, 1000), _reference_order(post, score, kw))


def test_order_of_unsorted_pairs_or_nan_scores_falls_back_to_the_whole_sort():
    from keywords.extract import _order, _sorted_pairs
    rng = np.random.default_rng(5)
    pair = rng.permutation(1500)                          # distinct (post, keyword) pairs, shuffled
    post, kw = pair // 30, pair % 30
    score = rng.choice([1.0, 2.0, 3.0], pair.size)
    assert not _sorted_pairs(post, kw)
    assert np.array_equal(_order(post, score, kw, 50, 30), _reference_order(post, score, kw))
    post, kw = np.array([0, 0, 0, 1]), np.array([1, 2, 3, 0])
    score = np.array([1.0, np.nan, 2.0, 1.0])              # the integer-key sort puts NaN first, as before
    ranks, inverse = np.unique(score, return_inverse=True)
    key = (post * len(ranks) + (len(ranks) - 1 - inverse)) * 4 + kw
    assert np.array_equal(_order(post, score, kw, 2, 4), np.argsort(key))


def test_keyword_query_volume_counts_a_query_once_per_keyword_and_sums_exactly(matcher):
    q = pd.DataFrame({"query": ["일본 일본 총선", "일본여행 일본", "총선", None, "자민당"],
                      "count": [2**40, 5, 7, 9, None]})
    volume = keyword_query_volume(q, matcher)
    assert volume.to_dict() == {"일본": 2**40 + 5, "총선": 2**40 + 7, "자민당": 0}
    assert volume.dtype == "int64" and volume.name == "query_volume" and volume.index.name == "keyword"
    assert volume.index.tolist() == sorted(volume.index)
    assert keyword_query_volume(q.iloc[3:4], matcher).empty


def test_query_volume_in_chunks_equals_one_pass(monkeypatch):
    """keyword_query_volume scans the queries in chunks (bounded memory): the same sums as one pass."""
    import keywords.extract as extract_module
    from keywords.matcher import KeywordMatcher

    rng = np.random.default_rng(11)
    words = ["설", "설 연휴", "임재범", "나가수", "날씨", "고속도로"]
    matcher = KeywordMatcher({w: w for w in words})
    queries = pd.DataFrame({"query": [" ".join(rng.choice(words + ["뉴스", "오늘"], size=3)) for _ in range(500)],
                            "count": rng.integers(0, 3, 500)})
    queries.loc[queries.index[:7], "count"] = 0
    whole = extract_module.keyword_query_volume(queries, matcher)
    monkeypatch.setattr(extract_module, "QUERY_CHUNK_ROWS", 7)
    chunked = extract_module.keyword_query_volume(queries, matcher)
    pd.testing.assert_series_equal(whole, chunked)
    assert whole.dtype == "int64" and whole.index.name == "keyword" and len(whole) == len(words)
