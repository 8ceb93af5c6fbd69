"""The rules of the input contract's fields: what every database can store and every consumer can show.

    >>> limits = storable_limits()                   # the contracts' limits, never typed twice
    >>> limits.post_id, limits.author_id, limits.channel, limits.query, limits.issue_title
    (200, 200, 100, 400, 400)
    >>> channel_name("정치-일반_2.0", limits.channel)
    '정치-일반_2.0'
    >>> strip_invisible("어린이날\\u200b 선물\\u202e\\x07")
    '어린이날 선물'
    >>> http_url(" https://news.example/a b<c> ")
    'https://news.example/a%20b%3Cc%3E'
    >>> reason_group("duplicate post_id 'p1' (first at posts.jsonl:3)")
    "duplicate post_id '…'"

* **Storable** (every backend alike): no NUL (PostgreSQL cannot keep one in any text column), no
  lone surrogate (not encodable as UTF-8), and no value longer than its column
  (:func:`storable_limits`, from :mod:`issues.contracts`). A row breaking these is rejected, never
  truncated into a collision.
* **Invisible characters** are Unicode's control, format (bidi controls, zero-width spaces, the
  BOM, soft hyphen), surrogate and line/paragraph-separator classes (``Cc Cf Cs Zl Zp``):
  removed from texts (titles, bodies, queries), refused in names and ids.
* **Channel names**: a letter or digit (any script, Hangul included), then letters, digits and
  ``_ - .``; at most the channel column's length. They are panel names in Redis keys and URLs.
* **Ids** (``post_id``, ``author_id``): no invisible or whitespace character other than a plain
  space and none of ``< > " ` \\``; at most their column's length.
* **URLs**: only absolute ``http://`` or ``https://`` URLs with a host, at most the contract's
  ``url`` limit (2,000); spaces, quotes, angle brackets and invisible characters in them are
  percent-encoded. Any other URL is dropped from its post (the post stays) with a reason.

Reasons are short sentences; :func:`reason_group` turns one into its kind (quoted values other
than field names replaced by ``'…'``, the detail after ``": "`` or ``" ("`` dropped) so that rejects
are counted by kind.
"""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from urllib.parse import quote

# Unicode 14 classes Cc, Cf, Cs, Zl, Zp (tests/crawler/test_field_rules.py checks them against unicodedata)
_INVISIBLE_RANGES = (
    (0x0, 0x1F), (0x7F, 0x9F), (0xAD, 0xAD), (0x600, 0x605), (0x61C, 0x61C), (0x6DD, 0x6DD), (0x70F, 0x70F),
    (0x890, 0x891), (0x8E2, 0x8E2), (0x180E, 0x180E), (0x200B, 0x200F), (0x2028, 0x202E), (0x2060, 0x2064),
    (0x2066, 0x206F), (0xD800, 0xDFFF), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB), (0x110BD, 0x110BD),
    (0x110CD, 0x110CD), (0x13430, 0x13438), (0x1BCA0, 0x1BCA3), (0x1D173, 0x1D17A), (0xE0001, 0xE0001),
    (0xE0020, 0xE007F),
)
INVISIBLE = re.compile("[" + "".join(f"\\U{a:08x}-\\U{b:08x}" for a, b in _INVISIBLE_RANGES) + "]")
_BREAKS = re.compile("[\t\n\r\u2028\u2029]")          # become a space, not nothing
_INVISIBLE_NOT_BREAK = re.compile("(?![\t\n\r])" + INVISIBLE.pattern)
_SURROGATE = re.compile("[\ud800-\udfff]")
_ID_FORBIDDEN = re.compile("[<>\"`\\\\]|[^\\S ]")
_URL_UNSAFE = re.compile("[\\s<>\"`{}|\\\\^]|" + INVISIBLE.pattern)
_SCHEME = re.compile(r"(?i)https?://[^/?#\s\\]+")
_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"")
FIELD_NAMES = frozenset({"post_id", "channel", "author_id", "title", "body", "published_at", "url",
                         "recommend_count", "editor_score", "source", "hour", "query", "count"})


class RowError(ValueError):
    """One row is invalid; the message is the reject reason."""


@dataclass(frozen=True)
class FieldLimits:
    """The longest value (characters) each stored field may hold."""

    post_id: int
    author_id: int
    channel: int
    source: int
    url: int
    keyword: int
    query: int
    issue_title: int


