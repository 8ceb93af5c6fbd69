import pandas as pd
from hypothesis import given, settings, strategies as st

from dictionaries import KeywordDictionary
from keywords.matcher import KeywordMatcher
from titling.blocklist import TitleBlocklist, parse_blocklist
from titling.titles import (TitleChooser, TitleSettings, clean_title, context_lift, context_title, facet_title,
                            html_title, query_candidates, variant_key)

DICT = KeywordDictionary.from_records([
    {"keyword": "임재범", "type": "person"}, {"keyword": "나는가수다", "aliases": ["나가수"]},
    {"keyword": "자민당"}, {"keyword": "재범"}, {"keyword": "전투기"}])
SHOWN = KeywordDictionary.from_records([          # operators prefer to show the alias 나가수
    {"keyword": "임재범", "type": "person"}, {"keyword": "나는가수다", "aliases": ["나가수"], "display": "나가수"}])
MATCHER = KeywordMatcher.from_dictionary(DICT)


def _chooser(dictionary=DICT, blocklist=None, **kw):
    return TitleChooser(KeywordMatcher.from_dictionary(dictionary), TitleSettings(**kw), dictionary.display_form,
                        blocklist)


def test_title_is_the_popular_surging_query_in_its_word_order_with_the_display_form():
    queries = pd.DataFrame({"query": ["나가수  임재범", "임재범 노래", "임재범 나이", "재범률 통계"],
                            "count": [500, 300, 900, 50]})
    history = pd.Series({"임재범 나이": 900.0, "임재범 노래": 10.0})     # 나이 is popular but not rising
    titles = _chooser().choose(["임재범", "재범"], queries, history)
    assert titles.loc["임재범", "title"] == "나는가수다 임재범"           # the canonical keyword is shown by default
    assert titles.loc["임재범", "title_source"] == "query"
    assert titles.loc["재범", "title"] == "재범"                          # '재범률' is not the word 재범
    shown = _chooser(SHOWN).choose(["임재범"], queries, history)
    assert shown.loc["임재범", "title"] == "나가수 임재범"                 # the dictionary's display column


def test_alias_queries_count_for_the_keyword():
    queries = pd.DataFrame({"query": ["나가수 시청률"], "count": [80]})
    titles = _chooser().choose(["나는가수다"], queries, pd.Series(dtype=float))
    assert titles.loc["나는가수다", "title"] == "나는가수다 시청률"


def test_variants_are_one_candidate_spacing_particles_word_order():
    assert variant_key("나는가수다 임재범") == variant_key("임재범 나는가수다") == variant_key("임재범이 나는가수다")
    assert variant_key("나는가수다임재범") == variant_key("나는가수다 임재범")
    # three forms of one query together outrank a single more popular query
    queries = pd.DataFrame({"query": ["임재범 나가수", "나가수 임재범", "임재범이 나가수", "임재범 콘서트"],
                            "count": [300, 40, 30, 330]})
    titles = _chooser(SHOWN).choose(["임재범"], queries, None)
    assert titles.loc["임재범", "title"] == "임재범 나가수"                   # the order most people typed


def test_mixed_word_order_follows_the_posts_titles():
    queries = pd.DataFrame({"query": ["추락 전투기", "전투기 추락"], "count": [50, 50]})
    posts = pd.DataFrame({"post_id": ["a", "b", "c"], "title": ["공군 전투기 추락", "전투기 추락 조종사", "전투기 추락"],
                          "body": ["", "", ""]})
    titles = _chooser().choose(["전투기"], queries, None, posts, {"전투기": frozenset("abc")})
    assert titles.loc["전투기", "title"] == "전투기 추락"


def test_context_words_over_represented_in_the_issues_posts_win():
    queries = pd.DataFrame({"query": ["자민당 과반", "자민당 날씨"], "count": [100, 120]})
    posts = pd.DataFrame({"post_id": list("abcdefgh"),
                          "title": ["자민당 단독 과반", "자민당 과반 확보", "자민당 과반", "날씨 맑음", "날씨 흐림",
                                    "내일 날씨", "주말 날씨", "날씨 추위"], "body": [""] * 8})
    sets = {"자민당": frozenset("abc")}
    titles = _chooser().choose(["자민당"], queries, None, posts, sets)
    assert titles.loc["자민당", "title"] == "자민당 과반"                    # without posts 날씨 (more searched) wins
    assert _chooser().choose(["자민당"], queries, None).loc["자민당", "title"] == "자민당 날씨"
    lift = context_lift([["과반"], ["날씨"], []], [sets["자민당"]] * 3, posts)
    assert lift[0] > 1 > lift[1] and lift[2] == 1


def test_without_queries_the_title_is_the_keyword():
    assert _chooser().choose(["자민당"], None, None).loc["자민당", "title"] == "자민당"
    small = pd.DataFrame({"query": ["자민당 과반"], "count": [2]})           # below min_count
    assert _chooser(min_count=5).choose(["자민당"], small, None).loc["자민당", "title"] == "자민당"


def test_long_queries_are_shortened_and_never_repeat_a_word():
    queries = pd.DataFrame({"query": ["자민당 " + "아주 긴 검색어 " * 10 + "자민당이"], "count": [100]})
    title = _chooser(max_title_chars=11).choose(["자민당"], queries, None).loc["자민당", "title"]
    assert title == "자민당 아주 긴" and len(title) <= 11


