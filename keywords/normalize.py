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

import functools
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


def _space_table() -> np.ndarray:
    """Boolean table over all code points: ``str.isspace`` (all whitespace is in the BMP)."""
    table = np.zeros(0x110000, dtype=bool)
    table[[c for c in range(0x10000) if chr(c).isspace()]] = True
    return table


_SPACE_TABLE = _space_table()


def _not_nfc_safe() -> np.ndarray:
    """Boolean table over all code points: may a text holding this character not be NFC?

    False only for characters that are their own NFC, combine with nothing before them
    and have no canonical decomposition (Hangul syllables aside, whose algorithmic one
    starts with a leading consonant): a text made only of such characters is NFC.  All
    astral characters and the Hangul jamo block are marked, to keep the rule simple.
    """
    table = np.zeros(0x110000, dtype=bool)
    table[0x10000:] = True
    table[0x1100:0x1200] = True
    table[0xD800:0xE000] = True
    for code in list(range(0x10000)) + list(range(0x10000, 0x20000)) + list(range(0x2F800, 0x2FA20)):
        ch = chr(code)
        if 0xD800 <= code < 0xE000:
            continue
        decomposition = unicodedata.decomposition(ch)
        if decomposition and not decomposition.startswith("<"):
            table[code] = True
            parts = decomposition.split()
            if len(parts) == 2:
                table[int(parts[1], 16)] = True  # may compose with what precedes it
        elif code < 0x10000 and (unicodedata.combining(ch) or not unicodedata.is_normalized("NFC", ch)):
            table[code] = True
    return table


# The batch is one string, its texts joined by NUL.  NUL is junk, so it is in no normalised
# text; a batch whose raw texts hold one takes the per-text path.  The batch patterns are
# the per-text ones with NUL excluded from their classes, so no match spans two texts
# (``\b``, ``\w`` and html.unescape's entity names already stop at NUL, and unescaping never
# yields NUL: ``&#0;`` gives U+FFFD).
_SEP = "\0"
_TAG_IN = re.compile(r"<(?:[A-Za-z!/?][^<>\0]{0,2000})>")
# _URL with NUL excluded, written to start with a character class (``\b`` before h, f or
# w is "no word character before it"), so the regex engine skips ahead to h/f/w: 5x faster
_URL_IN = re.compile(r"[hHfFwW](?<!\w.)(?:(?<=[hH])(?i:ttps?://)|(?<=[fF])(?i:tp://)"
                     r"|(?<=[wW])(?i:ww\.))[^\s<>\"'\0]+")
# html.unescape's own pattern; the text between matches is kept, each match replaced
_ENTITY = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")


@functools.lru_cache(maxsize=4096)
def _entity(name: str) -> str:
    return html.unescape("&" + name)


def _unescape(text: str) -> str:
    """``html.unescape`` (then tags again) with one cached lookup per entity."""
    parts = _ENTITY.split(text)
    parts[1::2] = map(_entity, parts[1::2])
    return _TAG_IN.sub(" ", "".join(parts))


def _apply(parts: list[str], picked: list[int], clean) -> None:
    """Replace the texts ``picked`` of ``parts`` by their ``clean`` (one call over those
    texts NUL-joined; ``clean`` keeps NULs)."""
    if picked:
        done = clean(_SEP.join([parts[i] for i in picked])).split(_SEP)
        for i, text in zip(picked, done):
            parts[i] = text


def _local(ch: str) -> bool:
    """Is ``ch`` in the e-mail pattern's local part class ``[\\w.+-]`` (``\\w`` is
    ``str.isalnum`` or ``_``)."""
    return ch.isalnum() or ch in "_.+-"


def _drop_emails(text: str) -> str:
    """``_EMAIL.sub(" ", text)`` without trying the pattern at every word character.

    An address ends its local part at an ``@`` (which is not in the local part's class),
    so the leftmost match through a given ``@`` starts where the run of local-part
    characters before it starts (or where the previous match ended), and it exists or not
    whatever that start is.  So each ``@`` is tried once, from that start.
    """
    out, done, at = [], 0, text.find("@")
    while at != -1:
        start = at
        while start > done and _local(text[start - 1]):
            start -= 1
        match = _EMAIL.match(text, start) if start < at else None
        if match:
            out += [text[done:start], " "]
            done = match.end()
            at = text.find("@", done)
        else:
            at = text.find("@", at + 1)
    out.append(text[done:])
    return "".join(out)


def _has_url(text: str) -> bool:
    return "://" in text or _has_www(text)


def _markers(points: np.ndarray) -> tuple[bool, np.ndarray, np.ndarray, np.ndarray]:
    """Where the patterns may apply, from the raw batch's code points: is there a ``<``;
    the numbers of the texts holding ``&``; ``://`` or ``ww.`` (any case); ``@``."""
    nul = np.flatnonzero(points == 0)

    def texts(at: np.ndarray) -> np.ndarray:
        return np.unique(np.searchsorted(nul, at))

    colon = np.flatnonzero(points[:-2] == 58)
    colon = colon[(points[colon + 1] == 47) & (points[colon + 2] == 47)]
    dot = np.flatnonzero(points[2:] == 46)  # at dot + 2; ``| 32`` lower-cases only W to w
    dot = dot[((points[dot] | 32) == 119) & ((points[dot + 1] | 32) == 119)]
    return (bool((points == 60).any()), texts(np.flatnonzero(points == 38)),
            texts(np.concatenate([colon, dot + 2])), texts(np.flatnonzero(points == 64)))


