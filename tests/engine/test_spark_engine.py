"""``--engine spark`` (local[2]) gives the local engine's hour: the same feed, rows, rejects and map."""
from __future__ import annotations

import gzip
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from crawler.ingest import posts_in_hour, read_posts
from crawler.mappings import post_mapping
from crawler.storage import posts_table
from crawler.validation import validate_post
from issues.reduce import reduce_mapped
from jobs.cli.main import main
from jobs.engine import EngineSettings
from jobs.engine.session import spark_session
from jobs.runner.hour import RunContext, compute_hour
from jobs.settings import resolve_settings
from jobs.pipeline.engine import map_settings
from keywords.stream import map_posts
from tests.jobs.helpers import START, write_inputs

NEWS = Path("news_general_kr_2022jul") / "items.jsonl.gz"
NEWS_HOURS = ("2022-07-28T09:00+09:00", "2022-07-28T11:00+09:00")
ECON = Path("news_econ_kr_2026feb") / "items.jsonl.gz"
ECON_HOURS = ("2026-02-19T15:00+09:00", "2026-02-19T17:00+09:00")   # 16 h: the 내란 verdict, 무기징역


@pytest.fixture(scope="session")
def spark():
    """One local[2] session for every Spark test (the engine reuses the process's session)."""
    return spark_session(EngineSettings(name="spark", spark_master="local[2]"))


@pytest.fixture(scope="module")
def sim_inputs(tmp_path_factory) -> dict[str, str]:
    """A simulated portal (a planted event at hour 8, a flood, two bad rows) plus a second posts
    file that repeats two post ids of the first: duplicates across files."""
    folder = tmp_path_factory.mktemp("sim")
    paths = write_inputs(folder, hours=10)
    first = [json.loads(line) for line in open(paths["posts"], encoding="utf-8").readlines()[:2]]
    extra = folder / "more.jsonl"
    extra.write_text("".join(json.dumps(dict(r, title="다시 " + r["title"]), ensure_ascii=False) + "\n"
                             for r in first) + '{"post_id": "x9", "channel": "news", "author_id": "a", "title": ["t"], "body": "",'
                     ' "published_at": "2026-05-04T08:10:00+09:00"}\n',
                     encoding="utf-8")
    return dict(paths, extra=str(extra))


@pytest.fixture(scope="module")
def econ_days(shared_data, tmp_path_factory) -> Path:
    """The real economy-news items of 2026-02-18 and 02-19 (KST), as the collector wrote them."""
    out = tmp_path_factory.mktemp("econ") / "items-0218-0219.jsonl.gz"
    with gzip.open(shared_data / ECON, "rt", encoding="utf-8") as src, gzip.open(out, "wt", encoding="utf-8") as dst:
        dst.writelines(line for line in src if json.loads(line)["published_kst"].startswith(("2026-02-18", "2026-02-19")))
    return out


def _run(engine: str, folder: Path, args: list[str]) -> dict:
    db = folder / f"{engine}.sqlite"
    code = main(args + ["--db", f"sqlite:///{db}", "--feed-file", str(folder / f"{engine}-{{hour}}.json"),
                        "--engine", engine, "--quiet"] + (["--spark-master", "local[2]"] if engine == "spark" else []))
    assert code == 0
    return {p.name.split("-", 1)[1]: json.loads(p.read_text(encoding="utf-8"))
            for p in sorted(folder.glob(f"{engine}-*.json"))}


def test_a_simulated_hour_publishes_the_same_feed(spark, sim_inputs, tmp_path):
    hour = (START + pd.Timedelta(hours=8)).isoformat()
    args = ["run", "--hour", hour, "--posts", sim_inputs["posts"], sim_inputs["extra"],
            "--queries", sim_inputs["queries"], "--dictionary", sim_inputs["dictionary"]]
    local, on_spark = _run("local", tmp_path, args), _run("spark", tmp_path, args)
    assert local and on_spark == local
    home = next(iter(local.values()))["channels"]["home"]
    assert any("어린이날" in i["title"] for i in home), home      # the planted event is found at all


def test_a_backfill_of_real_news_hours_publishes_the_same_feeds(spark, econ_days, tmp_path):
    config = tmp_path / "warm.toml"                      # judged as a warmed-up installation: issues at all
    config.write_text("[detect]\nwarmup_history_hours = 0\n")
    args = ["backfill", "--from", ECON_HOURS[0], "--to", ECON_HOURS[1], "--posts", str(econ_days),
            "--posts-mapping", "knews", "--config", str(config)]
    local, on_spark = _run("local", tmp_path, args), _run("spark", tmp_path, args)
    assert len(local) == 3 and on_spark == local
    verdict = local["20260219T16.json"]["channels"]["home"]
    assert "무기징역" in [i["keyword"] for i in verdict], verdict


