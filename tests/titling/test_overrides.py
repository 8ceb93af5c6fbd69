import pandas as pd
import pytest

from titling.overrides import OverrideError, load_overrides, parse_overrides

GOOD = """# operators' rules
rewrite 임재범 => 나가수 임재범
block 광고
block-title 나쁜 제목
merge 어린이날 <= 어린이날 선물, 어린이날 행사
pin home 설 연휴 => 설 연휴 귀성길
"""


def test_a_valid_file():
    rules = parse_overrides(GOOD, "o.txt")
    assert rules.rewrites == {"임재범": "나가수 임재범"}
    assert rules.blocked_keywords == {"광고"} and rules.blocked_titles == {"나쁜 제목"}
    assert rules.merges == {"어린이날 선물": "어린이날", "어린이날 행사": "어린이날"}
    assert [(p.channel, p.keyword, p.title) for p in rules.pins] == [("home", "설 연휴", "설 연휴 귀성길")]


def test_an_error_on_line_3_names_file_and_line(tmp_path):
    path = tmp_path / "overrides.txt"
    path.write_text("rewrite 임재범 => 나가수 임재범\n# fine\nrewrite 자민당 나쁜 줄\nblock 광고\n", encoding="utf-8")
    with pytest.raises(OverrideError) as err:
        load_overrides(path)
    assert str(err.value).startswith(f"{path}:3: 'rewrite' needs '=>'")
    assert err.value.line == 3


@pytest.mark.parametrize("text,line,message", [
    ("rewrit 임재범 => x", 1, "unknown rule 'rewrit'"),
    ("block", 1, "'block' needs an argument"),
    ("rewrite a => b\nrewrite a => c", 2, "'a' is already rewritten on line 1"),
    ("merge a <= b\nmerge c <= b", 2, "'b' is already merged into 'a' on line 1"),
    ("block 설\npin home 설", 2, "'설' is pinned but blocked on line 1"),
    ("rewrite  => b", 1, "needs text on both sides"),
])
def test_each_kind_of_error(text, line, message):
    with pytest.raises(OverrideError) as err:
        parse_overrides(text, "o.txt")
    assert err.value.line == line and message in err.value.message


def test_missing_file_and_no_file():
    with pytest.raises(OverrideError, match="not found"):
        load_overrides("/nonexistent/overrides.txt")
    assert load_overrides(None).empty


TOML = """# operators' rules
[[rewrite]]
from = "임재범"
to = "나가수 임재범"

[[block]]
keyword = "광고"
expires = 2026-05-05T00:00:00+09:00

[[block]]
title = "나쁜 제목"

[[merge]]
into = "어린이날"
keywords = ["어린이날 선물", "어린이날 행사"]

[[pin]]
channel = "home"
keyword = "길고양이"
title = "길고양이 겨울나기"
expires = 2026-05-10T00:00:00+09:00
"""


def test_a_valid_toml_file_with_lines_and_expiry():
    rules = parse_overrides(TOML, "o.toml")
    assert rules.rewrites == {"임재범": "나가수 임재범"} and rules.blocked_titles == {"나쁜 제목"}
    assert rules.merges == {"어린이날 선물": "어린이날", "어린이날 행사": "어린이날"}
    assert [(p.channel, p.keyword, p.title, p.line) for p in rules.pins] == [("home", "길고양이", "길고양이 겨울나기", 17)]
    assert rules.line_of("rewrite", "임재범") == 2 and rules.line_of("block", "광고") == 6
    before = rules.active_at(pd.Timestamp("2026-05-04T23:00+09:00"))
    assert before.blocked_keywords == {"광고"} and len(before.pins) == 1
    after = rules.active_at(pd.Timestamp("2026-05-06T00:00+09:00"))
    assert after.blocked_keywords == set() and len(after.pins) == 1
    assert rules.active_at(pd.Timestamp("2026-05-11T00:00+09:00")).pins == []


@pytest.mark.parametrize("text,line,message", [
    ("[[rewrite]]\nfrom = 'a'\n", 1, "[[rewrite]] needs to"),
    ("[[rewrite]]\nfrom = 'a'\nto = 'b'\n\n[[rewrite]]\nfrom = 'a'\nto = 'c'\n", 5, "already rewritten on line 1"),
    ("[[block]]\nkeyword = 'a'\ntitle = 'b'\n", 1, "exactly one of"),
    ("[[pin]]\nchannel = 'home'\nkeyword = 'a'\nexpires = 2026-05-01T00:00:00\n", 1, "needs an offset"),
    ("[[pin]]\nchannel = 'home'\nkeyword = 'a'\n", 1, "needs expires"),
    ("[[rewrite]]\nfrom = 'a'\nto = 'b'\ncolour = 'x'\n", 1, "unknown key(s) colour"),
    ("[[rewrites]]\nfrom = 'a'\n", 1, "unknown rule [[rewrites]]"),
    ("[[merge]]\ninto = 'a'\nkeywords = ['b']\n[[merge]]\ninto = 'c'\nkeywords = ['b']\n", 4, "already merged into 'a'"),
    ("[[block]]\nkeyword = 'a'\n[[pin]]\nchannel = 'home'\nkeyword = 'a'\nexpires = 2026-05-01T00:00:00Z\n", 3,
     "pinned but blocked on line 1"),
    ("[[rewrite]\nfrom = 'a'\n", 1, "not valid TOML"),
])
def test_each_kind_of_toml_error_names_its_line_and_rule(text, line, message):
    with pytest.raises(OverrideError) as err:
        parse_overrides(text, "o.toml")
    assert err.value.line == line and message in err.value.message, str(err.value)


def test_the_shipped_example_file_is_valid():
    from pathlib import Path

    import dictionaries
    rules = load_overrides(Path(dictionaries.__file__).with_name("overrides.example.toml"))
    assert rules.merges["어린이날 여행"] == "어린이날" and rules.pins[0].keyword == "길고양이"
