"""Parse fetched bodies into flat records: paged JSON, RSS 2.0 / Atom, and query-count CSV.

    >>> records, next_page = parse_json_page(b'{"items": [{"id": "a1"}], "next_page": 2}')
    >>> records, next_page
    ([{'id': 'a1'}], 2)
    >>> parse_feed(b'<rss><channel><item><guid>g1</guid><title>T</title>'
    ...            b'<pubDate>Tue, 05 May 2026 09:00:00 +0900</pubDate></item></channel></rss>')[0]["published"]
    '2026-05-05T09:00:00+09:00'

Pure functions over bytes: no I/O, no mapping to the Post contract (that is
:mod:`crawler.mappings`' job). A body that cannot be parsed at all raises :class:`ParseError`
with the reason; the crawler records it against the URL and keeps going.
"""
from __future__ import annotations

import csv
import html
import io
import json
import re
import xml.etree.ElementTree as ET
from email.utils import parsedate_to_datetime
from typing import Any

ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"[ \t\r\f\v]+")


class ParseError(ValueError):
    """A whole fetched body is unusable (not UTF-8, not JSON, not a feed)."""


def decode_utf8(body: bytes) -> str:
    """Strict UTF-8 (a BOM is dropped); invalid bytes are a ParseError naming the offset."""
    try:
        return body.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"invalid UTF-8 at byte {exc.start}") from None


def parse_json_page(body: bytes, items_key: str = "items", next_key: str = "next_page") -> tuple[list[Any], Any]:
    """One page of a JSON feed -> (items, next page or None). A bare JSON list is one last page."""
    text = decode_utf8(body)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        message = exc.msg.removesuffix(" at")            # "Invalid control character at"
        raise ParseError(f"invalid JSON: {message} at line {exc.lineno} column {exc.colno}") from None
    if isinstance(doc, list):
        return doc, None
    if not isinstance(doc, dict):
        raise ParseError(f"a JSON page must be an object or a list, got {type(doc).__name__}")
    items = doc.get(items_key)
    if not isinstance(items, list):
        raise ParseError(f"a JSON page must hold a list under {items_key!r}")
    return items, doc.get(next_key) or None


def html_to_text(value: str | None) -> str:
    """Feed summaries are HTML; keep the text (tags dropped, entities decoded, blank runs squeezed)."""
    if not value:
        return ""
    text = html.unescape(_TAG.sub(" ", value))
    return "\n".join(_SPACE.sub(" ", line).strip() for line in text.splitlines()).strip()


def feed_time(value: str | None) -> str | None:
    """RSS dates (RFC 822) become ISO 8601; Atom's are ISO already; others pass through as given."""
    if not value:
        return None
    value = value.strip()
    if value[:4].isdigit():
        return value
    try:
        return parsedate_to_datetime(value).isoformat()
    except (TypeError, ValueError, IndexError):
        return value


def _text(el: ET.Element | None, *paths: str) -> str | None:
    if el is None:
        return None
    for path in paths:
        found = el.find(path)
        if found is not None and (found.text or "").strip():
            return found.text.strip()
    return None


def parse_feed(body: bytes) -> list[dict]:
    """RSS 2.0 or Atom -> one flat dict per entry: id, title, summary, published, link, author, category."""
    decode_utf8(body)   # the same strictness as JSON: bad bytes are reported, not guessed at
    try:
        root = ET.fromstring(body)
    except ET.ParseError as exc:
        raise ParseError(f"invalid XML: {exc}") from None
    if root.tag == f"{ATOM}feed":
        return [_atom_entry(e, root) for e in root.findall(f"{ATOM}entry")]
    channel = root.find("channel")
    if root.tag != "rss" or channel is None:
        raise ParseError(f"not an RSS 2.0 or Atom feed (root element {root.tag!r})")
    feed_title = _text(channel, "title")
    out = []
    for item in channel.findall("item"):
        link = _text(item, "link")
        out.append({
            "id": _text(item, "guid") or link,
            "title": html_to_text(_text(item, "title")),
            "summary": html_to_text(_text(item, f"{CONTENT}encoded", "description")),
            "published": feed_time(_text(item, "pubDate", f"{DC}date")),
            "link": link,
            "author": _text(item, f"{DC}creator", "author") or feed_title,
            "category": _text(item, "category"),
        })
    return out


def _atom_entry(entry: ET.Element, feed: ET.Element) -> dict:
    link = None
    for el in entry.findall(f"{ATOM}link"):
        if el.get("rel", "alternate") == "alternate":
            link = el.get("href")
            break
    category = entry.find(f"{ATOM}category")
    return {
        "id": _text(entry, f"{ATOM}id") or link,
        "title": html_to_text(_text(entry, f"{ATOM}title")),
        "summary": html_to_text(_text(entry, f"{ATOM}content", f"{ATOM}summary")),
        "published": feed_time(_text(entry, f"{ATOM}published", f"{ATOM}updated")),
        "link": link,
        "author": _text(entry, f"{ATOM}author/{ATOM}name") or _text(feed, f"{ATOM}author/{ATOM}name", f"{ATOM}title"),
        "category": category.get("term") if category is not None else None,
    }


def parse_csv(body: bytes) -> list[tuple[int, dict]]:
    """A CSV body with a header -> ``(line, record)`` pairs; blank lines are skipped."""
    text = decode_utf8(body)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return []
    if len(set(header)) != len(header):
        raise ParseError("duplicate column names in the CSV header")
    rows, start = [], reader.line_num + 1
    for row in reader:
        line, start = start, reader.line_num + 1
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            rows.append((line, {"_error": f"expected {len(header)} CSV fields, found {len(row)}", "_raw": ",".join(row)}))
            continue
        rows.append((line, dict(zip(header, row))))
    return rows
