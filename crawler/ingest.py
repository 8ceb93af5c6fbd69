"""Ingest: read post and query-count files, validate every row, keep the bad ones with a reason.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "posts.jsonl").write_text(
    ...     '{"post_id": "p1", "channel": "news", "author_id": "a1", "title": "임재범 컴백", "body": "",'
    ...     ' "published_at": "2026-02-19T16:10:00+09:00", "url": "javascript:alert(1)"}\\n{"post_id": 2}\\n')
    >>> batch = read_posts([folder / "posts.jsonl"])
    >>> batch.summary, batch.rejects["reason"].tolist(), batch.dropped["reason"].tolist()
    ({'read': 2, 'accepted': 1, 'rejected': 1}, ["missing field 'channel'"], ["url dropped: scheme 'javascript' is not http(s)"])
    >>> check_files(batch, "posts", min_accepted_share=0.5)        # 1 of 2 rows: enough
    >>> hour_posts = posts_in_hour(batch.accepted, pd.Timestamp("2026-02-19T16:00+09:00"))
    >>> hour_posts["post_id"].tolist(), hour_posts["url"].tolist()
    (['p1'], [''])

Files are JSONL (``.jsonl``, ``.json``, ``.ndjson``), CSV (``.csv``), Parquet (``.parquet``),
optionally gzipped (``.gz``), or folders holding such files. A row that fails validation goes
to the rejects with ``source`` (file), ``line`` (1-based line, or row number for Parquet),
``reason`` and the ``raw`` text; it never stops the run, whatever it holds (broken UTF-8 or
JSON, JSON nested thousands deep, numbers of thousands of digits, NUL characters, lone
surrogates). A file that cannot be read at all raises :class:`IngestError` naming the file.
:func:`check_files` is the hour's check of a whole read: a file with no accepted row, or with
fewer than ``min_accepted_share`` of its rows valid, raises :class:`InputFileError` whose one
line names the file and its top reject reasons; the caller then publishes nothing.

Rows are validated a chunk (:data:`VALIDATE_ROWS`) at a time: the chunk's columns decide, with
Arrow compute and ``pandas.to_datetime``, which rows certainly pass every rule as they are
(:func:`crawler.validation.accept_posts`); only the others go through the per-row validation,
so every reject, its line and raw text come from the same code as ever.

The field rules (ids, channel names, URLs, what every database can store) are in
:mod:`issues.field_rules`; docs/input-validation.md lists them with every reason and setting.
Field mappings (``mapping=``) turn another source's fields into the Post contract in one
declared place; see :mod:`crawler.mappings`.
"""
from __future__ import annotations

import csv
import functools
import gzip
import io
import json
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from itertools import repeat
from typing import Any, Callable, Iterable, Iterator

import numpy as np
import pandas as pd

from issues.field_rules import RowError, reason_group, show, storable, storable_limits
from crawler.validation import (accept_posts, accept_query_counts, parse_timestamp, validate_post,
                                validate_query_count)
from keywords.errors import InputError

POST_COLUMNS = [
    "post_id", "channel", "author_id", "title", "body", "published_at",
    "url", "recommend_count", "editor_score", "source",
]
REQUIRED_POST_FIELDS = ("post_id", "channel", "author_id", "title", "body", "published_at")
QUERY_COLUMNS = ["hour", "query", "count"]
REJECT_COLUMNS = ["kind", "source", "line", "reason", "raw"]
MAX_RAW_CHARS = 2000
MAX_REASON_CHARS = 500
SAMPLE_ROWS = 20                        # rejected records kept per file to suggest a mapping
VALIDATE_ROWS = 20_000                  # raw rows validated together over their columns
FILE_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".parquet")
QUERY_BLOCK_BYTES = 16 << 20            # query-count CSV bytes parsed by Arrow at a time
__all__ = ["IngestError", "InputFileError", "RowError", "IngestSettings", "IngestBatch", "read_posts",
           "read_query_counts", "check_files", "validate_post", "validate_query_count", "posts_in_hour",
           "queries_in_hour", "expand_paths", "iter_raw_rows", "parse_timestamp"]


class IngestError(InputError):
    """A whole input file cannot be read; ``str(e)`` names the file and why."""

    def __init__(self, path: str | Path, reason: str):
        self.path, self.reason = str(path), reason
        super().__init__(f"{path}: {reason}")

    def __reduce__(self):               # raised in a worker process, re-raised in the reader
        return (IngestError, (self.path, self.reason))


