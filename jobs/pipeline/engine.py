"""The engine of an hour's map and reduce: chunks of posts -> :class:`issues.reduce.MappedHour`.

    >>> from dictionaries import KeywordDictionary
    >>> from jobs.pipeline.records import HourTools
    >>> from jobs.settings import Settings
    >>> tools = HourTools.build(KeywordDictionary.from_records([{"keyword": "자민당"}]))
    >>> posts = pd.DataFrame({"post_id": ["p1", "p2"], "channel": "news", "author_id": ["a1", "a2"],
    ...                       "title": ["자민당 압승", "날씨"], "body": "", "url": "", "recommend_count": 0,
    ...                       "editor_score": 0.0, "published_at": pd.Timestamp("2026-02-08T11:10Z")})
    >>> hour = LocalEngine(EngineSettings(chunk_rows=1)).mapped_hour(chunks_of(posts, 1), tools, Settings())
    >>> hour.post_keywords[["post_id", "keyword"]].values.tolist(), "body" in hour.posts
    ([['p1', '자민당']], False)

``[engine]`` settings (:class:`EngineSettings`) choose the engine (``local``: this process, the
default) and the chunk size the posts are read and mapped in, which bounds the memory of the map:
a chunk's bodies are dropped before the next chunk is read. :meth:`LocalEngine.mapped_hour` is
the interface another engine implements (the map :func:`keywords.stream.map_posts` per chunk or
partition, then the reduce :func:`issues.reduce.reduce_mapped` or
:meth:`issues.reduce.MappedHour.from_aggregates`); the core (:func:`jobs.pipeline.hour.run_hour_core`)
reads the result through ``HourInputs.mapped``.
"""
from __future__ import annotations

import functools
import multiprocessing
import os
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import replace
from typing import Iterable, Iterator

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from issues.reduce import MappedHour, reduce_mapped
from jobs.engine import ENGINES, EngineSettings
from keywords.extract import keyword_query_volume
from keywords.stream import MapSettings, map_posts

__all__ = ["BackgroundMapper", "resolved", "ENGINES", "EngineSettings", "LocalEngine", "chunks_of", "engine_for", "hour_rows", "map_chunk_for", "map_processes_for", "map_settings",
           "mapped_inputs"]

def map_settings(settings) -> MapSettings:
    """The map's settings from a run's :class:`jobs.settings.Settings`."""
    return MapSettings(max_body_chars=settings.extract.max_body_chars, title_chars=settings.ingest.title_chars,
                       mask_digits=settings.detect.mask_digits)


def chunks_of(frame: pd.DataFrame, rows: int) -> Iterator[pd.DataFrame]:
    """``frame`` in consecutive slices of at most ``rows`` rows."""
    for start in range(0, len(frame), rows):
        yield frame.iloc[start:start + rows]


class LocalEngine:
    """Maps chunks one after the other in this process, then reduces (module docstring)."""

    def __init__(self, settings: EngineSettings = EngineSettings()):
        self.settings = settings

    def mapped_hour(self, chunks: Iterable, tools, settings, doc_freq: pd.Series | None = None, n_docs: int = 0,
                    queries: pd.DataFrame | None = None) -> MappedHour:
        """The hour's :class:`MappedHour`; ``queries`` (query, count) give the search popularity."""
        volume = keyword_query_volume(queries, tools.matcher) if queries is not None else None
        mapping = map_settings(settings)
        tables = [map_posts(chunk, tools.matcher, mapping) for chunk in chunks]
        return reduce_mapped(tables, tools.matcher, settings.extract, doc_freq, n_docs, volume)


def engine_for(settings) -> LocalEngine:
    """The engine ``settings.engine.name`` names (``local``; the ``spark`` engine reads its posts
    itself and hands the runner a mapped hour: :mod:`jobs.engine.spark`)."""
    name = settings.engine.name
    if name == "local":
        return LocalEngine(settings.engine)
    raise ValueError(f"unknown engine {name!r}: one of {', '.join(ENGINES)}")


def mapped_inputs(inputs, tools, settings, mapped_tables: list | None = None):
    """``inputs`` (a ``jobs.pipeline.records.HourInputs``) with the hour's map and reduce done:
    ``mapped`` set and ``posts`` its slim rows (no body). ``mapped_tables`` are the map's results
    of the input files (``crawler.ingest.read_posts(map_chunk=...)``), of which the hour's rows
    are taken; without them the settings' engine maps ``inputs.posts`` in chunks."""
    if inputs.mapped is not None:
        return inputs
    if mapped_tables is not None:
        start = pd.Timestamp(inputs.hour).tz_convert("UTC")
        tables = [hour_rows(t, start) for t in resolved(mapped_tables)]
        volume = keyword_query_volume(inputs.queries, tools.matcher) if inputs.queries is not None else None
        mapped = reduce_mapped(tables, tools.matcher, settings.extract, inputs.doc_freq, inputs.n_docs, volume)
    else:
        rows = settings.engine.chunk_rows
        mapped = engine_for(settings).mapped_hour(chunks_of(inputs.posts, rows), tools, settings, inputs.doc_freq,
                                                  inputs.n_docs, inputs.queries)
    return replace(inputs, mapped=mapped, posts=mapped.posts)


