"""Ingest: read post and query-count files, validate every row, keep the bad ones with a reason.

    >>> batch = read_posts(["posts.jsonl"])                      # doctest: +SKIP
    >>> batch.accepted.columns.tolist()[:3], len(batch.rejects)  # doctest: +SKIP
    (['post_id', 'channel', 'author_id'], 2)
    >>> hour_posts = posts_in_hour(batch.accepted, pd.Timestamp("2026-02-19T16:00+09:00"))  # doctest: +SKIP

Files are JSONL (``.jsonl``, ``.json``, ``.ndjson``), CSV (``.csv``), Parquet (``.parquet``),
optionally gzipped (``.gz``), or folders holding such files. A row that fails validation goes
to the rejects with ``source`` (file), ``line`` (1-based line, or row number for Parquet),
``reason`` and the ``raw`` text; it never stops the run. A file that cannot be read at all
raises :class:`IngestError` naming the file, and the caller publishes nothing.

Field mappings (``mapping=``) turn another source's fields into the Post contract in one
declared place; see :mod:`crawler.mappings`.
"""
from __future__ import annotations

import csv
import gzip
import io
import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator

import pandas as pd

POST_COLUMNS = [
    "post_id", "channel", "author_id", "title", "body", "published_at",
    "url", "recommend_count", "editor_score", "source",
]
REQUIRED_POST_FIELDS = ("post_id", "channel", "author_id", "title", "body", "published_at")
QUERY_COLUMNS = ["hour", "query", "count"]
REJECT_COLUMNS = ["kind", "source", "line", "reason", "raw"]
MAX_RAW_CHARS = 2000
FILE_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".parquet")


class IngestError(Exception):
    """A whole input file cannot be read; ``str(e)`` names the file and why."""

    def __init__(self, path: str | Path, reason: str):
        self.path, self.reason = str(path), reason
        super().__init__(f"{path}: {reason}")


class RowError(ValueError):
    """One row is invalid; the message is the reject reason."""


@dataclass
class IngestBatch:
    """Validated rows plus rejects and counts of one read."""

    accepted: pd.DataFrame
    rejects: pd.DataFrame
    rows_read: int = 0
    files: list[str] = field(default_factory=list)

    @property
    def summary(self) -> dict[str, int]:
        return {"read": self.rows_read, "accepted": len(self.accepted), "rejected": len(self.rejects)}


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


def _jsonl_rows(fh) -> Iterator[tuple[int, Any, str]]:
    for lineno, raw in enumerate(fh, start=1):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield lineno, RowError(f"invalid UTF-8 at byte {exc.start}"), raw[:MAX_RAW_CHARS].decode("utf-8", "replace")
            continue
        if not text.strip():
            continue
        try:
            rec = json.loads(text)
        except json.JSONDecodeError as exc:
            yield lineno, RowError(f"invalid JSON: {exc.msg} at column {exc.colno}"), text[:MAX_RAW_CHARS]
            continue
        if not isinstance(rec, dict):
            yield lineno, RowError("a line must hold one JSON object"), text[:MAX_RAW_CHARS]
            continue
        yield lineno, rec, text[:MAX_RAW_CHARS].rstrip("\n")


def _csv_rows(path: Path, fh) -> Iterator[tuple[int, Any, str]]:
    text = io.TextIOWrapper(fh, encoding="utf-8", errors="surrogateescape", newline="")
    reader = csv.reader(text)
    try:
        header = next(reader)
    except StopIteration:
        return
    header = [h.strip().lstrip("\ufeff") for h in header]
    if len(set(header)) != len(header):
        raise IngestError(path, "line 1: duplicate column names in the CSV header")
    start = reader.line_num + 1
    for row in reader:
        line, start = start, reader.line_num + 1
        raw = ",".join(row)[:MAX_RAW_CHARS]
        if not any(cell.strip() for cell in row):
            continue
        if any(_has_surrogates(cell) for cell in row):
            yield line, RowError("invalid UTF-8"), raw.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
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


# ---------------------------------------------------------------- validation of one row
def parse_timestamp(value: Any) -> pd.Timestamp:
    """ISO 8601 with an offset -> UTC Timestamp; anything else is a RowError."""
    if isinstance(value, pd.Timestamp):
        ts = value
    elif isinstance(value, datetime):
        ts = pd.Timestamp(value)
    elif isinstance(value, str) and value.strip():
        try:
            ts = pd.Timestamp(datetime.fromisoformat(value.strip()))
        except ValueError:
            raise RowError(f"unparseable time {value!r}") from None
    else:
        raise RowError(f"unparseable time {value!r}")
    if ts.tzinfo is None:
        raise RowError(f"time {value!r} has no UTC offset")
    return ts.tz_convert("UTC")


def _text(rec: dict, name: str, *, required: bool) -> str | None:
    value = rec.get(name)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        if required:
            raise RowError(f"missing field {name!r}")
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise RowError(f"field {name!r} must be a string, got {type(value).__name__}")
    return str(value)


def _number(rec: dict, name: str, cast: Callable[[Any], Any]) -> Any:
    value = rec.get(name)
    if value is None or value == "" or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, bool):
        raise RowError(f"field {name!r} must be a number, got bool")
    try:
        number = cast(float(value)) if cast is int else cast(value)
    except (TypeError, ValueError):
        raise RowError(f"field {name!r} must be a number, got {value!r}") from None
    if cast is int and float(value) != number:
        raise RowError(f"field {name!r} must be a whole number, got {value!r}")
    if isinstance(number, float) and not math.isfinite(number):
        raise RowError(f"field {name!r} must be finite")
    if number < 0:
        raise RowError(f"field {name!r} must not be negative")
    return number