class InputFileError(IngestError):
    """Files were read but (almost) none of their rows are valid: one line naming them and why.

    ``problems`` holds ``(path, sentence)`` per failing file; the message shows the first three.
    """

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        more = f" | and {len(problems) - 3} more file(s)" if len(problems) > 3 else ""
        self.path, self.reason = problems[0][0], " | ".join(text for _, text in problems[:3]) + more
        Exception.__init__(self, self.reason)

    def __reduce__(self):
        return (InputFileError, (self.problems,))


@dataclass(frozen=True)
class IngestSettings:
    """The ``[ingest]`` settings of a run (docs/input-validation.md): the file check's share (a file
    with no valid row always fails), the cuts of accepted texts, and which channels a pin may name."""

    min_accepted_share: float = 0.5    # a file with fewer valid rows than this share fails the run
    title_chars: int = 300             # accepted titles are cut to this: matching, titling, bundles, store, feed
    body_chars: int = 20_000           # accepted bodies are cut to this
    channels: tuple[str, ...] = ()     # channels that always exist (for pins)
    channel_days: int = 30             # a channel with posts in the stored activity of this many days exists

    def __post_init__(self):
        if not 0.0 <= self.min_accepted_share <= 1.0:
            raise ValueError(f"min_accepted_share must be in [0, 1], got {self.min_accepted_share}")
        if self.title_chars < 10 or self.body_chars < 10:
            raise ValueError("title_chars and body_chars must be at least 10")


@dataclass
class FileCount:
    rows: int = 0            # non-blank rows read
    valid: int = 0           # rows that passed validation (a later duplicate post_id is still valid)


@dataclass
class IngestBatch:
    """Validated rows plus rejects and counts of one read.

    ``dropped`` lists fields taken out of accepted rows (a post's non-http URL), in the rejects'
    columns; ``per_file`` counts rows and valid rows of each file; ``samples`` keeps the first
    rejected records of each file (to suggest a mapping).
    """

    accepted: pd.DataFrame
    rejects: pd.DataFrame
    rows_read: int = 0
    files: list[str] = field(default_factory=list)
    dropped: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=REJECT_COLUMNS))
    per_file: dict[str, FileCount] = field(default_factory=dict)
    samples: dict[str, list] = field(default_factory=dict)
    mapped: list | None = None           # read_posts(map_chunk=...): the map's result per chunk

    @property
    def summary(self) -> dict[str, int]:
        return {"read": self.rows_read, "accepted": len(self.accepted), "rejected": len(self.rejects)}


def top_reasons(rejects: pd.DataFrame, n: int = 3) -> list[tuple[str, int, str, int]]:
    """``(reason kind, count, first source, first line)`` of the ``n`` commonest kinds.

    >>> frame = pd.DataFrame({"source": ["a.csv"] * 3, "line": [4, 2, 3],
    ...                       "reason": ["invalid JSON: x", "missing field 'title'", "invalid JSON: y"]})
    >>> top_reasons(frame)
    [('invalid JSON', 2, 'a.csv', 3), ("missing field 'title'", 1, 'a.csv', 2)]
    """
    if rejects is None or rejects.empty:
        return []
    groups = rejects.assign(group=rejects["reason"].map(reason_group), line=rejects["line"].astype(int))
    groups = groups.sort_values(["source", "line"], kind="stable")
    counts = groups.groupby("group", sort=False).agg(count=("line", "size"), source=("source", "first"),
                                                     line=("line", "first"))
    counts = counts.sort_values("count", ascending=False, kind="stable").head(n)
    return [(g, int(c), str(src), int(line))
            for g, c, src, line in zip(counts.index, counts["count"], counts["source"], counts["line"])]


def describe_reasons(rejects: pd.DataFrame, n: int = 3, where: bool = False) -> str:
    """``missing field 'author_id' ×179 (first at line 2); ...`` (with the file when ``where``)."""
    return "; ".join(f"{g} ×{c} (first at {source + ':' if where else 'line '}{line})"
                     for g, c, source, line in top_reasons(rejects, n))


# ---------------------------------------------------------------- raw rows out of files
def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files in the order given; folders expand to their data files, sorted."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and _data_suffix(f)))
        elif p.exists():
            if not _data_suffix(p):
                raise IngestError(p, f"unknown file type; expected one of {', '.join(FILE_SUFFIXES)} (optionally .gz)")
            out.append(p)
        else:
            raise IngestError(p, "file not found")
    return out


