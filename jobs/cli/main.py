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

Exit codes: 0 ok, 2 bad input (a file, the dictionary, the override file, a setting),
3 database error (nothing published), 4 publish error (DB written, Redis or the file not),
5 another run holds the run lock (or took it over from this one).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Sequence

from crawler.ingest import IngestError
from dictionaries import DictionaryError
from jobs.engine import add_engine_arguments, engine_flags
from jobs.publish.feed import PublishError
from jobs.store.lock import LockBusyError, LockLostError
from jobs.settings import SettingsError, resolve_settings
from crawler.crawl_store import CrawlStoreError
from jobs.store.issue_store import StoreError
from titling.blocklist import BlocklistError
from titling.overrides import OverrideError

EXIT_INPUT, EXIT_DATABASE, EXIT_PUBLISH, EXIT_LOCKED = 2, 3, 4, 5


def _common(p: argparse.ArgumentParser, need_posts: bool = True) -> None:
    p.add_argument("--posts", nargs="+", default=[], metavar="FILE",
                   help="post files (JSONL/CSV/Parquet, .gz ok) or folders of them")
    p.add_argument("--sources", dest="crawl_sources", metavar="FILE",
                   help="crawl these sources first (TOML, see `issuewire crawl`) and read the hour's crawled posts")
    p.add_argument("--queries", nargs="+", default=[], metavar="FILE", help="query-count files or folders")
    p.add_argument("--posts-mapping", dest="posts_mapping", help="field mapping of the post files (e.g. knews)")
    p.add_argument("--dictionary", help="keyword dictionary TSV")
    p.add_argument("--stopwords", help="stopword list")
    p.add_argument("--overrides", help="operator override file")
    p.add_argument("--db", dest="db_url", help="database URL (default sqlite:///issuewire.sqlite)")
    p.add_argument("--redis", dest="redis_url", help="Redis URL; without it the feed goes to the file only")
    p.add_argument("--redis-prefix", dest="redis_prefix", help="prefix of every Redis key")
    p.add_argument("--feed-file", dest="feed_file", help="JSON feed path; {hour} becomes YYYYMMDDTHH")
    p.add_argument("--config", help="TOML config file")
    p.add_argument("--quiet", action="store_true", help="no per-hour summary lines")


def _store_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", dest="db_url", help="database URL")
    p.add_argument("--redis", dest="redis_url", help="Redis URL")
    p.add_argument("--redis-prefix", dest="redis_prefix", help="prefix of every Redis key")
    p.add_argument("--feed-file", dest="feed_file", help="JSON feed path; {hour} becomes YYYYMMDDTHH")
    p.add_argument("--config", help="TOML config file")


SETTING_FLAGS = ("posts_mapping", "dictionary", "stopwords", "overrides", "db_url", "redis_url",
                 "redis_prefix", "feed_file", "crawl_sources")


def _need_inputs(args, settings) -> None:
    if not args.posts and not settings.crawl_sources and not settings.engine.posts_path:
        raise SettingsError("give --posts FILE... or --sources FILE (crawl first) or [engine] posts_path")


def settings_from_args(args: argparse.Namespace, environ=None):
    flags = {k: getattr(args, k, None) for k in SETTING_FLAGS}
    if getattr(args, "max_catchup_hours", None) is not None:
        flags["max_catchup_hours"] = args.max_catchup_hours
    flags.update(engine_flags(args))
    return resolve_settings(flags, os.environ if environ is None else environ, getattr(args, "config", None))


def cmd_run(args) -> int:
    from jobs.runner.hour import RunContext, parse_hour, run_hour

    settings = settings_from_args(args)
    _need_inputs(args, settings)
    _logs(settings)
    report = run_hour(RunContext(settings), parse_hour(args.hour, settings.timezone), args.posts, args.queries)
    if not args.quiet:
        print(report.summary())
    return 0


def cmd_backfill(args) -> int:
    from jobs.runner.hour import RunContext, backfill, parse_hour

    settings = settings_from_args(args)
    _need_inputs(args, settings)
    _logs(settings)
    start, end = parse_hour(args.start, settings.timezone), parse_hour(args.end, settings.timezone)
    if end < start:
        raise SettingsError(f"--to {args.end} is before --from {args.start}")
    printer = None if args.quiet else (lambda r: print(r.summary(), flush=True))
    backfill(RunContext(settings), start, end, args.posts, args.queries, progress=not args.quiet, on_report=printer)
    return 0


