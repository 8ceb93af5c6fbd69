"""Plain JSONL post files read in byte blocks by worker processes: parsed, validated, cut and mapped there.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "posts.jsonl"
    >>> _ = path.write_text("".join(
    ...     '{"post_id": "p%d", "channel": "news", "author_id": "a", "title": "제목 %d", "body": "",'
    ...     ' "published_at": "2026-02-19T16:10:00+09:00"}\\n' % (i, i) for i in range(5)) + "{broken\\n")
    >>> line_blocks(path, 300)                    # (offset, length): each ends at a line's end
    [(0, 399), (399, 274)]
    >>> job = PostBlockJob(validate_options={}, map_chunk=len)
    >>> block = read_post_block(job, str(path), 0, 399)
    >>> block.rows, block.valid, block.mapped, block.line.tolist(), block.newlines
    (3, 3, 3, [1, 2, 3], 3)
    >>> [(r["line"], r["reason"]) for r in read_post_block(job, str(path), 399, 274).shifted(3).bad]
    [(6, 'invalid JSON: Expecting property name enclosed in double quotes at column 2')]

:func:`crawler.ingest.read_posts` hands each block of a file, ``(path, offset, length)``, to a
process of a pool (:class:`PostBlockReader`) and takes the results back in file order, at most a
few blocks in flight. A worker runs on its block exactly the code a sequential read runs on those
lines (``_jsonl_rows``, ``_validate_chunk`` with the ``accept_posts`` fast path and per-row
``validate_post`` for the rest, the title and body cuts) and then the map, so no body crosses a
process boundary: a :class:`PostBlock` holds the mapped table of the block's valid posts (all
of them: a ``post_id`` seen in an earlier block is only known to the reader), their lines
counted from the block's first line, the rejects, dropped URLs, samples and counts. The reader
shifts the lines by the newlines of the blocks before (a block ends at a newline, so this is
the file's numbering), rejects later duplicates of a ``post_id`` across the whole read and
keeps the rest. Gzip, CSV and Parquet files are read sequentially (a CSV field may hold a newline).
"""
from __future__ import annotations

import io
import multiprocessing
import os
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Iterator

import numpy as np
import pandas as pd

from crawler.ingest import (VALIDATE_ROWS, FileCount, IngestError, _chunk_frame, _cut_texts, _jsonl_rows, _Read,
                            _validate_chunk, accept_posts, validate_post)

__all__ = ["BLOCK_BYTES", "PostBlock", "PostBlockJob", "PostBlockReader", "line_blocks", "read_post_block"]

BLOCK_BYTES = 32 << 20                # a block of about 15,000 posts of 2 KB


def line_blocks(path, block_bytes: int = BLOCK_BYTES) -> list[tuple[int, int]]:
    """``(offset, length)`` of consecutive blocks of about ``block_bytes`` covering the file, each
    ending just after a newline (or at the end of the file)."""
    size = os.path.getsize(path)
    blocks, start = [], 0
    with open(path, "rb") as fh:
        while start < size:
            end = start + max(1, block_bytes)
            if end < size:
                fh.seek(end - 1)
                while True:                      # to the end of the line the block's last byte is in
                    piece = fh.read(1 << 16)
                    at = piece.find(b"\n")
                    if at >= 0 or not piece:
                        end = end - 1 + (at + 1 if at >= 0 else len(piece))
                        break
                    end += len(piece)
            end = min(end, size)
            blocks.append((start, end - start))
            start = end
    return blocks


@dataclass(frozen=True)
class PostBlockJob:
    """What every block's work needs (sent once to each worker): ``validate_options`` for
    ``validate_post`` / ``accept_posts`` (``max_text_chars``, ``earliest``, ``latest``, ``limits``),
    the field ``mapping``, the cuts and the map of a chunk of posts."""

    validate_options: dict
    map_chunk: Callable[[pd.DataFrame], Any]
    mapping: Callable[[dict], dict] | None = None
    title_chars: int | None = 300
    body_chars: int | None = 20_000


