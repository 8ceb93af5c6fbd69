"""Where the hour's map and reduce run: ``local`` (this process) or ``spark`` (an Apache Spark cluster).

    >>> s = EngineSettings(name="spark", spark_master="local[2]", spark_conf="spark.executor.memory=4g")
    >>> s.spark_conf, s.posts_paths_for(pd.Timestamp("2026-05-05T18:00+09:00"))
    ({'spark.executor.memory': '4g'}, [])
    >>> EngineSettings(posts_path=("s3a://portal/processed/posts/hour={hour}",)).posts_paths_for(
    ...     pd.Timestamp("2026-05-05T18:00+09:00"))
    ['s3a://portal/processed/posts/hour=20260505T09']
    >>> import argparse
    >>> parser = argparse.ArgumentParser()
    >>> add_engine_arguments(parser)
    >>> engine_flags(parser.parse_args(["--engine", "spark", "--spark-master", "spark://head:7077"]))
    {'engine': {'name': 'spark', 'spark_master': 'spark://head:7077'}}
    >>> engine_flags(parser.parse_args([]))
    {}

The ``[engine]`` table of the config file (and ``ISSUEWIRE_ENGINE__NAME`` etc., and the
``--engine`` / ``--spark-master`` flags of ``run``, ``backfill`` and ``schedule``) chooses it;
:mod:`jobs.engine.spark` is the Spark job, docs/spark.md how to run it on a cluster. Nothing here
imports pyspark: the local engine never loads it.
"""
from __future__ import annotations

import argparse
from dataclasses import dataclass, field

import pandas as pd

ENGINES = ("local", "spark")
__all__ = ["ENGINES", "EngineSettings", "add_engine_arguments", "engine_flags"]


@dataclass(frozen=True)
class EngineSettings:
    """The ``[engine]`` settings: which engine runs the hour's map and reduce (:mod:`jobs.pipeline.engine`
    in this process, :mod:`jobs.engine.spark` on Spark), its chunk size here, Spark's place."""

    name: str = "local"                   # "local" (this process) or "spark" (docs/spark.md)
    spark_master: str = "local[2]"        # Spark master URL: local[N], spark://host:7077, yarn, k8s://...
    spark_conf: dict = field(default_factory=dict)    # extra Spark settings, e.g. {"spark.executor.memory" = "4g"}
    posts_path: tuple[str, ...] = ()      # where posts are when --posts is not given; {hour} becomes YYYYMMDDTHH (UTC)
    app_name: str = "issuewire"           # the Spark application's name
    chunk_rows: int = 50_000              # local engine: posts per chunk read and mapped: bounds the memory of the map
    map_processes: int = -1               # local engine: worker processes reading and mapping the posts (0: none; -1: 2 for a big hour)

    def __post_init__(self):
        if self.chunk_rows < 1:
            raise ValueError(f"chunk_rows must be >= 1, got {self.chunk_rows}")
        if self.map_processes < -1:
            raise ValueError(f"map_processes must be >= -1, got {self.map_processes}")
        if self.name not in ENGINES:
            raise ValueError(f"name must be one of {', '.join(ENGINES)}, got {self.name!r}")
        conf = self.spark_conf
        if isinstance(conf, str):            # from the environment: "key=value,key=value"
            pairs = [item.split("=", 1) for item in conf.split(",") if item.strip()]
            if any(len(p) != 2 for p in pairs):
                raise ValueError(f"spark_conf must be key=value pairs separated by commas, got {conf!r}")
            conf = {k.strip(): v.strip() for k, v in pairs}
        if not isinstance(conf, dict):
            raise ValueError(f"spark_conf must be a table of Spark settings, got {type(conf).__name__}")
        object.__setattr__(self, "spark_conf", {str(k): _conf_text(v) for k, v in conf.items()})

    def __hash__(self):
        return hash((self.name, self.spark_master, tuple(sorted(self.spark_conf.items())), self.posts_path))

    def posts_paths_for(self, hour: pd.Timestamp) -> list[str]:
        """``posts_path`` with ``{hour}`` filled in (the crawler's ``hour=YYYYMMDDTHH`` partitions, UTC)."""
        key = pd.Timestamp(hour).tz_convert("UTC").strftime("%Y%m%dT%H")
        return [p.replace("{hour}", key) for p in self.posts_path]


def _conf_text(value) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def add_engine_arguments(parser: argparse.ArgumentParser) -> None:
    """``--engine local|spark`` and ``--spark-master URL`` (default: the ``[engine]`` settings)."""
    parser.add_argument("--engine", dest="engine_name", choices=ENGINES, default=None,
                        help="where the hour's map and reduce run: setting engine.name, default local (docs/spark.md)")
    parser.add_argument("--spark-master", dest="spark_master", metavar="URL", default=None,
                        help="Spark master: local[2], spark://host:7077, yarn: setting engine.spark_master, "
                             "default local[2]")


def engine_flags(args: argparse.Namespace) -> dict:
    """The ``[engine]`` values given on the command line, for :func:`jobs.settings.resolve_settings`."""
    given = {"name": getattr(args, "engine_name", None), "spark_master": getattr(args, "spark_master", None)}
    given = {k: v for k, v in given.items() if v is not None}
    return {"engine": given} if given else {}
