"""The hour's ingest and keyword map on Apache Spark (``--engine spark``), handed to the same core.

    >>> job = SparkHourJob(Settings(engine=EngineSettings(name="spark")))
    >>> job.settings.engine.spark_master, job.session_started
    ('local[2]', False)

What runs where (docs/spark.md):

* **Read and validate** (executors): the post files are read where Spark reads them (local
  paths, ``hdfs://``, ``s3a://``, the crawler's ``processed/posts/hour=YYYYMMDDTHH/`` folders)
  with Spark's ``binaryFile`` source, one file per task, and every file is validated by the
  local engine's own reader and rules (:func:`jobs.engine.partitions.read_file_batches` in
  ``mapInArrow``), so accepted rows and rejects are the local engine's, reasons and lines
  included. A path that does not exist is an :class:`crawler.ingest.IngestError` (exit 2).
* **Duplicates** (Spark SQL): a post id's first row (by file, then line) is kept, later ones are
  rejected as the local read rejects them; titles and bodies are then cut to ``[ingest]``.
* **The hour** (Spark SQL): the rows published in ``[hour, hour + 1h)``; the validated posts of
  all hours stay cached, so a backfill reads its files once.
* **Keyword map** (executors) and **document frequencies** (Spark SQL): the keywords of each
  post, their post counts reduced by a ``groupBy``, then every post scored with the whole hour's
  counts (:func:`jobs.engine.partitions.score_batches`), the dictionary's matcher broadcast once.
* **Driver**: the rejects, the per-file counts, the hour's posts and their scored keywords are
  collected and given to :func:`jobs.pipeline.hour.run_hour_core` with the rest of the hour
  (history from the store, query counts); store and publishers are the local engine's.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence
from urllib.parse import urlsplit

import numpy as np
import pandas as pd

from crawler import ingest
from crawler.ingest import POST_COLUMNS, REJECT_COLUMNS, FileCount, IngestBatch, IngestError
from issues.field_rules import show
from jobs.engine import EngineSettings  # noqa: F401 - the example above
from issues.reduce import SLIM_COLUMNS, MappedHour, reduce_mapped
from jobs.engine.partitions import (HOUR_SCHEMA, KEYWORD_SCHEMA, MAPPED_SPARK_SCHEMA, READ_SCHEMA, ReadOptions,
                                    canonical_uri, cut_texts, map_batches, read_file_batches, score_batches)
from jobs.engine.session import EngineError, spark_session
from jobs.pipeline.engine import map_settings
from jobs.settings import Settings
from keywords.extract import KeywordExtractor, _empty

__all__ = ["SparkHourJob", "SparkIngestBatch", "EngineError"]

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:/")      # a URL (file:, hdfs://, s3a://): Spark lists it


@dataclass
class SparkIngestBatch(IngestBatch):
    """An :class:`crawler.ingest.IngestBatch` whose ``accepted`` holds only the hour's posts; the
    count of every accepted post of the files is ``accepted_total``."""

    accepted_total: int = 0

    @property
    def summary(self) -> dict[str, int]:
        return {"read": self.rows_read, "accepted": self.accepted_total, "rejected": len(self.rejects)}


@dataclass
class _Read:
    """One read of a set of files: the validated posts (a cached Spark frame) and the driver's part."""

    unique: object                       # Spark DataFrame: unique accepted posts of every hour (uncut)
    names: list[str]                     # file index -> the name rejects carry
    rows_read: int
    accepted_total: int
    rejects: pd.DataFrame
    dropped: pd.DataFrame
    per_file: dict[str, FileCount]
    samples: dict[str, list]


