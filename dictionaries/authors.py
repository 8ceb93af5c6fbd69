"""Influential authors: big blogs and outlets whose posts weigh more, within a cap.

    >>> from io import StringIO
    >>> parse_influential_authors(StringIO("author_id\\tweight\\nyna\\t2\\nblog77\\t\\n"), "x.tsv").to_dict()
    {'yna': 2.0, 'blog77': 1.0}

File (``dictionaries/influential_authors.tsv``, UTF-8): header ``author_id<TAB>weight``; weight
empty means 1.0; ``#`` comments and blank lines ignored. The detector adds the summed weights
of a keyword's distinct influential authors to its score, capped (``detect.influential_cap``)
so that one big blog cannot make an issue alone. Errors name the file and line.
"""
from __future__ import annotations

import pathlib
from typing import TextIO

import pandas as pd

from dictionaries.loader import DictionaryError
from dictionaries.tsv import TsvError, parse_weight, tsv_rows

_HERE = pathlib.Path(__file__).resolve().parent


def default_influential_authors_path() -> pathlib.Path:
    return _HERE / "influential_authors.tsv"


def parse_influential_authors(handle: TextIO, path: str) -> pd.Series:
    weights: dict[str, float] = {}
    try:
        for number, (author, weight) in tsv_rows(handle, path, [("author_id", "weight")]):
            author = author.strip()
            if not author:
                raise DictionaryError(path, number, "empty author_id")
            if author in weights:
                raise DictionaryError(path, number, f"duplicate author_id {author!r}")
            weights[author] = parse_weight(weight.strip(), path, number)
    except DictionaryError:
        raise
    except TsvError as exc:
        raise DictionaryError(exc.path, exc.line, exc.message) from None
    return pd.Series(weights, dtype=float)


def load_influential_authors(path: str | pathlib.Path | None) -> pd.Series:
    """author_id -> weight; no path or a missing default file means nobody is influential."""
    if not path or not pathlib.Path(path).exists():
        return pd.Series(dtype=float)
    with open(path, encoding="utf-8") as handle:
        return parse_influential_authors(handle, str(path))
