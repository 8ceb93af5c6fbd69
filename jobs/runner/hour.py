"""The hourly run's I/O shell: read files and history, run the core, write DB, Redis and file.

    >>> import tempfile
    >>> work = Path(tempfile.mkdtemp())
    >>> _ = (work / "dict.tsv").write_text("keyword\\ttype\\taliases\\tweight\\n환율\\t\\t\\t\\n", encoding="utf-8")
    >>> posts = [{"post_id": f"p{i}", "channel": "news", "author_id": f"a{i}", "title": "환율 급등",
    ...           "body": "환율", "published_at": "2026-05-05T02:10:00+09:00"} for i in range(3)]
    >>> _ = (work / "posts.jsonl").write_text("".join(json.dumps(p) + "\\n" for p in posts), encoding="utf-8")
    >>> settings = Settings(db_url=f"sqlite:///{work}/iw.sqlite", dictionary=str(work / "dict.tsv"),
    ...                     stopwords="", feed_file=str(work / "feeds" / "feed-{hour}.json"))
    >>> report = run_hour(settings, pd.Timestamp("2026-05-05T02:00+09:00"), [str(work / "posts.jsonl")])
    >>> print(report.summary())
    2026-05-05T02:00:00+09:00 read=3 accepted=3 rejected=0 in_hour=3 issues=0 warming_up (0 h of history)  home: (no issues)
    >>> sorted(p.name for p in (work / "feeds").iterdir())
    ['feed-20260505T02.json', 'report-20260505T02.html']

Order of effects, so that a failure anywhere leaves the previous feed in place: validate the
dictionary and the override file -> read inputs (an unreadable file stops here) -> compute ->
one DB transaction -> Redis snapshot + pointer switch -> JSON file. A Redis or file failure
after the DB commit is recorded on the run row (``redis_published`` / ``file_published``) and
raised as :class:`PublishError`; the next run re-publishes it (:func:`publish_pending`) from the
stored document. Everything runs under the run lock (:mod:`jobs.store.lock`), whose fencing token the
DB transaction re-checks; each stage logs one JSON line (:mod:`jobs.runner.runlog`); every attempt is a
``run_attempts`` row, and a failure (with its stage) or the recovery after it is alerted
(:mod:`jobs.runner.alerts`). The operator report (:mod:`jobs.publish.report`) is written after the feed file.

:class:`~jobs.runner.context.RunContext` keeps what is expensive to rebuild (the compiled matcher,
parsed input files, the DB engine, the Redis client) across the hours of a process;
:mod:`jobs.runner.backfill` runs several hours in order.
"""
from __future__ import annotations

import functools
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Sequence

import pandas as pd

from crawler.ingest import check_files, describe_reasons, posts_in_hour, queries_in_hour
from issues.aggregate import HOME
from jobs.pipeline.feed import feed_document
from jobs.pipeline.engine import mapped_inputs
from jobs.pipeline.hour import HourInputs, HourResult, run_hour_core
from jobs.runner.context import RunContext, latest_post_time
from keywords.extract import keyword_query_volume
from jobs.runner.alerts import redact
from jobs.runner.faults import checkpoint
from issues.atomic_file import atomic_write, remove_stale_temp_files
from jobs.publish.feed import PublishError, feed_version, write_feed_file
from jobs.publish.paths import hour_file, hour_label, is_hour_output
from jobs.store.lock import LockBusyError
from jobs.publish.report import write_report
from jobs.publish.sanitize import publishable
from jobs.runner.runlog import StageLog
from jobs.settings import Settings
from jobs.store.issue_store import RunLedger, StoreError, from_db_time, to_db_time, utc_now
from titling.overrides import OverrideError, Overrides, check_pin_channels, load_overrides, parse_overrides


def parse_hour(text: str, timezone: str = "Asia/Seoul") -> pd.Timestamp:
    """An hour from the command line: ISO 8601; without an offset it is local time; must be whole."""
    ts = pd.Timestamp(text)
    if ts.tzinfo is None:
        ts = ts.tz_localize(timezone)
    if ts != ts.floor("h"):
        raise ValueError(f"hour {text!r} is not on the hour")
    return ts.tz_convert("UTC")


