import pandas as pd

from clustering.bundle import BundleSettings, bundle_posts
from clustering.merge import MergeSettings, merge_seeds


def _seeds(*rows):
    return pd.DataFrame(rows, columns=["keyword", "score"])


def test_nested_variants_merge_into_the_general_keyword():
    seeds = _seeds(("어린이날 선물", 9.0), ("어린이날", 8.0), ("어린이날 행사", 7.0), ("환율", 5.0))
    sets = {"어린이날": frozenset("abcdefgh"), "어린이날 선물": frozenset("abc"),
            "어린이날 행사": frozenset("fgh"), "환율": frozenset("xyz")}
    groups = merge_seeds(seeds, sets, {}, MergeSettings())
    assert groups["keyword"].tolist() == ["어린이날", "환율"]
    assert groups.iloc[0]["facets"] == ["어린이날 선물", "어린이날 행사"]
    assert groups.iloc[0]["score"] == 9.0 and groups.iloc[0]["post_ids"] == frozenset("abcdefgh")


def test_containment_needs_whole_words_and_title_containment_needs_overlap():
    seeds = _seeds(("임재범", 5.0), ("재범", 4.0), ("선물", 3.0), ("환율", 2.0))
    sets = {"임재범": frozenset("ab"), "재범": frozenset("ab"), "선물": frozenset("pq"), "환율": frozenset("xy")}
    groups = merge_seeds(seeds, sets, {"환율": "환율 선물 거래"}, MergeSettings(event_overlap=1.1))
    assert sorted(groups["keyword"]) == ["선물", "임재범", "재범", "환율"]


def test_one_event_seen_through_several_keywords():
    seeds = _seeds(("추락", 9.0), ("전투기", 8.0), ("조종사", 6.0), ("환율", 5.0))
    crash = frozenset(f"c{i}" for i in range(10))
    sets = {"추락": crash | {"x1"}, "전투기": crash, "조종사": frozenset(list(crash)[:6]), "환율": frozenset({"r1", "r2"})}
    groups = merge_seeds(seeds, sets, {"전투기": "전투기 추락"}, MergeSettings())
    assert len(groups) == 2
    assert groups.iloc[0]["keyword"] == "추락" and set(groups.iloc[0]["facets"]) == {"전투기", "조종사"}


def test_operator_merge():
    seeds = _seeds(("a", 3.0), ("b", 2.0))
    groups = merge_seeds(seeds, {"a": frozenset("1"), "b": frozenset("2")}, {}, MergeSettings(), {"a": "r", "b": "r"})
    assert groups["keyword"].tolist() == ["r"] and sorted(groups.iloc[0]["facets"]) == ["a", "b"]


def test_bundle_ranks_caps_authors_and_collapses_syndicated_titles():
    posts = pd.DataFrame({
        "post_id": ["p1", "p2", "p3", "p4", "p5"], "title": ["속보 A", "속보 B", "속보 C", "속보-A", "D"],
        "author_id": ["x", "x", "x", "y", "z"], "url": "", "channel": "news",
        "recommend_count": [0, 10, 0, 100, 0], "editor_score": [0.0, 0.0, 0.0, 0.0, 1.0]})
    pk = pd.DataFrame({"post_id": ["p1", "p2", "p3", "p4", "p5"], "keyword": "k", "score": [5.0, 1.0, 4.0, 1.0, 1.0]})
    b = bundle_posts(posts["post_id"], ["k"], pk, posts, BundleSettings(max_posts=10, max_per_author=2))
    # scores: p4 5.62 (recommended), p1 5.0, p3 4.0, p2 3.40, p5 2.0; p1 is p4's story again
    assert b["post_id"].tolist() == ["p4", "p3", "p2", "p5"]
    assert (b.groupby("author_id").size() <= 2).all()
    assert len(set(b["title"].str.replace("-", " "))) == len(b)   # 속보 A and 속보-A are one story
    scores = b["bundle_score"].tolist()
    assert scores == sorted(scores, reverse=True)


