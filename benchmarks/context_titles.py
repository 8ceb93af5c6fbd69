"""Query-less titles with and without context nouns on replayed real news: cost per hour and the titles that change.

    python -m benchmarks.context_titles [--news econ] [--start 2026-02-17T00:00+09:00] [--warmup-hours 24]
                                        [--hours 24] [--backend kiwi] [--examples 20]

Every hour from ``start - warmup`` to ``start + hours`` is replayed in order through
:class:`benchmarks.evaluation.replay.HourReplayer` (no query log: a news file has none, so every issue takes the
query-less title) twice: ``[title] context_backend = "none"`` (facets only, the title before
issue #3) and ``--backend``. Over the reported hours it prints the seconds per hour spent in
:func:`jobs.pipeline.stages.issue_context` (the tagging of the issues' titles, timed by wrapping it)
and in the whole core (noisy on a shared machine: compare the context seconds, not the
two core columns), the tagger's load time, the titles tagged per hour, how many published issues (every channel)
changed title and from which ``title_source`` to which, and the first ``--examples`` changed
titles of distinct keywords (hour, channel, before -> after). Titles only: no post text is printed.
"""
from __future__ import annotations

import argparse
import time
from collections import Counter

import numpy as np
import pandas as pd

import jobs.pipeline.stages as pipeline
from benchmarks.replay_news import news_posts
from crawler.ingest import posts_in_hour
from benchmarks.evaluation.replay import HourReplayer
from jobs.runner.hour import RunContext
from jobs.settings import resolve_settings
from keywords.context import title_nouns
from titling.titles import CONTEXT_BACKENDS


def replay_titles(posts: pd.DataFrame, hours, report_from: pd.Timestamp, backend: str) -> tuple[pd.DataFrame, dict]:
    """(published issues of the reported hours with their titles, cost per reported hour)."""
    settings = resolve_settings({"title": {"context_backend": backend}}, environ={})
    tools = RunContext(settings).tools
    replayer = HourReplayer(tools, settings)
    timed = {"context_s": 0.0, "titles": 0}
    original, tagger = pipeline.issue_context, pipeline.context_candidates

    def timed_context(*args, **kwargs):
        t0 = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            timed["context_s"] += time.perf_counter() - t0

    def counted_candidates(titles_by_issue, *args, **kwargs):
        timed["titles"] += sum(len(t) for t in titles_by_issue.values())
        return tagger(titles_by_issue, *args, **kwargs)

    pipeline.issue_context, pipeline.context_candidates = timed_context, counted_candidates
    rows, cost = [], []
    try:
        for hour in hours:
            timed.update(context_s=0.0, titles=0)
            t0 = time.perf_counter()
            result = replayer.run(hour, posts_in_hour(posts, hour))
            core_s = time.perf_counter() - t0
            if hour < report_from:
                continue
            cost.append((core_s, timed["context_s"], timed["titles"]))
            published = result.issues.loc[~result.issues["pinned"].astype(bool)]
            rows += [(hour, r.channel, r.issue_id, r.keyword, r.title, r.title_source)
                     for r in published.itertuples(index=False)]
    finally:
        pipeline.issue_context, pipeline.context_candidates = original, tagger
    frame = pd.DataFrame(rows, columns=["hour", "channel", "issue_id", "keyword", "title", "title_source"])
    core, context, titles = (np.array(c) for c in zip(*cost)) if cost else (np.zeros(1),) * 3
    return frame, {"core": core, "context": context, "titles": titles}


def _cost_line(name: str, cost: dict) -> str:
    c, k, t = cost["core"], cost["context"], cost["titles"]
    return (f"{name:6} core s/hour median {np.median(c):.3f} mean {c.mean():.3f} | context s/hour median "
            f"{np.median(k):.3f} mean {k.mean():.3f} p90 {np.quantile(k, 0.9):.3f} max {k.max():.3f} | "
            f"titles tagged/hour mean {t.mean():.0f} max {t.max():.0f}")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--news", default="econ", choices=["econ", "general"])
    p.add_argument("--start", default="2026-02-17T00:00+09:00", help="first reported hour")
    p.add_argument("--warmup-hours", type=int, default=24, help="hours replayed before, not reported")
    p.add_argument("--hours", type=int, default=24)
    p.add_argument("--backend", default="kiwi", choices=[b for b in CONTEXT_BACKENDS if b != "none"])
    p.add_argument("--examples", type=int, default=20)
    args = p.parse_args(argv)
    start = pd.Timestamp(args.start).tz_convert("UTC")
    hours = pd.date_range(start - pd.Timedelta(hours=args.warmup_hours), periods=args.warmup_hours + args.hours,
                          freq="h")
    posts = news_posts(args.news)
    t0 = time.perf_counter()
    title_nouns(["모델 적재"], args.backend)           # the tagger loads once per process (lru_cache)
    load_s = time.perf_counter() - t0
    before, cost_before = replay_titles(posts, hours, start, "none")
    after, cost_after = replay_titles(posts, hours, start, args.backend)
    print(f"news_{args.news}: {args.hours} reported hours from {args.start} after {args.warmup_hours} warm-up hours; "
          f"{len(before)} published issues (all channels)")
    print(_cost_line("none", cost_before))
    print(_cost_line(args.backend, cost_after) + f" | tagger load {load_s:.1f} s once per process")
    both = before.merge(after, on=["hour", "channel", "issue_id", "keyword"], suffixes=("_before", "_after"))
    changed = both.loc[both["title_before"] != both["title_after"]]
    print(f"matched issues {len(both)} of {len(before)} / {len(after)}; titles changed {len(changed)} "
          f"({len(changed) / max(1, len(both)):.0%}); distinct keywords changed {changed['keyword'].nunique()}")
    moves = Counter(zip(both["title_source_before"], both["title_source_after"]))
    print("title_source before -> after: " + ", ".join(f"{a} -> {b} {n}" for (a, b), n in sorted(moves.items())))
    shown = changed.sort_values(["hour", "channel"], key=lambda s: s.eq("home") if s.name == "channel" else s,
                                ascending=[True, False], kind="stable").drop_duplicates("keyword")
    for r in shown.head(args.examples).itertuples(index=False):
        hour = pd.Timestamp(r.hour).tz_convert("Asia/Seoul").strftime("%m-%d %H")
        print(f"  {hour} {r.channel:9} {r.title_before} -> {r.title_after}")


if __name__ == "__main__":
    main()