@functools.cache
def storable_limits() -> FieldLimits:
    """The limits of :mod:`issues.contracts` (``POST_LIMITS``, ``TEXT_LIMITS``): the one place they
    are written; the store's column sizes agree with them (``tests/ops/test_storable_rows.py``)."""
    from issues.contracts import POST_LIMITS, TEXT_LIMITS

    return FieldLimits(**POST_LIMITS, **TEXT_LIMITS)


def show(value, limit: int = 60) -> str:
    """A value for a reason: repr of a short prefix (never the whole of a huge or nested value)."""
    if isinstance(value, str):
        return repr(value[:limit] + ("…" if len(value) > limit else ""))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        text = f"{value:.6g}" if isinstance(value, float) else (str(value) if abs(value) < 10 ** 30 else "a huge int")
        return text
    return type(value).__name__


def storable_problem(name: str, value: str) -> str | None:
    """Why ``value`` cannot be stored by every backend (NUL, lone surrogate), or None."""
    if "\x00" in value:
        return f"field {name!r} contains a NUL character"
    if _SURROGATE.search(value):
        return f"field {name!r} contains a lone surrogate (invalid Unicode)"
    return None


def strip_invisible(text: str, keep_breaks: bool = False) -> str:
    """Invisible characters removed. For a one-line text (a title, a query) line breaks and tabs
    become spaces and the spaces are collapsed; with ``keep_breaks`` (a body) they stay."""
    if not INVISIBLE.search(text):
        return text
    if keep_breaks:
        return _INVISIBLE_NOT_BREAK.sub("", text.replace("\u2028", "\n").replace("\u2029", "\n"))
    return " ".join(INVISIBLE.sub("", _BREAKS.sub(" ", text)).split())


def storable(text: str) -> str:
    """Any text made storable everywhere (NUL and lone surrogates -> U+FFFD): for reject records."""
    return _SURROGATE.sub("\ufffd", text.replace("\x00", "\ufffd"))


def channel_name(value: str, limit: int) -> str:
    """``value`` if it is a valid channel name, else :class:`RowError` saying why."""
    if len(value) > limit:
        raise RowError(f"channel longer than {limit} characters")
    if not value[:1].isalnum() or not all(ch.isalnum() or ch in "_-." for ch in value):
        raise RowError(f"channel {show(value, 40)} is not a channel name (a letter or digit, then letters, "
                       f"digits, _ - .)")
    return value


def channel_slug(value, limit: int = 100) -> str | None:
    """A source's category as a channel name: other characters become ``_`` (for mappings).

    >>> channel_slug("IT/과학"), channel_slug(" World News "), channel_slug("<script>"), channel_slug("//")
    ('IT_과학', 'World_News', 'script', None)
    """
    if not isinstance(value, str):
        return None
    slug = re.sub(r"[^\w.-]+", "_", strip_invisible(value)).strip("_.-")[:limit]
    return slug or None


def identifier(name: str, value: str, limit: int) -> str:
    """``value`` if it is a valid id (``post_id``, ``author_id``), else :class:`RowError`."""
    if len(value) > limit:
        raise RowError(f"field {name!r} longer than {limit} characters")
    bad = INVISIBLE.search(value) or _ID_FORBIDDEN.search(value)
    if bad:
        raise RowError(f"field {name!r} contains a forbidden character (U+{ord(bad.group()):04X})")
    return value


def http_url(value: str) -> str:
    """The URL as published, or :class:`RowError` (the URL is then dropped, the post kept)."""
    url = value.strip(" \t\r\n")
    if not url:
        return ""
    scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]{0,20}):", url)
    if scheme is None:
        raise RowError("url dropped: not an absolute http(s) URL")
    if scheme.group(1).lower() not in ("http", "https"):
        raise RowError(f"url dropped: scheme {scheme.group(1).lower()!r} is not http(s)")
    if not _SCHEME.match(url):
        raise RowError("url dropped: no //host after the scheme")
    url = _URL_UNSAFE.sub(lambda m: quote(m.group(), safe=""), url)
    limit = storable_limits().url
    if len(url) > limit:
        raise RowError(f"url dropped: longer than {limit} characters")
    return url


# ---------------------------------------------------------------- the same rules over whole columns
# Each returns a boolean mask of the values that CERTAINLY pass the per-row rule above unchanged (a
# conservative test: a value it cannot vouch for is False and goes to the per-row rule, which then
# gives the reason). Columns are Arrow string arrays (RE2 regexes; a lone surrogate cannot be in one).
def _re2_class(ranges) -> str:
    return "".join(f"\\x{{{a:x}}}-\\x{{{b:x}}}" for a, b in ranges if b < 0xD800 or a > 0xDFFF)


