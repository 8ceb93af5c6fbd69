from hypothesis import given, settings, strategies as st

from keywords.normalize import fold, normalize_text, surface_key


def test_removes_tags_entities_urls_emails_emoji_and_controls():
    raw = ("<p class='x'>임재범 &quot;복귀&quot;&#039;무대&#039; &amp; 팬</p>\n\t"
           "https://news.example.com/a?b=1 www.x.kr 문의 reporter@hankyung.com 😀👍🏽 ✈️ 🇰🇷 "
           "\u200bzero\x07 &lt;b&gt;굵게&lt;/b&gt;")
    assert normalize_text(raw) == "임재범 \"복귀\"'무대' & 팬 문의 zero 굵게"


def test_nfc_and_whitespace():
    decomposed = "\u1100\u1161\u11a8"  # 각 as jamo
    assert normalize_text(f"  {decomposed}\u00a0\u3000 나 ") == "각 나"
    assert normalize_text("") == ""


def test_keeps_ordinary_punctuation_and_comparisons():
    assert normalize_text("a < b > c, 3.5% [단독]") == "a < b > c, 3.5% [단독]"


@settings(max_examples=500, deadline=None, derandomize=True)
@given(st.text())
def test_never_raises_and_is_clean(text):
    out = normalize_text(text)
    assert out == out.strip() and "  " not in out
    assert not any(ch in out for ch in "\n\t\x00\u200b\ufe0f")
    assert len(fold(out)) == len(out)
    surface_key(text)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",))))
def test_fold_keeps_length(text):
    assert len(fold(text)) == len(text)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",))))
def test_fold_paths_agree(text):
    from keywords.normalize import fold_points, from_points, to_points

    vectorised = from_points(fold_points(to_points(text)))
    assert fold(text) == vectorised == fold(text * 300)[: len(text)]
    assert all(c == " " or c.isalnum() for c in vectorised)


from keywords.normalize import _JUNK, _JUNK_TABLE, normalize_many  # noqa: E402

_PIECES = ["<b>", "</b>", "&quot;", "&lt;i&gt;", "https://x.kr/a?b", "WWW.naver.com", "a@b.kr", "😀", "\u200b",
           "\ufe0f", "\n", "\t", "  ", "설 연휴", "임재범", "BTS", "\u1100\u1161", "\x00", "\udc80", "e\u0301"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(st.lists(st.sampled_from(_PIECES), max_size=8).map("".join), st.text(max_size=20),
                          st.none()), max_size=8))
def test_normalize_many_equals_normalize_text(texts):
    assert normalize_many(texts) == [normalize_text(t) if isinstance(t, str) else "" for t in texts]


def test_junk_table_is_the_junk_pattern():
    chars = "".join(map(chr, range(0, 0x110000, 7)))  # every 7th code point, astral included
    marked = {m.start() + i for m in _JUNK.finditer(chars) for i in range(m.end() - m.start())}
    assert [i in marked for i in range(len(chars))] == [bool(_JUNK_TABLE[ord(c)]) for c in chars]
