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
