"""Field mappings: another source's record -> the Post contract, declared in one place.

    >>> to_post = post_mapping("knews")
    >>> to_post({"id": "a1", "published_kst": "2026-02-08T20:05:00+09:00", "publisher": "mk",
    ...          "categories": ["_all_", "politics"], "title": "자민당 과반", "text": ""})["channel"]
    'politics'

A mapping is a dict ``contract_field -> source field name or callable(record)``; fields the
mapping does not name are taken from the record under the contract's own name.
``knews`` is the format of the akngs/knews-rss collectors (../shared/data/news_*).
"""
from __future__ import annotations

from typing import Any, Callable

Mapping = dict[str, "str | Callable[[dict], Any]"]


def _first_category(rec: dict) -> Any:
    cats = rec.get("categories")
    if not isinstance(cats, list):
        return cats
    real = [c for c in cats if isinstance(c, str) and c and c != "_all_"]
    return real[0] if real else ("news" if cats else None)


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
}


def apply_mapping(mapping: Mapping, rec: dict) -> dict:
    """Map one record; unknown source fields are dropped only if the mapping renames them."""
    out = dict(rec)
    for target, how in mapping.items():
        out[target] = how(rec) if callable(how) else rec.get(how)
    return out


def post_mapping(name: str | None) -> Callable[[dict], dict] | None:
    """The named mapping as a function, or None for the contract itself."""
    if name in (None, "", "contract"):
        return None
    try:
        mapping = POST_MAPPINGS[name]
    except KeyError:
        raise ValueError(f"unknown post mapping {name!r}; known: {', '.join(sorted(POST_MAPPINGS))}") from None
    return lambda rec: apply_mapping(mapping, rec)
