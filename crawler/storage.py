"""Storage layers on disk: raw responses as fetched, then validated records as hour/source Parquet.

    >>> import tempfile
    >>> data = Path(tempfile.mkdtemp())
    >>> now = datetime(2026, 5, 5, 9, 3, 12, tzinfo=timezone.utc)
    >>> RawStore(data).save("news", "http://127.0.0.1:8080/feed.xml", b"<rss/>", fetched_at=now).relative_to(data)
    PosixPath('raw/news/2026-05-05/09/090312-87d3749152-feed.xml')
    >>> post = {"post_id": "p1", "channel": "news", "author_id": "a1", "title": "지진", "body": "", "url": "",
    ...         "published_at": pd.Timestamp("2026-05-05T18:10+09:00"), "recommend_count": 0, "editor_score": 0.0}
    >>> parts = PartWriter(data)
    >>> staged = parts.stage_posts("news", [post])          # one .tmp file per hour
    >>> [(s.record["hour"], s.record["rows"]) for s in staged]
    [('20260505T09', 1)]
    >>> parts.publish(staged)                               # .tmp -> part-*.parquet
    >>> [p.parent.relative_to(data).as_posix() for p in data.rglob("*.parquet")]
    ['processed/posts/hour=20260505T09/source=news']

The crawl records ``[s.record for s in staged]`` in the database (``CrawlStore.commit_fetch``)
between staging and publishing.

Layout under the data dir::

    raw/<source>/YYYY-MM-DD/HH/<HHMMSS>-<url hash>-<name>          bodies exactly as fetched (decoded)
    raw/<source>/YYYY-MM-DD/HH/<...>.meta.json                     url, status, headers, fetched_at
    processed/posts/hour=YYYYMMDDTHH/source=<name>/part-*.parquet  the Post contract columns
    processed/queries/hour=YYYYMMDDTHH/source=<name>/part-*.parquet  hour, query, count
    processed/rejects/hour=YYYYMMDDTHH/source=<name>/part-*.parquet  kind, source, line, reason, raw

Hours are UTC: a post is filed under the hour of its ``published_at``, rejects under the crawl's
hour. ``published_at`` is written as an ISO 8601 string with its offset.

**Resumability.** A part is first written as ``<final>.tmp`` (invisible to readers, which only
take ``.parquet``), then recorded in the database together with the post ids it holds, then
renamed. :meth:`PartWriter.recover` runs before every crawl on the :meth:`PartWriter.leftovers`: a ``.tmp`` whose final name the
database committed is renamed (the crawl died between commit and rename); any other ``.tmp`` is
deleted (it died before the commit, so the URL was not marked crawled and its posts are fetched
again). Posts are therefore never lost and never stored twice.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from crawler.ingest import POST_COLUMNS, REJECT_COLUMNS
from issues.atomic_file import atomic_write

_SAFE = re.compile(r"[^A-Za-z0-9._-]+")


def hour_key(ts: pd.Timestamp | datetime) -> str:
    """``YYYYMMDDTHH`` of a time, in UTC.

        >>> hour_key(pd.Timestamp("2026-05-05T18:30+09:00"))
        '20260505T09'
    """
    return pd.Timestamp(ts).tz_convert("UTC").strftime("%Y%m%dT%H")


def _atomic_write(path: Path, data: bytes) -> None:
    atomic_write(path, data)          # temp file, fsync, rename; mode from the umask


class RawStore:
    """Keeps every fetched body as it arrived (gzip already decoded), with a metadata sidecar."""

    def __init__(self, data_dir: str | Path):
        self.root = Path(data_dir) / "raw"

    def save(self, source: str, url: str, body: bytes, fetched_at: datetime, meta: dict | None = None) -> Path:
        path = self._path(source, url, fetched_at)
        _atomic_write(path, body)
        self._sidecar(path, source, url, fetched_at, len(body), meta)
        return path

    def save_file(self, source: str, url: str, src: Path, fetched_at: datetime) -> Path:
        """A dropped file, copied as is (streamed, so large drops are not held in memory)."""
        path = self._path(source, url, fetched_at)
        with open(src, "rb") as fh:
            atomic_write(path, lambda out: shutil.copyfileobj(fh, out), binary=True)
        self._sidecar(path, source, url, fetched_at, path.stat().st_size, {"file": str(src)})
        return path

    def _sidecar(self, path: Path, source: str, url: str, fetched_at: datetime, size: int, meta: dict | None) -> None:
        sidecar = {"url": url, "source": source, "fetched_at": fetched_at.astimezone(timezone.utc).isoformat(),
                   "bytes": size, **(meta or {})}
        _atomic_write(path.with_name(path.name + ".meta.json"), json.dumps(sidecar, ensure_ascii=False, indent=1).encode())

    def _path(self, source: str, url: str, fetched_at: datetime) -> Path:
        at = fetched_at.astimezone(timezone.utc)
        name = _SAFE.sub("_", Path(urlsplit(url).path).name or "index")[:60] or "index"
        query = urlsplit(url).query
        digest = hashlib.sha1(url.encode()).hexdigest()[:10]
        if query:
            name += "_" + _SAFE.sub("_", unquote(query))[:60]
        folder = self.root / _SAFE.sub("_", source) / at.strftime("%Y-%m-%d") / at.strftime("%H")
        path = folder / f"{at.strftime('%H%M%S')}-{digest}-{name}"
        n = 1
        while path.exists():   # the same URL twice in one second: keep both
            n += 1
            path = folder / f"{at.strftime('%H%M%S')}-{digest}-{n}-{name}"
        return path


@dataclass
class StagedPart:
    """A written-but-unpublished Parquet part; ``record`` is its row for the crawl_parts table."""

    tmp: Path
    final: Path
    source: str
    kind: str
    hour: str
    rows: int
    post_ids: list[str]
    key: str          # the final path relative to the data dir: the part's name in the database

    @property
    def record(self) -> dict:
        return {"part": self.key, "source": self.source, "kind": self.kind, "hour": self.hour,
                "rows": self.rows}


POST_SCHEMA = pa.schema([(c, pa.int64() if c == "recommend_count" else pa.float64() if c == "editor_score"
                          else pa.string()) for c in POST_COLUMNS])
QUERY_SCHEMA = pa.schema([("hour", pa.string()), ("query", pa.string()), ("count", pa.int64())])
REJECT_SCHEMA = pa.schema([(c, pa.int64() if c == "line" else pa.string()) for c in REJECT_COLUMNS])


def iso_utc(ts: pd.Timestamp | datetime) -> str:
    """ISO 8601 in UTC with its offset: ``2026-05-05T09:00:00+00:00``."""
    return pd.Timestamp(ts).tz_convert("UTC").isoformat()


def posts_table(posts: list[dict]) -> pa.Table:
    """Validated posts (``crawler.ingest.validate_post`` dicts) -> exactly the contract columns, with
    ``published_at`` as ISO 8601 text. Built straight in Arrow: pandas costs more than the write here."""
    cols = {c: [p.get(c) for p in posts] for c in POST_COLUMNS}
    cols["published_at"] = [iso_utc(t) for t in cols["published_at"]]
    for name in ("post_id", "channel", "author_id", "title", "body", "url", "source"):
        cols[name] = ["" if v is None else str(v) for v in cols[name]]
    cols["recommend_count"] = [int(v or 0) for v in cols["recommend_count"]]
    cols["editor_score"] = [float(v or 0.0) for v in cols["editor_score"]]
    return pa.table(cols, schema=POST_SCHEMA)


class PartWriter:
    """Writes processed Parquet parts in two steps (``stage`` then ``publish``), see the module docstring."""

    def __init__(self, data_dir: str | Path):
        self.root = Path(data_dir) / "processed"

    def folder(self, kind: str, hour: str, source: str) -> Path:
        return self.root / kind / f"hour={hour}" / f"source={_SAFE.sub('_', source)}"

    def _stage(self, kind: str, source: str, hour: str, table: pa.Table, name: str,
               post_ids: list[str] = ()) -> StagedPart:
        final = self.folder(kind, hour, source) / name
        tmp = final.with_name(final.name + ".tmp")
        tmp.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(table, tmp)
        return StagedPart(tmp, final, source, kind, hour, table.num_rows, list(post_ids), self.key(final))

    def key(self, final: Path) -> str:
        return final.relative_to(self.root.parent).as_posix()

    def stage_posts(self, source: str, posts: list[dict]) -> list[StagedPart]:
        """One new part per hour of ``published_at``; names are unique, so parts never overwrite."""
        by_hour: dict[str, list[dict]] = {}
        for post in posts:
            by_hour.setdefault(hour_key(post["published_at"]), []).append(post)
        return [self._stage("posts", source, hour, posts_table(rows), f"part-{uuid.uuid4().hex[:16]}.parquet",
                            [p["post_id"] for p in rows]) for hour, rows in sorted(by_hour.items())]

    def stage_queries(self, source: str, url: str, queries: list[dict]) -> list[StagedPart]:
        """``{hour, query, count}`` rows, one part per hour named after the URL: re-fetching an hour's
        file replaces its counts instead of adding to them."""
        digest = hashlib.sha1(url.encode()).hexdigest()[:16]
        by_hour: dict[str, list[dict]] = {}
        for row in queries:
            by_hour.setdefault(hour_key(row["hour"]), []).append(row)
        return [self._stage("queries", source, hour, pa.table(
                    {"hour": [iso_utc(r["hour"]) for r in rows], "query": [r["query"] for r in rows],
                     "count": [int(r["count"]) for r in rows]}, schema=QUERY_SCHEMA), f"part-{digest}.parquet")
                for hour, rows in sorted(by_hour.items())]

    def stage_rejects(self, source: str, hour: str, rejects: list[dict]) -> list[StagedPart]:
        if not rejects:
            return []
        cols = {c: [r[c] if c == "line" else str(r[c]) for r in rejects] for c in REJECT_COLUMNS}
        return [self._stage("rejects", source, hour, pa.table(cols, schema=REJECT_SCHEMA),
                            f"part-{uuid.uuid4().hex[:16]}.parquet")]

    @staticmethod
    def publish(parts: list[StagedPart]) -> None:
        for part in parts:
            os.replace(part.tmp, part.final)

    @staticmethod
    def discard(parts: list[StagedPart]) -> None:
        for part in parts:
            part.tmp.unlink(missing_ok=True)

    def leftovers(self) -> list[Path]:
        """``.tmp`` parts a crashed crawl left behind."""
        return sorted(self.root.rglob("*.parquet.tmp")) if self.root.exists() else []

    def key_of_leftover(self, tmp: Path) -> str:
        return self.key(tmp.with_name(tmp.name[: -len(".tmp")]))

    def recover(self, leftovers: list[Path], committed: set[str]) -> tuple[int, int]:
        """Publish the leftovers the database committed, delete the others; returns (published, deleted)."""
        published = deleted = 0
        for tmp in leftovers:
            if self.key_of_leftover(tmp) in committed:
                os.replace(tmp, tmp.with_name(tmp.name[: -len(".tmp")]))
                published += 1
            else:
                tmp.unlink(missing_ok=True)
                deleted += 1
        return published, deleted