@dataclass
class RunReport:
    hour: pd.Timestamp
    counts: dict[str, int]
    document: dict[str, Any]
    version: str
    redis_published: bool | None
    feed_path: str | None
    stage_seconds: dict[str, float]
    notes: list[str] = field(default_factory=list)
    status: str = "ok"                 # "empty": the files were fine but no post fell in the hour
    reject_reasons: str = ""           # the top reject kinds with counts and first file:line

    def summary(self) -> str:
        home = self.document["channels"].get(HOME, [])
        titles = " | ".join(f"{i['rank']}. {i['title']}" for i in home) or "(no issues)"
        c = self.counts
        notes = "".join(f"\n  note: {n}" for n in self.notes)
        status = "" if self.status == "ok" else f" status={self.status}"
        warming = (f" warming_up ({self.document.get('history_hours', 0)} h of history)"
                   if self.document.get("warming_up") else "")
        rejects = f"  rejects: {self.reject_reasons}" if self.reject_reasons else ""
        return (f"{self.document['hour']} read={c['posts_read']} accepted={c['posts_accepted']} "
                f"rejected={c['posts_rejected']} in_hour={c['posts_in_hour']} issues={len(home)}{status}{warming}"
                f"  home: {titles}{rejects}{notes}")


def resolve_overrides(ctx: RunContext, stages: StageLog | None = None,
                      known_channels: set[str] | None = None) -> tuple[Overrides, list[str]]:
    """The override file if valid (its text is then kept in the DB), else the last valid file kept
    in the DB, with a note saying so; with no valid file ever kept, the error stops the run.

    With ``known_channels`` a pin on any other channel makes the file invalid too (so it is never
    kept as the last valid file)."""
    path = ctx.settings.overrides
    try:
        rules = load_overrides(path)
        if known_channels is not None:
            check_pin_channels(rules, known_channels)
    except OverrideError as exc:
        last = ctx.store.last_override_file() if path else None
        if last is None:
            raise
        rules = parse_overrides(last["text"], str(last["path"]))
        if known_channels is not None:
            try:
                check_pin_channels(rules, known_channels)
            except OverrideError:
                raise exc from None
        note = (f"override file rejected ({exc}); used the last valid file {last['path']} "
                f"(sha {str(last['sha'])[:8]}, kept {last['saved_at']})")
        if stages is not None:
            stages.event("overrides_fallback", error=str(exc), used_sha=str(last["sha"])[:8])
        return rules, [note]
    if path:
        ctx.store.save_override_file(str(path), rules.text)
    return rules, []


def existing_channels(ctx: RunContext, hour: pd.Timestamp, posts: pd.DataFrame) -> set[str]:
    """The channels a pin may name: home, the ``[ingest] channels`` setting, the channels with
    posts in the stored activity of the last ``[ingest] channel_days`` days, and this hour's."""
    days = pd.Timedelta(days=ctx.settings.ingest.channel_days)
    seen = ctx.store.channels_seen(hour - days, hour + pd.Timedelta(hours=1))
    return {HOME, *ctx.settings.ingest.channels, *seen, *posts["channel"]}


