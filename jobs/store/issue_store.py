"""The issue store: state that survives hours, in SQLite (default) or PostgreSQL, via SQLAlchemy Core.

    >>> store = IssueStore("sqlite://")          # in memory here; a file or PostgreSQL URL in production
    >>> store.upgrade.describe()                 # a new database gets its tables from the migrations
    'database sqlite://: upgraded from (empty) to 0002'
    >>> hour, none = pd.Timestamp("2026-05-04T08:00+09:00"), pd.DataFrame()
    >>> stats = pd.DataFrame([{"keyword": "어린이날", "channel": "home", "posts": 30, "authors": 25,
    ...                        "title_hits": 20, "is_issue": True, "masked": True}])
    >>> store.save_hour(hour, {"status": "ok", "posts_read": 120, "posts_in_hour": 118}, stats,
    ...                 pd.Series({"home": 118}), None, none, none,
    ...                 pd.DataFrame(columns=["kind", "source", "line", "reason", "raw"]))   # one transaction
    >>> [str(h) for h in store.completed_hours()]
    ['2026-05-03 23:00:00+00:00']
    >>> df, n_docs = store.doc_freq(hour + pd.Timedelta(hours=1), window_days=7)
    >>> df.to_dict(), n_docs
    ({'어린이날': 30}, 118)

Tables (all times naive UTC): ``runs`` (one row per hour: status, counts, feed version, where it
was published), ``keyword_stats`` (per hour, keyword, channel: the aggregates, the baseline's
expectation and whether it was published as an issue — the masked hours of the baseline),
``channel_activity``, ``query_stats`` (query counts of each hour at or above a floor, for
title surge), ``issues`` and ``bundles`` (what was published), ``rejects`` (bad input rows with
reason, kept once per file and line). ``feeds`` keeps each hour's
published document (so a publish that failed is retried by the next run), ``run_lock`` the one
run lock (:mod:`jobs.store.lock`), ``run_attempts`` every attempt at an hour with the stage a failure
stopped in (for ``issuewire status`` and recovery alerts). Saving an hour deletes that hour's rows and inserts the
new ones in one transaction, so re-running an hour changes nothing and a crash leaves nothing
half-written. Database errors leave this module as :class:`StoreError`
(:func:`jobs.store.errors.database_errors`, the one wrapper). The tables are defined in
:mod:`jobs.store.schema` and created and changed only by the migrations (:mod:`jobs.store.migrate`).
"""
from __future__ import annotations

import contextlib
import gc
import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from jobs.runner.faults import checkpoint
from jobs.store.bulk import insert_rows
from jobs.store.errors import StoreError, database_errors, describe, redact_url
from jobs.store.lock import check_fence
from jobs.store.migrate import Upgrade, upgrade_database
from jobs.store.schema import (HOURLY_TABLES, bundles, channel_activity, console_audit, feeds, issues,
                               keyword_stats, metadata, override_files, override_firings, query_stats, rejects,
                               run_attempts, run_lock, runs, utc_now)

__all__ = ["IssueStore", "RunLedger", "StoreError", "from_db_time", "normalise_db_url", "sqlite_file", "to_db_time",
           "utc_now",
           "metadata", "runs", "keyword_stats", "channel_activity", "query_stats", "issues", "bundles", "rejects",
           "feeds", "run_lock", "run_attempts", "override_firings", "override_files", "console_audit",
           "HOURLY_TABLES"]



