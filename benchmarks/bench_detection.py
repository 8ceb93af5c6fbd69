"""Benchmark: one hour's detection against a 1,000,000-keyword dictionary and 8 weeks of hourly state.

    python -m benchmarks.bench_detection                    # 1M keywords, 8 weeks, 20k active rows/hour
    python -m benchmarks.bench_detection --active 50000 --repeats 5

Builds (seeded) a stored history like the hourly run's: for each of the 8 x 168 hours, the
(keyword, channel) rows that had at least one post, keywords drawn from a Zipf law over the
1M-keyword dictionary, ``--active`` rows an hour, with authors, posts, expectations and the
masked flag; then times what the hourly run does for one new hour: fit the baseline over that
history (:class:`issues.baseline.AuthorBaseline`, every window, cycle floors), expectations for
the hour's rows with the dictionary-type cold-start prior, the previous hour's counts for the
two-hour window, negative-binomial scoring, BH q-values and the gates
(:class:`issues.detect.BurstDetector`) and selection. Prints the median wall and CPU time of
``--repeats`` runs and, as the reference measured in the same process, one grouped sum of the
authors over the whole history (the cost of merely reading the state once).
"""
from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from issues.baseline import AuthorBaseline, type_prior_rates
from issues.detect import BurstDetector, DetectSettings
from issues.seeds import previous_hour_counts

TYPES = np.array(["common", "person", "organisation", "place", "event", "product", ""], dtype=object)

CHANNELS = np.array(["home", "news", "sports", "entertainment", "community"], dtype=object)


def build_history(n_keywords: int, weeks: int, active: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    vocab = np.array([f"kw{i:07d}" for i in range(n_keywords)], dtype=object)
    p = np.arange(1, n_keywords + 1, dtype=float) ** -0.9
    p /= p.sum()
    hour = pd.Timestamp("2026-03-30T00:00Z")
    hours = pd.date_range(hour - pd.Timedelta(weeks=weeks), hour - pd.Timedelta(hours=1), freq="h")
    frames = []
    for h in hours:
        keys = np.unique(rng.choice(n_keywords, size=active, p=p) * len(CHANNELS) + rng.integers(len(CHANNELS), size=active))
        authors = rng.poisson(2.0, len(keys)) + 1
        frames.append(pd.DataFrame({"hour": h, "keyword": vocab[keys // len(CHANNELS)],
                                    "channel": CHANNELS[keys % len(CHANNELS)], "authors": authors,
                                    "posts": authors + rng.poisson(0.5, len(keys)), "query_volume": 0,
                                    "expected": rng.gamma(2.0, 1.0, len(keys)),
                                    "expected_posts": rng.gamma(2.0, 1.0, len(keys)), "expected_queries": 0.0,
                                    "masked": rng.random(len(keys)) < 0.001}))
    history = pd.concat(frames, ignore_index=True)
    keys = np.unique(rng.choice(n_keywords, size=active, p=p) * len(CHANNELS) + rng.integers(len(CHANNELS), size=active))
    authors = rng.poisson(2.0, len(keys)) + 1
    stats = pd.DataFrame({"keyword": vocab[keys // len(CHANNELS)], "channel": CHANNELS[keys % len(CHANNELS)],
                          "posts": authors + 1, "authors": authors, "title_hits": 1, "score_sum": 1.0,
                          "top_author_share": 0.3, "author_entropy": 0.9, "influential": 0.0, "channels": 1,
                          "query_volume": 0})
    activity = history.groupby(["hour", "channel"], as_index=False)["posts"].sum()
    return history, pd.DatetimeIndex(hours), hour, stats, activity


def detect_hour(history, run_hours, hour, stats, activity, settings: DetectSettings, n_keywords: int,
                keyword_types: pd.Series):
    d = settings
    baseline = AuthorBaseline(d.seasonal_days, d.level_hours, d.seasonal_weight, d.prior_authors_per_hour,
                              d.prior_strength_hours, weekly_weeks=d.weekly_weeks, weekly_weight=d.weekly_weight,
                              cycle_floor=d.cycle_floor, cycle_min_hours=d.cycle_min_hours,
                              cycle_similar=d.cycle_similar, cycle_noise_sd=d.cycle_noise_sd) \
        .fit(history, run_hours, hour, activity)
    now = stats.groupby("channel")["posts"].sum()
    previous = previous_hour_counts(history, hour)              # the two-hour window's previous hour
    at = pd.MultiIndex.from_arrays([stats["keyword"], stats["channel"]])
    stats = stats.assign(prev_authors=previous["authors"].reindex(at).to_numpy(float),
                         prev_expected=previous["expected"].reindex(at).to_numpy(float))
    prior = type_prior_rates(stats, keyword_types, d.prior_authors_per_hour)
    detector = BurstDetector(d, n_keywords=n_keywords)
    return detector.select(detector.score(stats, baseline.expected_frame(stats, now, prior)))


def timed(fn, repeats: int):
    walls, cpus, out = [], [], None
    for _ in range(repeats):
        w, c = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - w)
        cpus.append(time.process_time() - c)
    return float(np.median(walls)), float(np.median(cpus)), out


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keywords", type=int, default=1_000_000)
    parser.add_argument("--weeks", type=int, default=8)
    parser.add_argument("--active", type=int, default=20_000, help="(keyword, channel) rows with posts per hour")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    history, run_hours, hour, stats, activity = build_history(args.keywords, args.weeks, args.active)
    print(f"dictionary {args.keywords:,} keywords; state: {args.weeks} weeks x 168 h, {len(history):,} "
          f"(keyword, channel, hour) rows, {history['keyword'].nunique():,} distinct keywords; "
          f"this hour {len(stats):,} rows (built in {time.perf_counter() - t0:.0f} s)")
    settings = DetectSettings()
    vocab = np.array([f"kw{i:07d}" for i in range(args.keywords)], dtype=object)
    keyword_types = pd.Series(np.random.default_rng(1).choice(TYPES, size=args.keywords), index=vocab)
    wall, cpu, seeds = timed(lambda: detect_hour(history, run_hours, hour, stats, activity, settings,
                                                 args.keywords, keyword_types), args.repeats)
    ref_wall, ref_cpu, _ = timed(lambda: history.groupby(["keyword", "channel"])["authors"].sum(), args.repeats)
    print(f"detection of one hour: median wall {wall:.2f} s, CPU {cpu:.2f} s over {args.repeats} runs "
          f"({len(seeds)} seeds); target < 10 s")
    print(f"reference (one grouped sum over the whole state): median wall {ref_wall:.2f} s, CPU {ref_cpu:.2f} s; "
          f"ratio detection / reference: wall {wall / ref_wall:.2f}x, CPU {cpu / ref_cpu:.2f}x")


if __name__ == "__main__":
    main()
