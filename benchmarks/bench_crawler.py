"""Crawl throughput: pages/second against the local test server, 8 workers vs 1.

    $ python benchmarks/bench_crawler.py                 # defaults: 24 JSON feeds x 3 pages + 24 RSS feeds
    $ python benchmarks/bench_crawler.py --delay 0.05 --repeats 7

The server (tests/crawler/portal_server.py, on 127.0.0.1 only) sleeps ``--delay`` seconds in every
response, like a real origin's latency, so the pool's concurrency is what is measured. Each
repeat is a whole fresh pass (new data dir and SQLite schedule): fetch, keep raw, parse,
validate, dedupe, write Parquet, commit. Prints the median pages/second per worker count and
the ratio.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests" / "crawler")]

from portal_server import PortalServer  # noqa: E402

from crawler.crawl import crawl_pass  # noqa: E402
from crawler.settings import CrawlSettings, SourceSettings  # noqa: E402
from crawler.crawl_store import CrawlStore  # noqa: E402

NOW = datetime(2026, 5, 5, 10, 5, tzinfo=timezone.utc)


def sources(server: PortalServer, feeds: int) -> tuple[SourceSettings, ...]:
    json_feeds = [SourceSettings(f"community{i}", "json_feed", url=server.url(f"/api/posts?feed={i}"),
                                 mapping="community_json") for i in range(feeds)]
    rss_feeds = [SourceSettings(f"news{i}", "rss", url=server.url(f"/feed.xml?feed={i}"), mapping="rss")
                 for i in range(feeds)]
    return tuple(json_feeds + rss_feeds)


def one_pass(server: PortalServer, workers: int, feeds: int) -> tuple[int, float]:
    with tempfile.TemporaryDirectory() as tmp:
        settings = CrawlSettings(sources=sources(server, feeds), data_dir=Path(tmp) / "data", workers=workers,
                                 per_host_concurrency=workers, per_host_delay=0.0, read_timeout=5, retries=0)
        store = CrawlStore(f"sqlite:///{tmp}/crawl.sqlite").create()
        t0 = time.perf_counter()
        summary = crawl_pass(settings, store, now=NOW)
        elapsed = time.perf_counter() - t0
        store.dispose()
        pages = sum(s.pages for s in summary.sources.values())
        assert summary.failed == 0, summary.lines()
        return pages, elapsed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--delay", type=float, default=0.02, help="server delay per response, seconds (0.02)")
    parser.add_argument("--feeds", type=int, default=24, help="JSON feeds and RSS feeds, each (24)")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 8])
    args = parser.parse_args(argv)
    medians = {}
    with PortalServer(delay=args.delay) as server:
        one_pass(server, 2, 2)   # warm-up: imports, robots, first Parquet write
        print(f"server delay {args.delay * 1000:.0f} ms/response, {args.feeds} JSON feeds x 3 pages + "
              f"{args.feeds} RSS feeds, {args.repeats} repeats, full passes (fetch+raw+parse+Parquet+commit); "
              f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (server and crawler share them)")
        for workers in args.workers:
            runs = [one_pass(server, workers, args.feeds) for _ in range(args.repeats)]
            rates = [pages / elapsed for pages, elapsed in runs]
            medians[workers] = statistics.median(rates)
            print(f"workers={workers:<2d} pages/pass={runs[0][0]:<4d} median {medians[workers]:7.1f} pages/s  "
                  f"(min {min(rates):.1f}, max {max(rates):.1f}; median pass {statistics.median(e for _, e in runs):.2f}s)")
    if len(args.workers) >= 2:
        lo, hi = args.workers[0], args.workers[-1]
        print(f"ratio workers={hi} / workers={lo}: {medians[hi] / medians[lo]:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