def normalise_db_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` use the psycopg 3 driver that issuewire installs; a raw
    ``@`` or ``/`` in the password is percent-encoded (else the driver takes part of it as the host
    and an error message shows it)."""
    from jobs.runner.alerts import quote_url_password

    url = quote_url_password(url)
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names; None for another database or an in-memory SQLite.

    >>> sqlite_file("sqlite:///var/lib/issuewire.sqlite"), sqlite_file("sqlite://"), sqlite_file("postgresql://h/db")
    (PosixPath('var/lib/issuewire.sqlite'), None, None)
    """
    try:
        parsed = sa.engine.make_url(normalise_db_url(url))
    except Exception:  # noqa: BLE001 - opening it will say what is wrong
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:") \
            or parsed.query.get("mode") == "memory":
        return None
    return Path(parsed.database)


@contextlib.contextmanager
def _no_cyclic_gc():
    """The cyclic garbage collector paused: millions of fresh row tuples (which hold no cycles)
    would otherwise trigger full collections over every object of the process, again and again."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _stat_columns(stats: pd.DataFrame, hour: datetime) -> dict:
    """The ``keyword_stats`` columns of an hour's stats as lists of plain Python values (NaN: NULL)."""
    names = [c.name for c in keyword_stats.c if c.name != "hour"]
    frame = stats.reindex(columns=names)
    columns: dict[str, Any] = {"hour": hour}
    for name in names:
        values = frame[name]
        if name in ("is_issue", "masked"):
            columns[name] = [bool(v) for v in values.tolist()]
        else:                                   # missing (NaN) is NULL, on PostgreSQL too
            columns[name] = values.astype(object).where(values.notna(), None).tolist()
    return columns


def to_db_time(ts: Any) -> datetime:
    return pd.Timestamp(ts).tz_convert("UTC").tz_localize(None).to_pydatetime()


def from_db_time(values) -> pd.DatetimeIndex | pd.Series:
    return pd.to_datetime(values).dt.tz_localize("UTC") if isinstance(values, pd.Series) \
        else pd.DatetimeIndex(pd.to_datetime(values)).tz_localize("UTC")


class IssueStore:
    """The run database at ``url``; ``create=True`` applies pending migrations first
    (:func:`jobs.store.migrate.upgrade_database`: under the run lock, ``upgrade`` says what it did),
    ``create=False`` opens it as it is (read-only commands)."""

    def __init__(self, url: str, create: bool = True, *, lock_ttl_seconds: float = 300,
                 lock_wait_seconds: float = 0):
        self.url = normalise_db_url(url)
        self.upgrade: Upgrade | None = None
        with self.errors("opening", also=(ImportError, ValueError)):
            self.engine = sa.create_engine(self.url, future=True)
        if create:
            self.upgrade = upgrade_database(self.engine, lock_ttl_seconds=lock_ttl_seconds,
                                            lock_wait_seconds=lock_wait_seconds)

    def errors(self, doing: str = "", also: tuple[type[BaseException], ...] = ()) -> contextlib.AbstractContextManager:
        """The one SQLAlchemy error wrapper (:func:`jobs.store.errors.database_errors`) for this database."""
        return database_errors(self.url, doing or "", also)

    def _wrap(self, exc: Exception) -> StoreError:
        """The :class:`StoreError` for ``exc`` (for callers that catch it themselves)."""
        return describe(self.url, "", exc)

    def _frame(self, query) -> pd.DataFrame:
        with self.errors("reading"), self.engine.connect() as conn:
            result = conn.execute(query)
            columns = list(result.keys())
            # plain tuples: building a DataFrame from Row objects is ~8x slower
            return pd.DataFrame.from_records([tuple(r) for r in result.fetchall()], columns=columns)

    # ------------------------------------------------------------ reads for the hour
    def completed_hours(self, before: pd.Timestamp | None = None, since: pd.Timestamp | None = None,
                        statuses: tuple[str, ...] = ("ok", "empty")) -> pd.DatetimeIndex:
        """Hours whose run committed; the baseline reads only ``ok`` ones (an ``empty`` hour, with
        no post at all, is more likely an outage upstream than a silent portal)."""
        q = sa.select(runs.c.hour).where(runs.c.status.in_(statuses))
        if before is not None:
            q = q.where(runs.c.hour < to_db_time(before))
        if since is not None:
            q = q.where(runs.c.hour >= to_db_time(since))
        frame = self._frame(q.order_by(runs.c.hour))
        return pd.DatetimeIndex(from_db_time(frame["hour"])) if len(frame) else pd.DatetimeIndex([], tz="UTC")

    def load_history(self, hour: pd.Timestamp, seasonal_days: int = 7, level_hours: int = 24,
                     weekly_weeks: int = 0) -> tuple[pd.DataFrame, pd.DatetimeIndex, pd.DataFrame]:
        """Keyword stats and channel activity of just the hours the baseline reads: the same hour
        of the week over ``weekly_weeks`` weeks, of the day over ``seasonal_days`` days, and the
        last ``level_hours`` hours."""
        from issues.baseline import AuthorBaseline

        hour = pd.Timestamp(hour)
        windows = AuthorBaseline.window_hours(hour, seasonal_days, level_hours, weekly_weeks)
        wanted = sorted(set().union(*windows.values()))
        run_hours = self.completed_hours(before=hour, since=wanted[0], statuses=("ok",)).intersection(
            pd.DatetimeIndex(wanted))
        db_hours = [to_db_time(h) for h in run_hours]
        c = keyword_stats.c
        stats = self._hourly_stats(run_hours, [c.keyword, c.channel, c.authors, c.posts, c.query_volume, c.expected,
                                               c.expected_posts, c.expected_queries, c.masked, c.is_issue])
        activity = self._frame(sa.select(channel_activity).where(channel_activity.c.hour.in_(db_hours)))
        if len(activity):
            activity["hour"] = from_db_time(activity["hour"])
        if stats.empty:
            stats = pd.DataFrame(columns=["hour", "keyword", "channel", "authors", "posts", "query_volume", "expected",
                                          "expected_posts", "expected_queries", "masked", "is_issue"])
        if activity.empty:
            activity = pd.DataFrame(columns=["hour", "channel", "posts"])
        return stats, run_hours, activity

    def _hourly_stats(self, hours: pd.DatetimeIndex, columns: list) -> pd.DataFrame:
        """``keyword_stats`` rows of ``hours``, read one hour at a time (``hour`` first, then
        ``columns``, rows by keyword and channel): the hour is not read or parsed per row, and each
        keyword and channel string is kept once, so a portal's state of a few hundred thousand
        (keyword, channel) rows an hour over the baseline's ~35 hours reads in seconds and holds
        ~0.1 KB a row instead of ~0.8 KB."""
        names = [col.name for col in columns]
        shared: dict[str, str] = {}
        parts: dict[str, list] = {name: [] for name in names}
        counts: list[int] = []
        with self.errors("reading"), self.engine.connect() as conn, _no_cyclic_gc():
            for hour in hours:
                result = conn.execute(sa.select(*columns).where(keyword_stats.c.hour == to_db_time(hour))
                                      .order_by(keyword_stats.c.keyword, keyword_stats.c.channel))
                rows = result.cursor.fetchall()      # the driver's rows: no per-row result processing
                counts.append(len(rows))
                if not rows:
                    continue
                for name, values in zip(names, zip(*rows)):
                    if name in ("keyword", "channel"):
                        values = [shared.setdefault(v, v) for v in values]
                    parts[name].extend(values)
        if not sum(counts):
            return pd.DataFrame(columns=["hour"] + names)
        frame = pd.DataFrame({name: pd.Series(values, dtype=object if name in ("keyword", "channel") else None)
                              for name, values in parts.items()})
        for name, column in zip(names, columns):             # SQLite gives booleans as 0/1
            if isinstance(column.type, sa.Boolean) and frame[name].notna().all():
                frame[name] = frame[name].astype(bool)
        frame.insert(0, "hour", pd.DatetimeIndex(np.repeat(pd.DatetimeIndex(hours).tz_convert("UTC"), counts)))
        return frame

    def doc_freq(self, hour: pd.Timestamp, window_days: int) -> tuple[pd.Series, int]:
        """Posts per keyword (home) and posts in all over the completed hours of the window."""
        lo, hi = to_db_time(pd.Timestamp(hour) - pd.Timedelta(days=window_days)), to_db_time(hour)
        # hourly rows exist only for hours whose run committed (save_hour is one transaction)
        df = self._frame(sa.select(keyword_stats.c.keyword, sa.func.sum(keyword_stats.c.posts).label("df"))
                         .where(keyword_stats.c.channel == "home", keyword_stats.c.hour >= lo,
                                keyword_stats.c.hour < hi)
                         .group_by(keyword_stats.c.keyword))
        n = self._frame(sa.select(sa.func.coalesce(sa.func.sum(channel_activity.c.posts), 0).label("n"))
                        .where(channel_activity.c.channel == "home", channel_activity.c.hour >= lo,
                               channel_activity.c.hour < hi))
        series = df.set_index("keyword")["df"].astype("int64") if len(df) else pd.Series(dtype="int64")
        return series, int(n["n"].iloc[0] or 0)

    def query_history(self, hour: pd.Timestamp, hours: int = 24, queries: list[str] | None = None) -> pd.Series:
        """Mean count per completed hour of each stored query over the last ``hours`` hours; with
        ``queries``, of those queries only (what titling asks for, :data:`titling.titles.QueryHistory`,
        instead of every query a portal stored that day): read 500 at a time by primary key, each
        (hour, query) one index seek."""
        since = pd.Timestamp(hour) - pd.Timedelta(hours=hours)
        n_hours = len(self.completed_hours(before=hour, since=since, statuses=("ok",)))
        if n_hours == 0 or queries is not None and not len(queries):
            return pd.Series(dtype=float)
        total = sa.func.sum(query_stats.c.count).label("total")
        if queries is None:
            within = (query_stats.c.hour >= to_db_time(since), query_stats.c.hour < to_db_time(hour))
            frames = [self._frame(sa.select(query_stats.c.query, total).where(*within).group_by(query_stats.c.query))]
        else:
            stored = [to_db_time(h) for h in self.completed_hours(before=hour, since=since)]
            asked = sorted({str(q)[:400] for q in queries})
            frames = [self._frame(sa.select(query_stats.c.query, total)
                                  .where(query_stats.c.hour.in_(stored), query_stats.c.query.in_(chunk))
                                  .group_by(query_stats.c.query)) for chunk in _chunks(asked, 500)]
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        return (frame.set_index("query")["total"].astype(float) / n_hours) if len(frame) else pd.Series(dtype=float)

    def query_history_lookup(self, hour: pd.Timestamp, hours: int = 24):
        """:meth:`query_history` of ``hour`` as a lookup of given queries (for ``HourInputs.query_history``)."""
        return lambda queries: self.query_history(hour, hours, queries=queries)

    def previous_issues(self, hour: pd.Timestamp, within_hours: int) -> pd.DataFrame:
        lo = to_db_time(pd.Timestamp(hour) - pd.Timedelta(hours=within_hours))
        frame = self._frame(sa.select(issues.c.hour, issues.c.keyword, issues.c.issue_id, issues.c.facets, issues.c.onset)
                            .where(issues.c.hour >= lo, issues.c.hour < to_db_time(hour),
                                   sa.or_(issues.c.pinned.is_(None), issues.c.pinned.is_(False))))
        if frame.empty:
            return pd.DataFrame(columns=["hour", "keyword", "issue_id", "onset"])
        frame["hour"] = from_db_time(frame["hour"])
        frame["onset"] = from_db_time(pd.to_datetime(frame["onset"]))
        facets = frame.assign(keyword=frame["facets"].map(lambda f: json.loads(f or "[]"))).explode("keyword")
        both = pd.concat([frame, facets.dropna(subset=["keyword"])], ignore_index=True)
        return both[["hour", "keyword", "issue_id", "onset"]].drop_duplicates(["hour", "keyword"])

    def channels_seen(self, since: pd.Timestamp, until: pd.Timestamp) -> set[str]:
        """Channels with posts in a completed hour of ``[since, until)`` (from ``channel_activity``)."""
        frame = self._frame(sa.select(channel_activity.c.channel).distinct()
                            .where(channel_activity.c.hour >= to_db_time(since),
                                   channel_activity.c.hour < to_db_time(until)))
        return set(frame["channel"]) if len(frame) else set()

    def rejects_first_seen(self, hour: pd.Timestamp) -> pd.DataFrame:
        """The rejected input rows first recorded by ``hour``'s run, by file and line."""
        return self._frame(sa.select(rejects.c.kind, rejects.c.source, rejects.c.line, rejects.c.reason,
                                     rejects.c.raw).where(rejects.c.first_hour == to_db_time(hour))
                           .order_by(rejects.c.source, rejects.c.line, rejects.c.kind))

    def run_record(self, hour: pd.Timestamp) -> dict | None:
        frame = self._frame(sa.select(runs).where(runs.c.hour == to_db_time(hour)))
        return None if frame.empty else frame.iloc[0].to_dict()

    def table(self, name: str, hour: pd.Timestamp | None = None) -> pd.DataFrame:
        """A whole table (or one hour of it), for reports and tests."""
        t = metadata.tables[name]
        q = sa.select(t)
        if hour is not None and "hour" in t.c:
            q = q.where(t.c.hour == to_db_time(hour))
        return self._frame(q)

    def keyword_series(self, keywords: list[str], channels: list[str], since: pd.Timestamp,
                       until: pd.Timestamp) -> pd.DataFrame:
        """Hourly ``authors`` and ``expected`` of these keywords in these channels, ``since <= hour <= until``."""
        if not keywords:
            return pd.DataFrame(columns=["hour", "keyword", "channel", "authors", "expected"])
        frame = self._frame(sa.select(keyword_stats.c.hour, keyword_stats.c.keyword, keyword_stats.c.channel,
                                      keyword_stats.c.authors, keyword_stats.c.expected)
                            .where(keyword_stats.c.keyword.in_(sorted(set(keywords))),
                                   keyword_stats.c.channel.in_(sorted(set(channels))),
                                   keyword_stats.c.hour >= to_db_time(since),
                                   keyword_stats.c.hour <= to_db_time(until)))
        if len(frame):
            frame["hour"] = from_db_time(frame["hour"])
        return frame

    # ------------------------------------------------------------ the one write of an hour
    def save_hour(self, hour: pd.Timestamp, run: dict, stats: pd.DataFrame, activity: pd.Series,
                  queries: pd.DataFrame, issue_rows: pd.DataFrame, bundle_rows: pd.DataFrame,
                  reject_rows: pd.DataFrame, query_min_count: int = 2, *, document: dict | None = None,
                  fence=None, firings: pd.DataFrame | None = None) -> None:
        """Replace everything of ``hour`` in one transaction.

        ``document`` (the feed) is kept for re-publishing; ``fence`` (:class:`jobs.store.lock.Fence`) makes
        the transaction roll back with :class:`jobs.store.lock.LockLostError` if the run lock changed hands.
        """
        h = to_db_time(hour)
        stat_columns = _stat_columns(stats, h)
        activity_records = [{"hour": h, "channel": c, "posts": int(n)} for c, n in activity.items()]
        q = queries.loc[queries["count"] >= query_min_count] if queries is not None and len(queries) else []
        query_columns = {"hour": h, "query": [] if len(q) == 0 else q["query"].astype(str).str.slice(0, 400).tolist(),
                         "count": [] if len(q) == 0 else q["count"].astype("int64").tolist()}
        issue_records = [{
            "hour": h, "channel": r.channel, "rank": int(r.rank), "issue_id": r.issue_id, "keyword": r.keyword,
            "title": r.title, "title_source": r.title_source, "score": float(r.score),
            "facets": json.dumps(list(r.facets), ensure_ascii=False),
            "signals": json.dumps(r.signals, ensure_ascii=False), "pinned": bool(r.pinned), "state": r.state,
            "onset": None if r.onset is None or pd.isna(r.onset) else to_db_time(r.onset)}
            for r in issue_rows.itertuples(index=False)]
        bundle_records = [dict(rec, hour=h) for rec in bundle_rows.to_dict("records")]
        reject_records = [dict(rec, first_hour=h, line=int(rec["line"]), source=str(rec["source"])[:500])
                          for rec in reject_rows.to_dict("records")]
        firing_records = [] if firings is None else [
            {"hour": h, "seq": n, "rule": r["rule"], "line": int(r["line"]), "subject": str(r["subject"]),
             "channel": r["channel"], "detail": str(r["detail"])} for n, r in enumerate(firings.to_dict("records"))]
        run_row = dict(run, hour=h)
        with self.errors("saving the hour"), self.engine.begin() as conn:
            for table in HOURLY_TABLES:
                conn.execute(table.delete().where(table.c.hour == h))
            conn.execute(runs.delete().where(runs.c.hour == h))
            check_fence(conn, fence)        # after the first write: ordered against a takeover
            insert_rows(conn, keyword_stats, stat_columns)            # the hour's big tables: driver speed
            insert_rows(conn, query_stats, query_columns)
            for table, records in ((channel_activity, activity_records), (issues, issue_records),
                                   (bundles, bundle_records), (override_firings, firing_records)):
                if records:
                    conn.execute(table.insert(), records)
            if reject_records:
                self._insert_new_rejects(conn, reject_records)
            if document is not None:
                conn.execute(feeds.insert(), [{"hour": h, "version": run.get("feed_version") or "",
                                              "document": json.dumps(document, ensure_ascii=False)}])
            conn.execute(runs.insert(), [run_row])
            checkpoint("store:in-transaction")

    def save_override_file(self, path: str, text: str) -> None:
        """Keep a valid override file's text (once per content), for runs after a bad edit."""
        sha = hashlib.sha256(text.encode("utf-8")).hexdigest()
        with self.errors("keeping the override file"), self.engine.begin() as conn:
            if conn.execute(sa.select(override_files.c.sha).where(override_files.c.sha == sha)).first() is None:
                conn.execute(override_files.insert().values(sha=sha, path=str(path), text=text, saved_at=utc_now()))
            else:
                conn.execute(override_files.update().where(override_files.c.sha == sha)
                             .values(saved_at=utc_now(), path=str(path)))

    def last_override_file(self) -> dict | None:
        """The most recently used valid override file: ``{"path", "text", "saved_at", "sha"}`` or None."""
        frame = self._frame(sa.select(override_files).order_by(override_files.c.saved_at.desc()).limit(1))
        return None if frame.empty else frame.iloc[0].to_dict()

    def _insert_new_rejects(self, conn, records: list[dict]) -> None:
        """Rejects are kept once per (kind, source, line): the first hour that saw them."""
        existing = set()
        sources = {r["source"] for r in records}
        for chunk in _chunks(sorted(sources), 500):
            rows = conn.execute(sa.select(rejects.c.kind, rejects.c.source, rejects.c.line)
                                .where(rejects.c.source.in_(chunk)))
            existing.update(tuple(r) for r in rows)
        new = {}
        for r in records:
            key = (r["kind"], r["source"], r["line"])
            if key not in existing:
                new.setdefault(key, r)
        if new:
            conn.execute(rejects.insert(), list(new.values()))

    def mark_published(self, hour: pd.Timestamp, *, redis: bool | None = None, file: bool | None = None,
                       error: str | None = None, stage_seconds: str | None = None) -> None:
        values: dict[str, Any] = {}
        if stage_seconds is not None:
            values["stage_seconds"] = stage_seconds
        if redis is not None:
            values["redis_published"] = redis
        if file is not None:
            values["file_published"] = file
        if error is not None:
            values["error"] = error
        if not values:
            return
        with self.errors("marking the hour published"), self.engine.begin() as conn:
            conn.execute(runs.update().where(runs.c.hour == to_db_time(hour)).values(**values))


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i:i + size]


class RunLedger:
    """The operator's view of the ``runs``, ``run_attempts`` and ``feeds`` tables.

        >>> ledger = RunLedger(IssueStore("sqlite://"))
        >>> ledger.record_attempt(pd.Timestamp("2026-05-04T08:00Z"), "failed", stage="store", error="disk full")
        >>> ledger.recent_failures(5)[["status", "stage", "error"]].values.tolist()     # newest first
        [['failed', 'store', 'disk full']]
        >>> ledger.recent_runs(24).empty                       # no hour committed
        True
    """

    def __init__(self, store: IssueStore):
        self.store = store

    def record_attempt(self, hour: pd.Timestamp, status: str, *, started_at: datetime | None = None,
                       stage: str | None = None, error: str | None = None, owner: str | None = None,
                       token: int | None = None) -> None:
        with self.store.errors("recording the attempt"), self.store.engine.begin() as conn:
            conn.execute(run_attempts.insert().values(
                hour=to_db_time(hour), started_at=started_at, finished_at=utc_now(), status=status,
                stage=stage, error=(error or "")[:4000] or None, owner=owner, token=token))

    def previous_attempt(self) -> dict | None:
        """The newest attempt row (any hour), or None."""
        frame = self.store._frame(sa.select(run_attempts).order_by(run_attempts.c.id.desc()).limit(1))
        return None if frame.empty else frame.iloc[0].to_dict()

    def recent_runs(self, limit: int = 24) -> pd.DataFrame:
        return self.store._frame(sa.select(runs).order_by(runs.c.hour.desc()).limit(limit))

    def recent_failures(self, limit: int = 5) -> pd.DataFrame:
        return self.store._frame(sa.select(run_attempts).where(run_attempts.c.status != "ok")
                                 .order_by(run_attempts.c.id.desc()).limit(limit))

    def unpublished(self, target: str) -> pd.DataFrame:
        """Hours whose feed ``target`` ('redis' or 'file') is not known to be published, newer than
        the newest hour that was; newest first, with their stored documents."""
        col = runs.c.redis_published if target == "redis" else runs.c.file_published
        last_ok = self.store._frame(sa.select(sa.func.max(runs.c.hour).label("h")).where(col.is_(True)))
        q = (sa.select(runs.c.hour, feeds.c.version, feeds.c.document)
             .join(feeds, feeds.c.hour == runs.c.hour)
             .where(runs.c.status.in_(("ok", "empty")), sa.or_(col.is_(None), col.is_(False))))
        newest = last_ok["h"].iloc[0] if len(last_ok) else None
        if newest is not None and not pd.isna(newest):
            q = q.where(runs.c.hour > newest)
        return self.store._frame(q.order_by(runs.c.hour.desc()))