_INVISIBLE_RE2 = "[" + _re2_class(_INVISIBLE_RANGES) + "]"
_INVISIBLE_NOT_BREAK_RE2 = "[" + _re2_class([(0x0, 0x8), (0xB, 0xC), (0xE, 0x1F)] + list(_INVISIBLE_RANGES[1:])) + "]"
_SAFE_ID_RE2 = "^[!#$%&'()*+,\\-./0-9:;=?@A-Z\\[\\]^_a-z{|}~\\p{L}\\p{N}]+$"
_SAFE_CHANNEL_RE2 = "^[A-Za-z0-9\\x{ac00}-\\x{d7a3}][A-Za-z0-9\\x{ac00}-\\x{d7a3}_.\\-]*$"
_SAFE_URL_RE2 = ("^https?://[A-Za-z0-9.\\-_~:@%]+(?:[/?#][!#$%&'()*+,\\-./0-9:;=?@A-Z\\[\\]_a-z~]*)?$")
_VISIBLE_RE2 = "[\\p{L}\\p{N}\\p{P}\\p{S}]"
_WORD_RE2 = "[^\\p{Z}" + _INVISIBLE_RE2[1:] + "+"
_QUERY_RE2 = f"^{_WORD_RE2}(?: {_WORD_RE2})*$"


def _fits(values, limit: int | None):
    import pyarrow.compute as pc

    return None if limit is None else pc.less_equal(pc.utf8_length(values), limit)


def _all(*masks):
    import numpy as np
    import pyarrow.compute as pc

    out = None
    for mask in masks:
        if mask is None:
            continue
        mask = pc.fill_null(mask, False)
        out = mask if out is None else pc.and_(out, mask)
    return np.asarray(out.to_numpy(zero_copy_only=False), dtype=bool)


def plain_texts_ok(values, limit: int | None = None):
    """Texts :func:`strip_invisible` leaves as they are (no invisible character; NUL included) and
    within ``limit`` characters: a title, a source, a query before its spaces are collapsed."""
    import pyarrow.compute as pc

    return _all(pc.invert(pc.match_substring_regex(values, _INVISIBLE_RE2)), _fits(values, limit))


def body_texts_ok(values, limit: int | None = None):
    """Bodies :func:`strip_invisible` with ``keep_breaks`` leaves as they are (tabs and line breaks only)."""
    import pyarrow.compute as pc

    return _all(pc.invert(pc.match_substring_regex(values, _INVISIBLE_NOT_BREAK_RE2)), _fits(values, limit))


def visible_texts(values):
    """Texts holding a letter, digit, punctuation or symbol: never blank after ``str.strip``."""
    import pyarrow.compute as pc

    return _all(pc.match_substring_regex(values, _VISIBLE_RE2))


def identifiers_ok(values, limit: int):
    """Ids :func:`identifier` accepts unchanged (no space at either end, nothing forbidden)."""
    import pyarrow.compute as pc

    return _all(pc.match_substring_regex(values, _SAFE_ID_RE2), _fits(values, limit))


def channel_names_ok(values, limit: int):
    """Channel names :func:`channel_name` accepts (ASCII letters, digits and Hangul syllables first)."""
    import pyarrow.compute as pc

    return _all(pc.match_substring_regex(values, _SAFE_CHANNEL_RE2), _fits(values, limit))


def http_urls_ok(values):
    """URLs :func:`http_url` returns unchanged (lower-case http(s), a host, no character it would encode)."""
    import pyarrow.compute as pc

    return _all(pc.match_substring_regex(values, _SAFE_URL_RE2), _fits(values, storable_limits().url))


def queries_ok(values, limit: int):
    """Queries :func:`strip_invisible` and collapsing their spaces leave as they are, within ``limit``."""
    import pyarrow.compute as pc

    return _all(pc.match_substring_regex(values, _QUERY_RE2), _fits(values, limit))


def reason_group(reason: str) -> str:
    """The kind of a reject reason: values quoted in it (other than field names) become ``'…'``
    and the detail after ``": "`` or ``" ("`` goes.

    >>> reason_group("time '2026-05-04T08:21:00' has no UTC offset")
    "time '…' has no UTC offset"
    >>> reason_group("invalid JSON: Expecting value at column 3"), reason_group("missing field 'author_id'")
    ('invalid JSON', "missing field 'author_id'")
    """
    text = _QUOTED.sub(lambda m: m.group() if m.group()[1:-1] in FIELD_NAMES else "'…'", reason)
    return text.split(": ", 1)[0].split(" (", 1)[0].strip()