def test_rows_rejects_and_counts_are_the_local_engines(spark, sim_inputs, tmp_path):
    hour = pd.Timestamp(START + pd.Timedelta(hours=8)).tz_convert("UTC")
    paths = [sim_inputs["posts"], sim_inputs["extra"]]
    out = {}
    for engine in ("local", "spark"):
        settings = resolve_settings({"dictionary": sim_inputs["dictionary"], "db_url": f"sqlite:///{tmp_path}/{engine}.db",
                                     "engine": {"name": engine}})
        out[engine] = compute_hour(RunContext(settings), hour, paths, [sim_inputs["queries"]])
    (local, local_counts, local_rejects, _, _), (spark_, spark_counts, spark_rejects, _, _) = out["local"], out["spark"]
    assert spark_counts == local_counts
    pd.testing.assert_frame_equal(spark_rejects, local_rejects)
    reasons = set(local_rejects["reason"])
    assert any(r.startswith("duplicate post_id") and "posts.jsonl:" in r for r in reasons), reasons
    assert "field 'title' must be a string, got list" in reasons
    pd.testing.assert_frame_equal(spark_.post_keywords.reset_index(drop=True),
                                  local.post_keywords.reset_index(drop=True))
    pd.testing.assert_frame_equal(spark_.stats, local.stats)
    pd.testing.assert_frame_equal(spark_.issues, local.issues)
    pd.testing.assert_frame_equal(spark_.bundles, local.bundles)


def test_the_map_and_reduce_on_spark_equal_the_local_ones(spark, shared_data, tmp_path):
    settings = resolve_settings({"posts_mapping": "knews", "db_url": f"sqlite:///{tmp_path}/x.db",
                                 "engine": {"name": "spark"}})
    ctx = RunContext(settings)
    hour = pd.Timestamp(NEWS_HOURS[0]).tz_convert("UTC")
    batch = ctx.spark_job.read_posts([str(shared_data / NEWS)], hour, pd.Timestamp("2100-01-01", tz="UTC"))
    doc_freq, query_volume = pd.Series({"경찰": 40, "대통령": 120}), pd.Series({"경찰": 300})
    mapped = ctx.spark_job.map_hour(ctx.tools, doc_freq, 5000, query_volume)
    local_posts = posts_in_hour(read_posts([str(shared_data / NEWS)], post_mapping("knews")).accepted, hour)
    assert len(local_posts) > 20 and batch.accepted["post_id"].tolist() == local_posts["post_id"].tolist()
    chunks = [map_posts(local_posts.iloc[i:i + 16], ctx.tools, map_settings(settings))
              for i in range(0, len(local_posts), 16)]
    expected = reduce_mapped(chunks, ctx.tools.matcher, settings.extract, doc_freq, 5000, query_volume)
    pd.testing.assert_frame_equal(mapped.posts, expected.posts)
    pd.testing.assert_frame_equal(mapped.post_keywords, expected.post_keywords)
    pd.testing.assert_series_equal(mapped.doc_freq, expected.doc_freq, check_names=False)
    assert np.array_equal(mapped.signatures, expected.signatures)
    assert "body" not in mapped.posts


def test_the_crawlers_parquet_partition_read_by_spark_gives_the_same_feed(spark, sim_inputs, tmp_path):
    hour = pd.Timestamp(START + pd.Timedelta(hours=8)).tz_convert("UTC")
    valid = []
    for line in open(sim_inputs["posts"], encoding="utf-8"):
        try:
            valid.append(validate_post(json.loads(line)))
        except ValueError:                              # the two bad rows of the simulated file
            continue
    in_hour = [p for p in valid if hour <= p["published_at"] < hour + pd.Timedelta(hours=1)]
    folder = tmp_path / "processed" / "posts" / f"hour={hour.strftime('%Y%m%dT%H')}" / "source=sim"
    folder.mkdir(parents=True)
    import pyarrow.parquet as pq

    half = len(in_hour) // 2
    pq.write_table(posts_table(in_hour[:half]), folder / "part-0.parquet")
    pq.write_table(posts_table(in_hour[half:]), folder / "part-1.parquet")
    common = ["run", "--hour", hour.isoformat(), "--queries", sim_inputs["queries"],
              "--dictionary", sim_inputs["dictionary"]]
    local = _run("local", tmp_path, common + ["--posts", str(folder.parent)])
    config = tmp_path / "engine.toml"
    config.write_text(f'[engine]\nposts_path = ["{(tmp_path / "processed" / "posts").as_uri()}/hour={{hour}}"]\n')
    on_spark = _run("spark", tmp_path, common + ["--config", str(config)])
    assert local and on_spark == local


@pytest.mark.parametrize("posts, named", [("missing/posts.jsonl", "missing/posts.jsonl: file not found"),
                                          ("file:///nowhere/posts/hour=20260101T00", "/nowhere/posts/hour=20260101T00")])
def test_a_bad_path_is_one_line_and_exit_code_2(spark, sim_inputs, tmp_path, capsys, posts, named):
    code = main(["run", "--hour", START.isoformat(), "--posts", posts, "--dictionary", sim_inputs["dictionary"],
                 "--db", f"sqlite:///{tmp_path}/x.db", "--engine", "spark", "--quiet"])
    human = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("{")]   # JSON: the run log
    assert code == 2
    assert len(human) == 1 and human[0].startswith("issuewire: error: ") and named in human[0], human


def test_a_file_that_changed_is_read_again(spark, sim_inputs, tmp_path):
    posts = tmp_path / "drop.jsonl"
    lines = open(sim_inputs["posts"], encoding="utf-8").readlines()[:30]
    posts.write_text("".join(lines[:20]), encoding="utf-8")
    settings = resolve_settings({"dictionary": sim_inputs["dictionary"], "engine": {"name": "spark"}})
    job = RunContext(settings).spark_job
    latest = pd.Timestamp("2100-01-01", tz="UTC")
    assert job.read_posts([str(posts)], START, latest).summary["accepted"] == 20
    with open(posts, "a", encoding="utf-8") as fh:                 # the drop folder's file grows
        fh.writelines(lines[20:])
    assert job.read_posts([str(posts)], START, latest).summary["accepted"] == 30
