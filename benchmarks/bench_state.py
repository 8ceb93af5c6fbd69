"""The steady state of a large portal: reading the baseline's window hours and the query history.

    $ python -m benchmarks.bench_state --keywords 27000 --channels 8 --queries 2800000

A fresh database hides what a portal's hour reads once it has history. This writes (seeded, into
``--db``, default a SQLite file under /tmp, reused when it is already there) the state a portal of
a million posts an hour keeps: ``keyword_stats`` rows of ``--keywords`` x ``--channels`` for every
hour the baseline reads (4 weekly + 7 seasonal + 24 level hours before the hour) and
``--queries`` stored query rows in each of the last ``--query-hours`` hours; then times, median of
``--runs``:

* ``load_history`` (the baseline's window hours, :meth:`jobs.store.issue_store.IssueStore.load_history`),
  against a reference read of the same rows in the same process: one ``SELECT ... WHERE hour IN``
  through SQLAlchemy into ``DataFrame.from_records`` (how it was read before), with peak RSS;
* the query history of 20,000 candidate queries (titling's lookup) against the whole 24-hour
  ``GROUP BY query`` it replaced.
"""
from __future__ import annotations

import argparse
import gc
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import sqlalchemy as sa

NOW = pd.Timestamp("2026-05-12T09:00Z")


def _peak_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


def build(store, keywords: int, channels: int, queries: int, query_hours: int, seed: int = 7) -> None:
    from issues.baseline import AuthorBaseline

    rng = np.random.default_rng(seed)
    windows = AuthorBaseline.window_hours(NOW, 7, 24, 4)
    hours = sorted(set().union(*windows.values()))
    kw = np.repeat([f"키워드{i}" for i in range(keywords)], channels).tolist()
    ch = np.tile([f"channel{i}" for i in range(channels)], keywords).tolist()
    names = [f"키워드{i % keywords} 검색어{i}" for i in range(queries)]
    no_rejects = pd.DataFrame(columns=["kind", "source", "line", "reason", "raw"])
    for hour in hours:
        n = len(kw)
        stats = pd.DataFrame({"keyword": kw, "channel": ch, "posts": rng.integers(1, 60, n),
                              "authors": rng.integers(1, 50, n), "title_hits": rng.integers(0, 9, n),
                              "score_sum": rng.random(n), "query_volume": rng.integers(0, 99, n), "channels": 1,
                              "expected": rng.random(n) * 9, "expected_posts": rng.random(n) * 9,
                              "expected_queries": rng.random(n) * 9, "is_issue": rng.random(n) < 0.001,
                              "masked": rng.random(n) < 0.001})
        in_query_window = hour >= NOW - pd.Timedelta(hours=query_hours)
        q = pd.DataFrame({"query": names, "count": rng.integers(2, 500, queries)}) if in_query_window else None
        store.save_hour(hour, {"status": "ok"}, stats, pd.Series({"home": 10**6}), q, pd.DataFrame(),
                        pd.DataFrame(), no_rejects)


def reference_history(store, run_hours) -> pd.DataFrame:
    """The same rows read as before: one query, Row objects to tuples, from_records, hours parsed."""
    from jobs.store.issue_store import from_db_time, to_db_time
    from jobs.store.schema import keyword_stats

    c = keyword_stats.c
    with store.engine.connect() as conn:
        rows = conn.execute(sa.select(c.hour, c.keyword, c.channel, c.authors, c.posts, c.query_volume, c.expected,
                                      c.expected_posts, c.expected_queries, c.masked, c.is_issue)
                            .where(c.hour.in_([to_db_time(h) for h in run_hours]))).fetchall()
    frame = pd.DataFrame.from_records([tuple(r) for r in rows], columns=[
        "hour", "keyword", "channel", "authors", "posts", "query_volume", "expected", "expected_posts",
        "expected_queries", "masked", "is_issue"])
    frame["hour"] = from_db_time(frame["hour"])
    return frame


def _timed(fn, runs: int) -> tuple[float, float, object]:
    walls, cpus, out = [], [], None
    for _ in range(runs):
        out = None
        gc.collect()
        start, cpu = time.perf_counter(), time.process_time()
        out = fn()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), out


def main(argv=None) -> int:
    from jobs.store.issue_store import IssueStore

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--keywords", type=int, default=27_000)
    parser.add_argument("--channels", type=int, default=8)
    parser.add_argument("--queries", type=int, default=2_800_000, help="stored query rows per hour")
    parser.add_argument("--query-hours", type=int, default=24)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--db", default=None, help="database URL (default: a SQLite file under /tmp)")
    args = parser.parse_args(argv)
    url = args.db or f"sqlite:///{Path(tempfile.gettempdir()) / f'issuewire-state-{args.keywords}-{args.queries}.sqlite'}"
    store = IssueStore(url)
    start = time.perf_counter()
    if len(store.completed_hours(before=NOW)) == 0:
        build(store, args.keywords, args.channels, args.queries, args.query_hours)
    run_hours = store.completed_hours(before=NOW)
    print(f"state: {args.keywords} keywords x {args.channels} channels in {len(run_hours)} hours, "
          f"{args.queries} query rows in each of the last {args.query_hours} hours ({url}; "
          f"ready in {time.perf_counter() - start:.0f} s)")
    rss = _peak_gib()
    wall, cpu, (history, hours, _) = _timed(lambda: store.load_history(NOW, 7, 24, 4), args.runs)
    new_peak = _peak_gib()
    rows = len(history)
    del history
    ref_wall, ref_cpu, ref = _timed(lambda: reference_history(store, hours), args.runs)
    ref_peak = _peak_gib()
    print(f"load_history: {rows} rows, median wall {wall:.1f} s, CPU {cpu:.1f} s, peak RSS {new_peak:.2f} GiB "
          f"(before: {rss:.2f})")
    print(f"reference (one query, from_records): {len(ref)} rows, median wall {ref_wall:.1f} s, CPU {ref_cpu:.1f} s, "
          f"peak RSS {ref_peak:.2f} GiB; ratio load_history / reference: wall {wall / ref_wall:.2f}x, "
          f"CPU {cpu / ref_cpu:.2f}x")
    del ref
    asked = [f"키워드{i % args.keywords} 검색어{i}" for i in range(0, args.queries, max(1, args.queries // 20000))]
    q_wall, q_cpu, found = _timed(lambda: store.query_history(NOW, 24, queries=asked), args.runs)
    whole_wall, whole_cpu, whole = _timed(lambda: store.query_history(NOW, 24), 1)
    print(f"query history of {len(asked)} candidate queries: median wall {q_wall:.2f} s, CPU {q_cpu:.2f} s, "
          f"{len(found)} found; the whole 24 h (GROUP BY query, once): wall {whole_wall:.1f} s, "
          f"CPU {whole_cpu:.1f} s, {len(whole)} queries; peak RSS {_peak_gib():.2f} GiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
