"""Retention: what is kept how long, and ``issuewire prune`` which applies it.

    >>> import os, tempfile
    >>> feeds = tempfile.mkdtemp()
    >>> for name in ("feed-20260501T09.json", "report-20260501T09.html", "feed-20260522T09.json", "notes.txt"):
    ...     _ = open(os.path.join(feeds, name), "w").write("{}")
    >>> month_ago = pd.Timestamp("2026-05-01T12:00Z").timestamp()
    >>> for name in ("feed-20260501T09.json", "report-20260501T09.html", "notes.txt"):
    ...     os.utime(os.path.join(feeds, name), (month_ago, month_ago))
    >>> settings = Settings(db_url="sqlite://", feed_file=feeds + "/feed-{hour}.json")
    >>> summary = prune(settings, now=pd.Timestamp("2026-05-22T00:00Z"))
    >>> print(summary.describe())
    prune deleted: no rows; 2 files; 0 redis keys
    >>> sorted(os.listdir(feeds))                   # files prune does not know are never touched
    ['feed-20260522T09.json', 'notes.txt']

The policy (settings, days, counted back from ``now``):

* ``retain_stats_days`` (45): ``keyword_stats``, ``channel_activity``, ``query_stats``. Must cover
  the baseline (``detect.seasonal_days``) and the idf window (``idf_window_days``); a shorter
  value is an error, so pruning can never change what a run computes.
* ``retain_issues_days`` (180): ``issues``, ``bundles``, ``feeds``, ``override_firings`` (what was published, for
  ``continue_hours`` ids and audits).
* ``retain_runs_days`` (400): ``runs`` and ``run_attempts``. The newest run is always kept
  (catch-up starts after it). Rejects go with their ``first_hour`` under this policy too.
* ``retain_files_days`` (14): feed files and reports matching ``feed_file``'s ``{hour}``
  pattern (:func:`jobs.publish.paths.is_hour_output`; and their temporary files an hour old,
  left by a write killed before its rename, :mod:`issues.atomic_file`),
  and raw input files (``.jsonl``/``.csv``/... optionally ``.gz``) under ``raw_dirs``,
  by modification time. Nothing outside those folders is touched.
* Redis snapshots expire by themselves (``snapshot_ttl_hours``); prune also deletes snapshot keys
  without a TTL that are not current (left by an older version or a hand edit).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.exc import SQLAlchemyError

from crawler.ingest import FILE_SUFFIXES
from issues.atomic_file import stale_temp_files
from jobs.publish.paths import PLACEHOLDER, is_hour_output
from jobs.settings import Settings, SettingsError  # noqa: F401 - Settings: used by the example
from jobs.store.issue_store import (IssueStore, bundles, channel_activity, feeds, issues, keyword_stats, override_firings,
                        query_stats, rejects, run_attempts, runs, to_db_time)


@dataclass
class PruneSummary:
    rows: dict[str, int] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    redis_keys: list[str] = field(default_factory=list)

    def describe(self, dry_run: bool = False) -> str:
        verb = "would delete" if dry_run else "deleted"
        rows = ", ".join(f"{t} {n}" for t, n in self.rows.items() if n) or "no rows"
        return (f"prune {verb}: {rows}; {len(self.files)} files; {len(self.redis_keys)} redis keys")


def check_policy(settings) -> None:
    need = max(settings.detect.seasonal_days + 1, settings.idf_window_days + 1)
    if settings.retain_stats_days < need:
        raise SettingsError(f"retain_stats_days={settings.retain_stats_days} is shorter than the "
                            f"{need} days the baseline and idf read")


def prune(settings, now: pd.Timestamp | None = None, dry_run: bool = False,
          store: IssueStore | None = None, redis_client=None) -> PruneSummary:
    check_policy(settings)
    now = pd.Timestamp.now(tz="UTC") if now is None else pd.Timestamp(now).tz_convert("UTC")
    store = store or IssueStore(settings.db_url)
    summary = PruneSummary()
    cut = {days: to_db_time(now - pd.Timedelta(days=days)) for days in
           (settings.retain_stats_days, settings.retain_issues_days, settings.retain_runs_days)}
    plan = [(t, t.c.hour, cut[settings.retain_stats_days]) for t in (keyword_stats, channel_activity, query_stats)]
    plan += [(t, t.c.hour, cut[settings.retain_issues_days]) for t in (issues, bundles, feeds, override_firings)]
    newest = store._frame(sa.select(sa.func.max(runs.c.hour).label("h")))["h"].iloc[0]
    runs_cut = cut[settings.retain_runs_days]
    if newest is not None and not pd.isna(newest):
        runs_cut = min(runs_cut, pd.Timestamp(newest).to_pydatetime())
    plan += [(runs, runs.c.hour, runs_cut), (run_attempts, run_attempts.c.hour, runs_cut),
             (rejects, rejects.c.first_hour, cut[settings.retain_runs_days])]
    try:
        with store.engine.begin() as conn:
            for table, column, before in plan:
                where = column < before
                n = conn.execute(sa.select(sa.func.count()).select_from(table).where(where)).scalar_one()
                summary.rows[table.name] = int(n)
                if n and not dry_run:
                    conn.execute(table.delete().where(where))
    except SQLAlchemyError as exc:
        raise store._wrap(exc) from None
    file_cut = time.time() - settings.retain_files_days * 86400
    summary.files = [str(p) for p in _old_files(settings, file_cut)]
    if not dry_run:
        for p in summary.files:
            Path(p).unlink(missing_ok=True)
    if settings.redis_url:
        summary.redis_keys = _stray_snapshots(settings, redis_client, dry_run)
    return summary


def _old_files(settings, before_epoch: float) -> list[Path]:
    out: list[Path] = []
    template = settings.feed_file
    if template and PLACEHOLDER in template:
        folder = Path(template).parent
        if folder.is_dir():
            out += [p for p in folder.iterdir() if p.is_file() and is_hour_output(template, p.name)
                    and p.stat().st_mtime < before_epoch]
    if template:
        # temporary files of a write that was killed before its rename (a live write is seconds old)
        hour_ago = time.time() - 3600
        out += [p for p in stale_temp_files(Path(template).parent, lambda name: is_hour_output(template, name))
                if p.stat().st_mtime < hour_ago]
    for raw in settings.raw_dirs:
        folder = Path(raw)
        if folder.is_dir():
            out += [p for p in folder.rglob("*") if p.is_file() and _is_data(p) and p.stat().st_mtime < before_epoch]
    return sorted(out)


def _is_data(p: Path) -> bool:
    suffixes = [s.lower() for s in p.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return bool(suffixes) and suffixes[-1] in FILE_SUFFIXES


def _stray_snapshots(settings, client, dry_run: bool) -> list[str]:
    import redis

    from jobs.runner.alerts import quote_url_password

    client = client or redis.Redis.from_url(quote_url_password(settings.redis_url), socket_connect_timeout=5)
    prefix = settings.redis_prefix
    current = client.get(f"{prefix}:current")
    current = current.decode() if isinstance(current, bytes) else current
    stray = []
    for key in client.scan_iter(match=f"{prefix}:snapshot:*", count=500):
        name = key.decode() if isinstance(key, bytes) else key
        if name != f"{prefix}:snapshot:{current}" and client.ttl(key) == -1:
            stray.append(name)
    if stray and not dry_run:
        client.delete(*stray)
    return stray