def compute_hour(ctx: RunContext, hour: pd.Timestamp, posts_paths: Sequence[str],
                 queries_paths: Sequence[str] = (), stages: StageLog | None = None,
                 overrides: Overrides | None = None,
                 ) -> tuple[HourResult, dict, pd.DataFrame, pd.DataFrame, dict]:
    """Everything up to (not including) the writes.

    ``overrides`` given (the console's preview of a candidate rule) replaces the override file,
    which is then neither read nor kept in the database."""
    s = ctx.settings
    stages = stages or StageLog(hour)
    with stages.stage("ingest") as log_counts:
        posts_paths = list(posts_paths) or s.engine.posts_paths_for(hour)
        check_posts = functools.partial(check_files, what="posts", min_accepted_share=s.ingest.min_accepted_share,
                                        mapping_name=s.posts_mapping)
        if ctx.spark_job is not None:                # validated on the executors; accepted: the hour's posts
            post_batch = ctx.spark_job.read_posts(posts_paths, hour, latest_post_time(s))
            check_posts(post_batch)
            query_batch = ctx.read("queries", list(queries_paths)) if queries_paths else None
        else:                                        # the queries read while the posts are read and mapped
            post_batch, query_batch = ctx.read_inputs(posts_paths, list(queries_paths), check_posts)
        if query_batch is not None:
            check_files(query_batch, "queries", s.ingest.min_accepted_share)
        posts = posts_in_hour(post_batch.accepted, hour)
        queries = queries_in_hour(query_batch.accepted, hour) if query_batch is not None else None
        channels = existing_channels(ctx, hour, posts)
        if overrides is not None:                    # a candidate rule's preview: pins must name channels too
            check_pin_channels(overrides, channels)
            notes = []
        else:
            overrides, notes = resolve_overrides(ctx, stages, channels)
        tools = ctx.tools
        counts = {"posts_read": post_batch.rows_read, "posts_accepted": post_batch.summary["accepted"],
                  "posts_rejected": len(post_batch.rejects), "posts_in_hour": len(posts),
                  "queries_read": query_batch.rows_read if query_batch else 0,
                  "queries_rejected": len(query_batch.rejects) if query_batch else 0}
        log_counts.update(counts, urls_dropped=len(post_batch.dropped))
    checkpoint("ingest")

    with stages.stage("history") as log_counts:
        store = ctx.store
        d = s.detect
        history, run_hours, activity = store.load_history(hour, d.seasonal_days, d.level_hours, d.weekly_weeks)
        doc_freq, n_docs = store.doc_freq(hour, s.idf_window_days)
        inputs = HourInputs(hour=hour, posts=posts, queries=queries, doc_freq=doc_freq, n_docs=n_docs,
                            history=history, run_hours=run_hours, activity_history=activity,
                            query_history=store.query_history_lookup(hour, 24),
                            previous_issues=store.previous_issues(hour, s.detect.continue_hours),
                            overrides=overrides)
        log_counts.update(history_rows=len(history), history_hours=len(run_hours), idf_docs=n_docs)
    with stages.stage("map") as log_counts:          # the posts' map and reduce; bodies dropped (#13)
        if ctx.spark_job is not None:                 # on the executors, over the posts they read
            mapped = ctx.spark_job.map_hour(tools, doc_freq, n_docs, keyword_query_volume(
                queries if queries is not None else pd.DataFrame(columns=["query", "count"]), tools.matcher))
            inputs = replace(inputs, mapped=mapped, posts=mapped.posts)
        inputs = mapped_inputs(inputs, tools, s, post_batch.mapped)
        log_counts.update(engine=s.engine.name, post_keywords=len(inputs.mapped.post_keywords))
    with stages.stage("core") as log_counts:
        result = run_hour_core(inputs, tools, s)
        if notes:
            note_rows = pd.DataFrame([{"rule": "file", "line": 0, "subject": str(s.overrides), "channel": HOME,
                                       "detail": n} for n in notes])
            result.firings = pd.concat([note_rows, result.firings], ignore_index=True)
        result.notes = notes
        log_counts.update({k: int(v) for k, v in result.counts.items()}, overrides_fired=len(result.firings))
    checkpoint("core")
    rejects = pd.concat([post_batch.rejects, post_batch.dropped]
                        + ([query_batch.rejects] if query_batch is not None else []), ignore_index=True)
    return result, counts, rejects, queries, stages.seconds


def run_hour(ctx: RunContext | Settings, hour: pd.Timestamp, posts_paths: Sequence[str],
             queries_paths: Sequence[str] = ()) -> RunReport:
    """Run one hour end to end under the run lock; the same hour again gives the same rows and feed.

    A failure is recorded as a ``run_attempts`` row (with the stage it stopped in), logged and
    alerted; the first good hour after a failure sends a recovery alert.
    """
    ctx = ctx if isinstance(ctx, RunContext) else RunContext(ctx)
    hour = pd.Timestamp(hour).tz_convert("UTC")
    stages = StageLog(hour)
    started = utc_now()
    stages.current = "lock"
    try:
        with ctx.hold_lock():
            report = _run_locked(ctx, hour, posts_paths, queries_paths, stages, started)
    except LockBusyError:
        raise
    except Exception as exc:
        _after_failure(ctx, hour, stages, started, exc)
        raise
    _after_success(ctx, hour, started, report)
    return report