def cmd_schedule(args) -> int:
    from jobs.runner.scheduler import run_scheduler

    settings = settings_from_args(args)
    _need_inputs(args, settings)
    _logs(settings)
    now = None
    if args.now:
        import pandas as pd

        now = pd.Timestamp(args.now)
        now = (now.tz_localize(settings.timezone) if now.tzinfo is None else now).tz_convert("UTC")
    return run_scheduler(settings, args.posts, args.queries, once=args.once, now=now, progress=not args.quiet)


def cmd_status(args) -> int:
    from jobs.runner.status import collect_status, format_status

    settings = settings_from_args(args)
    status = collect_status(settings, last=args.last)
    print(json.dumps(status, default=str, ensure_ascii=False) if args.json else format_status(status))
    return 0


def cmd_prune(args) -> int:
    from jobs.runner.retention import prune

    settings = settings_from_args(args)
    _logs(settings)
    summary = prune(settings, dry_run=args.dry_run)
    print(summary.describe(dry_run=args.dry_run))
    return 0


def _logs(settings) -> None:
    from jobs.runner.runlog import configure_json_logs

    configure_json_logs(settings.json_logs)


def cmd_demo(args) -> int:
    from jobs.demo.run import run_demo

    return run_demo(args.workdir, hours=args.hours, show=args.show)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="issuewire", description="Find what is becoming an issue, every hour.")
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="run one hour")
    p.add_argument("--hour", required=True, help="the hour, ISO 8601 (local time if no offset)")
    _common(p)
    add_engine_arguments(p)
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("backfill", help="run a range of hours in order (both ends included)")
    p.add_argument("--from", dest="start", required=True)
    p.add_argument("--to", dest="end", required=True)
    _common(p)
    add_engine_arguments(p)
    p.set_defaults(func=cmd_backfill)
    p = sub.add_parser("schedule", help="run every hour at the configured minute, catching up missed hours")
    _common(p)
    p.add_argument("--once", action="store_true", help="catch up once and exit (for cron)")
    p.add_argument("--max-catchup-hours", dest="max_catchup_hours", type=int,
                   help="catch up at most this many hours back (default 48)")
    p.add_argument("--now", help="treat this hour as the current time (replaying an outage)")
    p.set_defaults(func=cmd_schedule)
    p = sub.add_parser("status", help="last runs, lock holder, current feed version")
    _store_options(p)
    p.add_argument("--last", type=int, default=24, help="how many hours to list")
    p.add_argument("--json", action="store_true", help="machine-readable")
    p.set_defaults(func=cmd_status)
    p = sub.add_parser("prune", help="delete data older than the retention policy")
    _store_options(p)
    p.add_argument("--dry-run", action="store_true", help="only count what would be deleted")
    p.set_defaults(func=cmd_prune)
    from jobs.cli.console import add_console_command
    from jobs.cli.crawl import add_crawl_command
    from jobs.cli.propose import add_propose_command
    from jobs.cli.recommend import add_recommender_commands
    from jobs.cli.rejects import add_rejects_command

    add_crawl_command(sub)
    add_recommender_commands(sub)
    add_propose_command(sub)
    add_console_command(sub)
    add_rejects_command(sub)
    p = sub.add_parser("demo", help="simulate a portal and run its hours end to end")
    p.add_argument("--workdir", default="issuewire-demo", help="where the demo writes its data, DB and feeds")
    p.add_argument("--hours", type=int, default=30)
    p.add_argument("--show", type=int, default=12, help="print the home top 6 of the last N hours")
    p.set_defaults(func=cmd_demo)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return _guarded(args)
    except KeyboardInterrupt:
        return 130


def _guarded(args) -> int:
    """Run the command; our named errors become one redacted line on stderr and an exit code."""
    from jobs.runner.alerts import redact

    try:
        return args.func(args)
    except (IngestError, DictionaryError, OverrideError, BlocklistError, SettingsError, ValueError) as exc:
        print(f"issuewire: error: {redact(str(exc))}", file=sys.stderr)
        return EXIT_INPUT
    except (StoreError, CrawlStoreError) as exc:
        print(f"issuewire: error: {redact(str(exc))}", file=sys.stderr)
        return EXIT_DATABASE
    except PublishError as exc:
        print(f"issuewire: error: {redact(str(exc))}", file=sys.stderr)
        return EXIT_PUBLISH
    except (LockBusyError, LockLostError) as exc:
        print(f"issuewire: error: {redact(str(exc))}", file=sys.stderr)
        return EXIT_LOCKED


if __name__ == "__main__":
    sys.exit(main())
