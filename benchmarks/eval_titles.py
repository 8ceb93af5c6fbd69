"""Evaluate titles, merges and the home top 6 on real data; prints one table.

    python -m benchmarks.eval_titles [--labels benchmarks/labels/titles.json] [--quick] [--context-backend none]

* **Titles** (``zum_titles`` cases): the query log of an hour is the Zum portal's real-time issue
  list (``/work/shared/data/search_trends_zum_2025oct``): a phrase's count in the hour is the sum of
  ``21 - rank`` over that hour's snapshots, its history the mean of the previous 24 hours. The
  issue is the case's keyword; the title is right when it equals the expected title exactly.
* **Merges** (``news_merges`` cases): the posts of one hour of a news file; the seeds are the case's
  keywords (their post sets from the extractor over that hour), merged by
  :func:`clustering.merge.merge_seeds`; precision and recall over keyword pairs put together.
* **Home top 6** on news replays (every hour of the range, in order, through
  :class:`benchmarks.evaluation.replay.HourReplayer`): extra same-event issues per event (issues whose posts
  overlap by half of the smaller set count as one event) and hourly churn (share of the top 6 not
  in the previous hour's), for a plain design (no merging) and for issuewire.

The labelled file holds only references (hours, keywords) and the expected labels; the text is read
from /work/shared/data at evaluation time. The labels are the author's own (see the file's
``how``): treat the numbers as a regression check, not as an independent benchmark.
"""
from __future__ import annotations

import argparse
import json
import time
from itertools import combinations
from pathlib import Path

import pandas as pd

from benchmarks.replay_news import news_posts, plain, replay_home, same_event_and_churn
from clustering.merge import merge_seeds
from crawler.ingest import posts_in_hour
from jobs.runner.hour import RunContext
from jobs.settings import resolve_settings
from keywords.extract import KeywordExtractor
from titling.titles import CONTEXT_BACKENDS, TitleChooser

LABELS = Path(__file__).with_name("labels") / "titles.json"
ZUM = "/work/shared/data/search_trends_zum_2025oct/trends.tsv.gz"
REPLAYS = {"econ": ("2026-02-08T00:00+09:00", "2026-02-20T23:00+09:00"),
           "general": ("2022-07-27T00:00+09:00", "2022-07-31T23:00+09:00")}
QUICK = {"econ": ("2026-02-18T00:00+09:00", "2026-02-19T23:00+09:00"),
         "general": ("2022-07-28T00:00+09:00", "2022-07-29T23:00+09:00")}


def zum_counts() -> pd.DataFrame:
    t = pd.read_csv(ZUM, sep="\t")
    t["hour"] = pd.to_datetime(t["snapshot_kst"]).dt.floor("h")
    t["count"] = 21 - t["rank"]
    return t.groupby(["hour", "keyword"], as_index=False)["count"].sum().rename(columns={"keyword": "query"})


def eval_zum_titles(cases: list[dict], tools, settings) -> tuple[float, list[tuple]]:
    counts = zum_counts()
    chooser = TitleChooser(tools.matcher, settings.title, tools.dictionary.display_form, tools.blocklist)
    rows = []
    for c in cases:
        hour = pd.Timestamp(c["hour_kst"])
        now = counts.loc[counts["hour"] == hour, ["query", "count"]]
        past = counts.loc[(counts["hour"] < hour) & (counts["hour"] >= hour - pd.Timedelta(hours=24))]
        history = past.groupby("query")["count"].sum() / 24.0
        title = chooser.choose([c["keyword"]], now, history).loc[c["keyword"], "title"]
        rows.append((c["id"], c["keyword"], c["expected"], title, title == c["expected"]))
    return sum(r[-1] for r in rows) / max(1, len(rows)), rows


def eval_merges(cases: list[dict], tools, settings) -> tuple[float, float, list[tuple]]:
    extractor = KeywordExtractor(tools.matcher, settings.extract)
    tp = fp = fn = 0
    rows = []
    for c in cases:
        posts = posts_in_hour(news_posts(c["source"]), pd.Timestamp(c["hour_kst"]).tz_convert("UTC"))
        pk = extractor.extract(posts, pd.Series(dtype="int64"), 0, pd.Series(dtype=float))
        sets = {k: frozenset(v) for k, v in pk.groupby("keyword")["post_id"]}
        seeds = pd.DataFrame({"keyword": c["keywords"], "score": [float(len(sets.get(k, ()))) for k in c["keywords"]]})
        groups = merge_seeds(seeds, sets, {}, settings.merge, None, tools.named_entities, tools.common_words)
        got = {k: i for i, g in enumerate(groups.itertuples()) for k in [g.keyword, *g.facets]}
        want = {k: i for i, g in enumerate(c["expected_groups"]) for k in g}
        for a, b in combinations(c["keywords"], 2):
            p, w = got.get(a, -1) == got.get(b, -2), want.get(a, -1) == want.get(b, -2)
            tp += p and w
            fp += p and not w
            fn += w and not p
        rows.append((c["id"], [[g.keyword, *g.facets] for g in groups.itertuples()], c["expected_groups"]))
    return tp / max(1, tp + fp), tp / max(1, tp + fn), rows


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--labels", default=str(LABELS))
    p.add_argument("--quick", action="store_true", help="two days per news file instead of the whole range")
    p.add_argument("--verbose", action="store_true", help="print every case")
    p.add_argument("--context-backend", default=None, choices=CONTEXT_BACKENDS,
                   help="[title] context_backend for query-less titles (default: the setting's default)")
    args = p.parse_args(argv)
    labels = json.loads(Path(args.labels).read_text(encoding="utf-8"))
    settings = resolve_settings({"title": {"context_backend": args.context_backend}} if args.context_backend else {},
                                environ={})
    tools = RunContext(settings).tools
    started = time.perf_counter()
    acc, title_rows = eval_zum_titles(labels["zum_titles"], tools, settings)
    precision, recall, merge_rows = eval_merges(labels["news_merges"], tools, settings)
    if args.verbose:
        for r in title_rows:
            print(("ok   " if r[-1] else "MISS ") + f"{r[0]} {r[1]}: expected {r[2]!r}, got {r[3]!r}")
        for r in merge_rows:
            print(f"{r[0]}: got {r[1]} expected {r[2]}")
    print(f"{'measure':44} {'plain':>8} {'issuewire':>10}")
    print(f"{'exact title, ' + str(len(title_rows)) + ' Zum cases':44} {'':>8} {acc:10.3f}")
    print(f"{'merge precision, ' + str(len(merge_rows)) + ' news cases':44} {'':>8} {precision:10.3f}")
    print(f"{'merge recall, ' + str(len(merge_rows)) + ' news cases':44} {0.0:8.3f} {recall:10.3f}")
    for name, (start, end) in (QUICK if args.quick else REPLAYS).items():
        hours = pd.date_range(pd.Timestamp(start).tz_convert("UTC"), pd.Timestamp(end).tz_convert("UTC"), freq="h")
        posts = news_posts(name)
        base = same_event_and_churn(replay_home(posts, hours, tools, plain(settings)))
        ours = same_event_and_churn(replay_home(posts, hours, tools, settings))
        label = f"news_{name} {start[:10]}..{end[:10]} ({len(hours)} h)"
        print(f"{'extra same-event home issues/event, ' + name:44} {base['extra_per_event']:8.3f} {ours['extra_per_event']:10.3f}")
        print(f"{'hourly churn of home top 6, ' + name:44} {base['churn']:8.3f} {ours['churn']:10.3f}   {label}")
    print(f"({time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
