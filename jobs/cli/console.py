"""``issuewire console``: the editors' web console (docs/console.md).

    >>> parser = argparse.ArgumentParser(prog="issuewire")
    >>> _ = add_console_command(parser.add_subparsers(dest="command"))
    >>> args = parser.parse_args(["console", "--db", "sqlite:///issuewire.sqlite", "--port", "8400"])
    >>> args.db_url, args.host, args.port, args.func.__name__
    ('sqlite:///issuewire.sqlite', '127.0.0.1', 8400, 'run_console_command')

    $ issuewire console --db sqlite:///issuewire.sqlite --overrides overrides.toml --users console-users.toml
    $ issuewire console --hash-password < password.txt      # a line for the users file

``--host``/``--port`` default to 127.0.0.1:8321; ``--config`` is the run's TOML config (the
console re-runs an hour with it: Redis, feed file). Errors at start (a bad users file, an
unreachable database) are one line and exit 2 or 3, as for every command.
"""
from __future__ import annotations

import argparse
import getpass
import sys

from jobs.cli.options import add_options, settings_from_args

__all__ = ["add_console_command", "run_console_command"]


def add_console_command(subparsers) -> argparse.ArgumentParser:
    """Register ``console`` on an argparse subparsers object."""
    p = subparsers.add_parser("console", help="the editors' web console: watch the hour, preview and save overrides")
    add_options(p, "db", "config", "redis", "redis-prefix", "feed-file",
                config={"help": "the run's TOML config file: the console re-runs an hour with the run's settings"})
    p.add_argument("--overrides", metavar="FILE",
                   help="override file (TOML) the console edits (default: the one the newest run used)")
    p.add_argument("--users", dest="users", metavar="FILE",
                   help="console users/access file (TOML, see docs/console.md)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on")
    p.add_argument("--port", type=int, default=8321, help="port to listen on")
    p.add_argument("--hash-password", action="store_true",
                   help="read a password (stdin or prompt), print its hash for the users file, and exit")
    p.set_defaults(func=run_console_command, resolves_settings=True)
    return p


def run_console_command(args) -> int:
    from jobs.console.access import hash_password, load_console_config
    from jobs.console.app import check_overrides_path, create_app, serve
    from jobs.settings import SettingsError

    if args.hash_password:
        password = getpass.getpass("password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
        if not password:
            raise SettingsError("--hash-password: empty password")
        print(hash_password(password))
        return 0
    check_overrides_path(args.overrides)             # a ConsoleConfigError is an input error (exit 2)
    settings = settings_from_args(args)
    config = load_console_config(args.users)
    if config.auth == "password" and not config.users:
        print("issuewire: warning: no users configured (--users FILE): nobody can log in", file=sys.stderr)
    app = create_app(settings, config, args.overrides)
    print(f"issuewire console on http://{args.host}:{args.port}/ (database {settings.db_url.split('@')[-1]})",
          file=sys.stderr, flush=True)
    serve(app, args.host, args.port)
    return 0
