"""Text normalisation for posts, queries and dictionary entries.

    >>> normalize_text("<b>임재범</b> &quot;복귀&quot; 😀 https://t.co/x  ")
    '임재범 "복귀"'
    >>> surface_key("B.T.S  콘서트")
    'b t s 콘서트'

Two layers:

``normalize_text``
    What every stage sees: NFC; HTML tags removed (twice, around entity
    unescaping, so ``&lt;b&gt;`` does not survive as a tag); HTML entities
    unescaped; URLs and e-mail addresses removed; emoji, pictographs, variation
    selectors, control/format characters, lone surrogates and private-use
    characters removed; every whitespace run becomes one space; stripped.  It
    never raises on any ``str``.

``fold`` / ``surface_key``
    What the keyword matcher compares.  ``fold`` is *length preserving* (so
    offsets into the folded text are offsets into the original): letters are
    lower-cased and every character that is not a letter or digit
    (``str.isalnum``) becomes a space.  ``surface_key`` additionally collapses
    spaces and strips; it is the identity of a dictionary surface, so
    ``"BTS"``, ``"bts"`` and ``"B.T.S"`` vs ``"b t s"`` are compared alike.
"""
from __future__ import annotations

import html
import re
import unicodedata

import numpy as np

__all__ = ["normalize_text", "normalize_many", "fold", "fold_points", "surface_key", "to_points", "from_points"]

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


def normalize_many(texts) -> list[str]:
    """:func:`normalize_text` of every text (non-strings give ``""``), faster on a batch:
    one table lookup over the whole batch finds the few texts holding junk characters,
    and only those go through the junk pattern.

    >>> normalize_many(["<b>설</b>  연휴", None, "a😀b"])
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


def normalize_text(text: str) -> str:
    """Return ``text`` cleaned for matching and display (see module docstring).

    >>> normalize_text("속보&#039;설 연휴&#039;\\n\\n귀성길 ✈️ a@b.kr")
    "속보'설 연휴' 귀성길"
    """
    if not text:
        return ""
    return _after_junk(_JUNK.sub("", _before_junk(text)))


def _fold_table() -> np.ndarray:
    """Folded code point of every BMP character; astral ones map to ``_ASTRAL``."""
    table = np.full(0x110000, _ASTRAL, dtype=np.uint32)
    for code in range(0x10000):
        ch = chr(code)
        low = ch.lower()
        table[code] = 32 if _NON_ALNUM.match(ch) else ord(low) if len(low) == 1 else code
    return table


_ASTRAL = np.uint32(0xFFFFFFFF)
_FOLD = _fold_table()
_FOLD_BMP = {code: int(folded) for code, folded in enumerate(_FOLD[:0x10000]) if folded != code}


def fold_points(points: np.ndarray) -> np.ndarray:
    """:func:`fold` over a uint32 code-point array (the matcher folds a whole batch at once)."""
    out = _FOLD[points]
    if points.size and points.max() > 0xFFFF:
        for i in np.flatnonzero(out == _ASTRAL):  # rare once emoji are removed
            ch = chr(points[i])
            low = ch.lower()
            out[i] = 32 if _NON_ALNUM.match(ch) else ord(low) if len(low) == 1 else points[i]
    return out


def to_points(text: str) -> np.ndarray:
    """Code points of ``text`` as uint32 (lone surrogates included)."""
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def from_points(points: np.ndarray) -> str:
    return points.astype(np.uint32).tobytes().decode("utf-32-le", "surrogatepass")


def fold(text: str) -> str:
    """Lower-case and turn every non letter/digit into a space, keeping length.

    Characters are folded one by one (a character whose lower case has several
    code points, such as 'İ', is kept as it is), so folding is the same for a
    text alone and inside a batch.

    >>> fold("“임재범”은 BTS!")
    ' 임재범 은 bts '
    """
    if text.isascii():
        return _NON_ALNUM.sub(" ", text).lower()
    if len(text) < 256 and max(text) <= "\uffff":
        return text.translate(_FOLD_BMP)
    return from_points(fold_points(to_points(text)))


def surface_key(surface: str) -> str:
    """The matching identity of a keyword or alias: normalised, folded, spaces collapsed.

    >>> surface_key("  설  연휴 ")
    '설 연휴'
    """
    return _SPACES.sub(" ", fold(normalize_text(surface))).strip()
