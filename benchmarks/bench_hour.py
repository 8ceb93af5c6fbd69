"""One whole hour end to end at portal size: wall time, peak memory, stages, against a bare scan.

    $ python -m benchmarks.bench_hour --posts 100000 --queries 500000
    $ python -m benchmarks.bench_hour --posts 1000000 --queries 5000000 --engine local
    $ python -m benchmarks.bench_hour --posts 100000 --queries 500000 --engine local,spark --parts 4

Writes (seeded, into ``--workdir``, default a folder under /tmp) an hour of ``--posts`` posts of
about 2 KB of Korean text each in 8 channels, built from the shipped dictionary's keywords and
filler words, and ``--queries`` distinct search queries with counts; then runs ``issuewire run`` on
a fresh SQLite in a subprocess (``python -m jobs.cli.main``, ``PYTHONPATH`` = this checkout,
``ISSUEWIRE_ENGINE__NAME`` = ``--engine``) under ``/usr/bin/time -v`` and prints its wall time, peak
RSS, the seconds, main-process CPU seconds and peak RSS so far of every stage (from the run's JSON
log lines) and the ratio of the wall time to a bare Aho-Corasick scan (ahocorasick-rs, the
dictionary's surfaces) of the same titles and bodies measured here, in the same script. With several
engines (``--engine local,spark``, Spark at ``--spark-master``, default ``local[2]``) each runs the
same hour and the feed of each is compared with the first's; ``--parts N`` writes the posts as N
files, as a cluster holds an hour (Spark reads a file in one task). ``peak_rss`` is what ``time -v``
reports (the processes it waits for); "all processes" is the peak of the summed RSS of every process
the run started, sampled from /proc (Spark's JVM and Python workers included).
"""
from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
CHANNELS = ["news", "blog", "community", "sports", "entertainment", "economy", "politics", "culture"]
HOUR = "2026-05-05T18:00:00+09:00"
SENTENCES_PER_POST = 14                 # ~700 characters: ~2 KB of UTF-8


def _vocabulary(rng: np.random.Generator):
    from dictionaries import default_dictionary_path, load_dictionary

    keywords = load_dictionary(default_dictionary_path()).entries["keyword"].astype(str).tolist()
    syllables = [chr(0xAC00 + int(i)) for i in rng.integers(0, 2350, 600)]
    filler = ["".join(rng.choice(syllables, size=int(rng.integers(2, 4)))) for _ in range(20000)]
    particles = ["", "", "이", "가", "은", "는", "을", "를", "에서", "의"]
    return keywords, filler, particles


def _sentences(rng, keywords, filler, particles, n: int) -> list[str]:
    words_per = 12
    pick_kw = rng.random((n, words_per)) < 0.18
    kw = rng.integers(0, len(keywords), (n, words_per))
    fl = rng.integers(0, len(filler), (n, words_per))
    pa = rng.integers(0, len(particles), (n, words_per))
    return [" ".join((keywords[kw[i, j]] if pick_kw[i, j] else filler[fl[i, j]]) + particles[pa[i, j]]
                     for j in range(words_per)) + "." for i in range(n)]


