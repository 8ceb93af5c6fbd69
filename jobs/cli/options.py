"""The options every command spells the same way, the hour and time parsers, and the one settings resolution.

    >>> parser = argparse.ArgumentParser(prog="issuewire demo-command")
    >>> add_options(parser, "hour", "db", "redis", "config")
    >>> args = parser.parse_args(["--hour", "2026-05-05T18:00", "--db", "sqlite:///x.sqlite"])
    >>> settings = settings_from_args(args, environ={"ISSUEWIRE_REDIS_PREFIX": "portal"})
    >>> settings.db_url, settings.redis_prefix
    ('sqlite:///x.sqlite', 'portal')
    >>> hour = parse_hour_arg(args.hour, settings.timezone)
    >>> hour.isoformat(), local_time(hour, settings.timezone)
    ('2026-05-05T09:00:00+00:00', '2026-05-05 18:00+09:00')
    >>> try:
    ...     parse_hour_arg("2026-05-05", "Asia/Seoul")
    ... except SettingsError as error:
    ...     print(error)
    --hour '2026-05-05' is a date, not an hour: give the hour, e.g. 2026-05-05T18:00 (Asia/Seoul time unless an offset such as +09:00 is given)

A command registers the shared options with :func:`add_options` (so ``--db``, ``--redis``,
``--redis-prefix``, ``--feed-file``, ``--config``, ``--hour``, ``--from``/``--to`` have one
spelling, one destination and one help text everywhere) and resolves them with
:func:`settings_from_args`: flags > environment ``ISSUEWIRE_*`` > the ``--config`` file >
defaults (``jobs.settings``). An old spelling stays accepted, hidden from ``--help``, through
:func:`add_deprecated_alias`: it prints one warning line and stores into the new option.
"""
from __future__ import annotations

import argparse
import os
import re
import sys
from typing import Any, Mapping

import pandas as pd

from jobs.settings import Settings, SettingsError, resolve_settings

__all__ = ["add_options", "add_deprecated_alias", "settings_from_args", "parse_hour_arg", "parse_time_arg",
           "local_time", "posts_mapping_help", "SETTING_FLAGS", "OPTIONS"]

#: Namespace attributes that are settings (``jobs.settings.Settings`` fields) when a command has them.
SETTING_FLAGS = ("posts_mapping", "dictionary", "stopwords", "overrides", "db_url", "redis_url",
                 "redis_prefix", "feed_file", "crawl_sources", "timezone", "max_catchup_hours")

_LOCAL = "local time of the `timezone` setting (Asia/Seoul unless configured) unless an offset such as +09:00 is given"

#: name -> (flags, argparse keywords): the one spelling, destination and help of each shared option.
OPTIONS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "hour": (("--hour",), dict(required=True, metavar="HOUR",
                               help=f"the hour, ISO 8601, e.g. 2026-05-05T18:00: {_LOCAL}")),
    "from": (("--from",), dict(dest="start", required=True, metavar="HOUR",
                               help=f"first hour of the range, e.g. 2026-05-04T00:00: {_LOCAL}")),
    "to": (("--to",), dict(dest="end", required=True, metavar="HOUR",
                           help=f"last hour of the range (included), e.g. 2026-05-04T23:00: {_LOCAL}")),
    "db": (("--db",), dict(dest="db_url", metavar="URL",
                           help="database URL of the runs, e.g. sqlite:///issuewire.sqlite or "
                                "postgresql://user@host/db")),
    "redis": (("--redis",), dict(dest="redis_url", metavar="URL",
                                 help="Redis URL, e.g. redis://127.0.0.1:6379/0; without it the feed goes to "
                                      "the file only (feed versions name the hour in UTC)")),
    "redis-prefix": (("--redis-prefix",), dict(dest="redis_prefix", metavar="PREFIX",
                                               help="prefix of every Redis key")),
    "feed-file": (("--feed-file",), dict(dest="feed_file", metavar="PATH",
                                         help="JSON feed path; {hour} becomes YYYYMMDDTHH of the hour in local time")),
    "config": (("--config",), dict(metavar="FILE",
                                   help="TOML config file (also ISSUEWIRE_CONFIG); see docs/configuration.md")),
    "timezone": (("--timezone",), dict(metavar="ZONE",
                                       help="IANA zone of times without an offset and of times shown, "
                                            "e.g. Asia/Seoul")),
}