def _before_junk_batch(batch: str) -> str:
    """:func:`_before_junk` of every text of a NUL-joined batch.  Tags go in one pass over
    the batch; entities, URLs and e-mails only over the texts holding their marker, as the
    per-text code does (a second tag pass over a text without ``&`` could remove tags the
    first pass left).  Candidates come from one look at the raw batch's code points
    (:func:`_markers`; removing tags only removes markers) plus the unescaped texts (the
    only step that adds any); each candidate is then checked as the per-text code does."""
    tag, amp, url, at = _markers(to_points(batch))
    if tag:
        batch = _TAG_IN.sub(" ", batch)
    if not (amp.size or url.size or at.size):
        return batch
    parts = batch.split(_SEP)
    made = [i for i in amp.tolist() if "&" in parts[i]]
    _apply(parts, made, _unescape)
    url = sorted(set(url.tolist()).union(made))
    _apply(parts, [i for i in url if _has_url(parts[i])], lambda t: _URL_IN.sub(" ", t))
    at = sorted(set(at.tolist()).union(made))
    _apply(parts, [i for i in at if "@" in parts[i]], _drop_emails)
    return _SEP.join(parts)


def _class_table() -> np.ndarray:
    """Per code point: 1 = junk, 2 = whitespace, 4 = NUL (the batch separator),
    8 = may make a text not NFC (:func:`_not_nfc_safe`)."""
    table = (_JUNK_TABLE.astype(np.uint8) | (_SPACE_TABLE.astype(np.uint8) << 1)
             | (_not_nfc_safe().astype(np.uint8) << 3))
    table[0] = 4
    return table


_CLASS = _class_table()


def _junk_and_spaces(points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Code points of a NUL-joined batch without junk, each whitespace run inside a text
    turned into one space and the runs at a text's ends dropped; and the numbers of the
    texts that may not be NFC."""
    cls = np.take(_CLASS, points)
    rare = np.flatnonzero(cls & 9)  # junk or NFC suspects: few
    junk = rare[(cls[rare] & 1) != 0]
    suspect = rare[(cls[rare] & 9) == 8]
    if suspect.size:  # text number = NULs before (NULs are never removed)
        suspect = np.unique(np.searchsorted(np.flatnonzero(cls == 4), suspect))
    if junk.size:
        points, cls = np.delete(points, junk), np.delete(cls, junk)
    space = (cls & 2) != 0
    if not space.any():
        return points, suspect
    lead = np.zeros(points.size, dtype=bool)  # first of a run, after a letter (not NUL, not start)
    np.greater(space[1:], (cls[:-1] & 6) != 0, out=lead[1:])
    # runs at a text's end: walk back from their last character to their first
    last = np.flatnonzero(space[:-1] & (cls[1:] == 4))
    if space[-1]:
        last = np.append(last, points.size - 1)
    while last.size:
        back = space[last - 1] & (last > 0)
        if not back.any():
            break
        last = last - back
    lead[last] = False
    fix = np.flatnonzero(lead & (points != 32))
    if fix.size:
        points = points.copy()
        points[fix] = 32
    keep = ~space
    keep |= lead
    return (points if keep.all() else points[keep]), suspect


def normalize_many(texts) -> list[str]:
    """:func:`normalize_text` of every text (non-strings give ``""``), fast on a batch.

    >>> normalize_many(["<b>설</b>  연휴", None, "a😀b"])
    ['설 연휴', '', 'ab']

    The texts are joined by NUL and handled as one string: tag, entity, URL and e-mail
    patterns only where their marker occurs (:func:`_before_junk_batch`); junk and
    whitespace by one table lookup over the batch's code points, which also finds the
    few texts that need an NFC check.  The result equals :func:`normalize_text` of each
    text, the plain per-text implementation (``tests/keywords/test_normalize_batch.py``
    compares them).
    """
    texts = texts.tolist() if hasattr(texts, "tolist") else list(texts)
    if not texts:
        return []
    try:
        batch = _SEP.join(texts)
    except TypeError:
        texts = [t if isinstance(t, str) else "" for t in texts]
        batch = _SEP.join(texts)
    if batch.count(_SEP) != len(texts) - 1:  # a raw text holds a NUL
        return [normalize_text(t) for t in texts]
    points, suspect = _junk_and_spaces(to_points(_before_junk_batch(batch)))
    out = from_points(points).split(_SEP)
    # NFC maps whitespace to whitespace only (U+2000/1 -> U+2002/3) and composes nothing
    # with it, so it commutes with the whitespace step
    for i in suspect.tolist():
        if not unicodedata.is_normalized("NFC", out[i]):
            out[i] = unicodedata.normalize("NFC", out[i])
    return out


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