def test_blocked_candidates_fall_back_to_the_next_then_the_keyword():
    blocklist = parse_blocklist("word 씨발\npattern 01[016789]-?\\d{3,4}-?\\d{4}\ncrime 마약\nperson 임재범\n")
    queries = pd.DataFrame({"query": ["임재범 씨발", "임재범 010-1234-5678", "임재범 마약", "임재범 콘서트"],
                            "count": [900, 800, 700, 100]})
    titles = _chooser(blocklist=blocklist).choose(["임재범"], queries, None)
    assert titles.loc["임재범", "title"] == "임재범 콘서트"
    only_bad = queries.iloc[:3]
    titles = _chooser(blocklist=blocklist).choose(["임재범"], only_bad, None)
    assert (titles.loc["임재범", "title"], titles.loc["임재범", "title_source"]) == ("임재범", "keyword")
    assert _chooser(blocklist=parse_blocklist("word 자민당")).choose(["자민당"], None, None) \
        .loc["자민당", "title_source"] == "blocked"


def test_titles_are_escaped_for_html_and_cleaned():
    assert clean_title(" 나가수\u200b\t임재범\x00 ") == "나가수 임재범"
    assert html_title('<script>alert("x")</script> 임재범') == "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; 임재범"


def test_facets_give_the_context_without_queries():
    titles = ["공군 전투기 추락", "전투기 추락 조종사 탈출", "경북 전투기 추락", "전투기 훈련"]
    assert facet_title("전투기", ["조종사", "추락", "경북"], titles) == "전투기 추락"
    assert facet_title("어린이날", ["어린이날 선물", "어린이날 행사"], ["어린이날 선물", "어린이날 행사"]) == "어린이날"


def test_candidates_match_a_naive_word_start_scan():
    queries = pd.DataFrame({"query": ["임재범 노래", "재범률", "새 임재범", "임재범이 나가수", "x임재범"],
                            "count": [10, 10, 10, 10, 10]})
    found = query_candidates(queries, None, MATCHER, TitleSettings(min_surge=0), ["임재범"])
    naive = sorted(q for q in queries["query"] if any(w.startswith("임재범") for w in q.split()))
    assert sorted(found["query"]) == naive


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(min_size=0, max_size=40), st.integers(0, 1000)), max_size=8))
def test_a_title_is_never_empty_never_too_long_and_never_repeats_a_word(rows):
    queries = pd.DataFrame([(f"임재범 {q}", c) for q, c in rows], columns=["query", "count"])
    title = _chooser(max_title_chars=20).choose(["임재범"], queries, None).loc["임재범", "title"]
    assert title and len(title) <= 20 and title == clean_title(title)
    words = title.split()
    assert len(words) == len(set(words))


def test_broken_text_never_becomes_a_title():
    queries = pd.DataFrame({"query": ["\ufffd\ufffd 임재범 콘서트", "임재범 복귀"], "count": [500, 20]})
    assert _chooser().choose(["임재범"], queries, None).loc["임재범", "title"] == "임재범 복귀"


def test_the_baseline_lookup_matches_a_plain_map():
    from titling.titles import _baseline
    history = pd.Series({"임재범 노래": 4.0, "자민당 과반": 2.5, "x": 1.0})
    queries = pd.Series(["자민당 과반", "임재범 노래", "새 검색어", "자민당 과반"])
    assert _baseline(queries, history).tolist() == queries.map(history).fillna(0.0).tolist()
    assert _baseline(queries, pd.Series(dtype=float)).tolist() == [0.0] * 4
    objects = pd.Series([4.0], index=pd.Index(["임재범 노래"], dtype=object))
    assert _baseline(queries, objects).tolist() == [0.0, 4.0, 0.0, 0.0]


def test_context_nouns_join_the_keyword_in_title_order_without_overlap_or_blocked_words():
    titles = ["장애인 시설 색동원 시설장 구속영장 청구", "색동원 시설장 구속영장", "색동원장 시설장 송치"]
    nouns = {"시설장": 1.0, "구속영장": 2 / 3, "색동원장": 1 / 3, "영장": 2 / 3, "장애인": 1 / 3}
    # 영장 is inside the chosen 구속영장; 색동원장 contains the keyword; 장애인 is below half
    assert context_title("색동원", [], nouns, titles) == ("색동원 시설장 구속영장", "context")
    assert context_title("색동원", [], nouns, titles, max_chars=10) == ("색동원 시설장", "context")
    assert context_title("색동원", [], nouns, titles, max_words=1) == ("색동원 시설장", "context")
    blocks = TitleBlocklist(words=["구속"]).blocks
    assert context_title("색동원", [], nouns, titles, blocks=blocks) == ("색동원", "keyword")
    # a facet (구속영장: 2 of 3 titles) wins a tie with a noun, loses to a higher share, and stays
    # alone as a 'facets' title when the noun is blocked
    assert context_title("색동원", ["구속영장"], {"시설장": 2 / 3}, titles, max_words=1) == ("색동원 구속영장", "facets")
    assert context_title("색동원", ["구속영장"], {"시설장": 1.0}, titles, max_words=1) == ("색동원 시설장", "context")
    assert context_title("색동원", ["구속영장"], {"시설장": 1.0}, titles, blocks=TitleBlocklist(words=["시설장"]).blocks) \
        == ("색동원 구속영장", "facets")
