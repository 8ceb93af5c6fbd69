"""Field mappings: another source's record -> the Post contract, declared in one place.

    >>> to_post = post_mapping("knews")
    >>> to_post({"id": "a1", "published_kst": "2026-02-08T20:05:00+09:00", "publisher": "mk",
    ...          "categories": ["_all_", "politics"], "title": "자민당 과반", "text": ""})["channel"]
    'politics'

A mapping is a dict ``contract_field -> source field name or callable(record)``; fields the
mapping does not name are taken from the record under the contract's own name.
``knews`` is the format of the akngs/knews-rss collectors (../shared/data/news_*). The ``knews``
and ``rss`` mappings turn a feed's category into a channel name
(:func:`issues.field_rules.channel_slug`: ``IT/과학`` -> ``IT_과학``), since the Post contract's
channel names are letters, digits and ``_ - .`` only.

The crawler's sources name their mapping in the sources file (``mapping = "rss"``);
:func:`mapping_for` resolves it against the post or the query-count table by the source's kind:

    >>> to_query = query_mapping("query_csv")
    >>> to_query({"keyword": "어린이날", "searches": "120", "hour": "2026-05-05T09:00+09:00"})["count"]
    '120'
"""
from __future__ import annotations

from typing import Any, Callable

from issues.field_rules import channel_slug

Mapping = dict[str, "str | Callable[[dict], Any]"]


def _first_category(rec: dict) -> Any:
    cats = rec.get("categories")
    if not isinstance(cats, list):
        return channel_slug(cats) if isinstance(cats, str) else cats
    real = [c for c in cats if isinstance(c, str) and c and c != "_all_"]
    return channel_slug(real[0]) if real else ("news" if cats else None)


POST_MAPPINGS: dict[str, Mapping] = {
    "contract": {},
    "knews": {
        "post_id": "id",
        "published_at": "published_kst",
        "author_id": "publisher",
        "channel": _first_category,
        "title": "title",
        "body": "text",
        "url": "url",
        "source": lambda rec: "knews",
    },
    # the portal community API served as paged JSON (``{"items": [...], "next_page": 2}``)
    "community_json": {
        "post_id": "id",
        "channel": "board",
        "author_id": "writer",
        "title": "subject",
        "body": "content",
        "published_at": "created_at",
        "url": "link",
        "recommend_count": "likes",
        "editor_score": "editor_score",
    },
    # RSS 2.0 / Atom entries as flattened by crawler.feeds.parse_feed
    "rss": {
        "post_id": "id",
        "channel": lambda rec: channel_slug(rec.get("category")),    # "IT/과학" -> "IT_과학"
        "author_id": "author",
        "title": "title",
        "body": "summary",
        "published_at": "published",
        "url": "link",
    },
}

QUERY_MAPPINGS: dict[str, Mapping] = {
    "contract": {},
    # hourly search-count CSV drops: keyword,searches[,hour]
    "query_csv": {
        "query": "keyword",
        "count": "searches",
        "hour": "hour",
    },
}


def apply_mapping(mapping: Mapping, rec: dict) -> dict:
    """Map one record; unknown source fields are dropped only if the mapping renames them."""
    out = dict(rec)
    for target, how in mapping.items():
        out[target] = how(rec) if callable(how) else rec.get(how)
    return out


def _named(table: dict[str, Mapping], kind: str, name: str | None) -> Callable[[dict], dict] | None:
    if name in (None, "", "contract"):
        return None
    try:
        mapping = table[name]
    except KeyError:
        raise ValueError(f"unknown {kind} mapping {name!r}; known: {', '.join(sorted(table))}") from None
    return lambda rec: apply_mapping(mapping, rec)


def post_mapping(name: str | None) -> Callable[[dict], dict] | None:
    """The named mapping as a function, or None for the contract itself."""
    return _named(POST_MAPPINGS, "post", name)


def query_mapping(name: str | None) -> Callable[[dict], dict] | None:
    """The named query-count mapping as a function, or None for the contract itself."""
    return _named(QUERY_MAPPINGS, "query-count", name)


def mapping_for(source: Any) -> Callable[[dict], dict] | None:
    """The mapping a configured source declares (``source.kind`` picks posts or query counts)."""
    if source.kind == "query_counts":
        return query_mapping(source.mapping)
    return post_mapping(source.mapping)
