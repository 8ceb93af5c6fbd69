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

import math
import pathlib
from typing import TextIO

import pandas as pd

from dictionaries.loader import DictionaryError

_HERE = pathlib.Path(__file__).resolve().parent


def default_influential_authors_path() -> pathlib.Path:
    return _HERE / "influential_authors.tsv"


def parse_influential_authors(handle: TextIO, path: str) -> pd.Series:
    weights: dict[str, float] = {}
    header_seen = False
    for number, raw in enumerate(handle, start=1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = line.split("\t")
        if not header_seen:
            if [f.strip() for f in fields] != ["author_id", "weight"]:
                raise DictionaryError(path, number, "header must be author_id<TAB>weight")
            header_seen = True
            continue
        if len(fields) > 2:
            raise DictionaryError(path, number, f"expected 2 fields, found {len(fields)}")
        author = fields[0].strip()
        if not author:
            raise DictionaryError(path, number, "empty author_id")
        if author in weights:
            raise DictionaryError(path, number, f"duplicate author_id {author!r}")
        text = fields[1].strip() if len(fields) > 1 else ""
        try:
            weight = float(text) if text else 1.0
        except ValueError:
            raise DictionaryError(path, number, f"weight {text!r} is not a number") from None
        if not math.isfinite(weight) or weight < 0:
            raise DictionaryError(path, number, f"weight {text!r} must be a finite number >= 0")
        weights[author] = weight
    return pd.Series(weights, dtype=float)


def load_influential_authors(path: str | pathlib.Path | None) -> pd.Series:
    """author_id -> weight; no path or a missing default file means nobody is influential."""
    if not path or not pathlib.Path(path).exists():
        return pd.Series(dtype=float)
    with open(path, encoding="utf-8") as handle:
        return parse_influential_authors(handle, str(path))