@dataclass
class PostBlock:
    """A block's result: counts, rejects and dropped URLs (lines from the block's first line, 1),
    samples, the map of its valid posts in line order, their ``line`` and ``source``, and the
    validated ``titles`` that differ from the mapped table's (by position), for duplicate rejects."""

    rows: int = 0
    valid: int = 0
    newlines: int = 0
    bad: list[dict] = field(default_factory=list)
    dropped: list[dict] = field(default_factory=list)
    samples: list = field(default_factory=list)
    mapped: Any = None
    line: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    source: list = field(default_factory=list)
    titles: dict[int, str] = field(default_factory=dict)

    def shifted(self, lines: int) -> "PostBlock":
        """The block with every line moved down by ``lines`` (the newlines of the blocks before)."""
        for record in (*self.bad, *self.dropped):
            record["line"] += lines
        self.line = self.line + lines
        return self


def read_post_block(job: PostBlockJob, path: str, offset: int, length: int) -> PostBlock:
    """One block of a JSONL file read, validated, cut and mapped (module docstring)."""
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            data = fh.read(length)
    except OSError as exc:
        raise IngestError(path, f"cannot be read: {exc}") from None
    options = job.validate_options
    validate, accept = partial(validate_post, **options), partial(accept_posts, **options)
    out, count, samples, frames = _Read(files=[path]), FileCount(), [], []
    chunk: list = []

    def keep(columns: dict, _path: str) -> None:
        frames.append(_chunk_frame(columns, None, path))

    for item in _jsonl_rows(io.BytesIO(data)):
        chunk.append(item)
        if len(chunk) >= VALIDATE_ROWS:
            _validate_chunk(chunk, path, validate, accept, "post", job.mapping, keep, out, count, samples)
            chunk = []
    if chunk:
        _validate_chunk(chunk, path, validate, accept, "post", job.mapping, keep, out, count, samples)
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0] if frames else \
        _chunk_frame({"_line": []}, None, path)
    validated_titles = frame["title"].tolist()
    frame = _cut_texts(frame, job.title_chars, job.body_chars)
    mapped = job.map_chunk(frame)
    block = PostBlock(rows=count.rows, valid=count.valid, newlines=data.count(b"\n"), bad=out.bad,
                      dropped=out.dropped, samples=samples, mapped=mapped, line=frame["_line"].to_numpy(np.int64),
                      source=frame["source"].tolist())
    mapped_titles = mapped.column("title").to_pylist() if hasattr(mapped, "column") else validated_titles
    block.titles = {i: t for i, (t, m) in enumerate(zip(validated_titles, mapped_titles)) if t != m}
    return block


_JOB: PostBlockJob | None = None         # a worker's job, set once when it starts


def _start_worker(job: PostBlockJob) -> None:
    global _JOB
    _JOB = job


def _read_in_worker(path: str, offset: int, length: int) -> PostBlock:
    return read_post_block(_JOB, path, offset, length)


class PostBlockReader:
    """``processes`` worker processes (``spawn``; the job, with the matcher, is sent once to each)
    reading the blocks of a file; :meth:`blocks` yields their results in file order with the lines
    of the file, holding at most ``processes + 1`` blocks in flight. Use it in a ``with``.

    >>> import tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "posts.jsonl"
    >>> _ = path.write_text('{"post_id": 1}\\n\\n{"post_id": 2}\\n')    # 2 blocks: 15 bytes, 16 bytes
    >>> with PostBlockReader(PostBlockJob({}, map_chunk=len), processes=1, block_bytes=8) as reader:
    ...     [(b.rows, b.bad[0]["line"]) for b in reader.blocks(str(path))]
    [(1, 1), (1, 3)]
    """

    def __init__(self, job: PostBlockJob, processes: int, block_bytes: int = BLOCK_BYTES):
        self.job, self.processes, self.block_bytes = job, max(1, processes), block_bytes
        self._pool: ProcessPoolExecutor | None = None

    def __enter__(self) -> "PostBlockReader":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def blocks(self, path: str) -> Iterator[PostBlock]:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"),
                                             initializer=_start_worker, initargs=(self.job,))
        try:
            todo = deque(line_blocks(path, self.block_bytes))
        except OSError as exc:
            raise IngestError(path, f"cannot be read: {exc}") from None
        running: deque[Future] = deque()
        lines = 0
        try:
            while todo or running:
                while todo and len(running) <= self.processes:
                    running.append(self._pool.submit(_read_in_worker, path, *todo.popleft()))
                block = running.popleft().result().shifted(lines)
                lines += block.newlines
                yield block
        finally:
            for future in running:
                future.cancel()

    def close(self) -> None:
        """Stop the workers."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None