def hour_rows(table: pa.Table, start: pd.Timestamp) -> pa.Table:
    """The mapped rows published in ``[start, start + 1h)``: ``table`` itself when every row is
    (no copy of an hour's mapped rows beside the ones the run keeps), else a filtered copy.

    >>> times = pd.Series(pd.to_datetime(["2026-05-05T09:10Z", "2026-05-05T10:00Z"]))
    >>> table, nine = pa.table({"published_at": times}), pd.Timestamp("2026-05-05T09:00Z")
    >>> hour_rows(table, nine).num_rows                  # 10:00 is the next hour's
    1
    >>> first = table.slice(0, 1)
    >>> hour_rows(first, nine) is first
    True
    """
    at = table.column("published_at")
    lo = pa.scalar(start.to_pydatetime(), type=at.type)
    hi = pa.scalar((start + pd.Timedelta(hours=1)).to_pydatetime(), type=at.type)
    inside = pc.and_(pc.greater_equal(at, lo), pc.less(at, hi))
    if pc.all(inside).as_py() and inside.null_count == 0:
        return table
    return table.filter(inside)


def map_chunk_for(tools, settings, paths=()):
    """The map of one chunk with this run's tools and settings bound (for ``read_posts(map_chunk=...)``);
    with :func:`map_processes_for` worker processes it runs there (:class:`BackgroundMapper`), and
    they read plain JSONL files too (:mod:`crawler.post_blocks`)."""
    fn = functools.partial(map_posts, tools=tools.matcher, settings=map_settings(settings))
    processes = map_processes_for(settings.engine, paths)
    return BackgroundMapper(fn, processes) if processes else fn


def map_processes_for(engine: EngineSettings, paths=()) -> int:
    """``[engine] map_processes``; -1 (the default): ``min(2, cores)`` when the posts ``paths``
    hold more than one block of :data:`crawler.post_blocks.BLOCK_BYTES`, else none (a small hour
    is not worth the seconds of starting processes). Two keep both cores of the 2-core host busy
    reading, validating and mapping blocks (this process only joins their results and reads the
    query counts meanwhile) and bound the memory: each holds the matcher and about two blocks.

    >>> map_processes_for(EngineSettings(map_processes=3)), map_processes_for(EngineSettings(), ["/no/such/file"])
    (3, 0)
    """
    if engine.map_processes >= 0:
        return engine.map_processes
    from crawler.ingest import expand_paths
    from crawler.post_blocks import BLOCK_BYTES

    try:
        size = sum(p.stat().st_size for p in expand_paths(paths))
    except Exception:  # noqa: BLE001 - a path that cannot be read: the read itself says why
        return 0
    return min(2, os.cpu_count() or 1) if size > BLOCK_BYTES else 0


class BackgroundMapper:
    """Maps chunks in ``processes`` worker processes (``spawn``: the matcher pickles by rebuilding
    itself once per worker) while the caller reads the next chunk; returns futures, and waits when
    more than ``processes + 1`` chunks are in flight, so memory stays bounded by a few chunks.
    :func:`resolved` turns the futures into tables.

    >>> mapper = BackgroundMapper(len, processes=1)
    >>> futures = [mapper([1, 2, 3]), mapper([4])]
    >>> mapper.close()
    >>> resolved(futures)
    [3, 1]
    """

    def __init__(self, fn, processes: int = 1):
        self.fn, self.processes = fn, processes
        self._pool: ProcessPoolExecutor | None = None
        self._pending: deque[Future] = deque()

    def __call__(self, chunk) -> Future:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(self.processes, mp_context=multiprocessing.get_context("spawn"))
        while len(self._pending) > self.processes:
            self._pending.popleft().result()
        future = self._pool.submit(self.fn, chunk)
        self._pending.append(future)
        return future

    def close(self) -> None:
        """Wait for every chunk and stop the workers (``read_posts`` calls it after the last chunk)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
        self._pending.clear()

    def __reduce__(self):
        return (BackgroundMapper, (self.fn, self.processes))


def resolved(items: list) -> list:
    """Every future among ``items`` replaced by its result, in order."""
    return [i.result() if isinstance(i, Future) else i for i in items]
