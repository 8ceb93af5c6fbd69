"""Why an issue was picked, in words an editor reads: the score and its parts, the signals rounded.

    >>> why_sentence({"authors": 25, "expected_authors": 0.4, "lift": 62.5, "surprise": 31.04})
    '25 distinct authors against 0.4 expected: 62.5x, surprise 31.0.'
    >>> explain_score(15.7, 15.7, onset="2026-05-04T08:00+09:00", hour="2026-05-04T08:00+09:00").text
    'score 15.7 = surge strength 15.7 × 1.00 for age (first hour; the score halves every 6 h)'
    >>> [(r.label, r.value) for r in signal_rows({"authors": 25, "lift": 62.4567, "q_value": 0.000123})]
    [('distinct authors', '25'), ('lift (authors / expected)', '62.5'), ('q-value (among the keywords active in the channel this hour)', '0.00012')]
    >>> [c.keyword for c in issue_cards({"home": [{"issue_id": "a", "keyword": "x", "rank": 1}],
    ...                                  "blog": [{"issue_id": "a", "keyword": "x", "rank": 2}]})]
    ['x']

The feed's ``score`` ranks issues: the surge strength (the fused score of the issue's strongest
keyword, :mod:`issues.detect`) halved every ``half_life_hours`` since the issue's onset
(:func:`issues.lifecycle.ranking_score`). ``signals.fused_score`` is the fused score of the
issue's representative keyword, which may be lower than the strength when a merged keyword
surged harder. An issue appears in ``home`` and in the channels where it also surged, usually
under the same id: :func:`issue_cards` makes one card per issue with every channel and rank.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from jobs.publish.display import number

FDR_FAMILIES = {"active": "among the keywords active in the channel this hour",
                "dictionary": "across the whole dictionary"}
SIGNALS = (("authors", "distinct authors", 0), ("expected_authors", "expected authors", 1),
           ("lift", "lift (authors / expected)", 1), ("surprise", "surprise (−log10 p)", 1),
           ("q_value", "q-value", 2), ("fused_score", "fused score of this keyword", 1),
           ("posts", "posts", 0), ("expected_posts", "expected posts", 1),
           ("title_share", "share naming it in the title", -1), ("query_volume", "searches", 0),
           ("expected_queries", "expected searches", 1), ("influential", "influential authors", 1),
           ("channels", "channels", 0), ("top_author_share", "top author's share of posts", -1),
           ("author_entropy", "author entropy (0-1)", 2))


def why_sentence(signals: dict[str, Any]) -> str:
    """One sentence: how many distinct authors against how many expected, and what else stood out."""
    authors = int(signals.get("authors", 0) or 0)
    expected = float(signals.get("expected_authors", 0) or 0)
    parts = [f"{authors} distinct authors against {number(expected)} expected"]
    if signals.get("lift"):
        parts.append(f"{float(signals['lift']):.1f}x")
    if signals.get("surprise") is not None:
        parts.append(f"surprise {float(signals['surprise']):.1f}")
    extra = []
    if signals.get("title_share"):
        extra.append(f"{float(signals['title_share']):.0%} of its posts name it in the title")
    if signals.get("posts") and signals.get("expected_posts") is not None:
        extra.append(f"{int(signals['posts'])} posts against {number(signals['expected_posts'])} expected")
    if signals.get("query_volume"):
        searched = f"searched {int(signals['query_volume']):,} times"
        if signals.get("expected_queries") is not None:
            searched += f" against {number(signals['expected_queries'])} expected"
        extra.append(searched)
    if signals.get("influential"):
        extra.append(f"{number(signals['influential'])} influential authors")
    if signals.get("top_author_share") is not None:
        extra.append(f"no author wrote more than {float(signals['top_author_share']):.0%}")
    return ": ".join([parts[0], ", ".join(parts[1:])]) + (". " + "; ".join(extra) + "." if extra else ".")


@dataclass(frozen=True)
class ScoreExplanation:
    score: float
    strength: float
    age_factor: float
    age_hours: float
    keyword_fused: float | None
    half_life_hours: float

    @property
    def text(self) -> str:
        age = "first hour" if self.age_hours <= 0 else f"{self.age_hours:g} h since onset"
        return (f"score {self.score:.1f} = surge strength {self.strength:.1f} × {self.age_factor:.2f} for age "
                f"({age}; the score halves every {self.half_life_hours:g} h)")


def explain_score(score: float, keyword_fused: float | None, onset=None, hour=None,
                  half_life_hours: float = 6.0) -> ScoreExplanation:
    age = 0.0
    if onset is not None and hour is not None and not pd.isna(onset):
        age = max(0.0, (pd.Timestamp(hour) - pd.Timestamp(onset)).total_seconds() / 3600.0)
    factor = 0.5 ** (age / half_life_hours) if half_life_hours > 0 else 1.0
    return ScoreExplanation(float(score), float(score) / factor if factor else float(score), factor, age,
                            None if keyword_fused is None else float(keyword_fused), half_life_hours)


@dataclass(frozen=True)
class SignalRow:
    key: str
    label: str
    value: str


def signal_rows(signals: dict[str, Any], fdr_family: str = "active") -> list[SignalRow]:
    """The signals worth reading, labelled and rounded (shares as percentages)."""
    rows = []
    for key, label, digits in SIGNALS:
        if key not in signals or signals[key] is None:
            continue
        value = signals[key]
        if key == "q_value":
            label = f"q-value ({FDR_FAMILIES.get(fdr_family, fdr_family)})"
            text = "< 0.0001" if float(value) == 0 else number(value, 2)   # the feed keeps 4 decimals
        elif digits < 0:
            text = f"{float(value):.0%}"
        else:
            text = number(value, max(digits, 1))
        rows.append(SignalRow(key, label, text))
    return rows


@dataclass
class IssueCard:
    """One issue of the hour with every channel it is ranked in (``home`` first)."""

    issue_id: str
    keyword: str
    item: dict[str, Any]                  # the item shown (home's if it is there)
    channel: str                          # the channel of ``item``
    placements: list[tuple[str, int]] = field(default_factory=list)
    merged_elsewhere: list[tuple[str, str]] = field(default_factory=list)   # (channel, representative)


def issue_cards(channels: dict[str, list[dict]]) -> list[IssueCard]:
    """One card per issue id (home's order first, then each channel's), with its placements, and
    where a keyword that is its own issue in a channel is merged into another issue elsewhere."""
    order = ["home"] + sorted(c for c in channels if c != "home")
    cards: dict[str, IssueCard] = {}
    for channel in order:
        for item in channels.get(channel, []):
            key = item.get("issue_id") or f"{channel}:{item['keyword']}"
            card = cards.get(key)
            if card is None:
                card = cards[key] = IssueCard(key, item["keyword"], item, channel)
            card.placements.append((channel, int(item["rank"])))
    for card in cards.values():
        for other in cards.values():
            if other is card or other.keyword == card.keyword:
                continue
            if card.keyword in (other.item.get("facets") or []):
                where = [c for c, _ in other.placements if c not in {p for p, _ in card.placements}]
                card.merged_elsewhere += [(c, other.keyword) for c in where]
    return list(cards.values())


_DETAILS = (re.compile(r"\s*\((first at|line|at) [^)]*\)"), re.compile(r"'[^']*'"), re.compile(r"\d+"))


def reason_kind(reason: str) -> str:
    """A reject reason without its row's particulars, to count reasons of the same kind.

    >>> reason_kind("duplicate post_id 'p9' (first at posts.jsonl:3)")
    'duplicate post_id …'
    """
    text = str(reason)
    text = _DETAILS[0].sub("", text)
    text = re.sub(r"(post_id|author_id|channel|value|timestamp) '[^']*'", r"\1 …", text)
    return " ".join(text.split())[:160]
