"""``issuewire`` command line: thin argument parsing over :mod:`jobs.runner.hour`; errors become one line.

    $ issuewire run --hour 2026-02-19T16:00+09:00 --posts posts.jsonl --queries queries.csv \\
          --db sqlite:///issuewire.sqlite --redis redis://127.0.0.1:6379/0 --feed-file feed-{hour}.json
    $ issuewire backfill --from 2026-02-08T00:00+09:00 --to 2026-02-09T23:00+09:00 --posts ...
    $ issuewire schedule --posts drop/ --queries drop/        # every hour at the configured minute
    $ issuewire demo                                          # simulated hours on shipped data
    $ issuewire crawl --sources sources.toml --db URL         # one polite pass over the due sources
    $ issuewire run --hour H --sources sources.toml ...       # crawl first, then run the hour
    $ issuewire train-recommender --interactions ratings.csv  # daily; promote only if not worse
    $ issuewire recommend --feed-file feed-{hour}.json --hour H --out export.jsonl

    $ issuewire status --db sqlite:///issuewire.sqlite --redis redis://127.0.0.1:6379/0
    $ issuewire rejects --hour 2026-02-19T16:00 --db sqlite:///issuewire.sqlite [--limit N] [--json]
    $ issuewire prune --db ... --feed-file 'feeds/feed-{hour}.json' [--dry-run]
    $ issuewire console --db ... --overrides overrides.toml --users console-users.toml   # web console

Exit codes (one table for every command, :data:`jobs.errors.EXIT_CODES`): 0 ok, 1 a bug (with
its traceback), 2 bad input, 3 database, 4 publish, 5 locked, 130 interrupted. Every user error
is one line on stderr; :func:`main` catches only the error kinds of :mod:`jobs.errors`.

    >>> main(["run", "--hour", "yesterday", "--posts", "posts.jsonl"])
    2
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from pathlib import Path
from typing import Sequence

from jobs.cli.options import add_options, parse_hour_arg, parse_time_arg, posts_mapping_help, settings_from_args
from jobs.errors import (EXIT_BUG, EXIT_DATABASE, EXIT_INPUT, EXIT_INTERRUPTED, EXIT_LOCKED, EXIT_OK,
                         EXIT_PUBLISH, UserError, exit_code)
from jobs.settings import SettingsError
from jobs.engine import add_engine_arguments

__all__ = ["main", "build_parser", "settings_from_args", "EXIT_OK", "EXIT_BUG", "EXIT_INPUT", "EXIT_DATABASE",
           "EXIT_PUBLISH", "EXIT_LOCKED"]


def _common(p: argparse.ArgumentParser) -> None:
    """The inputs and outputs of the hourly run (``run``, ``backfill``, ``schedule``)."""
    p.add_argument("--posts", nargs="+", default=[], metavar="FILE",
                   help="post files (JSONL/CSV/Parquet, .gz ok) or folders of them")
    p.add_argument("--sources", dest="crawl_sources", metavar="FILE",
                   help="crawl these sources first (TOML, see `issuewire crawl`) and read the hour's crawled posts")
    p.add_argument("--queries", nargs="+", default=[], metavar="FILE", help="query-count files or folders")
    p.add_argument("--posts-mapping", dest="posts_mapping", metavar="NAME", help=posts_mapping_help())
    p.add_argument("--dictionary", metavar="FILE", help="keyword dictionary TSV")
    p.add_argument("--stopwords", metavar="FILE", help="stopword list (an empty value: none)")
    p.add_argument("--overrides", metavar="FILE", help="operator override file")
    add_options(p, "db", "redis", "redis-prefix", "feed-file", "config")
    p.add_argument("--quiet", action="store_true", help="no per-hour summary lines")


def _need_inputs(args, settings) -> None:
    if not args.posts and not settings.crawl_sources and not settings.engine.posts_path:
        raise SettingsError("give --posts FILE... or --sources FILE (crawl first) or [engine] posts_path")
    if args.stopwords and not Path(args.stopwords).is_file():     # the runner treats a missing file as none
        raise SettingsError(f"--stopwords {args.stopwords}: file not found")


def cmd_run(args) -> int:
    from jobs.runner.hour import RunContext, run_hour

    settings = settings_from_args(args)
    hour = parse_hour_arg(args.hour, settings.timezone)
    _need_inputs(args, settings)
    _logs(settings)
    report = run_hour(RunContext(settings), hour, args.posts, args.queries)
    if not args.quiet:
        print(report.summary())
    return EXIT_OK


def cmd_backfill(args) -> int:
    from jobs.publish.feed import PublishError
    from jobs.runner.backfill import backfill
    from jobs.runner.context import RunContext

    settings = settings_from_args(args)
    start = parse_hour_arg(args.start, settings.timezone, "--from")
    end = parse_hour_arg(args.end, settings.timezone, "--to")
    if end < start:
        raise SettingsError(f"--to {args.end} is before --from {args.start}")
    _need_inputs(args, settings)
    _logs(settings)
    printer = None if args.quiet else (lambda r: print(r.summary(), flush=True))
    try:
        runs = backfill(RunContext(settings), start, end, args.posts, args.queries, progress=not args.quiet,
                        on_report=printer)
    except Exception as exc:
        if getattr(exc, "hour_runs", None) is not None:       # what ran before the failed hour
            print(f"issuewire: {exc.hour_runs.summary()}", file=sys.stderr)
        raise
    if runs.pending:                                         # every hour ran; some wait to be published
        raise PublishError(runs.summary())
    if not args.quiet:
        print(runs.summary())
    return EXIT_OK


def cmd_schedule(args) -> int:
    from jobs.runner.scheduler import run_scheduler

    settings = settings_from_args(args)
    now = parse_time_arg(args.now, settings.timezone, "--now") if args.now else None
    _need_inputs(args, settings)
    _logs(settings)
    return run_scheduler(settings, args.posts, args.queries, once=args.once, now=now, progress=not args.quiet)


def cmd_status(args) -> int:
    from jobs.runner.status import collect_status, format_status

    settings = settings_from_args(args)
    status = collect_status(settings, last=args.last)
    print(json.dumps(status, default=str, ensure_ascii=False) if args.json else format_status(status))
    return EXIT_OK


def cmd_prune(args) -> int:
    from jobs.runner.retention import prune

    settings = settings_from_args(args)
    _logs(settings)
    summary = prune(settings, dry_run=args.dry_run)
    print(summary.describe(dry_run=args.dry_run))
    return EXIT_OK


def _logs(settings) -> None:
    from jobs.runner.runlog import configure_json_logs

    configure_json_logs(settings.json_logs)


def cmd_demo(args) -> int:
    from jobs.demo.run import run_demo

    if args.hours < 1 or args.show < 0:
        raise SettingsError("--hours must be 1 or more and --show 0 or more")
    return run_demo(args.workdir, hours=args.hours, show=args.show)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("issuewire")
    except PackageNotFoundError:        # run from a checkout that was never installed
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    from jobs.errors import EXIT_CODES

    parser = argparse.ArgumentParser(
        prog="issuewire", description="Find what is becoming an issue, every hour.",
        epilog="exit codes: " + ", ".join(f"{row.code} {row.name}" for row in EXIT_CODES) + " (docs/cli.md)")
    parser.add_argument("--version", action="version", version=f"issuewire {_version()}",
                        help="print the installed version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                help="what to do; `issuewire COMMAND -h` lists its options")
    p = sub.add_parser("run", help="run one hour")
    add_options(p, "hour")
    _common(p)
    add_engine_arguments(p)
    p.set_defaults(func=cmd_run, resolves_settings=True)
    p = sub.add_parser("backfill", help="run a range of hours in order (both ends included)")
    add_options(p, "from", "to")
    _common(p)
    add_engine_arguments(p)
    p.set_defaults(func=cmd_backfill, resolves_settings=True)
    p = sub.add_parser("schedule", help="run every hour at the configured minute, catching up missed hours")
    _common(p)
    p.add_argument("--once", action="store_true", help="catch up once and exit (for cron)")
    p.add_argument("--max-catchup-hours", dest="max_catchup_hours", type=int, metavar="N",
                   help="catch up at most this many hours back")
    p.add_argument("--now", metavar="TIME",
                   help="treat this time as the current time (replaying an outage), ISO 8601, e.g. "
                        "2026-05-05T18:05: local time unless an offset is given")
    p.set_defaults(func=cmd_schedule, resolves_settings=True)
    p = sub.add_parser("status", help="last runs, lock holder, current feed version")
    add_options(p, "db", "redis", "redis-prefix", "feed-file", "config")
    p.add_argument("--last", type=int, default=24, metavar="N", help="how many hours to list")
    p.add_argument("--json", action="store_true", help="machine-readable")
    p.set_defaults(func=cmd_status, resolves_settings=True)
    p = sub.add_parser("prune", help="delete data older than the retention policy")
    add_options(p, "db", "redis", "redis-prefix", "feed-file", "config")
    p.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    p.set_defaults(func=cmd_prune, resolves_settings=True)
    from jobs.cli.console import add_console_command
    from jobs.cli.crawl import add_crawl_command
    from jobs.cli.db import add_db_command
    from jobs.cli.propose import add_propose_command
    from jobs.cli.recommend import add_recommender_commands
    from jobs.cli.rejects import add_rejects_command

    add_crawl_command(sub)
    add_recommender_commands(sub)
    add_propose_command(sub)
    add_console_command(sub)
    add_rejects_command(sub)
    add_db_command(sub)
    p = sub.add_parser("demo", help="simulate a portal and run its hours end to end")
    p.add_argument("--workdir", default="issuewire-demo", metavar="DIR",
                   help="where the demo writes its data, DB and feeds")
    p.add_argument("--hours", type=int, default=30, metavar="N", help="how many simulated hours to run")
    p.add_argument("--show", type=int, default=12, metavar="N", help="print the home top 6 of the last N hours")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse, run the command, and turn its outcome into the exit code of :data:`jobs.errors.EXIT_CODES`.

    A named error (a kind of :mod:`jobs.errors`) is one redacted line on stderr; anything else is
    a bug: its traceback and exit 1. argparse's own errors exit 2 (bad input) with its usage line.
    """
    try:
        args = build_parser().parse_args(argv)
        return args.func(args)
    except UserError as exc:
        from jobs.runner.alerts import redact

        message = " ".join(str(exc).split()) or type(exc).__name__
        print(f"issuewire: error: {redact(message)}", file=sys.stderr)
        return exit_code(exc)
    except KeyboardInterrupt:
        print("issuewire: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:             # `issuewire rejects ... | head`: the reader has what it wanted
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())           # no second error when Python flushes stdout at exit
        return EXIT_OK
    except Exception:  # noqa: BLE001 - a bug: keep its traceback, say so, exit 1
        traceback.print_exc()
        print("issuewire: internal error (the traceback above is a bug; please report it)", file=sys.stderr)
        return EXIT_BUG


if __name__ == "__main__":
    sys.exit(main())