def _run_locked(ctx: RunContext, hour: pd.Timestamp, posts_paths, queries_paths, stages: StageLog,
                started) -> RunReport:
    s = ctx.settings
    stages.current = "republish"
    publish_pending(ctx)
    if s.crawl_sources:
        with stages.stage("crawl") as log_counts:
            posts_paths, queries_paths = crawl_for_hour(s, hour, posts_paths, queries_paths)
            log_counts.update(post_inputs=len(posts_paths), query_inputs=len(queries_paths))
    result, counts, rejects, queries, timings = compute_hour(ctx, hour, posts_paths, queries_paths, stages)
    document = publishable(feed_document(result, s.timezone))
    version = feed_version(document, hour_label(hour, "UTC"))
    status = "empty" if counts["posts_in_hour"] == 0 else "ok"

    with stages.stage("store") as log_counts:
        run_row = dict(counts, status=status, started_at=started, finished_at=utc_now(),
                       issues_published=result.counts["issues"], feed_version=version,
                       redis_published=None, file_published=None,
                       stage_seconds=_seconds_json(timings), error=None,
                       inputs=inputs_record(s, posts_paths, queries_paths))
        ctx.store.save_hour(hour, run_row, result.stats, result.activity, queries, result.issues,
                            result.bundles, rejects, s.query_store_min_count, document=document, fence=ctx.fence,
                            firings=result.firings)
        log_counts.update(keyword_rows=len(result.stats), issues=len(result.issues), rejects=len(rejects),
                          feed_version=version)
    checkpoint("store:committed")

    errors = []
    redis_ok = None
    if ctx.publisher is not None:
        with stages.stage("redis") as log_counts:
            try:
                ctx.fence_check()
                ctx.publisher.publish(document, version, fence_token=ctx.fence.token if ctx.fence else None)
                redis_ok = True
            except PublishError as exc:
                redis_ok = False
                errors.append(str(exc))
            log_counts.update(published=redis_ok, version=version)
    path = None
    if s.feed_file:
        with stages.stage("file") as log_counts:
            try:
                path = str(write_feed_file(document, hour_file(s.feed_file, hour, s.timezone)))
            except PublishError as exc:
                errors.append(str(exc))
            checkpoint("file:replaced")
            log_counts.update(published=path is not None, path=path)
    notes = list(errors)
    if s.feed_file and s.report:
        with stages.stage("report") as log_counts:
            try:
                log_counts["path"] = str(write_report(ctx, hour, document))
            except (OSError, StoreError) as exc:
                notes.append(f"report: {exc}")        # an operator aid: recorded, the feed stands
            checkpoint("report")
    ctx.store.mark_published(hour, redis=redis_ok, file=(path is not None) if s.feed_file else None,
                             error=redact("; ".join(notes)) or None, stage_seconds=_seconds_json(timings))
    checkpoint("marked")
    dropped = rejects["kind"] == "url"
    reasons = describe_reasons(rejects.loc[~dropped], where=True)
    if dropped.any():
        reasons = "; ".join(filter(None, [reasons, f"{int(dropped.sum())} non-http(s) url(s) dropped"]))
    report = RunReport(hour, counts, document, version, redis_ok, path, timings, list(result.notes), status, reasons)
    if errors:
        stages.current = "redis" if redis_ok is False else "file"
        raise PendingPublishError("; ".join(errors), report)
    return report


class PendingPublishError(PublishError):
    """The hour is computed and stored, but Redis or the feed file was not written: the next run
    re-publishes it (:func:`publish_pending`). ``report`` is the hour's report."""

    def __init__(self, message: str, report: RunReport):
        super().__init__(message)
        self.report = report


RECOMPUTE_SETTINGS = ("dictionary", "stopwords", "influential_authors", "title_blocklist", "evergreen",
                      "overrides", "posts_mapping", "timezone", "idf_window_days", "max_text_chars",
                      "post_time_floor", "post_future_hours", "extract", "detect", "title", "merge", "bundle",
                      "ingest")


