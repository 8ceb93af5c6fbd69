"""What Spark's executors run on their partitions: read and validate whole files, extract keywords.

    >>> import pyarrow as pa
    >>> line = ('{"post_id": "p1", "channel": "news", "author_id": "a1", "title": "자민당 압승", "body": "",'
    ...         ' "published_at": "2026-02-08T20:10:00+09:00"}\\n{"post_id": 2}\\n')
    >>> files = pa.RecordBatch.from_pydict({"path": ["file:/drop/posts.jsonl"], "content": [line.encode()]})
    >>> out = pa.Table.from_batches(read_file_batches([files], {"file:///drop/posts.jsonl": 0}, ReadOptions()))
    >>> out.column("record").to_pylist(), out.column("post_id").to_pylist(), out.column("reason").to_pylist()
    (['post', 'reject', 'file'], ['p1', None, None], [None, "missing field 'channel'", None])

Each file is validated by the local engine's own row reader and rules
(:func:`crawler.ingest.iter_raw_rows` and :func:`crawler.validation.validate_post`, through the
ingest's per-file read), so a row accepted or rejected here is accepted or rejected locally with
the same reason, line and raw text. One output schema (:data:`READ_SCHEMA`) carries every kind of
row, told apart by ``record``: ``post`` (an accepted row, ``published_ns`` in UTC nanoseconds),
``reject``, ``dropped`` (a URL taken out of an accepted row), ``file`` (rows and valid rows of the
file, the first rejected records as JSON) and ``error`` (the file cannot be read at all).
Duplicate post ids across files are found afterwards by the job (:mod:`jobs.engine.spark`).

:func:`map_batches` is the hour's map (:func:`keywords.stream.map_posts`: each post touched
once, a slim row with its keyword hits and near-duplicate signature, the body dropped);
:func:`score_batches` scores the mapped rows once the hour's document frequencies are reduced
(in Spark SQL), exactly as :func:`issues.reduce.reduce_mapped` scores them in one process.
"""
from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator
from urllib.parse import unquote, urlsplit

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from crawler import ingest
from crawler.ingest import IngestError
from crawler.mappings import post_mapping
from issues.field_rules import storable_limits
from keywords.extract import OUTPUT_COLUMNS, KeywordExtractor, Pairs
from keywords.stream import MAPPED_SCHEMA, MapSettings, map_posts

__all__ = ["canonical_uri", "READ_SCHEMA", "MAPPED_SPARK_SCHEMA", "KEYWORD_SCHEMA", "ReadOptions",
           "read_file_batches", "cut_texts", "map_batches", "pairs_of", "score_batches"]

_TEXT = pa.string()
READ_SCHEMA = pa.schema([
    ("record", _TEXT), ("file", pa.int32()), ("line", pa.int64()),
    ("post_id", _TEXT), ("channel", _TEXT), ("author_id", _TEXT), ("title", _TEXT), ("body", _TEXT),
    ("published_ns", pa.int64()), ("published_at", pa.timestamp("us", tz="UTC")), ("url", _TEXT), ("recommend_count", pa.int64()), ("editor_score", pa.float64()),
    ("source", _TEXT), ("kind", _TEXT), ("reason", _TEXT), ("raw", _TEXT),
    ("rows", pa.int64()), ("valid", pa.int64()), ("samples", _TEXT)])
POST_FIELDS = ["file", "line", "post_id", "channel", "author_id", "title", "body", "published_ns", "published_at", "url",
               "recommend_count", "editor_score", "source"]
HOUR_SCHEMA = pa.schema([f for f in READ_SCHEMA if f.name in POST_FIELDS])
POST_INPUT = ["post_id", "channel", "author_id", "title", "body", "published_at", "url", "recommend_count",
              "editor_score"]
MAPPED_SPARK_SCHEMA = pa.schema([f.with_type(pa.binary()) if f.name == "signature" else f for f in MAPPED_SCHEMA])
KEYWORD_SCHEMA = pa.schema([(c, _TEXT if c in ("post_id", "keyword") else
                             pa.int64() if c in ("title_hits", "body_hits") else pa.float64()) for c in OUTPUT_COLUMNS])


@dataclass(frozen=True)
class ReadOptions:
    """What the local read of posts is given (:meth:`jobs.runner.hour.RunContext.read`)."""

    mapping: str | None = None
    max_text_chars: int = 1_000_000
    earliest: pd.Timestamp | None = None
    latest: pd.Timestamp | None = None


def canonical_uri(uri: str) -> str:
    """One spelling of a file URL (Spark writes ``file:/a``, Python ``file:///a``).

    >>> canonical_uri("file:/drop/a%20b.jsonl"), canonical_uri("hdfs://nn:8020/p/x.parquet")
    ('file:///drop/a b.jsonl', 'hdfs://nn:8020/p/x.parquet')
    """
    parts = urlsplit(uri)
    return f"{parts.scheme or 'file'}://{parts.netloc}{unquote(parts.path)}"


def _file_name(uri: str) -> str:
    """The file name of a path or URL (its suffixes tell the format)."""
    return Path(unquote(urlsplit(uri).path)).name or "part.jsonl"


