"""The one reader of the operators' tab-separated files (keyword dictionary, influential authors).

    >>> from io import StringIO
    >>> text = "# comment\\nkeyword\\tweight\\n임재범\\t2\\n\\n나가수\\n"
    >>> [(n, fields) for n, fields in tsv_rows(StringIO(text), "x.tsv", [("keyword", "weight")])]
    [(3, ['임재범', '2']), (5, ['나가수', ''])]
    >>> parse_weight("1.5", "x.tsv", 3), parse_weight("", "x.tsv", 3)
    (1.5, 1.0)

Rules: UTF-8; blank lines and lines starting with ``#`` are skipped; the first other line is the
header and must be one of ``headers`` (names compared trimmed and lower-case); a row may leave
out trailing fields (they read as ``""``) but never has more fields than the header. Every
problem is a :class:`dictionaries.loader.DictionaryError` naming the file and line.
"""
from __future__ import annotations

import math
from typing import Iterator, Sequence, TextIO

from keywords.errors import InputError


class TsvError(InputError, ValueError):
    """A malformed line of an operator's file: ``str(e) == f"{path}:{line}: {message}"``."""

    def __init__(self, path, line, message):
        self.path, self.line, self.message = str(path), line, message
        super().__init__(f"{self.path}:{line}: {message}")


def tsv_rows(handle: TextIO, path: str, headers: Sequence[tuple[str, ...]]) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields padded to the header's width) of every data row; the header is checked
    against ``headers`` (the accepted column lists, e.g. with and without an optional last column)."""
    width = 0
    for number, raw in enumerate(handle, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split("\t")
        if not width:
            names = tuple(f.strip().lower() for f in fields)
            if names not in [tuple(h) for h in headers]:
                wanted = " or ".join("<TAB>".join(h) for h in headers)
                raise TsvError(path, number, f"header must be {wanted}, got {line!r}")
            width = len(names)
            continue
        if len(fields) > width:
            raise TsvError(path, number, f"{len(fields)} columns, the header has {width}")
        yield number, fields + [""] * (width - len(fields))
    if not width:
        raise TsvError(path, 1, "missing header " + "<TAB>".join(headers[0]))


def parse_weight(text, path: str, line: int) -> float:
    """A weight column: empty means 1.0; else a finite number >= 0."""
    if text is None or (isinstance(text, str) and not text.strip()):
        return 1.0
    try:
        value = float(text)
    except (TypeError, ValueError):
        raise TsvError(path, line, f"weight {text!r} is not a number") from None
    if not math.isfinite(value) or value < 0:
        raise TsvError(path, line, f"weight {text!r} must be a finite number >= 0")
    return value
