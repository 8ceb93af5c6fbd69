"""One Spark session per process: built from the ``[engine]`` settings, quiet, stopped at exit.

    >>> conf = session_conf(EngineSettings(name="spark", spark_conf={"spark.executor.memory": "4g"}))
    >>> conf["spark.sql.execution.arrow.pyspark.enabled"], conf["spark.executor.memory"]
    ('true', '4g')
    >>> conf["spark.sql.shuffle.partitions"]          # local[2]: a few shuffle partitions, not 200
    '4'

:func:`spark_session` returns the process's session (``SparkSession.builder.getOrCreate``: a
backfill, the scheduler and the tests share one JVM); the first call starts it with
:func:`session_conf` and registers its stop at process exit. A master that cannot be reached is
an :class:`EngineError` (one line, exit code 2). The defaults suit ``local[N]``; on a cluster the
``[engine] spark_conf`` table sets executor memory and cores (docs/spark.md). Started by
``spark-submit``, the process takes the session spark-submit configured (its ``--master`` and
``--conf``) and the ``[engine]`` master and table are not applied.
"""
from __future__ import annotations

import atexit
import logging
import os
import re
import warnings
from pathlib import Path

from jobs.engine import EngineSettings
from keywords.errors import InputError

__all__ = ["EngineError", "session_conf", "spark_session", "stop_session", "submitted"]

_LOCAL = re.compile(r"local(\[(\d+|\*)(,\d+)?\])?$")
PANDAS_WARNING = "ignore:PySpark does not yet fully support pandas:FutureWarning"   # pandas 3: harmless here


class EngineError(InputError, ValueError):
    """The Spark engine cannot run: no session, a failed job; ``str(e)`` is one line."""


def session_conf(settings: EngineSettings) -> dict[str, str]:
    """The session's configuration: Arrow transfers on, the JVM's log at errors only
    (``log4j2.properties`` beside this module), small shuffles and no UI for local masters, then
    the ``[engine] spark_conf`` table (which wins)."""
    conf = {
        "spark.sql.execution.arrow.pyspark.enabled": "true",
        "spark.sql.execution.arrow.pyspark.fallback.enabled": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.adaptive.enabled": "true",
    }
    log4j = Path(__file__).with_name("log4j2.properties")
    conf["spark.driver.extraJavaOptions"] = f"-Dlog4j2.configurationFile=file:{log4j}"
    conf["spark.executorEnv.PYTHONWARNINGS"] = PANDAS_WARNING
    match = _LOCAL.match(settings.spark_master)
    if match:
        cores = match.group(2)
        n = 2 if cores in (None, "*") else max(1, int(cores))
        conf.update({"spark.sql.shuffle.partitions": str(2 * n), "spark.default.parallelism": str(2 * n),
                     "spark.ui.enabled": "false", "spark.driver.memory": "2g",
                     "spark.sql.files.maxPartitionBytes": str(32 << 20)})
    conf.update(settings.spark_conf)
    return conf


_session = None


def spark_session(settings: EngineSettings):
    """The process's Spark session (started on the first call, stopped at exit)."""
    global _session
    if _session is not None and _session.sparkContext._jsc is not None:
        return _session
    try:
        from pyspark.sql import SparkSession
    except ImportError:                               # pragma: no cover - pyspark is a requirement
        raise EngineError("the spark engine needs pyspark: pip install 'pyspark>=3.5'") from None
    builder = SparkSession.builder.appName(settings.app_name)
    if not submitted():                               # under spark-submit its --master and --conf rule
        builder = builder.master(settings.spark_master)
        for key, value in session_conf(settings).items():
            builder = builder.config(key, value)
    logging.getLogger("py4j").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    if _LOCAL.match(settings.spark_master):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")      # this machine only: no network lookup
    try:
        session = builder.getOrCreate()
    except Exception as exc:  # noqa: BLE001 - the JVM's errors come in many classes: one line
        raise EngineError(f"cannot start Spark at {settings.spark_master}: {_first_line(exc)}") from None
    session.sparkContext.setLogLevel("ERROR")
    if _session is None:
        atexit.register(stop_session)
    _session = session
    return session


def submitted() -> bool:
    """True when this process was started by ``spark-submit`` (its JVM is already running)."""
    return "PYSPARK_GATEWAY_PORT" in os.environ


def stop_session() -> None:
    """Stop the process's session, if one was started."""
    global _session
    if _session is not None:
        try:
            _session.stop()
        finally:
            _session = None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    return text.splitlines()[0][:500]
