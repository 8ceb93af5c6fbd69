"""``issuewire crawl``: argument parsing only; the work is :func:`crawler.shell.crawl_once`.

    >>> parser = argparse.ArgumentParser(prog="issuewire")
    >>> add_crawl_command(parser.add_subparsers(dest="command"))             # doctest: +ELLIPSIS
    ArgumentParser(prog='issuewire crawl', ...)
    >>> args = parser.parse_args(["crawl", "--sources", "sources.toml", "--data-dir", "var/data"])
    >>> args.func.__name__, args.crawl_sources
    ('run_crawl_command', 'sources.toml')

Settings: the sources file (``--sources``, or the ``crawl_sources`` setting) and the database
(``--db``, or ``db_url`` from the environment or ``--config`` file, else
``sqlite:///<data-dir>/crawl.sqlite``) are resolved like every command's (flags > environment >
config file > defaults); the crawl's own settings are the ``[crawl]`` table of the sources file,
which ``--data-dir``, ``--workers`` and ``--user-agent`` override. Crawled files are partitioned
by the hour in UTC (``hour=YYYYMMDDTHH``), as the query-count URLs' ``{hour}`` is.

Exit codes as for every command: 0 the pass ran (URLs that failed are listed and held back for
the next pass), 2 the sources file or a flag is invalid, 3 the crawl database failed, 4 the pass
ran but some URL failed and ``--fail-on-errors`` was given, 5 another crawl is running on the
same data dir (nothing was done).
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

from jobs.cli.options import add_options, parse_time_arg, settings_from_args
from jobs.errors import EXIT_OK, EXIT_PUBLISH
from jobs.settings import Settings, SettingsError


def add_crawl_command(subparsers) -> argparse.ArgumentParser:
    """Register ``crawl`` on an argparse subparsers object."""
    p = subparsers.add_parser(
        "crawl", help="one pass over the due URLs of the configured sources",
        description="Fetch the due URLs of every source in --sources politely, keep the raw responses and "
                    "write validated posts and query counts as hour/source Parquet under --data-dir "
                    "(the hours of the partitions are UTC).")
    p.add_argument("--sources", dest="crawl_sources", metavar="FILE",
                   help="TOML sources file (default: the `crawl_sources` setting)")
    add_options(p, "db", "config",
                db={"help": "database URL of the crawl schedule (default: the `db_url` setting when the "
                            "environment or config file sets it, else sqlite:///<data-dir>/crawl.sqlite)"})
    p.add_argument("--data-dir", type=Path, metavar="DIR", help="where raw/ and processed/ live (overrides the file)")
    p.add_argument("--workers", type=int, metavar="N", help="fetching threads (overrides the file)")
    p.add_argument("--user-agent", metavar="UA", help="User-Agent sent with every request (overrides the file)")
    p.add_argument("--now", metavar="TIME",
                   help="the pass's clock (replays and tests), ISO 8601, e.g. 2026-05-05T19:05: local time "
                        "unless an offset is given; default: now")
    p.add_argument("--json", action="store_true", help="print the summary as JSON instead of lines")
    p.add_argument("--fail-on-errors", action="store_true", help="exit 4 when any URL failed in this pass")
    p.set_defaults(func=run_crawl_command, resolves_settings=("crawl_sources",))
    return p


def run_crawl_command(args: argparse.Namespace) -> int:
    """Resolve settings, run one pass, print the summary; errors go to ``jobs.cli.main``'s guard."""
    from crawler.settings import load_crawl_settings
    from crawler.shell import crawl_once

    run_settings = settings_from_args(argparse.Namespace(**{**vars(args), "db_url": None}))
    if not run_settings.crawl_sources:
        raise SettingsError("give --sources FILE (or set crawl_sources in the config file or environment)")
    settings = load_crawl_settings(run_settings.crawl_sources, data_dir=args.data_dir, workers=args.workers,
                                   user_agent=args.user_agent)
    now = parse_time_arg(args.now, run_settings.timezone, "--now").to_pydatetime() if args.now else None
    configured = run_settings.db_url if run_settings.db_url != Settings.db_url else None
    db = args.db_url or configured or f"sqlite:///{(settings.data_dir / 'crawl.sqlite').as_posix()}"
    if db.startswith("sqlite:///"):
        Path(db[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
    summary = crawl_once(settings, db, now=now)
    if args.json:
        print(json.dumps(summary.to_dict(), ensure_ascii=False, indent=1))
    else:
        print("\n".join(summary.lines()))
    return EXIT_PUBLISH if args.fail_on_errors and summary.failed else EXIT_OK
