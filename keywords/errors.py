"""The kinds of error a user can cause: the base class of every named error of every package.

    >>> class DictionaryError(InputError):
    ...     '''a bad line of the keyword dictionary'''
    >>> error = DictionaryError("keywords.tsv:3: weight 'x' is not a number")
    >>> isinstance(error, UserError), kind_of(error).__name__
    (True, 'InputError')
    >>> kind_of(KeyError("a bug")) is None
    True

A named error inherits the kind that says what the user has to fix: :class:`InputError` (a
file, a flag, a setting), :class:`DatabaseError` (the database is unreachable or refused a
write), :class:`OutputError` (publishing or exporting failed after the work was done) or
:class:`BusyError` (another process holds the lock). The command line turns each kind into
one line on stderr and its exit code (the table is ``jobs.errors.EXIT_CODES``); any other
exception is a bug and keeps its traceback.

This module lives in ``keywords``, the lowest layer, so that every package may import it
(``tests/test_layers.py``), and it imports nothing, so it adds nothing to any import.
"""
from __future__ import annotations

__all__ = ["UserError", "InputError", "DatabaseError", "OutputError", "BusyError", "KINDS", "kind_of"]


class UserError(Exception):
    """An error the user can fix; ``str(e)`` is the whole message, one line, naming the file or option."""


class InputError(UserError):
    """Bad input: a file (named with its line), the dictionary, the override file, a flag or a setting."""


class DatabaseError(UserError):
    """The database is unreachable or refused a write; nothing was published."""


class OutputError(UserError):
    """The work is done and recorded, but publishing it (Redis, a file, an export) or part of it failed."""


class BusyError(UserError):
    """Another process holds the lock (or took it over from this one); this one stopped."""


KINDS: tuple[type[UserError], ...] = (InputError, DatabaseError, OutputError, BusyError)


def kind_of(error: BaseException | type[BaseException]) -> type[UserError] | None:
    """The first kind in the class hierarchy (MRO) of an error or error class, or None for a bug.

    A class that is two kinds is the one it names first: ``class ExportError(OutputError,
    RecommenderError)`` is an output error even though every RecommenderError is an input error.
    """
    for cls in (error if isinstance(error, type) else type(error)).__mro__:
        if cls in KINDS:
            return cls
    return None