class SparkHourJob:
    """The Spark side of a process's hours: one per :class:`jobs.runner.hour.RunContext`."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._reads: dict[tuple, _Read] = {}
        self._hour = None                 # (read key, hour) -> the cached Spark frame of the hour's posts
        self._extractor = None            # (extractor, its broadcast)

    @property
    def session_started(self) -> bool:
        return bool(self._reads)

    @property
    def spark(self):
        return spark_session(self.settings.engine)

    # ------------------------------------------------------------------ read
    def read_posts(self, paths: Sequence[str], hour: pd.Timestamp, latest: pd.Timestamp) -> SparkIngestBatch:
        """Validate ``paths`` (cached per process) and collect the posts of ``hour``."""
        s = self.settings
        listed = _files(self.spark, list(paths))
        files = [(uri, name) for uri, name, _ in listed]
        key = tuple(listed) + (s.posts_mapping,)          # a changed file (time, size) is read again
        if key not in self._reads:
            for old in self._reads.values():               # one read cached at a time
                old.unique.unpersist()
            self._reads.clear()
            options = ReadOptions(s.posts_mapping, s.max_text_chars,
                                  pd.Timestamp(s.post_time_floor).tz_convert("UTC"), latest)
            self._reads[key] = self._validate(files, options)
        read = self._reads[key]
        start = pd.Timestamp(hour).tz_convert("UTC")
        hour_frame = self._hour_frame(key, read, start)
        posts = self._collect_posts(hour_frame, read.names, start)
        return SparkIngestBatch(posts, read.rejects, read.rows_read, read.names, read.dropped, read.per_file,
                                read.samples, accepted_total=read.accepted_total)

    def _validate(self, files: list[tuple[str, str]], options: ReadOptions) -> _Read:
        from pyspark import StorageLevel
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        spark = self.spark
        uris = [uri for uri, _ in files]
        index = {canonical_uri(uri): i for i, uri in enumerate(uris)}
        names = [name for _, name in files]
        raw = spark.read.format("binaryFile").load(uris).select("path", "content")
        ddl = _ddl(READ_SCHEMA)
        tagged = raw.mapInArrow(lambda it: read_file_batches(it, index, options), ddl)
        tagged = tagged.persist(StorageLevel.MEMORY_AND_DISK)
        small = tagged.filter(F.col("record") != "post").drop("post_id", "channel", "author_id", "title", "body")
        side = _to_pandas(small)
        errors = side.loc[side["record"] == "error"].sort_values("file")
        if len(errors):
            first = errors.iloc[0]
            tagged.unpersist()
            raise IngestError(names[int(first["file"])], str(first["reason"]))
        posts = tagged.filter(F.col("record") == "post").select(*HOUR_SCHEMA.names)
        # Duplicates are found on the ids alone (no body is shuffled); the few later rows are
        # collected, and dropped from the posts by a broadcast anti-join.
        order = Window.partitionBy("post_id").orderBy("file", "line")
        ranked = (posts.select("post_id", "file", "line").withColumn("_rank", F.row_number().over(order))
                  .withColumn("_first_file", F.first("file").over(order))
                  .withColumn("_first_line", F.first("line").over(order)))
        later = _to_pandas(ranked.filter(F.col("_rank") > 1).drop("_rank"))
        unique = posts
        if len(later):
            keys = F.broadcast(spark.createDataFrame(later[["file", "line"]]))
            titles = _to_pandas(posts.join(keys, ["file", "line"]).select("file", "line", "title"))
            later = later.merge(titles, on=["file", "line"])
            unique = posts.join(keys, ["file", "line"], "left_anti")
        unique = unique.persist(StorageLevel.MEMORY_AND_DISK)
        duplicates = later
        accepted_total = unique.count()
        tagged.unpersist()
        return _Read(unique, names, int(side.loc[side["record"] == "file", "rows"].sum()), accepted_total,
                     _rejects(side, duplicates, names), _side_rows(side, "dropped", names),
                     _per_file(side, names), _samples(side, names))

    def _hour_frame(self, key: tuple, read: _Read, start: pd.Timestamp):
        from pyspark import StorageLevel
        from pyspark.sql import functions as F

        if self._hour is not None and self._hour[0] == (key, start):
            return self._hour[1]
        if self._hour is not None:
            self._hour[1].unpersist()
        lo, hi = start.value, (start + pd.Timedelta(hours=1)).value
        title_chars, body_chars = self.settings.ingest.title_chars, self.settings.ingest.body_chars
        frame = read.unique.filter((F.col("published_ns") >= lo) & (F.col("published_ns") < hi))
        frame = frame.mapInArrow(lambda it: cut_texts(it, title_chars, body_chars), _ddl(HOUR_SCHEMA))
        frame = frame.persist(StorageLevel.MEMORY_AND_DISK)
        self._hour = ((key, start), frame)
        return frame

    def _collect_posts(self, frame, names: list[str], start: pd.Timestamp) -> pd.DataFrame:
        """The hour's posts on the driver, their bodies left on the executors (``body`` is empty)."""
        got = _to_pandas(frame.drop("body"))
        out = pd.DataFrame({c: got[c] if c in got else pd.Series("", index=got.index, dtype=object)
                            for c in POST_COLUMNS})
        out["published_at"] = pd.to_datetime(got["published_ns"].astype("int64"), utc=True)
        out["_source_file"] = [names[int(i)] for i in got["file"]]
        out["_line"] = got["line"].astype("int64")
        out = out.astype({"recommend_count": "int64", "editor_score": "float64"})
        return ingest.posts_in_hour(out, start)

    # ------------------------------------------------------------------ map and reduce
    def map_hour(self, tools, doc_freq: pd.Series, n_docs: int, query_volume: pd.Series) -> MappedHour:
        """The hour's :class:`issues.reduce.MappedHour` (slim rows, signatures, scored keywords,
        document frequencies) from the posts of the last :meth:`read_posts`: the map on the
        executors, the document frequencies in Spark SQL, the scoring on the executors again."""
        from pyspark import StorageLevel
        from pyspark.sql import functions as F

        extractor = KeywordExtractor(tools.matcher, self.settings.extract)
        if self._hour is None:
            return reduce_mapped([], tools.matcher, self.settings.extract, doc_freq, n_docs, query_volume)
        shared = self._broadcast(tools, extractor)
        mapping = map_settings(self.settings)
        mapped = self._hour[1].mapInArrow(lambda it: map_batches(it, shared.value.matcher, mapping),
                                          _ddl(MAPPED_SPARK_SCHEMA)).persist(StorageLevel.MEMORY_AND_DISK)
        try:
            counts = _to_pandas(mapped.select(F.explode("keyword_ids").alias("keyword_id"))
                                .groupBy("keyword_id").agg(F.count(F.lit(1)).alias("posts")))
            n_kw = len(tools.matcher.canon)
            df_now = np.zeros(n_kw, dtype=np.int64)
            df_now[counts["keyword_id"].to_numpy(dtype=np.int64)] = counts["posts"].to_numpy(dtype=np.int64)
            slim = _to_pandas(mapped.select(*SLIM_COLUMNS, "signature"))
            n_now = len(slim)
            scored = mapped.mapInArrow(
                lambda it: score_batches(it, shared.value, doc_freq, n_docs, query_volume, df_now, n_now),
                _ddl(KEYWORD_SCHEMA))
            post_keywords = _to_pandas(scored)
        finally:
            mapped.unpersist()
        if post_keywords.empty:
            post_keywords = _empty()
        post_keywords["keyword"] = post_keywords["keyword"].astype(object)
        post_keywords["post_id"] = post_keywords["post_id"].astype(object)
        found = np.flatnonzero(df_now)
        hour_df = pd.Series(df_now[found], index=pd.Index(tools.matcher.canon[found], dtype=object, name="keyword"),
                            name="doc_freq")
        hour = MappedHour.from_aggregates(slim, post_keywords, doc_freq=hour_df, query_volume=query_volume)
        return _keyword_order(hour, tools.matcher)

    def _broadcast(self, tools, extractor: KeywordExtractor):
        if self._extractor is None or self._extractor[0] is not tools:
            if self._extractor is not None:
                self._extractor[1].unpersist()
            self._extractor = (tools, self.spark.sparkContext.broadcast(extractor))
        return self._extractor[1]