def read_file_batches(batches: Iterable[pa.RecordBatch], index: dict[str, int],
                      options: ReadOptions) -> Iterator[pa.RecordBatch]:
    """``path``/``content`` rows (Spark's ``binaryFile`` source) -> :data:`READ_SCHEMA` batches."""
    limits = storable_limits()
    mapping = post_mapping(options.mapping)

    def validate(rec: dict) -> dict:
        return ingest.validate_post(rec, options.max_text_chars, options.earliest, options.latest, limits)

    for batch in batches:
        for uri, content in zip(batch.column("path").to_pylist(), batch.column("content").to_pylist()):
            yield from _read_one(content or b"", uri, index[canonical_uri(uri)], validate, mapping)


BATCH_ROWS = 10_000          # accepted rows held as Python dicts before they become one Arrow batch


def _read_one(content: bytes, uri: str, file: int, validate, mapping) -> Iterator[pa.RecordBatch]:
    """One file's rows; accepted rows leave Python dicts every :data:`BATCH_ROWS` rows."""
    rows: list[dict] = []
    done: list[pa.RecordBatch] = []

    def keep(row: dict, _read) -> None:
        published = pd.Timestamp(row["published_at"])
        rows.append({"record": "post", "file": file, "line": int(row["_line"]), "published_ns": published.value,
                     "published_at": published,
                     **{k: row[k] for k in ("post_id", "channel", "author_id", "title", "body", "url",
                                            "recommend_count", "editor_score", "source")}})
        if len(rows) >= BATCH_ROWS:
            done.append(_batch(rows))
            rows.clear()

    with tempfile.TemporaryDirectory(prefix="issuewire-") as folder:
        tmp = Path(folder) / _file_name(uri)
        tmp.write_bytes(content)
        del content
        try:
            read = ingest._read([tmp], validate, "post", mapping, sink=keep)   # the local engine's per-file read
        except IngestError as exc:
            yield _batch([{"record": "error", "file": file, "reason": exc.reason.replace(str(tmp), uri)}])
            return
    for record, found in (("reject", read.bad), ("dropped", read.dropped)):
        rows += [{"record": record, "file": file, "line": r["line"], "kind": r["kind"], "reason": r["reason"],
                  "raw": r["raw"]} for r in found]
    count = next(iter(read.per_file.values()))
    samples = next(iter(read.samples.values()), [])
    rows.append({"record": "file", "file": file, "rows": count.rows, "valid": count.valid,
                 "samples": _samples_json(samples)})
    yield from done
    yield _batch(rows)


def _samples_json(samples: list) -> str:
    try:
        return json.dumps(samples, ensure_ascii=False, default=str)
    except (ValueError, TypeError, RecursionError):
        return "[]"


def _batch(rows: list[dict]) -> pa.RecordBatch:
    return pa.RecordBatch.from_pylist(rows, schema=READ_SCHEMA)


def cut_texts(batches: Iterable[pa.RecordBatch], title_chars: int | None,
              body_chars: int | None) -> Iterator[pa.RecordBatch]:
    """Accepted posts' titles and bodies cut as the local read cuts them (``[ingest]`` settings)."""
    for batch in batches:
        frame = batch.to_pandas()
        frame["title"] = [ingest._cut(t, title_chars) for t in frame["title"]]
        frame["body"] = [ingest._cut(t, body_chars) for t in frame["body"]]
        yield pa.RecordBatch.from_pandas(frame, schema=HOUR_SCHEMA, preserve_index=False)


def map_batches(batches: Iterable[pa.RecordBatch], tools, settings: MapSettings) -> Iterator[pa.RecordBatch]:
    """The map of the hour (:func:`keywords.stream.map_posts`) over a partition's batches, its
    signature as plain binary (what Spark's Arrow types hold)."""
    for batch in batches:
        if batch.num_rows == 0:
            continue
        table = map_posts(batch.select(POST_INPUT), tools, settings)
        table = table.set_column(table.schema.get_field_index("signature"), "signature",
                                 table.column("signature").cast(pa.binary()))
        yield from table.to_batches()


def pairs_of(batch: pa.RecordBatch | pa.Table) -> Pairs:
    """The :class:`keywords.extract.Pairs` of mapped rows (their keyword hit lists, flattened)."""
    ids = batch.column("keyword_ids")
    ids = ids.combine_chunks() if isinstance(ids, pa.ChunkedArray) else ids
    parents = pc.list_parent_indices(ids).to_numpy().astype(np.int64)

    def flat(name: str, dtype) -> np.ndarray:
        column = batch.column(name)
        column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        return pc.list_flatten(column).to_numpy(zero_copy_only=False).astype(dtype)

    return Pairs(parents, flat("keyword_ids", np.int64), flat("title_hits", np.int64), flat("body_hits", np.int64),
                 flat("first_pos", np.float64))


def score_batches(batches: Iterable[pa.RecordBatch], extractor: KeywordExtractor, doc_freq: pd.Series, n_docs: int,
                  query_volume: pd.Series, df_now: np.ndarray, n_now: int) -> Iterator[pa.RecordBatch]:
    """The kept keywords of mapped rows (:data:`keywords.extract.OUTPUT_COLUMNS`), scored with the
    whole hour's document counts ``df_now`` over ``n_now`` posts. A post's hits are all in its one
    mapped row, so its top-k cut is exact in any batch."""
    for batch in batches:
        pairs = pairs_of(batch)
        if pairs.post.size == 0:
            continue
        ids = batch.column("post_id").to_pandas()
        scored = extractor.score(pairs, batch.num_rows, ids, doc_freq, n_docs, query_volume,
                                 df_now=df_now, n_now=n_now)
        yield pa.RecordBatch.from_pandas(scored[OUTPUT_COLUMNS], schema=KEYWORD_SCHEMA, preserve_index=False)
