"""normalize_many (one NUL-joined batch) against normalize_text, the plain per-text reference."""
import gzip
import json
import pathlib
import random

import pytest
from hypothesis import given, settings, strategies as st

from keywords.normalize import _CLASS, _not_nfc_safe, normalize_many, normalize_text

_PIECES = ["<b>", "</b>", "<a href='x&amp;y'>", "<", ">", "<<a>b>", "&", "&quot;", "&amp", "&lt;i&gt;",
           "&#0;", "&#58;//", "&#x3C;p&#x3E;", "&ampx", "&#119;ww.", ";", "#", "https://x.kr/a?b",
           "HTTP://Y.com", "ftp://f", "httpſ://s", "WWW.naver.com", "wWw.", "xwww.a", "news.", "://",
           "a@b.kr", "+x@y.z", "@", "😀", "🇰🇷", "\u200b", "\ufe0f", "\u20e3", "\n", "\r\n", "\t", "\x0b",
           "\x1c", "\x85", "\xa0", "\u2000", "\u2001", "\u3000", "  ", " ", "설 연휴", "임재범", "BTS",
           "\u1100\u1161", "\u11a8", "\u0301", "e\u0301", "\u0387", "\uf9e1", "\x00", "\udc80", "\U00020000",
           "\U0001d15e", "a", "w", "h", "."]


def _check(texts):
    expected = [normalize_text(t) if isinstance(t, str) else "" for t in texts]
    assert normalize_many(texts) == expected


@settings(max_examples=1500, deadline=None, derandomize=True)
@given(st.lists(st.one_of(st.lists(st.sampled_from(_PIECES), max_size=12).map("".join), st.text(max_size=30),
                          st.none()), max_size=10))
def test_batch_equals_per_text_reference(texts):
    _check(texts)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.lists(st.text(alphabet=st.characters(codec=None), max_size=40), min_size=1, max_size=6))
def test_batch_equals_reference_on_any_characters(texts):
    _check(texts)


@pytest.mark.parametrize("seed", range(5))
def test_seeded_mixtures(seed):
    rng = random.Random(seed)
    texts = ["".join(rng.choice(_PIECES) for _ in range(rng.randrange(60))) for _ in range(300)]
    _check(texts + [None, 3.5, ""])


NEWS = pathlib.Path("/work/shared/data/news_econ_kr_2026feb/items.jsonl.gz")


@pytest.mark.skipif(not NEWS.exists(), reason="real news data not mounted")
def test_real_news_equals_reference():
    with gzip.open(NEWS, "rt", encoding="utf-8") as handle:
        rows = [json.loads(line) for _, line in zip(range(3000), handle)]
    _check([r["title"] for r in rows] + [r["text"] for r in rows])


def test_nfc_safe_characters_make_nfc_text():
    safe = _CLASS[:0x10000] & 8 == 0
    chars = [chr(c) for c in range(0x10000) if safe[c] and not 0xD800 <= c < 0xE000]
    rng = random.Random(0)
    for _ in range(200):
        text = "".join(rng.choice(chars) for _ in range(50))
        assert normalize_many([text])[0] == normalize_text(text)
    assert _not_nfc_safe()[[0x0301, 0x1161, 0x11A8, 0xF9E1, 0x0387, 0x00E9]].all()
    assert not _not_nfc_safe()[[ord("가"), ord("a"), ord(" ")]].any()


_MAIL = ["a", "b.", "+", "-", "_", "@", ".", "x-y", "홍길동", "é", "١", " ", "\0", ".kr", "@@", "a@b.c"]


@settings(max_examples=1000, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(_MAIL), max_size=20).map("".join))
def test_drop_emails_is_the_email_pattern(text):
    from keywords.normalize import _EMAIL, _drop_emails

    assert _drop_emails(text) == _EMAIL.sub(" ", text)


_URLS = ["http", "https", "HTTPS", "ftp", "FtP", "www", "WwW", "://", ".", "x", "_", "é", " ", "\0", "/a?b",
         "'", "<", "ſ", "s"]


@settings(max_examples=1000, deadline=None, derandomize=True)
@given(st.lists(st.sampled_from(_URLS), max_size=12).map("".join))
def test_batch_url_pattern_is_the_url_pattern(text):
    from keywords.normalize import _URL, _URL_IN

    for piece in text.split("\0"):
        assert _URL_IN.sub(" ", piece) == _URL.sub(" ", piece)
    assert _URL_IN.sub(" ", text).split("\0") == [_URL.sub(" ", p) for p in text.split("\0")]
