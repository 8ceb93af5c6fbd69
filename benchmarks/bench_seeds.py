"""Benchmark: the seeds' two heavy steps on a synthetic million-post hour, old code against new.

    python -m benchmarks.bench_seeds                          # 1M posts, ~10M (post, keyword) rows
    python -m benchmarks.bench_seeds --posts 100000 --repeats 3 --old-ref main

Builds (seeded, NumPy) an hour of ``--posts`` posts over 8 channels by ``posts / 3`` authors
(as :mod:`benchmarks.bench_hour`), ~10 keywords a post from ``--keywords`` (Zipf), ordered by post as the extractor
gives them, and MinHash-like signatures where each body appears ~5 times (some with a few bins
changed). Times, interleaved in this process, :func:`issues.aggregate.aggregate_keyword_stats`
(plain, and with the near-duplicate groups), :func:`issues.near_duplicates.duplicate_groups`
and the candidate-post lookup of :func:`issues.seeds.find_seeds`, of this checkout and of the
files at ``--old-ref`` (read with ``git show``, loaded as modules), checks that both give the
same results, and prints median seconds and the peak resident memory each step adds
(``/proc/self/clear_refs``, Linux).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import types
from pathlib import Path

import numpy as np
import pandas as pd

from issues import aggregate as new_aggregate
from issues import near_duplicates as new_near_duplicates
from issues.seeds import candidate_posts
from issues.spam import posts_of_keywords

ROOT = Path(__file__).resolve().parents[1]


def old_module(ref: str, path: str, name: str) -> types.ModuleType:
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{ref}:{path}"], check=True,
                            capture_output=True, text=True).stdout
    module = types.ModuleType(name)
    module.__file__ = f"{ref}:{path}"
    sys.modules[name] = module
    exec(compile(source, module.__file__, "exec"), module.__dict__)
    return module


def synthetic_hour(n_posts: int, n_keywords: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    ids = np.array([f"p{i:08d}" for i in range(n_posts)], dtype=object)
    authors = np.array([f"a{i}" for i in range(n_posts // 3 + 10)], dtype=object)
    channels = np.array(["news", "blog", "cafe", "community", "sports", "entertainment", "economy", "it"],
                        dtype=object)
    posts = pd.DataFrame({"post_id": ids, "channel": channels[np.arange(n_posts) % 8],
                          "author_id": authors[rng.integers(0, len(authors), n_posts)]})
    vocab = np.array([f"키워드{i:05d}" for i in range(n_keywords)], dtype=object)
    per_post = rng.poisson(10.4, n_posts).clip(1, 40)
    post = np.repeat(np.arange(n_posts), per_post)
    kw = (rng.zipf(1.15, post.size) - 1) % n_keywords
    key = np.unique(post.astype(np.int64) * n_keywords + kw)      # one row per (post, keyword), by post
    post, kw = key // n_keywords, key % n_keywords
    post_keywords = pd.DataFrame({"post_id": pd.Series(ids[post], dtype=object),
                                  "keyword": pd.Series(vocab[kw], dtype=object),
                                  "title_hits": rng.integers(0, 2, post.size), "score": rng.random(post.size) * 8})
    bodies = rng.integers(0, 1 << 32, size=(max(n_posts // 5, 1), 64), dtype=np.uint64).astype(np.uint32)
    signatures = bodies[rng.integers(0, len(bodies), n_posts)]
    edited = np.flatnonzero(rng.random(n_posts) < 0.2)
    for k in range(3):
        signatures[edited, rng.integers(0, 64, edited.size)] = rng.integers(0, 1 << 32, edited.size,
                                                                            dtype=np.uint64)
    influential = pd.Series(1.0, index=authors[:200])
    volume = pd.Series(rng.integers(0, 1000, n_keywords), index=vocab)
    return posts, post_keywords, signatures, influential, volume


def measure(fn):
    """(seconds, peak resident bytes added, result) of one call."""
    Path("/proc/self/clear_refs").write_text("5")
    base = _status("VmRSS")
    start = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - start
    return seconds, _status("VmHWM") - base, result


def _status(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=1_000_000)
    parser.add_argument("--keywords", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--old-ref", default="main", help="git ref of the old code")
    args = parser.parse_args(argv)
    old_aggregate = old_module(args.old_ref, "issues/aggregate.py", "old_aggregate")
    old_near_duplicates = old_module(args.old_ref, "issues/near_duplicates.py", "old_near_duplicates")
    start = time.perf_counter()
    posts, pk, signatures, influential, volume = synthetic_hour(args.posts, args.keywords)
    print(f"hour: {len(posts)} posts, {len(pk)} (post, keyword) rows, {pk['keyword'].nunique()} keywords, "
          f"{posts['author_id'].nunique()} authors, built in {time.perf_counter() - start:.1f}s", flush=True)
    first = new_near_duplicates.duplicate_groups(signatures, 0.7)
    grouped = first >= 0
    ids = posts["post_id"].to_numpy(dtype=object)
    groups = pd.Series(ids[first[grouped]], index=ids[grouped])
    print(f"near-duplicate groups: {len(groups)} posts in {groups.nunique()} groups", flush=True)
    candidates = pk["keyword"].value_counts().index[:300]

    encode_times = []
    for _ in range(args.repeats):
        seconds, peak, codes = measure(lambda: new_aggregate.encode_hour(pk, posts))
        encode_times.append(seconds)
    print(f"encode_hour (new, once per hour): {statistics.median(encode_times):.2f}s, peak +{peak / 2**20:.0f} MiB",
          flush=True)
    steps = {
        "aggregate_keyword_stats": (
            lambda: old_aggregate.aggregate_keyword_stats(pk, posts, volume, influential),
            lambda: new_aggregate.aggregate_keyword_stats(pk, posts, volume, influential)),
        "aggregate_keyword_stats, groups, codes given": (
            lambda: old_aggregate.aggregate_keyword_stats(pk, posts, volume, influential, groups),
            lambda: new_aggregate.aggregate_keyword_stats(pk, posts, volume, influential, groups, codes=codes)),
        "duplicate_groups": (lambda: old_near_duplicates.duplicate_groups(signatures, 0.7),
                             lambda: new_near_duplicates.duplicate_groups(signatures, 0.7)),
        "candidate posts, codes given": (
            lambda: posts["post_id"].isin(posts_of_keywords(pk, candidates)).to_numpy(),
            lambda: candidate_posts(codes, candidates)),
    }
    medians = {}
    print(f"{'step':48s} {'old s':>8s} {'new s':>8s} {'speed-up':>8s} {'old peak MiB':>13s} {'new peak MiB':>13s}")
    for name, (old, new) in steps.items():
        times = {"old": [], "new": []}
        peaks = {"old": 0, "new": 0}
        results = {}
        for _ in range(args.repeats):
            for side, fn in (("old", old), ("new", new)):
                seconds, peak, results[side] = measure(fn)
                times[side].append(seconds)
                peaks[side] = max(peaks[side], peak)
                del seconds
        same = _same(results["old"], results["new"])
        old_s, new_s = statistics.median(times["old"]), statistics.median(times["new"])
        print(f"{name:48s} {old_s:8.2f} {new_s:8.2f} {old_s / new_s:7.1f}x {peaks['old'] / 2**20:13.0f} "
              f"{peaks['new'] / 2**20:13.0f}  {'same' if same else 'DIFFERENT'}", flush=True)
        medians[name] = (old_s, new_s)
        results.clear()
    old_total = sum(m[0] for m in medians.values())
    new_total = (statistics.median(encode_times) + medians["aggregate_keyword_stats, groups, codes given"][1]
                 + sum(m[1] for n, m in medians.items() if n != "aggregate_keyword_stats"))
    print(f"find_seeds' share (2 aggregations, groups, lookup; new: encode once): old {old_total:.1f}s, "
          f"new {new_total:.1f}s, {old_total / new_total:.1f}x")
    return 0


def _same(old, new) -> bool:
    if isinstance(old, pd.DataFrame):
        try:
            pd.testing.assert_frame_equal(new, old, check_exact=True)
            return True
        except AssertionError:
            return False
    return np.array_equal(old, new)


if __name__ == "__main__":
    raise SystemExit(main())