def validate_post(rec: dict, max_text_chars: int = 1_000_000, earliest: pd.Timestamp | None = None,
                  latest: pd.Timestamp | None = None) -> dict:
    """One raw record -> a Post dict in the contract's types, or RowError with the reason.

    ``earliest`` / ``latest`` (UTC) bound ``published_at``: a post from the far past or the future
    is a clock or parsing error upstream, not news.
    """
    post = {name: _text(rec, name, required=True) for name in ("post_id", "channel", "author_id", "title", "body")}
    for name in ("post_id", "channel", "author_id"):
        post[name] = post[name].strip()
        if not post[name]:
            raise RowError(f"empty field {name!r}")
    if not post["title"].strip() and not post["body"].strip():
        raise RowError("empty title and body")
    for name in ("title", "body"):
        if len(post[name]) > max_text_chars:
            raise RowError(f"field {name!r} longer than {max_text_chars} characters")
    if "published_at" not in rec or rec["published_at"] is None:
        raise RowError("missing field 'published_at'")
    post["published_at"] = parse_timestamp(rec["published_at"])
    if earliest is not None and post["published_at"] < earliest:
        raise RowError(f"published_at {post['published_at'].isoformat()} is before {earliest.isoformat()}")
    if latest is not None and post["published_at"] > latest:
        raise RowError(f"published_at {post['published_at'].isoformat()} is in the future (after {latest.isoformat()})")
    post["url"] = _text(rec, "url", required=False) or ""
    post["source"] = _text(rec, "source", required=False) or ""
    post["recommend_count"] = _number(rec, "recommend_count", int) or 0
    post["editor_score"] = float(_number(rec, "editor_score", float) or 0.0)
    return post


def validate_query_count(rec: dict) -> dict:
    """One raw record -> ``{hour, query, count}`` (hour floored to the hour, UTC) or RowError."""
    query = _text(rec, "query", required=True).strip()
    if not query:
        raise RowError("empty field 'query'")
    if "hour" not in rec or rec["hour"] is None:
        raise RowError("missing field 'hour'")
    hour = parse_timestamp(rec["hour"]).floor("h")
    count = _number(rec, "count", int)
    if count is None:
        raise RowError("missing field 'count'")
    return {"hour": hour, "query": " ".join(query.split()), "count": count}


# ---------------------------------------------------------------- whole reads
def _read(paths, validate: Callable[[dict], dict], kind: str, columns: list[str],
          mapping: Callable[[dict], dict] | None = None) -> tuple[list[dict], list[dict], int, list[str]]:
    good: list[dict] = []
    bad: list[dict] = []
    read = 0
    files = [str(p) for p in expand_paths(paths)]
    for path in files:
        for line, rec, raw in iter_raw_rows(Path(path)):
            read += 1
            try:
                if isinstance(rec, RowError):
                    raise rec
                row = validate(mapping(rec) if mapping else rec)
            except RowError as exc:
                bad.append({"kind": kind, "source": path, "line": line, "reason": str(exc),
                            "raw": raw or json.dumps(rec, ensure_ascii=False, default=str)[:MAX_RAW_CHARS]})
                continue
            row["_source_file"], row["_line"] = path, line
            good.append(row)
    return good, bad, read, files


def read_posts(paths: Iterable[str | Path], mapping: Callable[[dict], dict] | None = None,
               max_text_chars: int = 1_000_000, earliest: pd.Timestamp | None = None,
               latest: pd.Timestamp | None = None) -> IngestBatch:
    """Read and validate posts from files; duplicates of a post_id after its first row are rejected."""
    good, bad, read, files = _read(paths, lambda r: validate_post(r, max_text_chars, earliest, latest),
                                   "post", POST_COLUMNS, mapping)
    first_seen: dict[str, str] = {}
    unique: list[dict] = []
    for row in good:
        where = f"{row['_source_file']}:{row['_line']}"
        if row["post_id"] in first_seen:
            bad.append({"kind": "post", "source": row["_source_file"], "line": row["_line"],
                        "reason": f"duplicate post_id {row['post_id']!r} (first at {first_seen[row['post_id']]})",
                        "raw": json.dumps({k: row[k] for k in ("post_id", "title")}, ensure_ascii=False)})
            continue
        first_seen[row["post_id"]] = where
        unique.append(row)
    frame = pd.DataFrame(unique, columns=POST_COLUMNS + ["_source_file", "_line"])
    frame = frame.astype({"recommend_count": "int64", "editor_score": "float64"})
    frame["published_at"] = pd.to_datetime(frame["published_at"], utc=True)
    rejects = pd.DataFrame(bad, columns=REJECT_COLUMNS)
    return IngestBatch(frame, rejects, read, files)


def read_query_counts(paths: Iterable[str | Path], mapping: Callable[[dict], dict] | None = None) -> IngestBatch:
    """Read and validate query counts; the same query in the same hour is summed."""
    good, bad, read, files = _read(paths, validate_query_count, "query", QUERY_COLUMNS, mapping)
    frame = pd.DataFrame(good, columns=QUERY_COLUMNS + ["_source_file", "_line"])
    frame["hour"] = pd.to_datetime(frame["hour"], utc=True)
    frame = frame.astype({"count": "int64"})
    frame = frame.groupby(["hour", "query"], as_index=False, sort=True)["count"].sum()
    return IngestBatch(frame, pd.DataFrame(bad, columns=REJECT_COLUMNS), read, files)


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
