import pickle

import pandas as pd
from hypothesis import given, settings, strategies as st

from dictionaries import KeywordDictionary
from keywords.matcher import KeywordMatcher
from keywords.particles import PARTICLES, accepts, final_class

from .naive import naive_find


def matcher(*keywords, aliases=None, stopwords=frozenset()):
    rows = [{"keyword": k, "aliases": (aliases or {}).get(k, [])} for k in keywords]
    return KeywordMatcher.from_dictionary(KeywordDictionary.from_records(rows), stopwords=stopwords)


def words(m, text):
    return [kw for kw, _, _ in m.find(text)]


def test_particles_after_the_keyword():
    m = matcher("임재범")
    assert m.find("임재범이 노래했다") == [("임재범", 0, 3)]
    for text in ["임재범의 노래", "“임재범”은 말했다", "(임재범)", "임재범", "가수 임재범에게서"]:
        assert words(m, text) == ["임재범"], text


def test_not_inside_a_longer_word():
    m = matcher("재범")
    assert m.find("임재범이 재범했다") == []
    assert m.find("임재범이 재범을") == [("재범", 5, 7)]


def test_particle_must_agree_with_final_consonant():
    m = matcher("임재범", "가수", "서울")
    assert words(m, "임재범가") == [] and words(m, "임재범를") == [] and words(m, "임재범는") == []
    assert words(m, "가수이") == [] and words(m, "가수을") == [] and words(m, "가수과") == []
    assert words(m, "가수가 가수를 가수와 가수로") == ["가수"] * 4
    assert words(m, "임재범이 임재범을 임재범과 임재범으로") == ["임재범"] * 4
    assert words(m, "임재범로") == []
    # ㄹ-final takes consonant forms but 로, not 으로
    assert words(m, "서울이 서울을 서울로") == ["서울"] * 3
    assert words(m, "서울으로 서울가") == []


def test_latin_and_digit_finals_take_both_forms_case_insensitively():
    m = matcher("BTS", "5G")
    assert words(m, "bts가 Bts이 BTS를 BTS을 5g로 5G으로") == ["BTS"] * 4 + ["5G"] * 2
    assert words(m, "BTSx 5GHz aBTS") == []


def test_longest_at_same_start_and_overlapping_shorter_hits_kept():
    m = matcher("설", "설 연휴", "서울 시청", "시청", "서울")
    assert m.find("설 연휴가") == [("설 연휴", 0, 4)]
    assert m.find("서울 시청에서") == [("서울 시청", 0, 5), ("시청", 3, 5)]
    # the longer surface fails the particle rule, so the shorter one at the same start is kept
    assert m.find("설 연휴가를") == [("설", 0, 1)]


def test_alias_reports_canonical_and_stopwords_are_dropped():
    m = matcher("나는가수다", "것", "뉴스", aliases={"나는가수다": ["나가수"]},
                stopwords=frozenset({"것", "뉴스"}))
    assert m.find("나가수에서 그것 것이 뉴스") == [("나는가수다", 0, 3)]
    assert m.keywords == frozenset({"나는가수다"})


def test_punctuation_in_keywords_is_a_space():
    m = matcher("B.T.S", "설 연휴")
    assert words(m, "b t s가 설·연휴에") == ["B.T.S", "설 연휴"]


def test_find_many_columns_and_positions():
    m = matcher("설", "자민당")
    df = m.find_many(["설에 자민당", "", "없음", "자민당은 설"])
    assert list(df.columns) == ["doc", "keyword", "start", "length"]
    assert df.values.tolist() == [[0, "설", 0, 6], [0, "자민당", 3, 6], [3, "자민당", 0, 6],
                                  [3, "설", 5, 6]]
    assert matcher("설").find_many([]).empty
    assert KeywordMatcher({}).find_many(["설"]).empty


def test_pickle_round_trip():
    m = matcher("임재범", aliases={"임재범": ["Lim"]})
    again = pickle.loads(pickle.dumps(m))
    assert again.find("lim이 임재범의") == m.find("lim이 임재범의")


def test_particle_table_sanity():
    assert 150 <= len(PARTICLES) <= 400
    assert final_class("밥") == 1 and final_class("말") == 2 and final_class("소") == 0
    assert accepts("서울", "로") and not accepts("서울", "으로") and accepts("밥", "으로")


KEYWORDS = ["임재범", "재범", "설", "설 연휴", "연휴", "서울", "서울 시청", "시청", "가수", "BTS",
            "bt", "5g", "나는가수다", "a.b"]
ALIASES = {"나는가수다": ["나가수"], "BTS": ["방탄"]}
PIECES = (KEYWORDS + ["나가수", "방탄", "이", "가", "은", "는", "을", "를", "의", "으로", "로", "에서는",
                      "과", "와", "씨가", "들이", "측은", "임", "범", "울", "다", " ", " ", " ", ".", "“",
                      "”", ",", "·", "x", "X", "B", "T", "S", "1", "\u0130", "ß", "_"])


PROPERTY_MATCHER = matcher(*KEYWORDS, aliases=ALIASES, stopwords=frozenset({"연휴"}))


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(PIECES), max_size=25), st.lists(st.sampled_from(PIECES), max_size=5))
def test_matcher_agrees_with_naive_scan(pieces, more):
    m = PROPERTY_MATCHER
    text, other = "".join(pieces), "".join(more)
    expected = naive_find(m._surfaces, text, stopwords={"연휴"})
    assert m.find(text) == expected
    # a batch gives the same hits per document as one text at a time
    df = m.find_many([other, text, other])
    got = df[df["doc"] == 1][["keyword", "start"]].values.tolist()
    assert got == [[kw, s] for kw, s, _ in expected]
