"""Reference normaliser: ``keywords.normalize`` as of commit 636d9fb (per-text regex passes),
kept unchanged so the batch implementation can be tested against it.

    >>> reference_normalize_text("<b>임재범</b> &quot;복귀&quot; 😀 https://t.co/x  ")
    '임재범 "복귀"'
"""
from __future__ import annotations

import html
import re
import unicodedata

import numpy as np


def to_points(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


_TAG = re.compile(r"<(?:[A-Za-z!/?][^<>]{0,2000})>")
_URL = re.compile(r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>\"']+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Emoji and pictographs, their joiners/selectors/keycaps/tag characters,
# control and format characters, surrogates, private use, non-characters.
_JUNK_RANGES = [
    (0x1F000, 0x1FAFF),  # mahjong .. symbols & pictographs ext-A (incl. flags, emoticons)
    (0x2600, 0x27BF),  # misc symbols, dingbats
    (0x2300, 0x23FF),  # misc technical (watch, hourglass, ...)
    (0x2B00, 0x2BFF),  # misc symbols and arrows (stars, squares)
    (0xFE00, 0xFE0F),  # variation selectors
    (0x20E3, 0x20E3),  # combining enclosing keycap
    (0xE0000, 0xE007F),  # tag characters
    (0x00, 0x08), (0x0B, 0x0C), (0x0E, 0x1F), (0x7F, 0x9F),  # C0/C1 controls (tab, newline, CR kept as space)
    (0x200B, 0x200F), (0x202A, 0x202E), (0x2060, 0x206F), (0xFEFF, 0xFEFF),  # zero-width, bidi, invisible
    (0xD800, 0xDFFF),  # lone surrogates
    (0xE000, 0xF8FF), (0xF0000, 0x10FFFF),  # private use
    (0xFFF0, 0xFFFF),
]
_JUNK = re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in _JUNK_RANGES) + "]+")
_SPACE = re.compile(r"\s+")
_NON_ALNUM = re.compile(r"[\W_]")
_SPACES = re.compile(r" +")


def _has_www(text: str) -> bool:
    # the URL pattern is case-insensitive; only w/W fold to w, so four plain searches do
    return "ww." in text or "WW." in text or "Ww." in text or "wW." in text


def _before_junk(text: str) -> str:
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
        text = _TAG.sub(" ", text)
    if "://" in text or _has_www(text):  # the URL pattern is slow: look first
        text = _URL.sub(" ", text)
    if "@" in text:
        text = _EMAIL.sub(" ", text)
    return text


def _after_junk(text: str) -> str:
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    # NFC cannot create junk, but unescaping can create whitespace of any kind.  str.split()
    # splits on exactly the characters ``\s`` matches (str.isspace), and is much faster.
    return " ".join(text.split())


def _junk_table() -> np.ndarray:
    """Boolean table over all code points: is this character in ``_JUNK``'s class?"""
    table = np.zeros(0x110000, dtype=bool)
    for a, b in _JUNK_RANGES:
        table[a:b + 1] = True
    return table


_JUNK_TABLE = _junk_table()


def reference_normalize_many(texts) -> list[str]:
    """:func:`reference_normalize_text` of every text (non-strings give ``""``), faster on a batch:
    one table lookup over the whole batch finds the few texts holding junk characters,
    and only those go through the junk pattern.

    >>> reference_normalize_many(["<b>설</b>  연휴", None, "a😀b"])
    ['설 연휴', '', 'ab']
    """
    pre = [_before_junk(t) if isinstance(t, str) and t else "" for t in texts]
    if not pre:
        return []
    lengths = np.fromiter(map(len, pre), dtype=np.int64, count=len(pre))
    junk = np.flatnonzero(_JUNK_TABLE[to_points("".join(pre))])
    if junk.size:
        ends = np.cumsum(lengths)
        for i in np.unique(np.searchsorted(ends, junk, side="right")).tolist():
            pre[i] = _JUNK.sub("", pre[i])
    return [_after_junk(t) if t else "" for t in pre]


def reference_normalize_text(text: str) -> str:
    """Return ``text`` cleaned for matching and display (see module docstring).

    >>> reference_normalize_text("속보&#039;설 연휴&#039;\\n\\n귀성길 ✈️ a@b.kr")
    "속보'설 연휴' 귀성길"
    """
    if not text:
        return ""
    return _after_junk(_JUNK.sub("", _before_junk(text)))
