"""Replay a news file hour by hour through the core, plain vs issuewire merges, and measure the home top 6.

    >>> rows = replay_home(posts, hours, tools, settings)                 # doctest: +SKIP

Shared by ``benchmarks.eval_titles`` (facets beside an event, churn) and the real-data examples.
"""
from __future__ import annotations

import dataclasses
from functools import lru_cache

import pandas as pd

from clustering.merge import MergeSettings
from crawler.ingest import posts_in_hour, read_posts
from crawler.mappings import post_mapping
from jobs.pipeline.hour import HourTools
from benchmarks.evaluation.replay import HourReplayer

DATA = "/work/shared/data"
NEWS = {"econ": f"{DATA}/news_econ_kr_2026feb/items.jsonl.gz", "general": f"{DATA}/news_general_kr_2022jul/items.jsonl.gz"}
PLAIN_MERGE = MergeSettings(contain_overlap=1.1, event_overlap=1.1)      # no merging at all: one issue per keyword


@lru_cache(maxsize=4)
def news_posts(name: str) -> pd.DataFrame:
    batch = read_posts([NEWS[name]], mapping=post_mapping("knews"), earliest=pd.Timestamp("2000-01-01", tz="UTC"),
                       latest=pd.Timestamp("2100-01-01", tz="UTC"))
    return batch.accepted


def plain(settings):
    return dataclasses.replace(settings, merge=PLAIN_MERGE)


def replay_home(posts: pd.DataFrame, hours, tools: HourTools, settings) -> list[dict]:
    """Per hour: the home issues (keyword, facets, title, issue_id, bundle titles) and the full post set
    of each issue's member keywords (from the hour's extraction, independent of the bundle)."""
    replayer = HourReplayer(tools, settings)
    out = []
    for hour in hours:
        result = replayer.run(hour, posts_in_hour(posts, hour))
        home = result.issues.loc[result.issues["channel"] == "home"]
        sets = {k: frozenset(v) for k, v in result.post_keywords.groupby("keyword")["post_id"]}
        bundles = result.bundles.loc[result.bundles["channel"] == "home"]
        issues = []
        for r in home.itertuples(index=False):
            members = [r.keyword, *r.facets]
            issues.append({"keyword": r.keyword, "facets": list(r.facets), "title": r.title, "issue_id": r.issue_id,
                           "pinned": bool(r.pinned),
                           "posts": frozenset().union(*(sets.get(m, frozenset()) for m in members)),
                           "bundle": bundles.loc[bundles["issue_id"] == r.issue_id, "title"].tolist()})
        out.append({"hour": hour, "issues": issues})
    return out


def same_event_and_churn(hours: list[dict], overlap: float = 0.5) -> dict[str, float]:
    """``extra``: home issues beyond one per event (issues whose posts overlap by ``overlap`` of the
    smaller set are one event), per event; ``churn``: share of the home top 6 not in the previous
    hour's top 6 (by issue id), over hours where both have issues."""
    extra = events = 0
    churn, previous = [], None
    for h in hours:
        issues = h["issues"]
        parent = list(range(len(issues)))

        def find(i):
            while parent[i] != i:
                i = parent[i]
            return i
        for i in range(len(issues)):
            for j in range(i + 1, len(issues)):
                a, b = issues[i]["posts"], issues[j]["posts"]
                if a and b and len(a & b) / min(len(a), len(b)) >= overlap:
                    parent[find(j)] = find(i)
        n_events = len({find(i) for i in range(len(issues))})
        extra += len(issues) - n_events
        events += n_events
        ids = {i["issue_id"] for i in issues}
        if previous and ids:
            churn.append(len(ids - previous) / len(ids))
        previous = ids or previous
    return {"extra_per_event": extra / max(1, events), "churn": sum(churn) / max(1, len(churn)),
            "events": events, "hours": len(churn)}
