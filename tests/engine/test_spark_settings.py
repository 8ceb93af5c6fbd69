"""The ``[engine]`` settings and flags: file < environment < flags; a wrong value is one line, exit 2."""
from __future__ import annotations

import pandas as pd
import pytest

from jobs.cli.main import build_parser, main, settings_from_args
from jobs.engine import EngineSettings
from jobs.engine.session import session_conf
from jobs.settings import SettingsError, resolve_settings


def test_the_engine_table_the_environment_and_the_flags(tmp_path):
    config = tmp_path / "issuewire.toml"
    config.write_text('[engine]\nname = "spark"\nspark_master = "spark://head:7077"\n'
                      'posts_path = ["hdfs:///portal/processed/posts/hour={hour}"]\n'
                      '[engine.spark_conf]\n"spark.executor.memory" = "6g"\n"spark.executor.cores" = 4\n')
    s = resolve_settings({}, {}, config).engine
    assert (s.name, s.spark_master, s.spark_conf) == ("spark", "spark://head:7077",
                                                       {"spark.executor.memory": "6g", "spark.executor.cores": "4"})
    assert s.posts_paths_for(pd.Timestamp("2026-02-19T16:00+09:00")) == ["hdfs:///portal/processed/posts/hour=20260219T07"]
    env = {"ISSUEWIRE_ENGINE__SPARK_MASTER": "yarn", "ISSUEWIRE_ENGINE__SPARK_CONF": "spark.executor.instances=8"}
    s = resolve_settings({}, env, config).engine
    assert (s.spark_master, s.spark_conf) == ("yarn", {"spark.executor.instances": "8"})
    args = build_parser().parse_args(["run", "--hour", "2026-02-19T16:00", "--posts", "p.jsonl", "--config", str(config),
                                      "--engine", "local", "--spark-master", "local[2]"])
    s = settings_from_args(args, environ=env).engine
    assert (s.name, s.spark_master) == ("local", "local[2]")
    assert resolve_settings().engine == EngineSettings()           # default: the local engine


def test_session_conf_arrow_local_defaults_and_the_table_wins():
    local = session_conf(EngineSettings(name="spark", spark_master="local[4]"))
    assert local["spark.sql.execution.arrow.pyspark.enabled"] == "true"
    assert local["spark.sql.shuffle.partitions"] == "8" and local["spark.ui.enabled"] == "false"
    cluster = session_conf(EngineSettings(name="spark", spark_master="yarn",
                                          spark_conf={"spark.sql.shuffle.partitions": "400"}))
    assert cluster["spark.sql.shuffle.partitions"] == "400" and "spark.ui.enabled" not in cluster
    assert "log4j2.properties" in cluster["spark.driver.extraJavaOptions"]


@pytest.mark.parametrize("env, named", [({"ISSUEWIRE_ENGINE__NAME": "flink"}, "[engine]: name must be one of local, spark"),
                                        ({"ISSUEWIRE_ENGINE__SPARK_CONF": "memory"}, "spark_conf must be key=value"),
                                        ({"ISSUEWIRE_ENGINE__MASTER": "yarn"}, "unknown setting engine.master")])
def test_a_wrong_engine_setting_is_named(env, named):
    with pytest.raises(SettingsError, match=named.replace("[", r"\[").replace("]", r"\]")):
        resolve_settings({}, env)


def test_an_unknown_engine_flag_value_is_exit_2(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["run", "--hour", "2026-02-19T16:00", "--posts", "p.jsonl", "--engine", "flink"])
    assert stop.value.code == 2
    assert "invalid choice: 'flink'" in capsys.readouterr().err


def test_posts_path_stands_in_for_posts(tmp_path, capsys):
    config = tmp_path / "issuewire.toml"
    config.write_text(f'[engine]\nposts_path = ["{tmp_path}/processed/posts/hour={{hour}}"]\n')
    code = main(["run", "--hour", "2026-02-19T16:00", "--config", str(config), "--db", f"sqlite:///{tmp_path}/x.db",
                 "--quiet"])
    human = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("{")]
    assert code == 2 and human == [f"issuewire: error: {tmp_path}/processed/posts/hour=20260219T07: file not found"]
