"""The map stage of an hour: each post touched once, its body dropped, a slim row with its keyword hits kept.

    >>> from dictionaries import KeywordDictionary
    >>> from keywords.matcher import KeywordMatcher
    >>> matcher = KeywordMatcher.from_dictionary(KeywordDictionary.from_records(
    ...     [{"keyword": "자민당"}, {"keyword": "총선"}]))
    >>> chunk = pd.DataFrame({"post_id": ["p1", "p2"], "channel": "news", "author_id": ["a1", "a2"],
    ...                       "title": ["자민당 압승", "날씨"], "body": ["일본 총선에서 자민당이 이겼다", "맑음"],
    ...                       "published_at": pd.Timestamp("2026-02-08T11:10Z"), "url": "",
    ...                       "recommend_count": 0, "editor_score": 0.0})
    >>> table = map_posts(chunk, matcher, MapSettings())
    >>> table.schema.equals(MAPPED_SCHEMA), table.column("keyword_ids").to_pylist()
    (True, [[0, 1], []])
    >>> table.column("title_hits").to_pylist()[0], table.column("body_hits").to_pylist()[0]
    ([1, 0], [1, 1])

:func:`map_posts` is a pure function of one chunk of the hour's validated posts (a pandas
DataFrame or an Arrow table with the Post contract's columns), the compiled matcher (or anything
with a ``.matcher``, such as ``jobs.pipeline.records.HourTools``) and :class:`MapSettings`. It is
picklable with its arguments (the matcher pickles by rebuilding itself), so a process pool or
Spark's ``mapInArrow`` can call it once per partition. One row out per post in, in the
:data:`MAPPED_SCHEMA`:

* the post's ``post_id``, ``channel``, ``author_id``, ``url``, ``recommend_count``,
  ``editor_score``, ``published_at`` as given; its ``title`` cut to ``title_chars`` (the display
  length: every later stage reads only this);
* ``signature``: the near-duplicate signature of its title and body start
  (:func:`keywords.signature.minhash_signatures`, ``NUM_BINS`` little-endian uint32 in a
  fixed-size binary), computed here once and read by spam collapse and bundles;
* its dictionary hits, one list entry per keyword found (ascending keyword id = position in the
  matcher's sorted ``canon``): ``title_hits``, ``body_hits`` (so ``tf_raw = title_weight x
  title_hits + body_hits``; ``in_title = title_hits > 0``) and ``first_pos`` (0 in the title, else
  the relative position of the first body hit), exactly :meth:`KeywordExtractor.pairs`.

The body is read here and nowhere after. :func:`issues.reduce.reduce_mapped` is the reduce.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from keywords.extract import KeywordExtractor, _clean_posts
from keywords.signature import NUM_BINS, SIGNATURE_BYTES, minhash_signatures, shingle_text

__all__ = ["MAPPED_SCHEMA", "MapSettings", "map_posts", "signatures_of"]

MAPPED_SCHEMA = pa.schema([
    ("post_id", pa.string()),
    ("channel", pa.string()),
    ("author_id", pa.string()),
    ("title", pa.string()),
    ("url", pa.string()),
    ("recommend_count", pa.int64()),
    ("editor_score", pa.float64()),
    ("published_at", pa.timestamp("us", tz="UTC")),
    ("signature", pa.binary(SIGNATURE_BYTES)),
    ("keyword_ids", pa.list_(pa.int32())),
    ("title_hits", pa.list_(pa.int32())),
    ("body_hits", pa.list_(pa.int32())),
    ("first_pos", pa.list_(pa.float64())),
])


@dataclass(frozen=True)
class MapSettings:
    """What the map needs: the body cut before matching (``ExtractSettings.max_body_chars``), the
    title's display length, and the near-duplicate signature's text (title + ``signature_body_chars``
    of the body, digits masked or not)."""

    max_body_chars: int = 20000
    title_chars: int = 300
    signature_body_chars: int = 300
    mask_digits: bool = True


def _frame(chunk) -> pd.DataFrame:
    if isinstance(chunk, (pa.Table, pa.RecordBatch)):
        return chunk.to_pandas()
    return chunk


def _texts(column: pd.Series) -> list[str]:
    return column.fillna("").astype(str).tolist()


def map_posts(chunk, tools, settings: MapSettings = MapSettings()) -> pa.Table:
    """One chunk of posts -> its slim rows with keyword hits (:data:`MAPPED_SCHEMA`), in input order."""
    posts = _frame(chunk)
    matcher = getattr(tools, "matcher", tools)
    n = len(posts)
    titles, bodies = _texts(posts["title"]) if n else [], _texts(posts["body"]) if n else []
    ids = _texts(posts["post_id"]) if n else []
    if n:
        clean_titles, clean_bodies = _clean_posts(pd.DataFrame({"title": titles, "body": bodies}),
                                                  settings.max_body_chars)
        pairs = KeywordExtractor(matcher).pairs(clean_titles, clean_bodies)
        sig = minhash_signatures([shingle_text(t, b, settings.signature_body_chars) for t, b in zip(titles, bodies)],
                                 mask_digits=settings.mask_digits, salt=ids)
    else:
        pairs = None
        sig = np.zeros((0, NUM_BINS), dtype=np.uint32)
    offsets = np.zeros(n + 1, dtype=np.int32)
    if pairs is not None and pairs.post.size:
        np.cumsum(np.bincount(pairs.post, minlength=n), out=offsets[1:])
        kw, th, bh, fp = (pairs.keyword.astype(np.int32), pairs.title_hits.astype(np.int32),
                          pairs.body_hits.astype(np.int32), pairs.first_pos.astype(np.float64))
    else:
        kw = th = bh = np.zeros(0, dtype=np.int32)
        fp = np.zeros(0, dtype=np.float64)
    off = pa.array(offsets, type=pa.int32())

    def lists(values, kind) -> pa.Array:
        return pa.ListArray.from_arrays(off, pa.array(values, type=kind))

    cut = settings.title_chars
    published = pd.to_datetime(posts["published_at"], utc=True) if n else pd.Series([], dtype="datetime64[us, UTC]")
    columns = {
        "post_id": pa.array(ids, type=pa.string()),
        "channel": pa.array(_texts(posts["channel"]) if n else [], type=pa.string()),
        "author_id": pa.array(_texts(posts["author_id"]) if n else [], type=pa.string()),
        "title": pa.array([t[:cut] for t in titles], type=pa.string()),
        "url": pa.array(_texts(posts["url"]) if n and "url" in posts else [""] * n, type=pa.string()),
        "recommend_count": pa.array(_numbers(posts, "recommend_count", np.int64), type=pa.int64()),
        "editor_score": pa.array(_numbers(posts, "editor_score", np.float64), type=pa.float64()),
        "published_at": pa.array(published, type=pa.timestamp("us", tz="UTC")),
        "signature": pa.FixedSizeBinaryArray.from_buffers(
            pa.binary(SIGNATURE_BYTES), n, [None, pa.py_buffer(np.ascontiguousarray(sig, dtype="<u4").tobytes())]),
        "keyword_ids": lists(kw, pa.int32()),
        "title_hits": lists(th, pa.int32()),
        "body_hits": lists(bh, pa.int32()),
        "first_pos": lists(fp, pa.float64()),
    }
    return pa.table(columns, schema=MAPPED_SCHEMA)


def _numbers(posts: pd.DataFrame, name: str, dtype) -> np.ndarray:
    if name not in posts or not len(posts):
        return np.zeros(len(posts), dtype=dtype)
    return pd.to_numeric(posts[name], errors="coerce").fillna(0).to_numpy(dtype=dtype)


def signatures_of(table: pa.Table | pa.ChunkedArray | pa.Array) -> np.ndarray:
    """The ``(rows, NUM_BINS)`` uint32 signatures of a mapped table (or its ``signature`` column),
    read-only (a view of the column's buffer when it is one chunk, on a little-endian machine)."""
    column = table.column("signature") if isinstance(table, pa.Table) else table
    if isinstance(column, pa.ChunkedArray):
        column = column.combine_chunks() if column.num_chunks else pa.array([], type=pa.binary(SIGNATURE_BYTES))
    n = len(column)
    if n == 0:
        return np.zeros((0, NUM_BINS), dtype=np.uint32)
    data = column.buffers()[1]
    start = column.offset * SIGNATURE_BYTES
    raw = np.frombuffer(data, dtype="<u4", count=n * NUM_BINS, offset=start)
    return raw.reshape(n, NUM_BINS).astype(np.uint32, copy=False)    # a read-only view of the column