# ---------------------------------------------------------------------- helpers
def _keyword_order(hour: MappedHour, matcher) -> MappedHour:
    """Ties of score within a post in keyword-id order (= the local extractor's order)."""
    pk = hour.post_keywords
    if pk.empty:
        return hour
    rank = pd.Series(np.arange(len(hour.posts)), index=hour.posts["post_id"].to_numpy())
    order = np.lexsort((matcher.canon_index.get_indexer(pk["keyword"]), -pk["score"].to_numpy(),
                        rank.reindex(pk["post_id"].to_numpy()).to_numpy()))
    hour.post_keywords = pk.iloc[order].reset_index(drop=True)
    return hour


def _files(spark, paths: list[str]) -> list[tuple[str, str, tuple]]:
    """``(uri Spark reads, name rejects carry, (modification time, size))`` of every data file, in the local read's order:
    plain paths through :func:`crawler.ingest.expand_paths` (named as the local read names them),
    URLs (``file:``, ``hdfs://``, ``s3a://``...) listed by Spark, recursively, sorted."""
    out = []
    for path in paths:
        if _SCHEME.match(path):
            out.extend((uri, uri, stamp) for uri, stamp in _list_remote(spark, path))
        else:
            for p in ingest.expand_paths([path]):
                st = Path(p).stat()
                out.append(("file://" + str(Path(p).resolve()), str(p), (st.st_mtime_ns, st.st_size)))
    if not out:
        raise IngestError(", ".join(paths) or "--posts", "no data files found")
    return out


