"""``issuewire crawl``: argument parsing and error conversion only; the work is :func:`crawler.shell.crawl_once`.

    >>> parser = argparse.ArgumentParser(prog="issuewire")
    >>> add_crawl_command(parser.add_subparsers(dest="command"))             # doctest: +ELLIPSIS
    ArgumentParser(prog='issuewire crawl', ...)
    >>> args = parser.parse_args(["crawl", "--sources", "sources.toml", "--data-dir", "var/data"])
    >>> args.func.__name__
    'run_crawl_command'

Settings are resolved once, in this order (later wins): built-in defaults, the ``[crawl]`` table of
the sources file, then the flags given here. Exit codes: 0 the pass ran (URLs that failed are
listed and held back for the next pass), 2 the sources file or a flag is invalid, 1 the crawl
database failed, 3 the pass ran but some URL failed and ``--fail-on-errors`` was given, 4 another
crawl is running on the same data dir (nothing was done).
"""
from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime
from pathlib import Path

from crawler.settings import CrawlConfigError, load_crawl_settings
from crawler.shell import CrawlBusyError, crawl_once
from crawler.crawl_store import CrawlStoreError

EXIT_OK, EXIT_STORE, EXIT_CONFIG, EXIT_FAILED_URLS, EXIT_BUSY = 0, 1, 2, 3, 4


def add_crawl_command(subparsers, default_db: str | None = None) -> argparse.ArgumentParser:
    """Register ``crawl`` on an argparse subparsers object; ``default_db`` is the store's default URL."""
    p = subparsers.add_parser(
        "crawl", help="one pass over the due URLs of the configured sources",
        description="Fetch the due URLs of every source in --sources politely, keep the raw responses and "
                    "write validated posts and query counts as hour/source Parquet under --data-dir.")
    p.add_argument("--sources", required=True, type=Path, metavar="FILE", help="TOML sources file")
    p.add_argument("--db", default=default_db, metavar="URL",
                   help="SQLAlchemy URL of the crawl schedule (default: sqlite:///<data-dir>/crawl.sqlite)")
    p.add_argument("--data-dir", type=Path, metavar="DIR", help="where raw/ and processed/ live (overrides the file)")
    p.add_argument("--workers", type=int, metavar="N", help="fetching threads (overrides the file)")
    p.add_argument("--user-agent", metavar="UA", help="User-Agent sent with every request (overrides the file)")
    p.add_argument("--now", type=datetime.fromisoformat, metavar="ISO",
                   help="the pass's clock, ISO 8601 with offset (replays and tests); default: now")
    p.add_argument("--json", action="store_true", help="print the summary as JSON instead of lines")
    p.add_argument("--fail-on-errors", action="store_true", help="exit 3 when any URL failed in this pass")
    p.set_defaults(func=run_crawl_command)
    return p


def run_crawl_command(args: argparse.Namespace) -> int:
    """Resolve settings, run one pass, print the summary; errors become one line and an exit code."""
    try:
        settings = load_crawl_settings(args.sources, data_dir=args.data_dir, workers=args.workers,
                                       user_agent=args.user_agent)
        if args.now is not None and args.now.tzinfo is None:
            raise CrawlConfigError("--now needs a UTC offset, e.g. 2026-05-05T10:05+09:00")
        db = args.db or f"sqlite:///{(settings.data_dir / 'crawl.sqlite').as_posix()}"
        if db.startswith("sqlite:///"):
            Path(db[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        summary = crawl_once(settings, db, now=args.now)
    except CrawlConfigError as exc:
        print(f"issuewire crawl: error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except CrawlStoreError as exc:
        print(f"issuewire crawl: error: {exc}", file=sys.stderr)
        return EXIT_STORE
    except CrawlBusyError as exc:
        print(f"issuewire crawl: error: {exc}", file=sys.stderr)
        return EXIT_BUSY
    if args.json:
        print(json.dumps(summary.to_dict(), ensure_ascii=False, indent=1))
    else:
        print("\n".join(summary.lines()))
    return EXIT_FAILED_URLS if args.fail_on_errors and summary.failed else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry (``python -m jobs.cli.crawl crawl ...``) until ``jobs/cli/main.py`` wires it in."""
    parser = argparse.ArgumentParser(prog="issuewire")
    add_crawl_command(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