def _data_suffix(p: Path) -> str | None:
    suffixes = [s.lower() for s in p.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes and suffixes[-1] in FILE_SUFFIXES else None


def iter_raw_rows(path: Path) -> Iterator[tuple[int, Any, str]]:
    """Yield ``(line, record_or_error, raw_text)``; a record that could not be decoded is a RowError."""
    kind = _data_suffix(path)
    try:
        if kind == ".parquet":
            frame = pd.read_parquet(path)
            for i, rec in enumerate(frame.to_dict("records"), start=1):
                yield i, rec, ""
            return
        opener = gzip.open if path.suffix.lower() == ".gz" else open
        with opener(path, "rb") as fh:
            if kind == ".csv":
                yield from _csv_rows(path, fh)
            else:
                yield from _jsonl_rows(fh)
    except (OSError, EOFError, gzip.BadGzipFile, ValueError) as exc:
        if isinstance(exc, RowError):
            raise
        raise IngestError(path, f"cannot be read: {exc}") from None


def _not_utf8(raw: bytes, at: int) -> RowError:
    try:
        raw.decode("cp949")
        hint = " — CP949/EUC-KR? save the file as UTF-8"
    except UnicodeDecodeError:
        hint = ""
    return RowError(f"invalid UTF-8{hint}: at byte {at}")


def _jsonl_rows(fh) -> Iterator[tuple[int, Any, str]]:
    """``(line, record_or_error, raw_text)`` of the lines of a binary file (or a block of one:
    :mod:`crawler.post_blocks` numbers from the block's first line)."""
    for lineno, raw in enumerate(fh, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield lineno, _not_utf8(raw, exc.start), raw[:MAX_RAW_CHARS].decode("utf-8", "replace")
            continue
        if not text.strip():
            continue
        try:
            rec = json.loads(text)
        except json.JSONDecodeError as exc:
            message = exc.msg.removesuffix(" at")        # "Invalid control character at"
            rec = RowError(f"invalid JSON: {message} at column {exc.colno}")
        except RecursionError:
            rec = RowError("invalid JSON: nested too deeply")
        except ValueError as exc:          # e.g. an integer of more than 4,300 digits
            rec = RowError(f"invalid JSON: {str(exc).split(';')[0]}")
        if not isinstance(rec, (dict, RowError)):
            rec = RowError("a line must hold one JSON object")
        yield lineno, rec, text[:MAX_RAW_CHARS].rstrip("\n")


def _csv_rows(path: Path, fh) -> Iterator[tuple[int, Any, str]]:
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 26))      # a 1M-character title is a row, not an error
    text = io.TextIOWrapper(fh, encoding="utf-8", errors="surrogateescape", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        return
    except csv.Error as exc:
        raise IngestError(path, f"line 1: the CSV header cannot be read: {exc}") from None
    header = [h.strip().lstrip("\ufeff") for h in header]
    if any(_has_surrogates(h) for h in header):
        raise IngestError(path, "line 1: the CSV header is not UTF-8" + str(_not_utf8(
            ",".join(header).encode("utf-8", "surrogateescape"), 0)).split(":")[0][len("invalid UTF-8"):])
    if len(set(header)) != len(header):
        raise IngestError(path, "line 1: duplicate column names in the CSV header")
    yield from _csv_data_rows(reader, header)


def _csv_data_rows(reader, header: list[str], before: int = 0) -> Iterator[tuple[int, Any, str]]:
    """The rows of a CSV reader past the header; its lines are the file's after ``before`` lines."""
    start = reader.line_num + 1
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            line, start = start, reader.line_num + 1
            yield before + line, RowError(f"invalid CSV: {exc}"), ""
            continue
        line, start = start, reader.line_num + 1
        line += before
        joined = ",".join(row)
        raw = joined[:MAX_RAW_CHARS]
        if not joined.replace(",", "").strip() and not any(cell.strip() for cell in row):
            continue
        if _has_surrogates(joined):               # a cell not UTF-8 (the commas are ASCII)
            data = joined.encode("utf-8", "surrogateescape")
            yield line, _not_utf8(data, len(data) - len(data.lstrip(bytes(range(128))))), \
                raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            continue
        if len(row) != len(header):
            yield line, RowError(f"expected {len(header)} CSV fields, found {len(row)}"), raw
            continue
        yield line, dict(zip(header, row)), raw


def _has_surrogates(s: str) -> bool:
    try:
        s.encode("utf-8")
        return False
    except UnicodeEncodeError:
        return True


# ---------------------------------------------------------------- whole reads
def _dump(rec: Any) -> str:
    try:
        return json.dumps(rec, ensure_ascii=False, default=str)[:MAX_RAW_CHARS]
    except (ValueError, TypeError, RecursionError):
        return f"<{type(rec).__name__} that cannot be shown>"


def reject_record(kind: str, source: str, line: int, reason: str, raw: str) -> dict:
    """A row of the rejects, storable by every backend (NUL and lone surrogates replaced)."""
    return {"kind": kind, "source": source, "line": int(line), "reason": storable(reason[:MAX_REASON_CHARS]),
            "raw": storable(raw[:MAX_RAW_CHARS])}


@dataclass
class _Read:
    good: list[dict] = field(default_factory=list)
    bad: list[dict] = field(default_factory=list)
    dropped: list[dict] = field(default_factory=list)
    rows: int = 0
    files: list[str] = field(default_factory=list)
    per_file: dict[str, FileCount] = field(default_factory=dict)
    samples: dict[str, list] = field(default_factory=dict)


def _read(paths, validate: Callable[[dict], dict], kind: str, mapping: Callable[[dict], dict] | None = None,
          sink: Callable[[dict, _Read], None] | None = None) -> _Read:
    """Every row of the files validated; good rows go to ``sink(row, read)`` if given, else to ``read.good``."""
    out = _Read(files=[str(p) for p in expand_paths(paths)])
    for path in out.files:
        count = out.per_file[path] = FileCount()
        samples = out.samples[path] = []
        for line, rec, raw in iter_raw_rows(Path(path)):
            out.rows += 1
            count.rows += 1
            try:
                if isinstance(rec, RowError):
                    raise rec
                row = validate(_mapped(mapping, rec))
            except RowError as exc:
                out.bad.append(reject_record(kind, path, line, str(exc), raw or _dump(rec)))
                if isinstance(rec, dict) and len(samples) < SAMPLE_ROWS:
                    samples.append(rec)
                continue
            count.valid += 1
            note = row.pop("_dropped", None)
            if note:
                out.dropped.append(reject_record("url", path, line, note, raw or _dump(rec)))
            row["_source_file"], row["_line"] = path, line
            if sink is None:
                out.good.append(row)
            else:
                sink(row, out)
    return out


def _read_chunks(paths, validate: Callable[[dict], dict], accept: Callable[[list], tuple], kind: str,
                 mapping: Callable[[dict], dict] | None, sink: Callable[[dict, str], None],
                 chunk_rows: int | None = None, read_file: Callable[..., bool] | None = None) -> _Read:
    """:func:`_read` deciding over a chunk's columns first: ``accept(records)`` returns which records
    certainly pass ``validate`` as they are and their validated columns; only the others go through
    ``validate`` one by one (so every reject is made by the same code as in :func:`_read`). ``sink``
    receives each chunk's valid rows as columns in line order (with ``_line``) and the file.
    ``read_file(path, read, count, samples)`` may read a file another way (True: it did)."""
    chunk_rows = chunk_rows or VALIDATE_ROWS
    out = _Read(files=[str(p) for p in expand_paths(paths)])
    for path in out.files:
        count = out.per_file[path] = FileCount()
        samples = out.samples[path] = []
        if read_file is not None and read_file(path, out, count, samples):
            continue
        chunk: list[tuple[int, Any, str]] = []
        for item in iter_raw_rows(Path(path)):
            chunk.append(item)
            if len(chunk) >= chunk_rows:
                _validate_chunk(chunk, path, validate, accept, kind, mapping, sink, out, count, samples)
                chunk = []
        if chunk:
            _validate_chunk(chunk, path, validate, accept, kind, mapping, sink, out, count, samples)
    return out


def _validate_chunk(chunk, path, validate, accept, kind, mapping, sink, out: _Read, count: FileCount,
                    samples: list) -> None:
    out.rows += len(chunk)
    count.rows += len(chunk)
    recs = []
    for _, rec, _ in chunk:
        if mapping is not None and not isinstance(rec, RowError):
            try:
                rec = _mapped(mapping, rec)
            except RowError as exc:
                rec = exc
        recs.append(rec)
    fast, columns = accept(recs)
    lines = np.fromiter((line for line, _, _ in chunk), np.int64, len(chunk))
    slow = ((i, *chunk[i], recs[i]) for i in np.flatnonzero(~fast).tolist())
    _settle_chunk(fast, columns, lines, slow, path, validate, kind, sink, out, count, samples)


def _settle_chunk(fast: np.ndarray, columns: dict, lines: np.ndarray, slow: Iterable[tuple], path, validate, kind,
                  sink, out: _Read, count: FileCount, samples: list) -> None:
    """A chunk's rows ``accept`` passed (``fast``, their ``columns``) joined in line order by the
    others validated one by one: ``slow`` gives ``(position, line, record, raw, mapped record)``."""
    slow_rows: list[dict] = []
    slow_at: list[int] = []
    for i, line, rec, raw, mapped_rec in slow:
        try:
            if isinstance(mapped_rec, RowError):
                raise mapped_rec
            row = validate(mapped_rec)
        except RowError as exc:
            out.bad.append(reject_record(kind, path, line, str(exc), raw or _dump(rec)))
            if isinstance(rec, dict) and len(samples) < SAMPLE_ROWS:
                samples.append(rec)
            continue
        note = row.pop("_dropped", None)
        if note:
            out.dropped.append(reject_record("url", path, line, note, raw or _dump(rec)))
        slow_rows.append(row)
        slow_at.append(i)
    count.valid += int(fast.sum()) + len(slow_rows)
    if slow_rows:                       # merge the per-row results into the columns, in line order
        at = np.concatenate([np.flatnonzero(fast), np.asarray(slow_at, np.int64)])
        order = np.argsort(at, kind="stable")
        merged = {}
        for name, values in columns.items():
            extra = [row[name] for row in slow_rows]
            if isinstance(values, pd.Series):     # times: the finer unit of both (a Parquet file's may be ns)
                extra = pd.to_datetime(pd.Series(extra, dtype=object), utc=True)
                unit = max((values.dt.unit, extra.dt.unit), key=["s", "ms", "us", "ns"].index) if len(values) \
                    else extra.dt.unit
                values = pd.concat([values.dt.as_unit(unit), extra.dt.as_unit(unit)],
                                   ignore_index=True).iloc[order].reset_index(drop=True)
            elif isinstance(values, np.ndarray):
                values = np.concatenate([values, np.asarray(extra, dtype=values.dtype)])[order]
            else:
                both = values + extra
                values = [both[j] for j in order.tolist()]
            merged[name] = values
        columns, kept = merged, np.sort(at)
    else:
        kept = np.flatnonzero(fast)
    columns["_line"] = lines[kept]
    sink(columns, path)


def _mapped(mapping: Callable[[dict], dict] | None, rec: dict) -> dict:
    if mapping is None:
        return rec
    try:
        return mapping(rec)
    except Exception as exc:  # noqa: BLE001 - a mapping over a strange record: that row's reject
        raise RowError(f"the field mapping failed: {exc.__class__.__name__}") from None


def _cut(text: str, limit: int | None) -> str:
    return text if limit is None or len(text) <= limit else text[: limit - 1].rstrip() + "…"


def read_posts(paths: Iterable[str | Path], mapping: Callable[[dict], dict] | None = None,
               max_text_chars: int = 1_000_000, earliest: pd.Timestamp | None = None,
               latest: pd.Timestamp | None = None, title_chars: int | None = IngestSettings.title_chars,
               body_chars: int | None = IngestSettings.body_chars, map_chunk: Callable[[pd.DataFrame], Any] | None = None,
               chunk_rows: int = 50_000, block_bytes: int | None = None) -> IngestBatch:
    """Read and validate posts from files; duplicates of a post_id after its first row are rejected.

    ``title_chars`` / ``body_chars`` cut the accepted posts' texts (``IngestSettings``; None: uncut).
    With ``map_chunk`` (e.g. :func:`keywords.stream.map_posts` with its tools bound) the accepted
    posts are handed to it in chunks of ``chunk_rows`` as they are read, its results are kept in
    ``batch.mapped`` and ``batch.accepted`` has no ``body`` column: no body outlives its chunk (a
    ``map_chunk`` with a ``close()`` method is closed after the last chunk).

    A ``map_chunk`` that maps in worker processes (``jobs.pipeline.engine.BackgroundMapper``: its
    ``fn`` and ``processes``) has those processes read plain JSONL files too, in blocks of about
    ``block_bytes`` (:mod:`crawler.post_blocks`): parsed, validated, cut and mapped there, with
    the same rows, rejects and lines as a read here. Their posts in ``batch.accepted`` are then
    the mapped tables' columns (the same Arrow strings, not a second copy)."""
    limits = storable_limits()
    first_seen: dict[str, tuple[str, int]] = {}
    duplicates: list[dict] = []
    pending: list[pd.DataFrame] = []           # valid first rows not yet handed to the map
    frames: list = []                          # slim frames, or (table, source, lines, path) of blocks
    mapped: list = []

    def flush(frame: pd.DataFrame) -> None:
        if map_chunk is not None:
            mapped.append(map_chunk(frame))
            frame = frame.drop(columns="body")
        frames.append(frame)

    def flush_pending() -> None:
        if pending:
            flush(pd.concat(pending, ignore_index=True) if len(pending) > 1 else pending[0])
            pending.clear()

    def keep(columns: dict, path: str) -> None:
        ids = columns["post_id"]
        dup = _mark_duplicates(ids, columns["_line"], columns["title"].__getitem__, path, first_seen, duplicates)
        frame = _cut_texts(_chunk_frame(columns, np.flatnonzero(~dup) if dup.any() else None, path),
                           title_chars, body_chars)
        if not len(frame):
            return
        if map_chunk is None:
            frames.append(frame)
            return
        pending.append(frame)
        held = sum(len(f) for f in pending)
        if held >= chunk_rows:                   # the map gets chunks of exactly chunk_rows posts
            whole = pd.concat(pending, ignore_index=True) if len(pending) > 1 else pending[0]
            pending.clear()
            cut = held - held % chunk_rows
            for start in range(0, cut, chunk_rows):
                flush(whole.iloc[start:start + chunk_rows].reset_index(drop=True))
            if cut < held:
                pending.append(whole.iloc[cut:].reset_index(drop=True))

    reader = _block_reader(map_chunk, mapping, title_chars, body_chars, block_bytes,
                           {"max_text_chars": max_text_chars, "earliest": earliest, "latest": latest, "limits": limits})

    def read_blocks(path: str, out: _Read, count: FileCount, samples: list) -> bool:
        if reader is None or not _plain_jsonl(Path(path)):
            return False
        flush_pending()                          # the mapped tables stay in line order
        for block in reader.blocks(path):
            out.rows += block.rows
            count.rows, count.valid = count.rows + block.rows, count.valid + block.valid
            out.bad.extend(block.bad)
            out.dropped.extend(block.dropped)
            samples.extend(block.samples[:SAMPLE_ROWS - len(samples)])
            table = block.mapped
            titles = table.column("title")

            def title_of(i: int) -> str:           # as validated, before the cut (a duplicate's raw text)
                return block.titles[i] if i in block.titles else titles[i].as_py()

            dup = _mark_duplicates(table.column("post_id").to_pylist(), block.line, title_of, path, first_seen,
                                   duplicates)
            source, lines = block.source, block.line
            if dup.any():
                keep_at = np.flatnonzero(~dup)
                table, lines, source = table.take(keep_at), lines[keep_at], [source[i] for i in keep_at.tolist()]
            if table.num_rows:
                mapped.append(table)
                frames.append((table, source, lines, path))
        return True

    try:
        read = _read_chunks(paths, lambda r: validate_post(r, max_text_chars, earliest, latest, limits),
                            lambda recs: accept_posts(recs, max_text_chars, earliest, latest, limits), "post", mapping,
                            sink=keep, read_file=read_blocks)
    finally:
        if reader is not None:
            reader.close()
    if map_chunk is not None and (pending or not frames):
        flush(pd.concat(pending, ignore_index=True) if len(pending) > 1 else pending[0] if pending
              else _post_frame([]))
    if hasattr(map_chunk, "close"):          # a mapper working in the background: wait for its last chunk
        map_chunk.close()
    frames = [_block_frame(f) if isinstance(f, tuple) else f for f in _joined_blocks(frames)]
    frames = [f for f in frames if len(f)] or frames[:1] or [_post_frame([])]
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if map_chunk is not None and "body" in frame:
        frame = frame.drop(columns="body")
    order = {path: n for n, path in enumerate(read.files)}
    bad = sorted(read.bad + duplicates, key=lambda r: (order[r["source"]], r["line"])) if duplicates else read.bad
    batch = IngestBatch(frame, pd.DataFrame(bad, columns=REJECT_COLUMNS), read.rows, read.files,
                        pd.DataFrame(read.dropped, columns=REJECT_COLUMNS), read.per_file, read.samples)
    batch.mapped = mapped if map_chunk is not None else None
    return batch


def _mark_duplicates(ids: list, lines: np.ndarray, title_of: Callable[[int], str], path: str,
                     first_seen: dict, duplicates: list) -> np.ndarray:
    """Which of a chunk's valid posts repeat a ``post_id`` seen before (in ``first_seen`` or earlier
    in the chunk): their rejects go to ``duplicates``, the first rows to ``first_seen``."""
    seen = np.fromiter((i in first_seen for i in ids), bool, len(ids))
    dup = pd.Series(ids, dtype=object).duplicated().to_numpy() | seen
    first = np.flatnonzero(~dup)
    first_seen.update(zip([ids[i] for i in first.tolist()], zip(repeat(path), np.asarray(lines)[first].tolist())))
    for i in np.flatnonzero(dup).tolist():
        where = "%s:%d" % first_seen[ids[i]]
        duplicates.append(reject_record("post", path, int(lines[i]),
                                        f"duplicate post_id {show(ids[i], 200)} (first at {where})",
                                        json.dumps({"post_id": ids[i], "title": title_of(i)}, ensure_ascii=False)))
    return dup


def _cut_texts(frame: pd.DataFrame, title_chars: int | None, body_chars: int | None) -> pd.DataFrame:
    """The accepted posts' titles and bodies cut to ``title_chars`` / ``body_chars`` (None: uncut)."""
    for name, limit in (("title", title_chars), ("body", body_chars)):
        if limit is not None:
            long = np.flatnonzero(frame[name].str.len().to_numpy() > limit)
            if len(long):
                values = frame[name].tolist()
                for i in long.tolist():
                    values[i] = _cut(values[i], limit)
                frame[name] = pd.Series(values, dtype=frame[name].dtype)
    return frame


def _plain_jsonl(path: Path) -> bool:
    return path.suffix.lower() in (".jsonl", ".ndjson", ".json")


def _block_reader(map_chunk, mapping, title_chars, body_chars, block_bytes, options: dict):
    """A :class:`crawler.post_blocks.PostBlockReader` when ``map_chunk`` maps in worker processes
    and the mapping can be sent to them, else None."""
    processes, fn = getattr(map_chunk, "processes", 0), getattr(map_chunk, "fn", None)
    if not processes or fn is None:
        return None
    from crawler.post_blocks import BLOCK_BYTES, PostBlockJob, PostBlockReader

    try:
        pickle.dumps(mapping)
    except Exception:  # noqa: BLE001 - e.g. a mapping that is a closure: read here, map in the workers
        return None
    return PostBlockReader(PostBlockJob(options, fn, mapping, title_chars, body_chars), processes,
                           block_bytes or BLOCK_BYTES)


def _joined_blocks(frames: list) -> list:
    """Consecutive block parts of one file joined into one (one conversion to pandas per file)."""
    out: list = []
    for f in frames:
        if isinstance(f, tuple) and out and isinstance(out[-1], tuple) and out[-1][3] == f[3]:
            tables, sources, lines, path = out[-1]
            out[-1] = (tables + [f[0]], sources + f[1], lines + [f[2]], path)
        elif isinstance(f, tuple):
            out.append(([f[0]], list(f[1]), [f[2]], f[3]))
        else:
            out.append(f)
    return out


def _block_frame(part: tuple) -> pd.DataFrame:
    """The slim posts of a file read in blocks: the mapped tables' columns (their Arrow strings, not a copy)."""
    import pyarrow as pa

    tables, source, lines, path = part
    table = pa.concat_tables(tables).select([c for c in POST_COLUMNS if c not in ("body", "source")])
    text = pd.StringDtype("pyarrow", na_value=np.nan)           # pandas' "str", as a read here gives
    frame = table.to_pandas(types_mapper={pa.string(): text}.get)
    frame["source"] = pd.Series(source, dtype=text)
    frame["_source_file"] = path
    frame["_line"] = np.concatenate(lines).astype(np.int64)
    return frame.astype({"_source_file": "str"})


def _chunk_frame(columns: dict, pick: np.ndarray | None, path: str) -> pd.DataFrame:
    """A chunk's valid posts as the frame :func:`_post_frame` would make of them."""
    def take(values):
        if pick is None:
            return values
        if isinstance(values, pd.Series):
            return values.iloc[pick].reset_index(drop=True)
        if isinstance(values, np.ndarray):
            return values[pick]
        return [values[i] for i in pick.tolist()]

    if pick is not None and len(pick) == 0 or not len(columns["_line"]):
        return _post_frame([])
    data = {name: take(columns[name]) for name in POST_COLUMNS if name != "published_at"}
    frame = pd.DataFrame(data)
    frame.insert(POST_COLUMNS.index("published_at"), "published_at", take(columns["published_at"]))
    frame["_source_file"] = path
    frame["_line"] = np.asarray(take(columns["_line"]), np.int64)
    frame = frame.astype({"recommend_count": "int64", "editor_score": "float64", "_source_file": "str"})
    return frame


def _post_frame(rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=POST_COLUMNS + ["_source_file", "_line"])
    frame = frame.astype({"recommend_count": "int64", "editor_score": "float64"})
    frame["published_at"] = pd.to_datetime(frame["published_at"], utc=True)
    return frame


def read_query_counts(paths: Iterable[str | Path], mapping: Callable[[dict], dict] | None = None,
                      chunk_rows: int = 500_000, block_bytes: int | None = None) -> IngestBatch:
    """Read and validate query counts; the same query in the same hour is summed (every
    ``chunk_rows`` rows, so a file of distinct queries is held as columns, not as row dicts).
    Plain CSV files are parsed by Arrow in blocks of about ``block_bytes`` where that gives the
    rows Python's reader gives (:mod:`crawler.query_csv`), with the same rejects and lines."""
    limits = storable_limits()
    held: list[pd.DataFrame] = []
    parts: list[pd.DataFrame] = []

    def summed() -> pd.DataFrame:
        frame = pd.concat(held, ignore_index=True) if len(held) > 1 else held[0] if held else \
            pd.DataFrame({"hour": pd.to_datetime(pd.Series([], dtype=object), utc=True),
                          "query": pd.Series([], dtype="str"), "count": pd.Series([], dtype="int64")})
        held.clear()
        return frame.groupby(["hour", "query"], as_index=False, sort=True)["count"].sum()

    def keep(columns: dict, path: str) -> None:          # rows as columns, summed every chunk_rows
        held.append(pd.DataFrame({"hour": columns["hour"], "query": pd.Series(columns["query"], dtype="str"),
                                  "count": np.asarray(columns["count"], np.int64)}))
        if sum(len(f) for f in held) >= chunk_rows:
            parts.append(summed())

    validate = functools.partial(validate_query_count, limits=limits)

    def read_csv(path: str, out: _Read, count: FileCount, samples: list) -> bool:     # by Arrow where it can
        if mapping is not None or Path(path).suffix.lower() != ".csv":
            return False
        from crawler.query_csv import read_query_csv

        return read_query_csv(path, out, count, samples, validate, keep, limits, block_bytes or QUERY_BLOCK_BYTES)

    read = _read_chunks(paths, validate, lambda recs: accept_query_counts(recs, limits), "query", mapping, sink=keep,
                        read_file=read_csv)
    parts.append(summed())
    frame = parts[0] if len(parts) == 1 else \
        pd.concat(parts, ignore_index=True).groupby(["hour", "query"], as_index=False, sort=True)["count"].sum()
    return IngestBatch(frame, pd.DataFrame(read.bad, columns=REJECT_COLUMNS), read.rows, read.files,
                       per_file=read.per_file, samples=read.samples)


# ---------------------------------------------------------------- the check of a whole read
def check_files(batch: IngestBatch, what: str = "posts",
                min_accepted_share: float = IngestSettings.min_accepted_share, mapping_name: str | None = None) -> None:
    """:class:`InputFileError` if a file of the read has no row, no valid row, or valid rows under
    ``min_accepted_share`` of its rows; the message is one line naming each such file (the first
    three), its top reject reasons with counts and first lines, and a mapping the rows fit if any."""
    problems = []
    for path, count in batch.per_file.items():
        if count.rows == 0:
            problems.append((path, f"{what} file {path}: no rows (an empty file)"))
            continue
        if count.valid > 0 and count.valid >= min_accepted_share * count.rows:
            continue
        mine = batch.rejects.loc[(batch.rejects["source"] == path)
                                 & ~batch.rejects["reason"].str.startswith("duplicate post_id")]
        need = "" if count.valid == 0 else f" (at least {min_accepted_share:.0%} needed)"
        text = f"{what} file {path}: {count.valid} of {count.rows} rows valid{need}: {describe_reasons(mine)}"
        suggestion = _fitting_mapping(batch.samples.get(path, []), what, mapping_name)
        problems.append((path, text + (f"; the rows fit --{what}-mapping {suggestion}" if suggestion else "")))
    if problems:
        raise InputFileError(problems)


def _fitting_mapping(samples: list, what: str, current: str | None) -> str | None:
    """The name of a mapping under which most sample records validate (posts only)."""
    if what != "posts" or not samples:
        return None
    from crawler.mappings import POST_MAPPINGS, post_mapping

    for name in POST_MAPPINGS:
        if name in ("contract", current):
            continue
        to_post, fits = post_mapping(name), 0
        for rec in samples:
            try:
                validate_post(to_post(rec))
                fits += 1
            except Exception:  # noqa: BLE001 - a mapping that does not fit is no suggestion
                pass
        if fits * 2 > len(samples):
            return name
    return None


def posts_in_hour(posts: pd.DataFrame, hour: pd.Timestamp) -> pd.DataFrame:
    """The posts published in ``[hour, hour + 1h)``, sorted by time then post_id."""
    start = pd.Timestamp(hour).tz_convert("UTC")
    mask = (posts["published_at"] >= start) & (posts["published_at"] < start + pd.Timedelta(hours=1))
    return posts.loc[mask].sort_values(["published_at", "post_id"], kind="stable").reset_index(drop=True)


def queries_in_hour(queries: pd.DataFrame, hour: pd.Timestamp) -> pd.DataFrame:
    """The query counts of ``hour`` (columns query, count), most searched first."""
    start = pd.Timestamp(hour).tz_convert("UTC")
    out = queries.loc[queries["hour"] == start, ["query", "count"]]
    return out.sort_values(["count", "query"], ascending=[False, True], kind="stable").reset_index(drop=True)
