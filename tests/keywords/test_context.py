import pytest

from dictionaries import KeywordDictionary
from keywords.context import ContextSettings, context_candidates, title_nouns

DICT = KeywordDictionary.from_records([{"keyword": "내란"}, {"keyword": "BTS", "aliases": ["방탄소년단"]}])
TITLES = {
    "내란": ["윤석열 내란 1심 무기징역…윤석열 측 항소", "내란 우두머리 윤석열, 무기징역 선고",
             "&quot;무기징역&quot; 선고에 지지자들 반발"],
    "BTS": ["방탄소년단 컴백…하이브 주가 급등", "BTS 월드투어 발표, 하이브 '환호'"],
}


@pytest.mark.parametrize("backend", ["regex", "kiwi", "okt"])
def test_counts_positions_and_dictionary_words_left_out(backend):
    if backend == "kiwi":
        pytest.importorskip("kiwipiepy")
    if backend == "okt":
        pytest.importorskip("konlpy")
    out = context_candidates(TITLES, DICT, ContextSettings(backend=backend), stopwords=["측"])
    assert out.columns.tolist() == ["issue_key", "word", "count", "first_position"]
    got = {(k, w): (c, p) for k, w, c, p in out.itertuples(index=False)}
    assert got[("내란", "윤석열")] == (2, 0)  # twice in one title counts once
    assert got[("내란", "무기징역")][0] == 3
    assert got[("BTS", "하이브")] == (2, 9)
    words = set(out["word"])
    assert not words & {"내란", "BTS", "방탄소년단", "측"}
    assert out["issue_key"].tolist() == sorted(out["issue_key"], key=["내란", "BTS"].index)
    for _, group in out.groupby("issue_key", sort=False):
        assert group["count"].is_monotonic_decreasing


def test_kiwi_joins_compounds_and_latin_digits():
    pytest.importorskip("kiwipiepy")
    nouns = [w for w, _ in title_nouns(["SK하이닉스 HBM4 양산…다주택자 규제, 색동원 원장 구속"], "kiwi")[0]]
    assert {"SK하이닉스", "HBM4", "다주택자", "색동원"} <= set(nouns)


def test_settings_cut_and_validate():
    out = context_candidates(TITLES, DICT, ContextSettings(backend="regex", min_count=2, top_n=1))
    assert out[["issue_key", "word"]].values.tolist() == [["내란", "무기징역"], ["BTS", "하이브"]]
    empty = context_candidates({}, DICT, ContextSettings(backend="regex"))
    assert empty.empty and list(empty.columns) == ["issue_key", "word", "count", "first_position"]
    with pytest.raises(ValueError):
        ContextSettings(backend="mecab")


@pytest.mark.parametrize("backend", ["kiwi", "regex"])
def test_entities_escaped_twice_are_no_nouns(backend):
    # real feeds send '&amp;quot;' (news_econ_kr_2026feb): kiwi took 'quot' for a Latin noun
    words = [w for w, _ in title_nouns(["네이버페이 &amp;quot;결제 오류&amp;quot; 발생"], backend)[0]]
    assert "quot" not in words and "amp" not in words and "오류" in words