def inputs_record(settings: Settings, posts_paths: Sequence[str], queries_paths: Sequence[str]) -> str:
    """The run row's ``inputs``: the hour's files and the settings its core ran with (no URLs, so
    no secrets), enough for :func:`settings_for_recompute` to compute the same hour again.

    >>> json.loads(inputs_record(Settings(), ["/in/posts.jsonl"], []))["posts"]
    ['/in/posts.jsonl']
    """
    from jobs.settings import settings_as_dict

    values = settings_as_dict(settings)
    for key in ("dictionary", "stopwords", "influential_authors", "title_blocklist", "evergreen", "overrides"):
        if values.get(key):                       # the console may run from another folder
            values[key] = os.path.abspath(values[key])
    return json.dumps({"posts": [os.path.abspath(p) for p in posts_paths],
                       "queries": [os.path.abspath(p) for p in queries_paths],
                       "settings": {k: values[k] for k in RECOMPUTE_SETTINGS}}, ensure_ascii=False)


def settings_for_recompute(settings: Settings, inputs: str | dict) -> tuple[Settings, list[str], list[str]]:
    """``settings`` with the recorded compute settings of a run put back, and the run's input files.

    >>> s, posts, _ = settings_for_recompute(Settings(), inputs_record(Settings(overrides="o.toml"), ["p"], []))
    >>> s.overrides == os.path.abspath("o.toml"), posts == [os.path.abspath("p")]
    (True, True)
    """
    from dataclasses import replace

    from jobs.settings import STAGES

    record = json.loads(inputs) if isinstance(inputs, str) else inputs
    values = dict(record.get("settings", {}))
    for stage, cls in STAGES.items():
        if isinstance(values.get(stage), dict):
            values[stage] = cls(**values[stage])
    return replace(settings, **values), list(record.get("posts", [])), list(record.get("queries", []))


def _seconds_json(timings: dict[str, float]) -> str:
    return json.dumps({k: round(v, 4) for k, v in timings.items()})


def remove_stale_publish_files(settings: Settings) -> list[Path]:
    """Remove the temporary files of feed and report writes that were killed before their rename.

    Called under the run lock, when no other write of these files can be under way."""
    if not settings.feed_file:
        return []
    template = settings.feed_file
    removed = remove_stale_temp_files(Path(template).parent, lambda name: is_hour_output(template, name))
    if removed:
        StageLog(pd.Timestamp.now(tz="UTC").floor("h")).event(
            "stale_temp_removed", files=[str(p) for p in removed])
    return removed


def publish_pending(ctx: RunContext) -> list[str]:
    """Re-publish the newest stored feed whose Redis publish (or file write) failed or was cut
    short, with its report; returns what was re-published. Failing again is left for the next run.

    First removes the temporary files a killed publish left (:func:`remove_stale_publish_files`)."""
    s = ctx.settings
    remove_stale_publish_files(s)
    done = []
    targets = [t for t, on in (("redis", ctx.publisher is not None), ("file", bool(s.feed_file))) if on]
    for target in targets:
        pending = RunLedger(ctx.store).unpublished(target)
        if target == "file" and "{hour}" in s.feed_file:
            rows = list(pending.iloc[::-1].itertuples(index=False))    # one file per hour: oldest first
        else:
            rows = list(pending.head(1).itertuples(index=False))        # one place: the newest wins
        for row in rows:
            hour = from_db_time(pd.Series([row.hour])).iloc[0]
            document = json.loads(row.document)
            try:
                if target == "redis":
                    ctx.publisher.publish(document, row.version,
                                          fence_token=ctx.fence.token if ctx.fence else None)
                else:
                    write_feed_file(document, hour_file(s.feed_file, hour, s.timezone))
            except PublishError as exc:
                StageLog(hour).event("republish_failed", target=target, version=row.version, error=str(exc))
                break
            ctx.store.mark_published(hour, **{target: True})
            StageLog(hour).event("republished", target=target, version=row.version)
            done.append(f"{target}:{row.version}")
            if target == "file" and s.report:
                _republish_report(ctx, hour, document)
    return done


def _republish_report(ctx: RunContext, hour: pd.Timestamp, document: dict) -> None:
    try:
        path = write_report(ctx, hour, document)
    except (OSError, StoreError) as exc:              # an operator aid: logged, the feed stands
        StageLog(hour).event("republish_failed", target="report", error=redact(str(exc)))
        return
    StageLog(hour).event("republished", target="report", path=str(path))


