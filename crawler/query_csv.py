"""Query-count CSV files parsed by Arrow a block at a time, where Arrow's parse is the Python reader's.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "queries.csv"
    >>> _ = path.write_text("hour,query,count\\n2026-05-05T18:00+09:00,선물,3\\n,,\\n2026-05-05T18:00,꽃,1\\n"
    ...                     "2026-05-05T18:00+09:00,꽃,x,1\\n")
    >>> from crawler.ingest import read_query_counts
    >>> batch = read_query_counts([path])
    >>> batch.accepted["query"].tolist(), batch.rows_read, batch.rejects[["line", "reason"]].values.tolist()
    (['선물'], 3, [[4, "hour has no UTC offset (add one such as +09:00): '2026-05-05T18:00'"], [5, 'expected 3 CSV fields, found 4']])

:func:`crawler.ingest.read_query_counts` reads a plain CSV file (not gzipped, no field mapping)
whose header line is plain (no quote, no carriage return, UTF-8, unique names holding ``hour``,
``query`` and ``count``) with :func:`read_query_csv`: in blocks of about ``block_bytes`` ending
at a newline. A block without a quote, carriage return or NUL, in valid UTF-8, that
``pyarrow.csv`` parses into rows of the header's fields, is one row per line, each cell the text
between its commas, exactly as Python's ``csv`` reads it; its blank rows (every cell white space)
are skipped as that reader's are, :func:`crawler.validation.accept_query_texts` decides over its
columns which rows pass as they are, and only the others become records validated one by one.
Any other block (a field count that differs, bytes not UTF-8) goes through the Python reader,
and from a block with a quote or a carriage return on (a quoted field may hold a newline) the
rest of the file does: every reject keeps the line, reason and raw text of a read in Python.
"""
from __future__ import annotations

import csv
import io
from typing import Callable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from crawler.ingest import (MAX_RAW_CHARS, QUERY_BLOCK_BYTES, VALIDATE_ROWS, FileCount, _csv_data_rows, _Read,
                            _settle_chunk, _validate_chunk)
from crawler.validation import accept_query_counts, accept_query_texts

__all__ = ["QUERY_BLOCK_BYTES", "read_query_csv"]
_SPACE = "".join(chr(c) for c in range(0x3001) if chr(c).isspace())   # what str.strip() strips (none past U+3000)
_NOT_BLANK = "[^" + "".join("\\x{%x}" % ord(c) for c in _SPACE) + "]"


def _header(first: bytes) -> list[str] | None:
    """The header line's names if the Python reader reads it as plain commas and they are usable."""
    if not first.endswith(b"\n") or any(c in first for c in (b'"', b"\r", b"\x00")):
        return None
    try:
        header = [h.strip().lstrip("\ufeff") for h in first[:-1].decode("utf-8").split(",")]
    except UnicodeDecodeError:
        return None
    if len(set(header)) != len(header) or not {"hour", "query", "count"} <= set(header):
        return None
    return header


def read_query_csv(path: str, out: _Read, count: FileCount, samples: list, validate: Callable, sink: Callable,
                   limits, block_bytes: int = QUERY_BLOCK_BYTES) -> bool:
    """The rows of one query-count CSV file validated into ``sink`` (module docstring); False
    (nothing read) for a file whose header this does not vouch for."""
    with open(path, "rb") as fh:
        header = _header(fh.readline())
        if header is None:
            return False
        before = 1                                     # lines before the block
        while True:
            data = fh.read(max(1, block_bytes))
            if not data:
                return True
            if not data.endswith(b"\n"):
                data += fh.readline()
            if any(c in data for c in (b'"', b"\r")):    # a quoted field may span lines: Python from here
                rest = io.TextIOWrapper(io.BytesIO(data + fh.read()), encoding="utf-8", errors="surrogateescape",
                                        newline="")
                _python_rows(csv.reader(rest), header, before, path, out, count, samples, validate, sink)
                return True
            table = _arrow_rows(data, header)
            if table is None:
                text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="surrogateescape", newline="")
                _python_rows(csv.reader(text), header, before, path, out, count, samples, validate, sink)
            else:
                _arrow_block(table, header, before, path, out, count, samples, validate, sink, limits)
            before += data.count(b"\n")


def _arrow_rows(data: bytes, header: list[str]) -> pa.Table | None:
    """The block's rows, one a line, if Arrow reads them as Python's reader would; else None."""
    if b"\x00" in data:
        return None
    try:
        data.decode("utf-8")
        table = pacsv.read_csv(io.BytesIO(data), read_options=pacsv.ReadOptions(column_names=header,
                                                                              block_size=len(data) + 1),
                               parse_options=pacsv.ParseOptions(quote_char=False, double_quote=False,
                                                                escape_char=False, newlines_in_values=False,
                                                                ignore_empty_lines=False),
                               convert_options=pacsv.ConvertOptions(column_types={h: pa.string() for h in header},
                                                                    strings_can_be_null=False,
                                                                    quoted_strings_can_be_null=False))
    except (UnicodeDecodeError, pa.ArrowInvalid):
        return None
    return table if table.num_rows == data.count(b"\n") + (not data.endswith(b"\n")) else None


def _python_rows(reader, header, before, path, out, count, samples, validate, sink) -> None:
    chunk: list = []
    for item in _csv_data_rows(reader, header, before):
        chunk.append(item)
        if len(chunk) >= VALIDATE_ROWS:
            _validate_chunk(chunk, path, validate, accept_query_counts, "query", None, sink, out, count, samples)
            chunk = []
    if chunk:
        _validate_chunk(chunk, path, validate, accept_query_counts, "query", None, sink, out, count, samples)


def _arrow_block(table: pa.Table, header, before, path, out, count, samples, validate, sink, limits) -> None:
    columns = [table.column(h).combine_chunks() for h in header]
    blank = np.ones(table.num_rows, bool)
    for column in columns:
        blank &= ~pc.match_substring_regex(column, _NOT_BLANK).to_numpy(zero_copy_only=False)
    kept = np.flatnonzero(~blank)
    if len(kept) < table.num_rows:
        columns = [c.take(pa.array(kept)) for c in columns]
    lines = before + 1 + kept.astype(np.int64)
    out.rows += len(kept)
    count.rows += len(kept)
    at = {h: columns[i] for i, h in enumerate(header)}
    fast, values = accept_query_texts(at["hour"], at["query"], at["count"], limits)

    def slow():
        for i in np.flatnonzero(~fast).tolist():
            row = [c[i].as_py() for c in columns]
            rec = dict(zip(header, row))
            yield i, int(lines[i]), rec, ",".join(row)[:MAX_RAW_CHARS], rec

    _settle_chunk(fast, values, lines, slow(), path, validate, "query", sink, out, count, samples)