def generate(workdir: Path, n_posts: int, n_queries: int, seed: int = 13) -> tuple[Path, Path]:
    """The hour's posts (JSONL) and queries (CSV) in ``workdir``; reused when already there."""
    posts_path, queries_path = workdir / f"posts-{n_posts}.jsonl", workdir / f"queries-{n_queries}.csv"
    rng = np.random.default_rng(seed)
    keywords, filler, particles = _vocabulary(rng)
    if not posts_path.exists():
        sentences = _sentences(rng, keywords, filler, particles, 30000)
        minutes = rng.integers(0, 60, n_posts)
        picks_all = rng.integers(0, len(sentences), (min(n_posts, 200_000), SENTENCES_PER_POST))
        authors = rng.integers(0, n_posts // 3 + 10, n_posts)
        with open(posts_path.with_suffix(".tmp"), "w", encoding="utf-8") as f:
            for i in range(n_posts):
                picks = picks_all[i % len(picks_all)]
                body = " ".join(sentences[j] for j in picks)
                title = " ".join(sentences[int(picks[0])].split()[:6])
                f.write(json.dumps({"post_id": f"p{i:08d}", "channel": CHANNELS[i % 8],
                                    "author_id": f"a{authors[i]}", "title": title,
                                    "body": body, "published_at": f"2026-05-05T18:{int(minutes[i]):02d}:00+09:00",
                                    "url": f"https://portal.example/{i}", "recommend_count": int(i % 17)},
                                   ensure_ascii=False) + "\n")
        posts_path.with_suffix(".tmp").rename(posts_path)
    if not queries_path.exists():
        with open(queries_path.with_suffix(".tmp"), "w", encoding="utf-8") as f:
            f.write("hour,query,count\n")
            counts = rng.zipf(1.6, n_queries).clip(1, 100000)
            pairs = np.unique(rng.integers(0, len(keywords) * len(filler), int(n_queries * 1.2)))
            pairs = rng.permutation(pairs)[:n_queries]
            for i, pair in enumerate(pairs.tolist()):      # distinct: keyword + filler word, a few with two
                k, w = divmod(pair, len(filler))
                extra = f" {filler[(w * 7 + 1) % len(filler)]}" if i % 5 == 0 else ""
                f.write(f"{HOUR},{keywords[k]} {filler[w]}{extra},{counts[i]}\n")
        queries_path.with_suffix(".tmp").rename(queries_path)
    return posts_path, queries_path


def split_posts(posts_path: Path, parts: int) -> Path:
    """The posts in ``parts`` JSONL files of consecutive lines, in a folder beside them (as a
    cluster would hold an hour: several files, one Spark task each); 1: the file itself."""
    if parts <= 1:
        return posts_path
    folder = posts_path.with_name(f"{posts_path.stem}-parts{parts}")
    if not folder.exists():
        lines = sum(1 for _ in open(posts_path, "rb"))
        per = -(-lines // parts)
        tmp = folder.with_name(folder.name + ".tmp")
        tmp.mkdir(exist_ok=True)
        with open(posts_path, "rb") as src:
            for k in range(parts):
                with open(tmp / f"part-{k:03d}.jsonl", "wb") as dst:
                    for _, line in zip(range(per), src):
                        dst.write(line)
        tmp.rename(folder)
    return folder


def bare_scan_seconds(posts_path: Path, chunk: int = 50_000) -> tuple[float, float]:
    """Wall and CPU seconds of one ahocorasick-rs scan of every title and body (read apart, not timed)."""
    import ahocorasick_rs

    from dictionaries import default_dictionary_path, load_dictionary

    surfaces = list(load_dictionary(default_dictionary_path()).surfaces())
    ac = ahocorasick_rs.AhoCorasick(surfaces, matchkind=ahocorasick_rs.MATCHKIND_LEFTMOST_LONGEST)
    total, cpu, texts = 0.0, 0.0, []

    def scan():
        nonlocal total, cpu
        joined = "\n".join(texts)
        start, start_cpu = time.perf_counter(), time.process_time()
        ac.find_matches_as_indexes(joined)
        total += time.perf_counter() - start
        cpu += time.process_time() - start_cpu
        texts.clear()

    with open(posts_path, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            texts.append(rec["title"] + "\n" + rec["body"])
            if len(texts) >= chunk:
                scan()
    if texts:
        scan()
    return total, cpu


class TreeMemory:
    """Peak summed RSS of this process's descendants (the run, and Spark's JVM and Python workers,
    which ``time -v`` does not count), sampled from /proc every 0.2 s in a thread."""

    def __init__(self, every: float = 0.2):
        import threading

        self.every, self.peak_kib, self._stop = every, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.wait(self.every):
            parents, rss = {}, {}
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit():
                    continue
                try:
                    stat = (entry / "stat").read_text()
                    status = (entry / "status").read_text()
                except OSError:
                    continue
                parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
                found = re.search(r"VmRSS:\s+(\d+) kB", status)
                rss[int(entry.name)] = int(found.group(1)) if found else 0
            total = 0
            for pid in rss:
                p = pid
                while p in parents and p not in (0, 1, me):
                    p = parents[p]
                if p == me and pid != me:
                    total += rss[pid]
            self.peak_kib = max(self.peak_kib, total)


def run_hour(posts_path: Path, queries_path: Path, workdir: Path, engine: str,
             spark_master: str = "local[2]") -> dict:
    db = workdir / f"run-{os.getpid()}.sqlite"
    db.unlink(missing_ok=True)
    feed = workdir / f"feed-{engine}-{{hour}}.json"
    cmd = [sys.executable, "-m", "jobs.cli.main", "run", "--hour", HOUR, "--posts", str(posts_path),
           "--queries", str(queries_path), "--db", f"sqlite:///{db}", "--feed-file", str(feed)]
    env = dict(os.environ, PYTHONPATH=str(ROOT), ISSUEWIRE_ENGINE__NAME=engine,
               ISSUEWIRE_ENGINE__SPARK_MASTER=spark_master)
    timed = ["/usr/bin/time", "-v"] + cmd if Path("/usr/bin/time").exists() else cmd
    start = time.perf_counter()
    with TreeMemory() as tree:
        proc = subprocess.run(timed, cwd=workdir, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr[-3000:])
        raise SystemExit(f"issuewire run failed with exit {proc.returncode}")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    cpu = sum(float(m) for m in re.findall(r"(?:User|System) time \(seconds\): ([\d.]+)", proc.stderr))
    peak_kib = int(rss.group(1)) if rss else __import__("resource").getrusage(
        __import__("resource").RUSAGE_CHILDREN).ru_maxrss
    stages, peaks, cpus = {}, {}, {}
    for line in proc.stderr.splitlines():
        if line.startswith("{"):
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "stage":
                stages[event["stage"]] = round(float(event["seconds"]), 1)
                cpus[event["stage"]] = round(float(event.get("cpu_seconds", 0.0)), 1)
                peaks[event["stage"]] = round(float(event.get("peak_rss_mib", 0)) / 1024, 2)
    db.unlink(missing_ok=True)
    feeds = sorted(workdir.glob(f"feed-{engine}-*.json"))
    document = json.loads(feeds[-1].read_text(encoding="utf-8")) if feeds else None
    return {"wall": wall, "cpu": cpu, "peak_gib": peak_kib / 2**20, "stages": stages, "stage_cpu": cpus,
            "stage_peak_gib": peaks,
            "summary": proc.stdout.strip(), "feed": document, "tree_gib": tree.peak_kib / 2**20}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--posts", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500_000)
    parser.add_argument("--engine", default="local",
                        help="the [engine] name of the run, or several separated by commas (local,spark): "
                             "each runs the same hour and its feed is compared with the first's")
    parser.add_argument("--spark-master", default="local[2]", help="the Spark master of --engine spark")
    parser.add_argument("--parts", type=int, default=1, help="write the posts in this many files (a folder)")
    parser.add_argument("--workdir", type=Path, default=Path(tempfile.gettempdir()) / "issuewire-bench-hour")
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    posts_path, queries_path = generate(args.workdir, args.posts, args.queries, args.seed)
    size = posts_path.stat().st_size
    print(f"hour: {args.posts} posts ({size / args.posts / 1024:.2f} KiB each in the JSONL, "
          f"{size / 2**30:.2f} GiB), {args.queries} distinct queries; generated in "
          f"{time.perf_counter() - start:.0f} s")
    inputs = split_posts(posts_path, args.parts)
    scan, scan_cpu = bare_scan_seconds(posts_path)
    first = None
    for engine in [e.strip() for e in args.engine.split(",") if e.strip()]:
        result = run_hour(inputs, queries_path, args.workdir, engine, args.spark_master)
        where = f" master={args.spark_master}" if engine == "spark" else ""
        load = os.getloadavg()[0]
        print(f"engine={engine}{where} wall={result['wall']:.1f} s cpu={result['cpu']:.1f} s "
              f"peak_rss={result['peak_gib']:.2f} GiB (all processes: {result['tree_gib']:.2f} GiB) "
              f"bare_scan: wall={scan:.1f} s cpu={scan_cpu:.1f} s; "
              f"ratio wall/wall={result['wall'] / scan:.1f}x cpu/cpu={result['cpu'] / max(scan_cpu, 1e-9):.1f}x "
              f"(load average {load:.1f} on {os.cpu_count()} cores)")
        print("stages: " + " ".join(f"{k}={v}" for k, v in result["stages"].items()))
        print("  main process CPU s: " + " ".join(f"{k}={v}" for k, v in result["stage_cpu"].items()))
        print("  main process peak RSS after the stage, GiB: "
              + " ".join(f"{k}={v}" for k, v in result["stage_peak_gib"].items()))
        print(result["summary"])
        if first is None:
            first = (engine, result["feed"])
        else:
            print(f"feed of engine={engine} equals engine={first[0]}'s: {result['feed'] == first[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
