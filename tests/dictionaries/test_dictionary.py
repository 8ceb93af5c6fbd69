import pytest

from dictionaries import (DictionaryError, KeywordDictionary, default_dictionary_path,
                          default_stopwords_path, load_dictionary, load_stopwords)

HEADER = "keyword\ttype\taliases\tweight\n"


def write(tmp_path, text, name="kw.tsv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_loads_entries_with_defaults_aliases_and_display(tmp_path):
    path = write(tmp_path, "# operators' list\n" + HEADER.replace("weight", "weight\tdisplay")
                 + "나는가수다\tevent\t나가수|나가수 \t1.5\n\n임재범\tperson\n"
                 + "bts\torganisation\t방탄소년단\t\tBTS\n")
    d = load_dictionary(path)
    assert d.entries.columns.tolist() == ["keyword", "type", "weight", "aliases", "display"]
    assert d.entries.values.tolist() == [
        ["나는가수다", "event", 1.5, ("나가수",), "나는가수다"],
        ["임재범", "person", 1.0, (), "임재범"],
        ["bts", "organisation", 1.0, ("방탄소년단",), "BTS"],
    ]
    assert d.canonical("나가수") == "나는가수다" and d.canonical("BTS") == "bts"
    assert d.canonical("모름") is None
    assert d.surfaces() == {"나는가수다": "나는가수다", "나가수": "나는가수다", "임재범": "임재범",
                            "bts": "bts", "방탄소년단": "bts"}
    assert d.display_form("bts") == "BTS" and d.display_form("임재범") == "임재범"


@pytest.mark.parametrize("line, message", [
    ("자민당\tparty\t\t\n", "unknown type"),
    ("자민당\t\t\tabc\n", "not a number"),
    ("자민당\t\t\t-1\n", ">= 0"),
    ("자민당\t\t\tnan\n", ">= 0"),
    ("\tplace\t\t\n", "empty keyword"),
    ("자민당\t\t\t1\textra\n", "columns"),
    ("임재범\t\t\t\n", "duplicate keyword"),
    ("김길리\tperson\t재범\t\n", "already claimed"),
    ("재범\tperson\t\t\n", "already claimed"),
    pytest.param("가" * 201 + "\t\t\t\n", "keyword of 201 characters (at most 200", id="keyword-too-long"),
])
def test_errors_name_file_and_line(tmp_path, line, message):
    path = write(tmp_path, HEADER + "임재범\tperson\t재범\t\n" + line)
    with pytest.raises(DictionaryError) as info:
        load_dictionary(path)
    err = info.value
    assert err.line == 3 and err.path == str(path) and message in err.message
    assert str(err) == f"{path}:3: {err.message}"


def test_display_form_longer_than_a_title_is_refused(tmp_path):
    path = write(tmp_path, "keyword\ttype\taliases\tweight\tdisplay\n자민당\t\t\t1\t" + "가" * 401 + "\n")
    with pytest.raises(DictionaryError, match=r"kw.tsv:2: display form of 401 characters \(at most 400"):
        load_dictionary(path)


def test_alias_collision_between_two_keywords(tmp_path):
    path = write(tmp_path, HEADER + "나는가수다\t\t나가수\t\n# comment\n나가수다\t\tNA가수|나가수\t\n")
    with pytest.raises(DictionaryError, match=r"kw.tsv:4: alias '나가수' already claimed by "
                                               r"'나는가수다' on line 2"):
        load_dictionary(path)


def test_bad_or_missing_header(tmp_path):
    with pytest.raises(DictionaryError, match=r":1: header"):
        load_dictionary(write(tmp_path, "word\ttype\n자민당\n"))
    with pytest.raises(DictionaryError, match=r":1: missing header"):
        load_dictionary(write(tmp_path, "# nothing\n"))


def test_case_insensitive_duplicates_and_records():
    with pytest.raises(DictionaryError, match=r"<records>:2: duplicate keyword"):
        KeywordDictionary.from_records([{"keyword": "BTS"}, {"keyword": "bts"}])
    d = KeywordDictionary.from_records([{"keyword": "BTS", "aliases": "방탄|BTS|방탄", "weight": "2"}])
    assert d.entries["aliases"].tolist() == [("방탄",)] and d.entries["weight"].tolist() == [2.0]


def test_stopwords(tmp_path):
    path = write(tmp_path, "# generic\n것\n\n 수 \n기자\n", name="stop.txt")
    assert load_stopwords(path) == frozenset({"것", "수", "기자"})


def test_shipped_files_load():
    d = load_dictionary(default_dictionary_path())
    stop = load_stopwords(default_stopwords_path())
    assert len(d) > 10000 and len(stop) >= 100
    for word in ["자민당", "무기징역", "내란", "최가온", "동계올림픽", "전투기", "추락"]:
        assert d.canonical(word) == word, word
    assert d.canonical("설 연휴") or d.canonical("설")
    assert {"것", "기자", "오늘"} <= stop and not stop & set(d.entries["keyword"])


def test_shipped_dictionary_matches_news_phrases():
    from keywords.matcher import KeywordMatcher

    m = KeywordMatcher.from_dictionary(load_dictionary(default_dictionary_path()),
                                       load_stopwords(default_stopwords_path()))
    found = {kw for kw, _, _ in m.find("설 연휴를 앞두고 자민당이 압승했고 최가온은 동계올림픽에서 "
                                       "금메달을 땄다. 내란을 일으킨 혐의에 무기징역, 전투기 추락")}
    assert {"설 연휴", "자민당", "최가온", "동계올림픽", "내란", "무기징역", "전투기", "추락"} <= found
    assert not found & {"것", "오늘", "기자"}


def test_shipped_dictionary_has_no_particle_truncations():
    """Issue #3: a final syllable that is also a particle (인, 도, 로 ...) was cut off."""
    from keywords.matcher import KeywordMatcher

    d = load_dictionary(default_dictionary_path())
    for word in ["엡스타인", "다주택자", "색동원", "강원특별자치도", "블록체인", "스테이블코인", "외국"]:
        assert d.canonical(word) == word, word
    for artefact in ["엡스타", "강원특별자치", "블록체", "스테이블코", "국제유", "코르티", "문재", "달러당"]:
        assert d.canonical(artefact) is None, artefact
    m = KeywordMatcher.from_dictionary(d, load_stopwords(default_stopwords_path()))
    found = [kw for kw, _, _ in m.find("엡스타인의 파일, 다주택자 규제와 색동원 수사, 달러당 1400원")]
    assert {"엡스타인", "다주택자", "색동원"} <= set(found) and "달러당" not in found
    assert not {"엡스타", "다주택"} & set(found)


def test_truncation_repair_in_the_builder():
    from benchmarks.build_dictionary import repair_truncations, stems_with_particles

    docs = ["엡스타인의 파일", "엡스타인과 만남", "엡스타인 문건"] * 4
    assert "엡스타인" in stems_with_particles(docs)
    add, cut = repair_truncations({"엡스타": "", "외국": ""}, {"news": docs + ["외국 기업"] * 9}, {"엡스타인"}, 2)
    assert add == {"엡스타인"} and cut == {"엡스타"}
