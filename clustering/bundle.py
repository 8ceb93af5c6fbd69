"""Bundle: the posts that stand for an issue, best first, a few per author.

    >>> posts = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "title": ["지진 피해", "지진 피해!", "경북 지진 대피"],
    ...                       "author_id": ["a1", "a2", "a1"], "url": "", "channel": "news",
    ...                       "recommend_count": [0, 5, 0], "editor_score": 0.0, "body": ""})
    >>> post_keywords = pd.DataFrame({"post_id": ["p1", "p2", "p3"], "keyword": "지진", "score": [1.0, 1.0, 2.0]})
    >>> bundle_posts(["p1", "p2", "p3"], ["지진"], post_keywords, posts)[["post_id", "title"]].values.tolist()
    [['p2', '지진 피해!'], ['p3', '경북 지진 대피']]

``bundle_score = relevance x quality`` where relevance is the sum of the post's extraction
scores for the issue's keywords and ``quality = (1 + log1p(recommend_count)) x (1 + editor_score)
x (1 + influence)``, influence being the author's weight in ``dictionaries/influential_authors.tsv``
(0 for everyone else). Near-duplicates (the same normalised title, a syndicated story, or title
and body start with an estimated Jaccard similarity >= ``near_duplicate``, from the signatures
the map stage computed once per post, see :func:`issues.spam.near_duplicate_groups`) are collapsed to their best post; then at most
``max_per_author`` posts per author, at most ``max_posts`` in all. Ties break by post_id so a
re-run gives the same bundle. Columns published per post: post_id, title (:func:`plain_title`:
entities decoded, tags removed), author_id, url, channel, bundle_score.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Iterable

import numpy as np
import pandas as pd

from issues.spam import near_duplicate_groups

_NON_WORD = re.compile(r"[\W_]+")
_TAG = re.compile(r"<[^>]{0,200}>")


def plain_title(text) -> str:
    """A post's title as readers see it: HTML entities decoded (feeds often double-escape them,
    '&amp;quot;'), tags removed, whitespace collapsed; plain text, to be escaped when rendered.

    >>> plain_title("&amp;quot;속보&amp;quot; <b>전투기</b>  추락")
    '"속보" 전투기 추락'
    """
    text = "" if text is None else str(text)
    for _ in range(3):
        decoded = html.unescape(text)
        if decoded == text:
            break
        text = decoded
    return " ".join(_TAG.sub(" ", text).split())


@dataclass(frozen=True)
class BundleSettings:
    max_posts: int = 10
    max_per_author: int = 2
    near_duplicate: float = 0.6       # MinHash Jaccard of title + body start


def bundle_posts(post_ids: Iterable[str], member_keywords: Iterable[str], post_keywords: pd.DataFrame,
                 posts: pd.DataFrame, settings: BundleSettings = BundleSettings(),
                 influence: pd.Series | None = None, signatures: np.ndarray | None = None) -> pd.DataFrame:
    """Ranked bundle with columns post_id, title, author_id, url, channel, bundle_score; ``signatures``
    (row-aligned with ``posts``, :mod:`keywords.stream`) spare computing them from the bodies."""
    ids = set(post_ids)
    members = set(member_keywords)
    rel = post_keywords.loc[post_keywords["post_id"].isin(ids) & post_keywords["keyword"].isin(members)]
    relevance = rel.groupby("post_id")["score"].sum()
    cols = ["post_id", "title", "author_id", "url", "channel", "recommend_count", "editor_score"]
    mask = posts["post_id"].isin(ids).to_numpy()
    cand = posts.loc[mask, cols + (["body"] if "body" in posts else [])].copy()
    cand["_row"] = np.flatnonzero(mask)
    quality = (1.0 + np.log1p(cand["recommend_count"].fillna(0).to_numpy(float))) * \
        (1.0 + cand["editor_score"].fillna(0).to_numpy(float))
    if influence is not None and len(influence):
        quality = quality * (1.0 + cand["author_id"].map(influence).fillna(0.0).to_numpy(float))
    cand["bundle_score"] = cand["post_id"].map(relevance).fillna(0.0).to_numpy(float) * quality
    cand = cand.sort_values(["bundle_score", "post_id"], ascending=[False, True], kind="stable")
    cand["_title_key"] = cand["title"].map(lambda t: _NON_WORD.sub("", str(t)).lower())
    cand = cand.loc[~cand["_title_key"].duplicated() | (cand["_title_key"] == "")]
    if len(cand) > 1 and settings.near_duplicate < 1:
        frame = cand if "body" in cand or signatures is not None else cand.assign(body="")
        groups = near_duplicate_groups(frame, threshold=settings.near_duplicate,
                                       signatures=None if signatures is None else signatures[cand["_row"].to_numpy()])
        if len(groups):
            group = cand["post_id"].map(groups).fillna(cand["post_id"])
            cand = cand.loc[~group.duplicated()]          # sorted best first: the best of each stays
    cand = cand.loc[cand.groupby("author_id").cumcount() < settings.max_per_author]
    cand = cand.head(settings.max_posts)
    cand = cand.assign(title=cand["title"].map(plain_title))
    return cand[["post_id", "title", "author_id", "url", "channel", "bundle_score"]].reset_index(drop=True)
