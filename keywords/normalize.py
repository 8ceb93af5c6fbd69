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

__all__ = ["normalize_text", "fold", "fold_points", "surface_key", "to_points", "from_points"]

_TAG = re.compile(r"<(?:[A-Za-z!/?][^<>]{0,2000})>")
_URL = re.compile(r"(?:\b(?:https?|ftp)://|\bwww\.)[^\s<>\"']+", re.IGNORECASE)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
# Emoji and pictographs, their joiners/selectors/keycaps/tag characters,
# control and format characters, surrogates, private use, non-characters.
_JUNK = re.compile(
    "["
    "\U0001F000-\U0001FAFF"  # mahjong .. symbols & pictographs ext-A (incl. flags, emoticons)
    "\u2600-\u27BF"  # misc symbols, dingbats
    "\u2300-\u23FF"  # misc technical (watch, hourglass, ...)
    "\u2B00-\u2BFF"  # misc symbols and arrows (stars, squares)
    "\uFE00-\uFE0F"  # variation selectors
    "\u20E3"  # combining enclosing keycap
    "\U000E0000-\U000E007F"  # tag characters
    "\x00-\x08\x0B\x0C\x0E-\x1F\x7F-\x9F"  # C0/C1 controls (tab, newline, CR kept as space)
    "\u200B-\u200F\u202A-\u202E\u2060-\u206F\uFEFF"  # zero-width, bidi, invisible
    "\uD800-\uDFFF"  # lone surrogates
    "\uE000-\uF8FF\U000F0000-\U0010FFFF"  # private use
    "\uFFF0-\uFFFF"
    "]+"
)
_SPACE = re.compile(r"\s+")
_NON_ALNUM = re.compile(r"[\W_]")
_SPACES = re.compile(r" +")


def normalize_text(text: str) -> str:
    """Return ``text`` cleaned for matching and display (see module docstring).

    >>> normalize_text("속보&#039;설 연휴&#039;\\n\\n귀성길 ✈️ a@b.kr")
    "속보'설 연휴' 귀성길"
    """
    if not text:
        return ""
    if "<" in text:
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
        text = _TAG.sub(" ", text)
    if "://" in text or "ww." in text.lower():  # the URL pattern is slow: look first
        text = _URL.sub(" ", text)
    if "@" in text:
        text = _EMAIL.sub(" ", text)
    text = _JUNK.sub("", text)
    if not unicodedata.is_normalized("NFC", text):
        text = unicodedata.normalize("NFC", text)
    # NFC cannot create junk, but unescaping can create whitespace of any kind.  str.split()
    # splits on exactly the characters ``\s`` matches (str.isspace), and is much faster.
    return " ".join(text.split())


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
