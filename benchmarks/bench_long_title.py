"""Benchmark: what one post with a 1,000,000-character title (the contract's maximum) costs an hour.

    python -m benchmarks.bench_long_title                      # 2,000 posts, 3 interleaved repeats
    python -m benchmarks.bench_long_title --posts 4000 --repeats 5 --with-queries

Simulates six hours on the shipped dictionary (:class:`jobs.demo.simulator.PortalSimulator`,
seeded; a planted event in the last), replays the first five as history
(:class:`benchmarks.evaluation.replay.HourReplayer`), and writes the last hour as a post file
twice, the second time with one more post of the event whose title is a million characters of
the event's words, a third of them interleaved with random dictionary words. Each is read with the run's ingest settings (``read_posts`` with
``[ingest] title_chars`` / ``body_chars`` where the code has them). Then times the hour's core
(:func:`jobs.pipeline.hour.run_hour_core`: extraction, detection, titling, merging, bundles) on both,
interleaved, and prints the medians, their ratio (the plain hour is the reference measured in the
same process), the size of each hour's published feed document and its longest title. Warm-up
is off (``detect.warmup_history_hours = 0``) so that the hour publishes as a warmed-up one would.
Without ``--with-queries`` the hours have no search-query log, so issues are titled from the context
nouns of their posts' titles (the tagger reads the long title too): the costlier path.
"""
from __future__ import annotations

import argparse
import json
import random
import tempfile
from pathlib import Path

import pandas as pd

from benchmarks.timing import median_times
from crawler.ingest import posts_in_hour, queries_in_hour, read_posts, read_query_counts
from dictionaries import default_dictionary_path, load_dictionary
from benchmarks.evaluation.replay import HourReplayer
from issues.detect import DetectSettings
try:
    from jobs.pipeline.feed import feed_document
    from jobs.pipeline.hour import HourTools, run_hour_core
except ImportError:                                  # the code before the composition moved (to measure it)
    from issues.pipeline import HourTools, feed_document, run_hour_core
from jobs.demo.simulator import PlantedEvent, PortalSimulator
from jobs.settings import resolve_settings

HOUR = pd.Timestamp("2026-05-04T20:00+09:00")
EVENT = PlantedEvent("어린이날", hour=5, context="선물", authors=25, channel="blog")
START = HOUR - pd.Timedelta(hours=5)


def _publishable(document: dict) -> dict:
    try:                                   # the feed's last pass, where the code has one
        from jobs.publish.sanitize import publishable
    except ImportError:
        return document
    return publishable(document)


def build(folder: Path, posts_per_hour: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame, Path, Path]:
    """(posts, queries) of the six hours, and the last hour's post file without and with the long post."""
    dictionary = load_dictionary(default_dictionary_path())
    vocab = [k for k in dictionary.entries["keyword"] if " " not in k and len(k) >= 2 and not k.isascii()][:3000]
    posts, queries = PortalSimulator(vocab, posts_per_hour=posts_per_hour, seed=seed).simulate(START, 6, (EVENT,))
    last = posts.loc[pd.to_datetime(posts["published_at"], utc=True) >= HOUR.tz_convert("UTC")]
    plain = folder / "plain.jsonl"
    last.to_json(plain, orient="records", lines=True, force_ascii=False)
    event = last.loc[last["title"].str.contains(EVENT.keyword)].iloc[0].to_dict()
    rng = random.Random(seed)
    words, size = [], 0
    while size < 1_000_000:                  # the event's words over and over, with dictionary words between
        words.append(rng.choice(vocab) if rng.random() < 0.3 else rng.choice(event["title"].split()))
        size += len(words[-1]) + 1
    long_post = dict(event, post_id="long-title", author_id="long-writer", title=" ".join(words)[:1_000_000])
    long_file = folder / "long.jsonl"
    long_file.write_text(plain.read_text(encoding="utf-8") + json.dumps(long_post, ensure_ascii=False, default=str)
                         + "\n", encoding="utf-8")
    return posts, queries, plain, long_file


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=2000, help="posts in the hour")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--with-queries", action="store_true", help="give the hours their simulated query log")
    args = parser.parse_args(argv)
    warmup = {"warmup_history_hours": 0} if hasattr(DetectSettings(), "warmup_history_hours") else {}
    settings = resolve_settings({"detect": warmup}, {})
    ingest = getattr(settings, "ingest", None)
    caps = {"title_chars": ingest.title_chars, "body_chars": ingest.body_chars} if ingest else {}
    tools = HourTools.build(load_dictionary(default_dictionary_path()))
    hour = HOUR.tz_convert("UTC")
    with tempfile.TemporaryDirectory() as tmp:
        posts, queries, plain, long_file = build(Path(tmp), args.posts)
        query_file = Path(tmp) / "queries.csv"
        queries.to_csv(query_file, index=False)
        queries = read_query_counts([query_file]).accepted
        if not args.with_queries:
            queries = queries.iloc[:0]
        replayer = HourReplayer(tools, settings)
        everything = Path(tmp) / "all.jsonl"
        posts.to_json(everything, orient="records", lines=True, force_ascii=False)
        all_posts = read_posts([everything], **caps).accepted
        for h in range(5):
            at = (START + pd.Timedelta(hours=h)).tz_convert("UTC")
            replayer.run(at, posts_in_hour(all_posts, at), queries_in_hour(queries, at))
        inputs = {name: replayer.inputs(hour, posts_in_hour(read_posts([path], **caps).accepted, hour),
                                        queries_in_hour(queries, hour))
                  for name, path in (("plain hour", plain), ("+ one 1M-char title", long_file))}
    longest = inputs["+ one 1M-char title"].posts["title"].str.len().max()
    results = {}

    def core(name):
        return lambda: results.__setitem__(name, run_hour_core(inputs[name], tools, settings))

    med = median_times({name: core(name) for name in inputs}, args.repeats)
    print(f"one hour of {args.posts} simulated posts{' and queries' if args.with_queries else ', no query log'}; the long post's title as the core sees it: {longest:,} chars; "
          f"ingest caps {caps or 'none (this code has no [ingest] settings)'}")
    print(f"{'hour':24} {'core s (median)':>16} {'x plain':>8} {'feed bytes':>11} {'longest published title':>24}")
    for name in inputs:
        document = _publishable(feed_document(results[name]))
        size = len(json.dumps(document, ensure_ascii=False).encode("utf-8"))
        titles = [len(p["title"]) for items in document["channels"].values() for i in items
                  for p in i.get("posts", [])] + [len(i["title"]) for items in document["channels"].values()
                                                  for i in items]
        print(f"{name:24} {med[name]:16.2f} {med[name] / med['plain hour']:8.2f} {size:11,} {max(titles, default=0):24,}")


if __name__ == "__main__":
    main()