def test_a_named_entity_represents_an_event_over_a_common_word():
    seeds = _seeds(("출구조사", 25.0), ("자민당", 16.0), ("과반", 21.0))
    posts = [f"p{i}" for i in range(13)]
    sets = {"출구조사": frozenset(posts), "자민당": frozenset(posts[:12]), "과반": frozenset(posts[1:12])}
    plain = merge_seeds(seeds, sets, {}, MergeSettings())
    assert plain["keyword"].tolist() == ["출구조사"]
    named = merge_seeds(seeds, sets, {}, MergeSettings(), named_entities={"자민당"})
    assert named["keyword"].tolist() == ["자민당"] and named.iloc[0]["facets"] == ["출구조사", "과반"]


def test_longest_match_leaves_nested_keywords_disjoint_yet_they_merge():
    seeds = _seeds(("무기징역 선고", 9.0), ("무기징역", 8.0))
    sets = {"무기징역 선고": frozenset({"a", "b", "c"}), "무기징역": frozenset({"d", "e"})}
    groups = merge_seeds(seeds, sets, {}, MergeSettings())
    assert groups["keyword"].tolist() == ["무기징역"] and groups.iloc[0]["facets"] == ["무기징역 선고"]
    assert groups.iloc[0]["post_ids"] == frozenset("abcde")


def test_containment_also_needs_a_jaccard_share():
    seeds = _seeds(("어린이날", 9.0), ("어린이날 선물", 3.0))
    big = frozenset(f"p{i}" for i in range(400))
    sets = {"어린이날": big, "어린이날 선물": frozenset({"p1", "q1", "q2", "q3"})}
    assert len(merge_seeds(seeds, sets, {}, MergeSettings(contain_jaccard=0.02, event_overlap=1.1))) == 2
    assert len(merge_seeds(seeds, sets, {}, MergeSettings(contain_jaccard=0.0, event_overlap=1.1))) == 1


def test_bundle_collapses_near_duplicates_with_minhash_and_weighs_influential_authors():
    body = "공군 전투기가 오늘 오전 경북 지역에서 훈련 중 추락했으며 조종사는 비상 탈출해 구조됐다고 공군이 밝혔다"
    posts = pd.DataFrame({
        "post_id": ["a", "b", "c", "d"],
        "title": ["전투기 추락 조종사 탈출", "[속보] 전투기 추락, 조종사 탈출", "전투기 추락 원인 조사", "공군 발표"],
        "body": [body, body + " 이상", "사고 원인을 조사하는 위원회가 꾸려졌다", "공군이 발표했다"],
        "author_id": ["x", "y", "z", "w"], "url": "", "channel": "news",
        "recommend_count": [5, 0, 0, 0], "editor_score": 0.0})
    pk = pd.DataFrame({"post_id": list("abcd"), "keyword": "전투기", "score": [3.0, 3.0, 3.0, 1.0]})
    b = bundle_posts(posts["post_id"], ["전투기"], pk, posts, BundleSettings())
    assert b["post_id"].tolist() == ["a", "c", "d"]                   # b is a's near-duplicate, a scores higher
    influence = pd.Series({"w": 9.0})
    b = bundle_posts(posts["post_id"], ["전투기"], pk, posts, BundleSettings(), influence)
    assert b["post_id"].tolist()[0] == "d"
    b = bundle_posts(posts["post_id"], ["전투기"], pk, posts, BundleSettings(max_posts=2))
    assert len(b) == 2


def test_bundle_titles_are_plain_text_readers_see():
    posts = pd.DataFrame({"post_id": ["a"], "title": ["NHK 출구조사 &amp;quot;자민당 단독 과반&amp;quot; <b>속보</b>"],
                          "author_id": ["x"], "url": "", "channel": "news", "recommend_count": 0, "editor_score": 0.0})
    pk = pd.DataFrame({"post_id": ["a"], "keyword": "자민당", "score": [1.0]})
    b = bundle_posts(["a"], ["자민당"], pk, posts, BundleSettings())
    assert b["title"].tolist() == ['NHK 출구조사 "자민당 단독 과반" 속보']


def test_an_untyped_name_represents_an_event_over_a_common_word():
    seeds = _seeds(("의지", 9.0), ("김여정", 8.0))
    posts = frozenset("abcd")
    groups = merge_seeds(seeds, {"의지": posts, "김여정": posts - {"d"}}, {}, MergeSettings(),
                         common_words={"의지"})
    assert groups["keyword"].tolist() == ["김여정"] and groups.iloc[0]["facets"] == ["의지"]
