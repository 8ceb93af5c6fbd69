"""Issue features for items, and the re-ranking stage that uses them.

    >>> feed = {"hour": "2026-02-13T20:00:00+09:00", "channels": {"home": [
    ...     {"issue_id": "i1", "rank": 1, "title": "최가온 금메달", "keyword": "최가온",
    ...      "score": 9.0, "post_ids": [], "state": "rising", "onset": "2026-02-13T18:00:00+09:00"}]}}
    >>> issues = issues_from_feed(feed)
    >>> items = pd.DataFrame({"item_id": [1, 2], "title": ["최가온 다큐멘터리", "다른 영화"], "genres": ["", ""]})
    >>> feats = item_issue_features(items, issues, at=feed["hour"])
    >>> feats[["item_id", "issue_id", "hours_since_onset"]].values.tolist()
    [[1, 'i1', 2.0]]

Matching (``match_issues``): keyword and item text are NFKC-normalised, lower-cased and
stripped of punctuation. A keyword with Hangul matches as a substring of the title or
genres (Korean particles attach to words); a Latin keyword must match whole tokens.
Keywords shorter than ``min_keyword_chars`` are ignored.

The feed is read through its one contract, :class:`issues.contracts.FeedDocument` (what the
hourly run's ``feed_document()`` writes): a feed that does not validate is an error, not a
silent "no boost". Features per matched (item, issue): ``issue_score`` (the feed's score
divided by the feed's largest score), ``state`` (the feed's ``new``/``rising``/``peak``/``fading``/
``pinned``, weights in ``STATE_WEIGHTS``) and ``hours_since_onset`` (feed hour minus the issue's
``onset``, 0 when the feed has none). They fold into one
``boost`` in [0, 1]: score x state weight x ``0.5 ** (hours / half_life_hours)``; an item
matched by several issues keeps its strongest.

Re-ranking (``rerank``): a candidate list's rank score ``1 - rank / n`` plus
``weight x boost``. ``choose_issue_weight`` picks the weight maximising NDCG@k on a
time-based validation window; a weight of 0 (no boost) is always a candidate, so a nil
lift shows up as weight 0 and ``lift == 0``.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
import pandas as pd

from issues.contracts import ISSUE_STATES, FeedDocument
from recommender.metrics import ndcg_at_k

__all__ = ["Issue", "issues_from_feed", "normalise", "match_issues", "item_issue_features",
           "item_boosts", "rerank", "choose_issue_weight", "STATE_WEIGHTS"]

STATE_WEIGHTS = {"new": 1.0, "rising": 1.0, "peak": 0.8, "fading": 0.4, "pinned": 0.6}
UNKNOWN_STATE_WEIGHT = 0.7
assert set(STATE_WEIGHTS) == set(ISSUE_STATES), "one weight per state of the feed contract"
_HANGUL = re.compile(r"[\uac00-\ud7a3\u1100-\u11ff\u3130-\u318f]")
_PUNCT = re.compile(r"[^\w\s]", re.UNICODE)


@dataclass(frozen=True)
class Issue:
    issue_id: str
    keyword: str
    title: str
    score: float
    state: str | None = None
    onset: pd.Timestamp | None = None
    channel: str = "home"


def _ts(value) -> pd.Timestamp | None:
    if value is None or value == "":
        return None
    t = pd.Timestamp(value)
    return t.tz_localize("UTC") if t.tzinfo is None else t


def issues_from_feed(feed: dict | FeedDocument, channels: list[str] | None = None) -> list[Issue]:
    """Issues of the hourly feed (a :class:`FeedDocument` or its JSON object), deduplicated by
    ``issue_id`` (first channel wins). Raises pydantic's ``ValidationError`` (a ``ValueError``)
    when the feed does not follow the contract."""
    doc = feed if isinstance(feed, FeedDocument) else FeedDocument.model_validate(feed)
    seen, out = set(), []
    for channel, entries in doc.channels.items():
        if channels is not None and channel not in channels:
            continue
        for e in entries:
            if e.issue_id in seen:
                continue
            seen.add(e.issue_id)
            out.append(Issue(e.issue_id, e.keyword, e.title, float(e.score), e.state, _ts(e.onset), channel))
    return out


def normalise(text) -> str:
    """NFKC, lower case, punctuation to spaces, single spaces. Never raises."""
    if text is None or (isinstance(text, float) and np.isnan(text)):
        return ""
    t = unicodedata.normalize("NFKC", str(text)).lower()
    return " ".join(_PUNCT.sub(" ", t).split())


def _matches(keyword: str, text: str) -> bool:
    if _HANGUL.search(keyword):
        return keyword in text or keyword.replace(" ", "") in text.replace(" ", "")
    return f" {keyword} " in f" {text} "


def match_issues(items: pd.DataFrame, issues: list[Issue], min_keyword_chars: int = 2) -> pd.DataFrame:
    """Pairs (item_id, issue_id) whose normalised title/genres contain the issue keyword."""
    genres = items["genres"] if "genres" in items.columns else pd.Series("", index=items.index)
    genres = genres.fillna("").astype(str).str.replace("|", " ", regex=False)
    text = (items["title"].map(normalise) + " " + genres.map(normalise)).tolist()
    rows = []
    for issue in issues:
        kw = normalise(issue.keyword)
        if len(kw.replace(" ", "")) < min_keyword_chars:
            continue
        for item_id, t in zip(items["item_id"].tolist(), text):
            if _matches(kw, t):
                rows.append((item_id, issue.issue_id))
    return pd.DataFrame(rows, columns=["item_id", "issue_id"])


def item_issue_features(items: pd.DataFrame, issues: list[Issue], at, min_keyword_chars: int = 2
                        ) -> pd.DataFrame:
    """One row per matched (item, issue): issue_score, state, hours_since_onset."""
    pairs = match_issues(items, issues, min_keyword_chars)
    cols = ["item_id", "issue_id", "keyword", "issue_score", "state", "hours_since_onset"]
    if pairs.empty:
        return pd.DataFrame(columns=cols)
    at = _ts(at)
    by_id = {i.issue_id: i for i in issues}
    top = max((i.score for i in issues), default=0.0) or 1.0
    rows = []
    for item_id, iid in pairs.itertuples(index=False):
        i = by_id[iid]
        hours = 0.0
        if i.onset is not None and at is not None:
            hours = max(0.0, (at - i.onset).total_seconds() / 3600.0)
        rows.append((item_id, iid, i.keyword, max(i.score, 0.0) / top, i.state or "", hours))
    return pd.DataFrame(rows, columns=cols)


def item_boosts(features: pd.DataFrame, item_ids: np.ndarray, half_life_hours: float = 24.0
                ) -> tuple[np.ndarray, np.ndarray]:
    """Per training item: the strongest boost in [0, 1] and the issue_id giving it ('' if none)."""
    boost = np.zeros(len(item_ids), dtype=np.float32)
    source = np.full(len(item_ids), "", dtype=object)
    if features.empty:
        return boost, source
    w_state = features["state"].map(lambda s: STATE_WEIGHTS.get(str(s).lower(), UNKNOWN_STATE_WEIGHT))
    b = features["issue_score"] * w_state * 0.5 ** (features["hours_since_onset"] / half_life_hours)
    f = features.assign(boost=b.astype(float)).sort_values("boost", ascending=False)
    f = f.drop_duplicates("item_id")
    pos = pd.Index(item_ids).get_indexer(f["item_id"])
    ok = pos >= 0
    boost[pos[ok]] = f["boost"].to_numpy()[ok]
    source[pos[ok]] = f["issue_id"].to_numpy()[ok]
    return boost, source


def rerank(candidates: np.ndarray, boost: np.ndarray, weight: float, k: int
           ) -> tuple[np.ndarray, np.ndarray]:
    """Re-rank candidate index lists (-1 padded) by ``1 - rank/n + weight * boost``; top k."""
    candidates = np.asarray(candidates)
    n = candidates.shape[1]
    base = 1.0 - np.arange(n) / max(n, 1)
    score = base[None, :] + weight * boost[np.maximum(candidates, 0)]
    score = np.where(candidates >= 0, score, -np.inf)
    order = np.argsort(-score, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(candidates, order, axis=1), np.take_along_axis(score, order, axis=1)


def choose_issue_weight(candidates: np.ndarray, target, boost: np.ndarray, k: int = 20,
                        weights=(0.0, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0)) -> dict:
    """The weight with the best NDCG@k on a validation window (ties: the smaller weight)."""
    results = {}
    for w in weights:
        ranked, _ = rerank(candidates, boost, w, k)
        results[float(w)] = ndcg_at_k(ranked, target, k)
    best = max(results, key=lambda w: (results[w], -w))
    return {"weight": best, "ndcg": results[best], "ndcg_without": results.get(0.0, np.nan),
            "lift": results[best] - results.get(0.0, np.nan), "by_weight": results,
            "n_boosted_items": int((boost > 0).sum())}
