"""Keyword extraction of a large batch on several cores, with the whole batch's IDF.

    >>> from keywords.matcher import KeywordMatcher
    >>> extractor = KeywordExtractor(KeywordMatcher({"지진": "지진", "대피": "대피"}))
    >>> chunks = [pd.DataFrame({"post_id": [f"c{c}p{i}" for i in range(2)], "title": ["지진 대피", "날씨"],
    ...                         "body": ""}) for c in range(3)]
    >>> out = extract_parallel(extractor, chunks.__getitem__, n_chunks=3, doc_freq=pd.Series(dtype=float),
    ...                        n_docs=0, settings=ParallelSettings(processes=2))
    >>> out.equals(extractor.extract(pd.concat(chunks, ignore_index=True), pd.Series(dtype=float), 0))
    True

``load_chunk(i)`` returns the posts DataFrame (``post_id``, ``title``, ``body``) of chunk
``i``; it runs inside the workers, so a chunk's text never crosses a pipe (with the
``fork`` start method the callable, the extractor and its compiled automaton are
inherited: built once, in the parent, shared copy-on-write; under ``spawn`` the
matcher pickles by rebuilding itself, once per worker).

Two phases, so that the result equals ``extractor.extract`` over the concatenated
chunks (``df_now`` and ``n_now`` of the IDF are the whole batch's):

1. each worker takes chunks ``w, w + P, w + 2P, ...``, normalises and scans them
   (:meth:`KeywordExtractor.pairs`), keeps the compact (post, keyword, counts)
   arrays and sends the parent its keyword document counts;
2. the parent sums them and sends the totals back; each worker scores its chunks
   (:meth:`KeywordExtractor.score`) and returns the rows.

Rows come back in chunk order, so the output is the same for any number of processes.
With ``processes=1`` everything runs in the calling process.
"""
from __future__ import annotations

import multiprocessing
import time
import traceback
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from keywords.extract import KeywordExtractor, Pairs, _clean_posts, _empty

__all__ = ["ParallelSettings", "extract_parallel"]


@dataclass(frozen=True)
class ParallelSettings:
    """``processes``: worker processes (1 = in process); ``start_method``: ``fork``
    (default where available) or ``spawn``."""

    processes: int = 2
    start_method: str = "fork"

    def __post_init__(self):
        if self.processes < 1:
            raise ValueError(f"processes must be >= 1, got {self.processes}")


def _phase1(extractor: KeywordExtractor, posts: pd.DataFrame):
    s = extractor.settings
    pairs = extractor.pairs(*_clean_posts(posts, s.max_body_chars))
    compact = Pairs(pairs.post.astype(np.int32), pairs.keyword.astype(np.int32),
                    pairs.title_hits.astype(np.int32), pairs.body_hits.astype(np.int32),
                    pairs.first_pos)
    ids = np.asarray(posts["post_id"].astype(str), dtype=object)
    return compact, ids


def _run(extractor, load_chunk, chunks, send, receive):
    cpu0 = time.process_time()
    n_kw = len(extractor.matcher.canon)
    kept, df, n = [], np.zeros(n_kw, dtype=np.int64), 0
    for c in chunks:
        pairs, ids = _phase1(extractor, load_chunk(c))
        kept.append((c, pairs, ids))
        df += np.bincount(pairs.keyword, minlength=n_kw)
        n += len(ids)
    send(("counts", df, n))
    df_now, n_now, doc_freq, n_docs, volume, keep_all = receive()
    for c, pairs, ids in kept:
        send(("rows", c, extractor.score(pairs, len(ids), ids, doc_freq, n_docs, volume,
                                         keep_all=keep_all, df_now=df_now, n_now=n_now)))
    send(("done", time.process_time() - cpu0))


def _worker(conn, extractor, load_chunk, chunks):
    try:
        _run(extractor, load_chunk, chunks, conn.send, conn.recv)
    except BaseException:  # reported to the parent, which raises
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


class WorkerError(RuntimeError):
    """A worker failed; the message carries its traceback."""


def extract_parallel(extractor: KeywordExtractor, load_chunk: Callable[[int], pd.DataFrame],
                     n_chunks: int, doc_freq: pd.Series, n_docs: int,
                     query_volume: pd.Series | None = None, keep_all: bool = False,
                     settings: ParallelSettings = ParallelSettings(),
                     stats: dict | None = None) -> pd.DataFrame:
    """Rows of ``extractor.extract`` over chunks ``0 .. n_chunks - 1``, in chunk order.

    ``stats``, if given, receives ``worker_cpu_s`` (CPU seconds of each worker, for
    telling the work from the waiting on a shared machine)."""
    cpu: list[float] = []
    procs = min(settings.processes, max(n_chunks, 1))
    results: dict[int, pd.DataFrame] = {}
    if procs == 1:
        inbox: list = []
        reply = []

        def receive():
            _, df, n = inbox.pop()
            return (df, n, doc_freq, n_docs, query_volume, keep_all)

        def send(msg):
            if msg[0] == "counts":
                inbox.append(msg)
            elif msg[0] == "rows":
                results[msg[1]] = msg[2]
            reply.append(msg[0])
            if msg[0] == "done":
                cpu.append(msg[1])

        _run(extractor, load_chunk, range(n_chunks), send, receive)
    else:
        ctx = multiprocessing.get_context(settings.start_method)
        conns, workers = [], []
        try:
            for w in range(procs):
                parent, child = ctx.Pipe()
                p = ctx.Process(target=_worker, args=(child, extractor, load_chunk,
                                                      range(w, n_chunks, procs)), daemon=True)
                p.start()
                child.close()
                conns.append(parent)
                workers.append(p)
            df_now, n_now = np.zeros(len(extractor.matcher.canon), dtype=np.int64), 0
            for conn in conns:
                msg = conn.recv()
                if msg[0] == "error":
                    raise WorkerError(msg[1])
                df_now += msg[1]
                n_now += msg[2]
            for conn in conns:
                conn.send((df_now, n_now, doc_freq, n_docs, query_volume, keep_all))
            for conn in conns:
                while True:
                    msg = conn.recv()
                    if msg[0] == "error":
                        raise WorkerError(msg[1])
                    if msg[0] == "done":
                        cpu.append(msg[1])
                        break
                    results[msg[1]] = msg[2]
        finally:
            for p in workers:
                p.join(timeout=5)
                if p.is_alive():
                    p.terminate()
    if stats is not None:
        stats["worker_cpu_s"] = cpu
    frames = [results[c] for c in sorted(results) if len(results[c])]
    if not frames:
        return _empty()
    return pd.concat(frames, ignore_index=True)