def add_options(parser: argparse.ArgumentParser, *names: str, **changes: Any) -> None:
    """Register the shared options ``names`` (keys of :data:`OPTIONS`) on ``parser``.

    ``changes`` maps a name to argparse keywords that differ for this command, e.g.
    ``hour={"required": False}``.
    """
    for name in names:
        flags, kwargs = OPTIONS[name]
        parser.add_argument(*flags, **{**kwargs, **changes.get(name.replace("-", "_"), {})})


def posts_mapping_help() -> str:
    """Help of ``--posts-mapping``: the names it takes."""
    from crawler.mappings import POST_MAPPINGS

    return ("field mapping of the post files: " + ", ".join(sorted({"contract", *POST_MAPPINGS}))
            + " (default: the contract's own field names)")


class _DeprecatedAlias(argparse.Action):
    """Stores into the new option's destination and warns once on stderr."""

    def __init__(self, option_strings, dest, new: str = "", **kwargs):
        self.new = new
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None):
        print(f"issuewire: warning: {option_string} is deprecated, use {self.new}", file=sys.stderr)
        setattr(namespace, self.dest, self.const if self.nargs == 0 else values)


def add_deprecated_alias(parser: argparse.ArgumentParser, old: str, new: str, **kwargs: Any) -> None:
    """Accept ``old`` as a hidden spelling of the already registered option ``new``."""
    target = next(a for a in parser._actions if new in a.option_strings)
    parser.add_argument(old, dest=target.dest, action=_DeprecatedAlias, new=new, nargs=target.nargs,
                        const=target.const, type=target.type, choices=target.choices, metavar=target.metavar,
                        default=argparse.SUPPRESS, help=argparse.SUPPRESS, **kwargs)


def settings_from_args(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> Settings:
    """The run's settings: the flags ``args`` has (see :data:`SETTING_FLAGS`) > ``environ`` (default
    ``os.environ``) > ``args.config`` or ``ISSUEWIRE_CONFIG`` > defaults. Flags left at None are not given."""
    from jobs.engine import engine_flags

    flags = {k: getattr(args, k, None) for k in SETTING_FLAGS}
    flags.update(engine_flags(args))                  # --engine / --spark-master: the [engine] table
    return resolve_settings(flags, os.environ if environ is None else environ, getattr(args, "config", None))


_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?P<time>[T ]\d{2}(:\d{2}(:\d{2}(\.\d+)?)?)?)?"
                  r"(?P<offset>Z|[+-]\d{2}(:?\d{2})?)?")


def parse_time_arg(text: str, timezone: str, option: str = "--now") -> pd.Timestamp:
    """A point in time from the command line, ISO 8601 with at least the hour; UTC out.

    Without an offset it is local time in ``timezone``. A bare date, a word such as
    ``yesterday`` or a zone abbreviation such as ``KST`` is an error that says what to give.
    """
    example = "e.g. 2026-05-05T18:00"
    where = f"{timezone} time unless an offset such as +09:00 is given"
    match = _ISO.fullmatch(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise SettingsError(f"{option} {text!r} is not a time: give ISO 8601, {example} ({where}) "
                            f"or 2026-05-05T18:00+09:00")
    if not match.group("time"):
        raise SettingsError(f"{option} {text!r} is a date, not an hour: give the hour, {example} ({where})")
    try:
        ts = pd.Timestamp(text.strip())
    except ValueError as exc:
        raise SettingsError(f"{option} {text!r} is not a valid time ({exc}): give ISO 8601, {example}") from None
    if ts.tzinfo is None:
        try:
            ts = ts.tz_localize(timezone)
        except Exception as exc:  # noqa: BLE001 - a non-existent or ambiguous local time at a DST change
            raise SettingsError(f"{option} {text!r} does not exist or is ambiguous in {timezone} ({exc}): "
                                f"give an offset, e.g. {text}+09:00") from None
    return ts.tz_convert("UTC")


def parse_hour_arg(text: str, timezone: str, option: str = "--hour") -> pd.Timestamp:
    """An hour from the command line (see :func:`parse_time_arg`); it must be on the hour. UTC out."""
    ts = parse_time_arg(text, timezone, option)
    if ts != ts.floor("h"):
        raise SettingsError(f"{option} {text!r} is not on the hour: give a whole hour, e.g. "
                            f"{ts.tz_convert(timezone).floor('h').strftime('%Y-%m-%dT%H:%M')}")
    return ts


def local_time(ts: pd.Timestamp, timezone: str) -> str:
    """How a time is shown to a user: local, to the minute, with its offset (``2026-05-05 18:00+09:00``)."""
    local = pd.Timestamp(ts).tz_convert(timezone)
    offset = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M}{offset[:3]}:{offset[3:]}"
