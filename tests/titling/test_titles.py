import pandas as pd

from dictionaries import KeywordDictionary
from keywords.matcher import KeywordMatcher
from titling.titles import TitleChooser, TitleSettings, clean_title

DICT = KeywordDictionary.from_records([
    {"keyword": "임재범", "type": "person"}, {"keyword": "나는가수다", "aliases": ["나가수"]},
    {"keyword": "자민당"}, {"keyword": "재범"}])
MATCHER = KeywordMatcher.from_dictionary(DICT)


def _chooser(**kw):
    return TitleChooser(MATCHER, TitleSettings(**kw), DICT.display_form)


def test_title_is_the_popular_surging_query_in_its_word_order():
    queries = pd.DataFrame({"query": ["나가수  임재범", "임재범 노래", "임재범 나이", "재범률 통계"],
                            "count": [500, 300, 900, 50]})
    history = pd.Series({"임재범 나이": 900.0, "임재범 노래": 10.0})     # 나이 is popular but not rising
    titles = _chooser().choose(["임재범", "재범"], queries, history)
    assert titles.loc["임재범", "title"] == "나가수 임재범"
    assert titles.loc["임재범", "title_source"] == "query"
    assert titles.loc["재범", "title"] == "재범"                          # '재범률' is not the word 재범


def test_alias_queries_count_for_the_keyword():
    queries = pd.DataFrame({"query": ["나가수 시청률"], "count": [80]})
    titles = _chooser().choose(["나는가수다"], queries, pd.Series(dtype=float))
    assert titles.loc["나는가수다", "title"] == "나가수 시청률"


def test_without_queries_the_title_is_the_keyword():
    assert _chooser().choose(["자민당"], None, None).loc["자민당", "title"] == "자민당"
    small = pd.DataFrame({"query": ["자민당 과반"], "count": [2]})           # below min_count
    assert _chooser(min_count=5).choose(["자민당"], small, None).loc["자민당", "title"] == "자민당"


def test_too_long_queries_fall_back():
    queries = pd.DataFrame({"query": ["자민당 " + "아주 긴 검색어 " * 10], "count": [100]})
    assert _chooser(max_title_chars=30).choose(["자민당"], queries, None).loc["자민당", "title"] == "자민당"


def test_clean_title_drops_controls_and_collapses_space():
    assert clean_title(" 나가수\u200b\t임재범\x00 ") == "나가수 임재범"
