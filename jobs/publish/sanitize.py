"""What the feed publishes is safe to show: the last pass over the feed document before it is
versioned, stored, sent to Redis and written to the file.

    >>> issue = {"title": "임재범\u202e 컴백", "keyword": "임재범", "facets": ["나가수\u200b"], "posts": [
    ...     {"post_id": "p1", "title": '<script>"x"</script>\u2066', "author_id": "a1", "url": "javascript:alert(1)"},
    ...     {"post_id": "p2", "title": "속보 &quot;단독&quot;", "author_id": "a2", "url": "https://e.kr/a b"}]}
    >>> doc = publishable({"hour": "2026-05-04T20:00:00+09:00", "channels": {"home": [issue]}})
    >>> item = doc["channels"]["home"][0]
    >>> item["title"], item["facets"], [p["title"] for p in item["posts"]], [p["url"] for p in item["posts"]]
    ('임재범 컴백', ['나가수'], ['<script>"x"</script>', '속보 &quot;단독&quot;'], ['', 'https://e.kr/a%20b'])

* every text has Unicode's control, format (bidi, zero-width) and separator characters removed
  (:func:`issues.field_rules.strip_invisible`): issue titles, keywords, facets, channel names,
  post titles, post and author ids;
* titles keep their contract form (:mod:`issues.contracts`): an issue's title is HTML-escaped
  (:func:`titling.titles.html_title`), a post's is plain text for the consumer to escape (the
  bundler already decoded its entities and removed its tags, :func:`clustering.bundle.plain_title`);
* only ``http(s)`` URLs are published (:func:`issues.field_rules.http_url`), others become ``""``.

Ingest already enforces these rules on every post (docs/input-validation.md); this pass keeps the
promise for everything else that reaches the feed (titles from queries and override files,
dictionary keywords) and for documents stored before the rules existed.
"""
from __future__ import annotations

from typing import Any

from issues.field_rules import RowError, http_url, strip_invisible


def _url(value: Any) -> str:
    try:
        return http_url(str(value or ""))
    except RowError:
        return ""


def _post(post: dict[str, Any]) -> dict[str, Any]:
    out = dict(post)
    out["post_id"] = strip_invisible(str(post.get("post_id", "")))
    out["author_id"] = strip_invisible(str(post.get("author_id") or ""))
    out["title"] = strip_invisible(str(post.get("title") or ""))
    out["url"] = _url(post.get("url"))
    return out


def _issue(issue: dict[str, Any]) -> dict[str, Any]:
    out = dict(issue)
    for name in ("title", "keyword"):
        if isinstance(issue.get(name), str):
            out[name] = strip_invisible(issue[name])
    if "facets" in issue:
        out["facets"] = [strip_invisible(str(f)) for f in issue["facets"]]
    if "post_ids" in issue:
        out["post_ids"] = [strip_invisible(str(p)) for p in issue["post_ids"]]
    if "posts" in issue:
        out["posts"] = [_post(p) for p in issue["posts"]]
    return out


def publishable(document: dict[str, Any]) -> dict[str, Any]:
    """A copy of the feed document with every displayed text made safe (module docstring)."""
    out = dict(document)
    out["channels"] = {strip_invisible(str(name)): [_issue(i) for i in items]
                       for name, items in document["channels"].items()}
    return out