def _after_failure(ctx: RunContext, hour: pd.Timestamp, stages: StageLog, started, exc: Exception) -> None:
    stage = stages.current or "setup"
    error = redact(f"{exc}")
    stages.event("run_failed", stage=stage, error=error, error_type=exc.__class__.__name__)
    lock = ctx.current_lock
    try:
        RunLedger(ctx.store).record_attempt(hour, "failed", started_at=started, stage=stage, error=error,
                                            owner=lock.owner if lock else None,
                                            token=lock.token if lock else None)
    except StoreError:                                   # the database is what failed: keep the attempt
        _remember_unrecorded_failure(ctx.settings, hour, started, stage, error)   # for the next good run
    if ctx.alerter is not None:
        ctx.alerter.failure(hour, stage, error, error_type=exc.__class__.__name__)


def unrecorded_failure_path(settings: Settings) -> Path:
    """Where a failed attempt waits when the database could not record it (one file per database).

    >>> unrecorded_failure_path(Settings(alert_state_file="/var/lib/iw/failed.json"))
    PosixPath('/var/lib/iw/failed.json')
    """
    if settings.alert_state_file:
        return Path(settings.alert_state_file)
    digest = hashlib.sha1(settings.db_url.encode("utf-8")).hexdigest()[:12]
    return Path(tempfile.gettempdir()) / f"issuewire-unrecorded-failure-{digest}.json"


def _remember_unrecorded_failure(settings: Settings, hour: pd.Timestamp, started, stage: str,
                                 error: str) -> None:
    path = unrecorded_failure_path(settings)
    record = {"hour": to_db_time(hour).isoformat(), "started_at": started.isoformat() if started else None,
              "stage": stage, "error": error}
    try:
        atomic_write(path, json.dumps(record))
    except OSError as exc:                               # nowhere to keep it: the failure alert still goes
        StageLog(hour).event("unrecorded_failure_lost", error=redact(str(exc)))


def _record_unrecorded_failure(ctx: RunContext, ledger: RunLedger) -> None:
    """A failure the database missed (it was down) becomes its run_attempts row now, so that the
    recovery alert and ``issuewire status`` see it."""
    path = unrecorded_failure_path(ctx.settings)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    started = pd.Timestamp(record["started_at"]).to_pydatetime() if record.get("started_at") else None
    ledger.record_attempt(from_db_time(pd.Series([record["hour"]])).iloc[0], "failed", started_at=started,
                          stage=record.get("stage"), error=record.get("error"))
    path.unlink(missing_ok=True)


def _after_success(ctx: RunContext, hour: pd.Timestamp, started, report: RunReport) -> None:
    ledger = RunLedger(ctx.store)
    _record_unrecorded_failure(ctx, ledger)
    previous = ledger.previous_attempt()
    ledger.record_attempt(hour, "ok", started_at=started)
    if report.status == "empty" and ctx.alerter is not None:
        c = report.counts
        ctx.alerter.empty(hour, f"no post published in the hour ({c['posts_read']} rows read, "
                                f"{c['posts_accepted']} accepted, {c['posts_rejected']} rejected)")
    lag = (utc_now() - to_db_time(hour + pd.Timedelta(hours=1))).total_seconds()
    StageLog(hour).event("run_done", seconds=round(sum(report.stage_seconds.values()), 4),
                         lag_seconds=round(lag, 1), issues=len(report.document["channels"].get(HOME, [])),
                         version=report.version, **report.counts)
    if ctx.alerter is not None and previous is not None and previous["status"] != "ok":
        failed_hour = from_db_time(pd.Series([previous["hour"]])).iloc[0].tz_convert(ctx.settings.timezone)
        ctx.alerter.recovery(hour, failed_hour=failed_hour.isoformat(), failed_stage=previous["stage"])


def crawl_for_hour(settings: Settings, hour: pd.Timestamp, posts_paths: Sequence[str],
                   queries_paths: Sequence[str]) -> tuple[list[str], list[str]]:
    """Crawl the configured sources once, then add the hour's crawled partitions to the inputs."""
    from crawler.settings import load_crawl_settings
    from crawler.shell import crawl_once, hour_posts_dir, hour_queries_dir

    crawl = load_crawl_settings(settings.crawl_sources)
    crawl_once(crawl, settings.db_url)
    posts = list(posts_paths) + [str(p) for p in [hour_posts_dir(crawl.data_dir, hour)] if p.exists()]
    queries = list(queries_paths) + [str(p) for p in [hour_queries_dir(crawl.data_dir, hour)] if p.exists()]
    return posts, queries
