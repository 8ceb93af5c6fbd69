"""``issuewire rejects``: an hour's rejected input rows with reasons; the work is :mod:`jobs.runner.rejects`.

    >>> parser = argparse.ArgumentParser(prog="issuewire")
    >>> _ = add_rejects_command(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["rejects", "--hour", "2026-05-04T08:00", "--limit", "5", "--json"])
    >>> args.hour, args.limit, args.json, args.func.__name__
    ('2026-05-04T08:00', 5, True, 'cmd_rejects')

Exit codes as for every command (``issuewire --help``): 0 listed, 2 a bad flag or an hour that
never ran, 3 the database failed.
"""
from __future__ import annotations

import argparse
import json

from jobs.cli.options import add_options, local_time, parse_hour_arg, settings_from_args


def add_rejects_command(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("rejects", help="an hour's rejected input rows with file, line and reason",
                              description="List the input rows the run of an hour rejected (and the non-http(s) "
                                          "URLs it dropped), counted by reason, with file and line.")
    add_options(p, "hour", "db", "config")
    p.add_argument("--limit", type=int, default=20, metavar="N", help="rows to list (the counts cover all)")
    p.add_argument("--json", action="store_true", help="machine-readable")
    p.set_defaults(func=cmd_rejects, resolves_settings=True)
    return p


def cmd_rejects(args) -> int:
    from jobs.runner.rejects import format_rejects, hour_rejects, rejects_json
    from jobs.settings import SettingsError
    from jobs.runner.status import open_for_status

    settings = settings_from_args(args)
    hour = parse_hour_arg(args.hour, settings.timezone)
    if args.limit < 0:
        raise SettingsError("--limit must be 0 or more")
    listing = hour_rejects(open_for_status(settings.db_url, "rejects"), hour, args.limit)
    if listing.run is None and listing.total == 0:
        raise SettingsError(f"hour {args.hour} never ran ({local_time(hour, settings.timezone)}) in the "
                            f"{settings.db_url.split('://')[0]} database (see `issuewire status`)")
    print(json.dumps(rejects_json(listing, settings.timezone), ensure_ascii=False) if args.json
          else format_rejects(listing, settings.timezone))
    return 0
