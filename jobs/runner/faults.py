"""Named points in the hourly run where a fault test can stop the process (a test hook).

    $ IWTEST_PAUSE_AT=redis:snapshot-written python -m jobs.cli run ...   # pauses there; kill -9 it

:func:`checkpoint` does nothing unless the environment variable ``IWTEST_PAUSE_AT`` (read once,
at import) names the point; then it prints ``paused at <point>`` to stderr and sleeps, so a test
can SIGKILL the process at exactly that point. The points, in run order: ``ingest``, ``core``,
``store:in-transaction`` (rows written, not committed), ``store:committed``,
``redis:snapshot-written`` (snapshot written, pointer not switched), ``redis:switched``,
``file:temp-written`` (temporary file written, not renamed), ``file:replaced``, ``report``,
``marked`` (the run row records where it was published).
"""
from __future__ import annotations

import os
import sys
import time

PAUSE_ENV = "IWTEST_PAUSE_AT"
_PAUSE_AT = os.environ.get(PAUSE_ENV)


def checkpoint(name: str) -> None:
    if _PAUSE_AT and _PAUSE_AT == name:
        print(f"paused at {name}", file=sys.stderr, flush=True)
        time.sleep(3600)
