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

__all__ = ["normalize_text", "fold", "surface_key"]

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
    text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
        text = _TAG.sub(" ", text)
    text = _URL.sub(" ", text)
    if "@" in text:
        text = _EMAIL.sub(" ", text)
    text = _JUNK.sub("", text)
    text = unicodedata.normalize("NFC", text)
    # NFC cannot create junk, but unescaping can create whitespace of any kind.
    return _SPACE.sub(" ", text).strip()


def fold(text: str) -> str:
    """Lower-case and turn every non letter/digit into a space, keeping length.

    >>> fold("“임재범”은 BTS!")
    ' 임재범 은 bts '
    """
    folded = _NON_ALNUM.sub(" ", text).lower()
    if len(folded) != len(text):  # e.g. 'İ'.lower() has two code points
        folded = "".join(
            low if len(low := ch.lower()) == 1 else ch for ch in _NON_ALNUM.sub(" ", text)
        )
    return folded


def surface_key(surface: str) -> str:
    """The matching identity of a keyword or alias: normalised, folded, spaces collapsed.

    >>> surface_key("  설  연휴 ")
    '설 연휴'
    """
    return _SPACES.sub(" ", fold(normalize_text(surface))).strip()
