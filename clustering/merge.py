"""Merge: seeds that are one issue become one ('어린이날 선물', '어린이날 행사' -> '어린이날').

    >>> seeds = pd.DataFrame({"keyword": ["어린이날 선물", "어린이날", "어린이날 행사", "환율"],
    ...                       "score": [9.0, 7.0, 5.0, 4.0]})
    >>> post_sets = {"어린이날": frozenset({"p1", "p2", "p3", "p4"}), "어린이날 선물": frozenset({"p1", "p2"}),
    ...              "어린이날 행사": frozenset({"p3"}), "환율": frozenset({"p9"})}
    >>> groups = merge_seeds(seeds, post_sets, titles={}, settings=MergeSettings())
    >>> groups[["keyword", "facets", "score"]].values.tolist()
    [['어린이날', ['어린이날 선물', '어린이날 행사'], 9.0], ['환율', [], 4.0]]

Within one channel, two seeds join when

* one keyword is contained (as whole words) in the other's keyword or title, and their post
  sets overlap: ``|A & B| / min(|A|, |B|) >= contain_overlap`` and the Jaccard index
  ``|A & B| / |A | B| >= contain_jaccard`` (so a handful of posts is not swallowed by a huge keyword). A post that mentions
  '어린이날 선물' is matched as the longer keyword only (longest match wins), yet it is about
  어린이날 too, so a keyword's set is widened by the sets of the keywords that contain it; or
* they are one event seen through several keywords (전투기, 추락, 조종사 in the same posts):
  the overlap is at least ``event_overlap`` and at least ``min_shared_posts`` posts are shared; or
* the operators' override file merges them.

Joins are transitive (union-find). The representative is the operators' choice, else the most
specific member among those covering at least ``cover_share`` of the best coverage: a named
entity (a person, organisation, place, event or product in the dictionary: 자민당 over 출구조사)
first, then an untyped keyword (often a name the taggers did not type: 김여정) before a word typed
``common`` (의지), then more posts, then higher score, then the shorter keyword. The others
are kept as ``facets``, best first. The group's score is its best member's, its posts the union.
"""
from __future__ import annotations

from dataclasses import dataclass

import pandas as pd


@dataclass(frozen=True)
class MergeSettings:
    contain_overlap: float = 0.3
    contain_jaccard: float = 0.02
    event_overlap: float = 0.6
    min_shared_posts: int = 2
    cover_share: float = 0.7


def _contains(inner: str, outer: str) -> bool:
    """``inner`` occurs in ``outer`` starting a word (so '재범' is not in '임재범')."""
    if not inner or inner == outer:
        return False
    start = outer.find(inner)
    while start != -1:
        if start == 0 or not outer[start - 1].isalnum():
            return True
        start = outer.find(inner, start + 1)
    return False


class _UnionFind:
    def __init__(self, n: int):
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def merge_seeds(seeds: pd.DataFrame, post_sets: dict[str, frozenset], titles: dict[str, str],
                settings: MergeSettings = MergeSettings(),
                operator_merges: dict[str, str] | None = None,
                named_entities: frozenset[str] | set[str] = frozenset(),
                common_words: frozenset[str] | set[str] = frozenset()) -> pd.DataFrame:
    """Seeds of ONE channel (ranked) -> groups: keyword, facets, score, post_ids, members' rows kept in ``members``."""
    operator_merges = operator_merges or {}
    seeds = seeds.sort_values(["score", "keyword"], ascending=[False, True], kind="stable").reset_index(drop=True)
    keywords = seeds["keyword"].tolist()
    sets = [post_sets.get(k, frozenset()) for k in keywords]
    sets = [frozenset().union(sets[i], *(sets[j] for j in range(len(keywords)) if _contains(keywords[i], keywords[j])))
            for i in range(len(keywords))]
    uf = _UnionFind(len(keywords))
    for i in range(len(keywords)):
        for j in range(i + 1, len(keywords)):
            a, b = sets[i], sets[j]
            shared = len(a & b)
            overlap = shared / max(1, min(len(a), len(b)))
            jaccard = shared / max(1, len(a | b))
            ki, kj = keywords[i], keywords[j]
            contained = (_contains(ki, kj) or _contains(kj, ki)
                         or _contains(ki, titles.get(kj, "")) or _contains(kj, titles.get(ki, "")))
            forced = operator_merges.get(ki, ki) == operator_merges.get(kj, kj)
            if forced or (contained and overlap >= settings.contain_overlap
                                                  and jaccard >= settings.contain_jaccard and shared > 0) or \
                    (overlap >= settings.event_overlap and shared >= settings.min_shared_posts):
                uf.union(i, j)
    groups: dict[int, list[int]] = {}
    for i in range(len(keywords)):
        groups.setdefault(uf.find(i), []).append(i)
    rows = []
    for members in groups.values():
        union = frozenset().union(*(sets[i] for i in members))
        forced_rep = {operator_merges[keywords[i]] for i in members if keywords[i] in operator_merges}
        if forced_rep:
            representative = sorted(forced_rep)[0]
        else:
            most = max(len(sets[i]) for i in members)
            covering = [i for i in members if len(sets[i]) >= settings.cover_share * most]
            best = max(covering, key=lambda i: (keywords[i] in named_entities, keywords[i] not in common_words,
                                                len(sets[i]),
                                                seeds.at[i, "score"], -len(keywords[i])))
            representative = keywords[best]
        facets = [keywords[i] for i in members if keywords[i] != representative]
        rep_rows = [i for i in members if keywords[i] == representative]
        lead = rep_rows[0] if rep_rows else members[0]
        rows.append({"keyword": representative, "facets": facets,
                     "score": float(seeds.loc[members, "score"].max()),
                     "post_ids": union, "lead_index": lead,
                     "member_keywords": [keywords[i] for i in members]})
    out = pd.DataFrame(rows, columns=["keyword", "facets", "score", "post_ids", "lead_index", "member_keywords"])
    return out.sort_values(["score", "keyword"], ascending=[False, True], kind="stable").reset_index(drop=True)
