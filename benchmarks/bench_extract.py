"""Keyword extraction throughput against a bare Aho-Corasick scan, per dictionary size.

    python -m benchmarks.bench_extract [--posts 100000] [--batch 2000] [--repeats 5]
                                       [--sizes 10000,0,100000,1000000] [--kb 2] [--procs 1,2]
                                       [--runs 1]

Posts: a real headline (``/work/shared/data/news_econ_kr_2026feb``, read, never copied)
and a body of ``--kb`` KB of UTF-8 (about 800 characters at 2 KB) made of real news
excerpts joined at random (seeded).  Dictionaries: the shipped one (31k entries), a
seeded sample of 10k of its entries, and the shipped one topped up to 100k and 1M
entries with generated Korean-like words (a real entry's first syllables spliced to
another's last ones, so they share real prefixes and collide like real entries do).
Each dictionary is measured in a fresh child process (clean RSS), median of
``--repeats`` interleaved repeats over one batch of ``--batch`` posts:

* ``bare scan``  ``find_matches_as_indexes`` (overlapping) of the matcher's automaton over
  the folded, concatenated titles and bodies of the batch: the floor;
* ``extract``    ``KeywordExtractor.pairs`` + ``score`` on normalised text: fold, scan,
  particle/boundary filter, longest per start, TF, IDF, scoring, top-k, DataFrame;
* ``+normalise`` ``KeywordExtractor.extract`` on the raw posts (adds normalize_text).

``ratio`` = time / bare scan time (the target is <= 2.0).  Load = ``load_dictionary`` of
the TSV + ``KeywordMatcher`` build; RSS delta = resident memory after minus before.
Finally ``--posts`` posts (chunks of ``--batch``, rotations of a pool of real-text posts made
inside the workers) are extracted with :func:`keywords.parallel.extract_parallel` on 1 and
2 processes (``--procs``) with the shipped dictionary: wall time measured (worker start
and result transfer included) and scaled to 1M posts, and, because the machine is shared,
the time the same work needs on idle cores (busiest worker's CPU time + the parent's);
``--runs`` repeats that run and reports the medians, with the load average before and after
each run.  The 1M-post measurement: ``--sizes "" --posts 1000000 --procs 2 --runs 3``.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np
import pandas as pd

from dictionaries import (default_dictionary_path, default_stopwords_path, load_dictionary,
                          load_stopwords)
from keywords.extract import ExtractSettings, KeywordExtractor, _clean
from benchmarks.timing import median_times
from keywords.matcher import KeywordMatcher
from keywords.normalize import fold, normalize_text
from keywords.parallel import ParallelSettings, extract_parallel

NEWS = pathlib.Path("/work/shared/data/news_econ_kr_2026feb/items.jsonl.gz")


def rss_mb() -> float:
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def news_pieces() -> tuple[list[str], list[str]]:
    titles, texts = [], []
    with gzip.open(NEWS, "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row["lang"] == "ko":
                titles.append(row["title"])
                if row["text"]:
                    texts.append(row["text"])
    return titles, texts


def make_posts(n: int, kb: float, seed: int, titles, texts) -> pd.DataFrame:
    """``n`` posts: real title + body of ``kb`` KB UTF-8 of random real excerpts."""
    rng = np.random.default_rng(seed)
    limit = int(kb * 1024)
    bodies = []
    for _ in range(n):
        parts, size = [], 0
        while size < limit:
            piece = texts[rng.integers(len(texts))]
            parts.append(piece)
            size += len(piece.encode()) + 1
        body = " ".join(parts).encode()[:limit].decode("utf-8", "ignore")
        bodies.append(body)
    pick = rng.integers(len(titles), size=n)
    return pd.DataFrame({"post_id": [f"p{i}" for i in range(n)],
                         "title": [titles[i] for i in pick], "body": bodies})


def synthetic_records(size: int, seed: int) -> list[str]:
    """``size`` keywords: shipped entries (sampled or all) plus generated spliced words."""
    real = list(load_dictionary(default_dictionary_path()).entries["keyword"])
    stop = load_stopwords(default_stopwords_path())
    rng = np.random.default_rng(seed)
    if size <= len(real):
        return [real[i] for i in sorted(rng.choice(len(real), size=size, replace=False))]
    hangul = [w for w in real if all("가" <= c <= "힣" for c in w) and len(w) >= 2]
    have = set(real) | stop
    out = list(real)
    while len(out) < size:
        a = hangul[rng.integers(len(hangul))]
        b = hangul[rng.integers(len(hangul))]
        word = a[: rng.integers(1, len(a) + 1)] + b[rng.integers(0, len(b)):]
        if 2 <= len(word) <= 7 and word not in have:
            have.add(word)
            out.append(word)
    return out


def child(size: int, args) -> dict:
    """One dictionary: load time, RSS delta, per-batch medians (runs in its own process)."""
    titles, texts = news_pieces()
    posts = make_posts(args.batch, args.kb, 20260219, titles, texts)
    stop = load_stopwords(default_stopwords_path())
    with tempfile.TemporaryDirectory() as tmp:
        if size == 0:
            path = default_dictionary_path()
        else:
            path = pathlib.Path(tmp) / "keywords.tsv"
            words = synthetic_records(size, seed=size)
            path.write_text("keyword\ttype\taliases\tweight\n" + "\n".join(words) + "\n",
                            encoding="utf-8")
        before = rss_mb()
        start = time.perf_counter()
        dictionary = load_dictionary(path)
        loaded = time.perf_counter() - start
        matcher = KeywordMatcher.from_dictionary(dictionary, stop)
        load = time.perf_counter() - start
        rss = rss_mb() - before
    ex = KeywordExtractor(matcher, ExtractSettings())
    t_clean, b_clean = _clean(posts["title"]), _clean(posts["body"])
    work = " " + "\0 ".join(map(fold, t_clean + b_clean)) + "\0"
    empty = pd.Series(dtype=float)
    variants = {
        "bare scan": lambda: matcher._automaton.find_matches_as_indexes(work, overlapping=True),
        "extract": lambda: ex.score(ex.pairs(t_clean, b_clean), len(posts), posts["post_id"],
                                    empty, 0),
        "+normalise": lambda: ex.extract(posts, empty, 0),
    }
    med = median_times(variants, args.repeats)
    nbytes = sum(len(t.encode()) for t in posts["title"]) + sum(len(b.encode()) for b in posts["body"])
    return {"size": len(dictionary), "surfaces": len(matcher._pattern_keys), "read": loaded,
            "load": load, "rss": rss, "times": med, "posts": len(posts), "mb": nbytes / 1e6,
            "chars": sum(map(len, t_clean + b_clean)),
            "hits": int(matcher.scan(t_clean + b_clean).doc.size)}


def parallel_run(args) -> None:
    titles, texts = news_pieces()
    pool = make_posts(args.batch * 2, args.kb, 7, titles, texts)
    stop = load_stopwords(default_stopwords_path())
    matcher = KeywordMatcher.from_dictionary(load_dictionary(default_dictionary_path()), stop)
    ex = KeywordExtractor(matcher, ExtractSettings())
    n_chunks = -(-args.posts // args.batch)

    def load_chunk(i: int) -> pd.DataFrame:  # a rotation of the pool, fresh ids
        shift = (i * 997) % len(pool)
        n = min(args.batch, args.posts - i * args.batch)
        rows = pool.iloc[np.arange(shift, shift + n) % len(pool)].copy()
        rows["post_id"] = [f"c{i}-{j}" for j in range(n)]
        return rows

    mb = pool["body"].str.encode("utf-8").str.len().mean() + pool["title"].str.encode("utf-8").str.len().mean()
    for procs in [int(p) for p in args.procs.split(",")]:
        walls, busies = [], []
        for run in range(args.runs):
            stats: dict = {}
            load0 = os.getloadavg()[0]
            start, cpu0 = time.perf_counter(), time.process_time()
            out = extract_parallel(ex, load_chunk, n_chunks, pd.Series(dtype=float), 0,
                                   settings=ParallelSettings(processes=procs), stats=stats)
            wall, parent = time.perf_counter() - start, time.process_time() - cpu0
            # on idle cores the run would take about its busiest worker's CPU time plus the
            # parent's own (start-up, summing counts, concatenating rows)
            busy = (max(stats["worker_cpu_s"]) + parent) if procs > 1 else parent
            walls.append(wall)
            busies.append(busy)
            print(f"{'' if procs > 1 or run else chr(10)}{procs}-process run, shipped dictionary: {args.posts:,} posts "
                  f"({args.posts * mb / 1e6:,.0f} MB) in {wall:.1f} s wall = {args.posts / wall:,.0f} posts/s, "
                  f"{args.posts * mb / 1e6 / wall:.1f} MB/s; {len(out):,} rows; CPU s per worker "
                  f"{', '.join(f'{c:.1f}' for c in stats['worker_cpu_s'])}, parent {parent:.1f}; "
                  f"load average {load0:.1f} -> {os.getloadavg()[0]:.1f}")
            del out
            if procs > 1:
                import resource

                peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
                print(f"    peak RSS of a worker {peak:,.0f} MB (largest child so far)")
        scale = 1e6 / args.posts
        wall, busy = statistics.median(walls), statistics.median(busies)
        print(f"    1M posts: {scale * wall:.0f} s wall ({'measured' if scale <= 1 else 'extrapolated'}"
              f"{f', median of {args.runs}' if args.runs > 1 else ''}), {scale * busy:.0f} s on {procs} "
              f"idle core{'s' if procs > 1 else ''} (from CPU time); target 120 s on 2 cores")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="keyword extraction vs bare Aho-Corasick scan")
    parser.add_argument("--posts", type=int, default=100_000, help="posts of the 2-process run")
    parser.add_argument("--batch", type=int, default=2000, help="posts per batch / chunk")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--kb", type=float, default=2.0, help="body size in KB of UTF-8")
    parser.add_argument("--sizes", default="10000,0,100000,1000000",
                        help="dictionary sizes (0 = the shipped dictionary)")
    parser.add_argument("--procs", default="1,2", help="process counts of the large run")
    parser.add_argument("--runs", type=int, default=1, help="repeats of the large run (median)")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(child(args.child, args)))
        return 0
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.1f}; batches of {args.batch} posts (real title + {args.kb:g} KB "
          f"body); median of {args.repeats}")
    print(f"{'dictionary':>11} {'load s':>7} {'RSS MB':>7} {'variant':>11} {'posts/s':>8} "
          f"{'MB/s':>6} {'ratio':>6}")
    for size in [int(s) for s in args.sizes.split(",") if s]:
        cmd = [sys.executable, "-m", "benchmarks.bench_extract", "--child", str(size),
               "--batch", str(args.batch), "--repeats", str(args.repeats), "--kb", str(args.kb)]
        res = json.loads(subprocess.run(cmd, check=True, capture_output=True, text=True,
                                        cwd=pathlib.Path(__file__).resolve().parents[1]).stdout)
        bare = res["times"]["bare scan"]
        label = f"{res['size']:,}" + ("*" if size == 0 else "")
        for i, (name, seconds) in enumerate(res["times"].items()):
            head = f"{label:>11} {res['load']:7.1f} {res['rss']:7.0f}" if i == 0 else " " * 27
            print(f"{head} {name:>11} {res['posts'] / seconds:8.0f} {res['mb'] / seconds:6.1f} "
                  f"{seconds / bare:6.2f}")
    print("(* = shipped dictionary; MB = UTF-8 of titles + bodies; ratio = time / bare scan)")
    if args.posts:
        parallel_run(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