def _list_remote(spark, path: str) -> list[tuple[str, tuple]]:
    from pyspark.errors import AnalysisException

    try:
        listed = (spark.read.format("binaryFile").option("recursiveFileLookup", "true").load(path)
                  .select("path", "modificationTime", "length").collect())
    except AnalysisException as exc:
        raise IngestError(path, f"cannot be read: {_first_line(exc)}") from None
    uris = sorted((r["path"], (str(r["modificationTime"]), int(r["length"]))) for r in listed
                  if ingest._data_suffix(Path(urlsplit(r["path"]).path)))
    if not uris:
        raise IngestError(path, f"no data files ({', '.join(ingest.FILE_SUFFIXES)}, optionally .gz)")
    return uris


def _ddl(schema) -> str:
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


def _to_pandas(frame) -> pd.DataFrame:
    try:
        return frame.toArrow().to_pandas()
    except Exception as exc:  # noqa: BLE001 - a failed Spark job: one line, the executors' reason
        raise EngineError(f"the Spark job failed: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    lines = [ln for ln in text.splitlines() if ln.strip()]
    for ln in lines:                               # a Python error inside a task: its own last line
        if ln.startswith(("IngestError", "ValueError", "OSError", "FileNotFoundError")):
            return ln[:500]
    return lines[0][:500] if lines else text


def _side_rows(side: pd.DataFrame, record: str, names: list[str]) -> pd.DataFrame:
    rows = side.loc[side["record"] == record].sort_values(["file", "line"], kind="stable")
    return pd.DataFrame({"kind": rows["kind"].to_numpy(dtype=object),
                         "source": [names[int(i)] for i in rows["file"]],
                         "line": rows["line"].astype("int64").to_numpy(),
                         "reason": rows["reason"].to_numpy(dtype=object),
                         "raw": rows["raw"].to_numpy(dtype=object)}, columns=REJECT_COLUMNS)


def _rejects(side: pd.DataFrame, duplicates: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Every reject in file and line order, duplicates among them (as the local read finds them)."""
    duplicates = duplicates.rename(columns={"_first_file": "first_file", "_first_line": "first_line"})
    again = pd.DataFrame([dict(ingest.reject_record(
        "post", names[int(d.file)], int(d.line),
        f"duplicate post_id {show(d.post_id, 200)} (first at {names[int(d.first_file)]}:{int(d.first_line)})",
        json.dumps({"post_id": d.post_id, "title": d.title}, ensure_ascii=False)), record="reject", file=int(d.file))
        for d in duplicates.itertuples(index=False)], columns=["record", "file", "line", "kind", "reason", "raw"])
    rows = pd.concat([side.loc[side["record"] == "reject", list(again.columns)], again], ignore_index=True)
    return _side_rows(rows, "reject", names)


def _per_file(side: pd.DataFrame, names: list[str]) -> dict[str, FileCount]:
    rows = side.loc[side["record"] == "file"].sort_values("file")
    return {names[int(r.file)]: FileCount(int(r.rows), int(r.valid)) for r in rows.itertuples(index=False)}


def _samples(side: pd.DataFrame, names: list[str]) -> dict[str, list]:
    rows = side.loc[side["record"] == "file"].sort_values("file")
    return {names[int(r.file)]: json.loads(r.samples or "[]") for r in rows.itertuples(index=False)}
