"""Text and links as operators see them: the same rules for the static report and the console.

    >>> display_text("속보\\u202e 임재범\\u200b\\x00")
    '속보 임재범'
    >>> safe_url("javascript:alert(1)") is None, safe_url(" https://blog.example/1 ")
    (True, 'https://blog.example/1')
    >>> plain_title("&lt;b&gt;임재범&lt;/b&gt;"), plural(1, "issue"), plural(3, "issue")
    ('<b>임재범</b>', '1 issue', '3 issues')
    >>> local_time("2026-05-04T07:00:00Z", "Asia/Seoul")
    '2026-05-04 16:00 (+09:00)'

Every page is rendered by Jinja2 with autoescaping on (:func:`template_environment`), so a
title, keyword, channel or author id is always text; these helpers only decide *what* text:
control, format and bidi characters (NUL, U+200B, U+202E, U+2066, ...) are removed from
everything shown, and a link is only made of an ``http``/``https`` URL with a host
(anything else is shown as text or not at all). Published titles are HTML-escaped in the feed
(:func:`titling.titles.html_title`); :func:`plain_title` turns them back into text so that the
template escapes them exactly once.
"""
from __future__ import annotations

import html
import math
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn"})
MAX_URL_CHARS = 2000


def display_text(value) -> str:
    """``value`` as text with control, format (zero-width, bidi) and unassigned characters removed."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = str(value)
    if text.isascii() and text.isprintable():
        return text
    return "".join(ch for ch in text if ch in "\n\t" or unicodedata.category(ch) not in HIDDEN_CATEGORIES)


def plain_title(published: str | None) -> str:
    """A feed title (HTML-escaped when published) back to displayable text."""
    return display_text(html.unescape(published or ""))


def safe_url(value) -> str | None:
    """The URL if it is ``http(s)://host...`` without control or space characters, else None."""
    if not isinstance(value, str):
        return None
    url = value.strip()
    if not url or len(url) > MAX_URL_CHARS or display_text(url) != url or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    return url if parts.scheme.lower() in ("http", "https") and parts.hostname else None


def plural(n: int, word: str, many: str | None = None) -> str:
    return f"{n} {word if n == 1 else (many or word + 's')}"


def local_time(ts, timezone: str, with_date: bool = True) -> str:
    """``2026-05-04 16:00 (+09:00)``: local wall time with its offset."""
    if ts is None or (not isinstance(ts, str) and pd.isna(ts)):
        return ""
    t = pd.Timestamp(ts)
    t = (t.tz_localize("UTC") if t.tzinfo is None else t).tz_convert(timezone)
    offset = t.strftime("%z")
    return t.strftime("%Y-%m-%d %H:%M" if with_date else "%H:%M") + f" ({offset[:3]}:{offset[3:]})"


def number(value, digits: int = 1) -> str:
    """A signal for people: integers as integers, others rounded (``12.3``, ``0.42``, ``3.1e-05``)."""
    if value is None or isinstance(value, bool):
        return "" if value is None else str(value)
    try:
        x = float(value)
    except (TypeError, ValueError):
        return display_text(value)
    if math.isnan(x):
        return "–"
    if math.isinf(x):
        return "∞" if x > 0 else "-∞"
    if x.is_integer() and abs(x) < 1e15:
        return f"{int(x):,}"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    if abs(x) >= 0.1:
        return f"{x:.{digits}f}"
    return f"{x:.2g}"


def template_environment(*folders: str | Path):
    """A Jinja2 environment over these template folders (and the report's), autoescaping on,
    with the filters above."""
    import jinja2

    here = Path(__file__).with_name("templates")
    env = jinja2.Environment(loader=jinja2.FileSystemLoader([str(f) for f in folders] + [str(here)]),
                             autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(text=display_text, plain_title=plain_title, url=safe_url, number=number,
                       plural=plural, local_time=local_time)
    return env
