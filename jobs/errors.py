"""The one exit-code table of every ``issuewire`` command, and the error kinds it is built on.

    >>> from dictionaries import DictionaryError
    >>> exit_code(DictionaryError("keywords.tsv", 3, "weight 'x' is not a number"))
    2
    >>> exit_code(ZeroDivisionError())            # not a named error: a bug
    1
    >>> [(row.code, row.name) for row in EXIT_CODES][:3]
    [(0, 'ok'), (1, 'bug'), (2, 'input')]

Every named error of every package inherits one kind from :mod:`keywords.errors` (re-exported
here); ``jobs.cli.main`` catches only those kinds and prints one line; anything else is a bug:
exit 1 with its traceback. ``docs/cli.md`` shows this table (``python docs/generate.py``).
"""
from __future__ import annotations

from dataclasses import dataclass

from keywords.errors import BusyError, DatabaseError, InputError, OutputError, UserError, kind_of

__all__ = ["UserError", "InputError", "DatabaseError", "OutputError", "BusyError", "ExitCode", "EXIT_CODES",
           "EXIT_OK", "EXIT_BUG", "EXIT_INPUT", "EXIT_DATABASE", "EXIT_PUBLISH", "EXIT_LOCKED",
           "EXIT_INTERRUPTED", "exit_code"]

EXIT_OK, EXIT_BUG, EXIT_INPUT, EXIT_DATABASE, EXIT_PUBLISH, EXIT_LOCKED, EXIT_INTERRUPTED = 0, 1, 2, 3, 4, 5, 130


@dataclass(frozen=True)
class ExitCode:
    """One row of the table: the code, a short name, what it means and the error kind that gives it."""

    code: int
    name: str
    meaning: str
    kind: type[UserError] | None = None


EXIT_CODES: tuple[ExitCode, ...] = (
    ExitCode(EXIT_OK, "ok", "done (`crawl`: the pass ran; URLs that failed are held back for the next pass)"),
    ExitCode(EXIT_BUG, "bug", "an unexpected error, not a user error: its traceback follows on stderr "
                              "(please report it); a run that had not published leaves the previous feed"),
    ExitCode(EXIT_INPUT, "input", "bad input, nothing published: an input file (named with its line), the "
                                  "dictionary, stopwords, the override file, the title blocklist, the sources "
                                  "file, a flag (including argparse's own errors), a setting, the recommender's "
                                  "data or model folder", InputError),
    ExitCode(EXIT_DATABASE, "database", "the database is unreachable or refused a write (the run database or "
                                        "the crawl schedule); nothing published", DatabaseError),
    ExitCode(EXIT_PUBLISH, "publish", "the work is recorded but not all of it went out: Redis or the feed file "
                                      "(the previous feed stays; the next run re-publishes), a recommendation "
                                      "export, or `crawl --fail-on-errors` with URLs that failed", OutputError),
    ExitCode(EXIT_LOCKED, "locked", "another run (or crawl) holds the lock, or took it over from this one; this "
                                    "one stopped without publishing", BusyError),
    ExitCode(EXIT_INTERRUPTED, "interrupted", "stopped by Ctrl-C (SIGINT); an hour in progress is not published"),
)


def exit_code(error: BaseException | type[BaseException]) -> int:
    """The exit code of an error (or error class): its kind's row of :data:`EXIT_CODES`, else 1 (a bug)."""
    kind = kind_of(error)
    return next((row.code for row in EXIT_CODES if row.kind is kind and kind is not None), EXIT_BUG)
