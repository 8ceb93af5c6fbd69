"""The field rules of the input contract, checked against their references (issue 12)."""
from __future__ import annotations

import doctest
import importlib
import unicodedata

import pytest

from issues.field_rules import (INVISIBLE, RowError, channel_name, http_url, identifier, reason_group, storable,
                                 strip_invisible)


@pytest.mark.parametrize("module", ["issues.field_rules", "crawler.mappings", "crawler.validation", "crawler.ingest",
                                    "jobs.publish.sanitize", "jobs.runner.rejects", "jobs.cli.rejects",
                                    "titling.overrides", "titling.titles"])
def test_docstring_examples_run(module):
    assert doctest.testmod(importlib.import_module(module)).failed == 0


def test_invisible_characters_are_exactly_unicodes_control_format_surrogate_and_separator_classes():
    wanted = {"Cc", "Cf", "Cs", "Zl", "Zp"}
    for cp in range(0x110000):
        ch = chr(cp)
        assert bool(INVISIBLE.match(ch)) == (unicodedata.category(ch) in wanted), f"U+{cp:04X}"


@pytest.mark.parametrize("name,ok", [("news", True), ("정치-일반_2.0", True), ("IT", True), ("_all_", False),
                                     (".hidden", False), ("a b", False), ("IT/과학", False),
                                     ('"><script>', False), ("news\u200b", False), ("c" * 100, True),
                                     ("c" * 101, False)])
def test_channel_names(name, ok):
    if ok:
        assert channel_name(name, 100) == name
    else:
        with pytest.raises(RowError):
            channel_name(name, 100)


@pytest.mark.parametrize("value,ok", [("p1", True), ("https://e.kr/a?x=1&y=2", True), ("홍 길동", True),
                                      ("O'Brien", True), ("a<b", False), ('a"b', False), ("a`b", False),
                                      ("a\\b", False), ("a\tb", False), ("a\u202eb", False), ("a\u00adb", False)])
def test_ids(value, ok):
    if ok:
        assert identifier("author_id", value, 200) == value
    else:
        with pytest.raises(RowError, match="forbidden character"):
            identifier("author_id", value, 200)


@pytest.mark.parametrize("url,published", [
    ("https://news.example/a?b=1#c", "https://news.example/a?b=1#c"),
    ("HTTP://X.KR/가", "HTTP://X.KR/가"),
    (" https://x.kr/a b ", "https://x.kr/a%20b"),
    ('https://x.kr/"><script>', "https://x.kr/%22%3E%3Cscript%3E"),
    ("https://x.kr/\u202eevil", "https://x.kr/%E2%80%AEevil"),
    ("", ""),
])
def test_http_urls_are_published_percent_encoded(url, published):
    assert http_url(url) == published


@pytest.mark.parametrize("url,reason", [
    ("javascript:alert(1)", "scheme 'javascript' is not http(s)"), (" JaVaScRiPt:x", "scheme 'javascript'"),
    ("java\tscript:alert(1)", "not an absolute http(s) URL"), ("data:text/html,x", "scheme 'data'"),
    ("//evil.example/x", "not an absolute http(s) URL"), ("https://", "no //host after the scheme"),
    ("https:\\\\evil.example", "no //host after the scheme"), ("ftp://x.kr/a", "scheme 'ftp'"),
    ("https://x.kr/" + "a" * 3000, "longer than 2000 characters")])
def test_other_urls_are_dropped_with_a_reason(url, reason):
    with pytest.raises(RowError, match="url dropped: " + reason.replace("(", r"\(").replace(")", r"\)")):
        http_url(url)


def test_texts_lose_invisible_characters_and_keep_the_rest():
    assert strip_invisible("어린이날\u200b선물 \u202e소식\u2066\u2069") == "어린이날선물 소식"
    assert strip_invisible("줄\n바꿈\t탭\u2028") == "줄 바꿈 탭"
    assert strip_invisible("본문\n둘째 줄\u0007\u2029끝", keep_breaks=True) == "본문\n둘째 줄\n끝"
    assert strip_invisible("보통 제목  두 칸") == "보통 제목  두 칸"             # untouched without invisibles
    assert storable("a\x00b\ud800c") == "a\ufffdb\ufffdc"


def test_reasons_group_by_kind():
    assert reason_group("unparseable time 'yesterday'") == "unparseable time '…'"
    assert reason_group('duplicate post_id "it\'s" (first at a.jsonl:3)') == "duplicate post_id '…'"
    assert reason_group("field 'recommend_count' must be a number, got 'many'") == \
        "field 'recommend_count' must be a number, got '…'"
    assert reason_group("published_at is before 2000-01-01T00:00:00+00:00: 1975-01-01T00:00:00+00:00") == \
        "published_at is before 2000-01-01T00:00:00+00:00"
    assert reason_group("invalid UTF-8 — CP949/EUC-KR? save the file as UTF-8: at byte 5") == \
        "invalid UTF-8 — CP949/EUC-KR? save the file as UTF-8"
