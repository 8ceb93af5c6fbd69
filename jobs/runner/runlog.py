"""Structured run logs: one JSON line per stage of an hour, with its seconds and counts.

    >>> import io
    >>> lines = logging.StreamHandler(io.StringIO())
    >>> log.addHandler(lines); log.setLevel(logging.INFO)
    >>> stages = StageLog(pd.Timestamp("2026-05-05T02:00+09:00"))
    >>> with stages.stage("ingest") as counts:
    ...     counts["posts_read"] = 1200
    >>> stages.event("run_failed", stage="store", error="database postgresql://iw:pw@db/x unavailable")
    >>> log.removeHandler(lines)
    >>> first, second = (json.loads(line) for line in lines.stream.getvalue().splitlines())
    >>> first["event"], first["hour"], first["stage"], first["posts_read"], list(stages.seconds)
    ('stage', '2026-05-04T17:00Z', 'ingest', 1200, ['ingest'])
    >>> first["peak_rss_mib"] > 0 and first["cpu_seconds"] >= 0
    True
    >>> second["error"]
    'database postgresql://iw:***@db/x unavailable'

Every finished stage logs, on the ``issuewire.run`` logger, a record whose message is JSON:
``{"event": "stage", "hour": "...Z", "stage": "ingest", "seconds": 0.41, "cpu_seconds": 0.39,
"peak_rss_mib": 212, "posts_read": 1200}`` (``cpu_seconds``: this process's CPU time in the stage,
worker processes not counted; ``peak_rss_mib``: the process's peak resident memory so far, so the
first stage where it jumps is the one that needed the memory);
a failure logs ``{"event": "run_failed", "stage": ..., "error": ...}`` and a finished hour
``{"event": "run_done", ...}``. :func:`configure_json_logs` (called by the CLI) sends these lines
to stderr, one per line; :attr:`StageLog.current` is the stage an error happened in, for the
run attempt row and the alert. Secrets are redacted (:func:`jobs.runner.alerts.redact`) before logging.
"""
from __future__ import annotations

import contextlib
import json
import logging
import resource
import sys
import time
from typing import Any

import pandas as pd

log = logging.getLogger("issuewire.run")


class StageLog:
    def __init__(self, hour: pd.Timestamp):
        self.hour = pd.Timestamp(hour).tz_convert("UTC")
        self.seconds: dict[str, float] = {}
        self.current: str | None = None

    def event(self, event: str, **fields: Any) -> None:
        from jobs.runner.alerts import redact

        record = {"event": event, "hour": self.hour.strftime("%Y-%m-%dT%H:%MZ"), **fields}
        line = json.dumps(record, ensure_ascii=False, default=str)
        log.info(redact(line))

    @contextlib.contextmanager
    def stage(self, name: str):
        """Time a stage; the dict it yields becomes the stage's counts in its log line."""
        self.current = name
        counts: dict[str, Any] = {}
        started, started_cpu = time.perf_counter(), time.process_time()
        yield counts
        self.seconds[name] = time.perf_counter() - started
        self.event("stage", stage=name, seconds=round(self.seconds[name], 4),
                   cpu_seconds=round(time.process_time() - started_cpu, 4), peak_rss_mib=peak_rss_mib(), **counts)
        self.current = None


def peak_rss_mib() -> int:
    """This process's peak resident set size so far, in MiB (``getrusage``; Linux reports KiB)."""
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024)


class _StderrJsonHandler(logging.Handler):
    """Writes the message as is to the *current* ``sys.stderr`` (so captured streams work)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(record.getMessage() + "\n")
            sys.stderr.flush()
        except Exception:  # noqa: BLE001 - logging never breaks a run
            self.handleError(record)


def configure_json_logs(enabled: bool = True) -> None:
    """Route the run's JSON lines to stderr (idempotent)."""
    for handler in list(log.handlers):
        if isinstance(handler, _StderrJsonHandler):
            log.removeHandler(handler)
    if enabled:
        log.addHandler(_StderrJsonHandler())
        log.setLevel(logging.INFO)
        log.propagate = False
