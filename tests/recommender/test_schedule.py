"""``issuewire schedule`` with ``[recommender]``: the export after the hour (real APScheduler, real
Redis), a failing recommender that leaves the feed published and alerts, the daily retrain once per
slot (a fake clock in the real scheduler) and a missed one caught up once, and ``status``."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pandas as pd
import pytest
import redis
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from apscheduler.triggers.interval import IntervalTrigger

import jobs.runner.recommend_jobs as rj
import recommender.shell as jr
from jobs.publish.paths import hour_file
from jobs.runner.hour import RunContext
from jobs.runner.scheduler import build_scheduler, run_scheduler
from jobs.runner.status import collect_status, format_status
from jobs.settings import resolve_settings
from jobs.store.issue_store import IssueStore
from recommender.data import DataSettings
from tests.jobs.helpers import write_inputs
from tests.recommender.suite import planted_frame

TINY = dict(vae_epochs=2, vae_hidden=16, vae_latent=4, patience=0, threads=1, progress=False,
            ease_l2_grid=(5.0, 50.0), data=DataSettings(min_user_count=3, min_item_count=3))
NOW = pd.Timestamp("2026-05-03T18:20Z")               # 03:20 in Seoul: hours 01 and 02 (with posts) are due


class _Hook(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.server.received.append(json.loads(body.decode("utf-8")))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture()
def webhook():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Hook)
    server.received = []
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server, f"http://127.0.0.1:{server.server_port}/services/T0/B0/x"
    server.shutdown()
    server.server_close()


@pytest.fixture()
def tiny(monkeypatch):
    """The scheduled jobs train and serve with tiny VAEs (the settings otherwise come from [recommender])."""
    real = rj.model_settings
    monkeypatch.setattr(rj, "model_settings", lambda rs: jr.RecommenderSettings(
        **{**TINY, "model_dir": real(rs).model_dir}))


@pytest.fixture()
def setup(tmp_path):
    inputs = write_inputs(tmp_path, hours=4, bad_rows=False)
    df = planted_frame(n_users=120, per_user=10)
    df["timestamp"] = 1_700_000_000 + np.random.default_rng(1).integers(0, 10 * 86400, len(df))
    (tmp_path / "interactions").mkdir()
    df.to_csv(tmp_path / "interactions" / "2023-11.csv", index=False)
    return tmp_path, inputs


def make_settings(tmp_path, inputs, trained=True, **reco):
    model_dir = tmp_path / "models"
    if trained:
        jr.train_recommender(jr.RecommenderSettings(model_dir=str(model_dir), **TINY),
                             str(tmp_path / "interactions" / "2023-11.csv"),
                             now=pd.Timestamp("2026-05-01T00:00Z").to_pydatetime())
    reco = {"model_dir": str(model_dir), "interactions": str(tmp_path / "interactions" / "*.csv"),
            "export_file": str(tmp_path / "reco" / "export-{hour}.jsonl"), "retrain_at": "", **reco}
    return resolve_settings({"db_url": f"sqlite:///{tmp_path / 'db.sqlite'}", "dictionary": inputs["dictionary"],
                             "stopwords": "", "max_catchup_hours": 2, "report": False,
                             "feed_file": str(tmp_path / "feeds" / "feed-{hour}.json"), **reco.pop("top", {}),
                             "recommender": reco}, {})


def test_export_follows_each_published_hour_and_switches_redis(setup, redis_server, redis_prefix):
    tmp_path, inputs = setup
    settings = make_settings(tmp_path, inputs, top={"redis_url": redis_server, "redis_prefix": redis_prefix})
    client = redis.Redis.from_url(redis_server)
    # a cron-style run (--once) at NOW: hours 01 and 02 (Seoul) published, then one export, for 02
    assert run_scheduler(settings, [inputs["posts"]], [inputs["queries"]], once=True, now=NOW, progress=False) == 0
    first = json.loads((tmp_path / "models" / rj.EXPORT_STATE).read_text())
    assert pd.Timestamp(first["hour"]) == NOW.floor("h") - pd.Timedelta(hours=1)
    assert first["version"].startswith("20260504T02-") and first["served"] == first["n_users"] == 120
    assert client.get(f"{redis_prefix}:reco:current").decode() == first["version"]
    assert hour_file(str(tmp_path / "reco" / "export-{hour}.jsonl"), pd.Timestamp(first["hour"]),
                     "Asia/Seoul").is_file()

    # the real scheduler, firing now: it publishes the two hours before the wall clock's hour,
    # then exports the newest of them, and Redis switches to that version
    done = threading.Event()
    scheduler = build_scheduler(RunContext(settings), [inputs["posts"]], [inputs["queries"]],
                                trigger=IntervalTrigger(seconds=0.3), blocking=False)
    state = lambda: json.loads((tmp_path / "models" / rj.EXPORT_STATE).read_text())  # noqa: E731
    scheduler.add_listener(lambda e: done.set() if state()["version"] != first["version"] else None,
                           EVENT_JOB_EXECUTED)
    scheduler.start()
    try:
        assert done.wait(120)
    finally:
        scheduler.shutdown(wait=True)
    second = json.loads((tmp_path / "models" / rj.EXPORT_STATE).read_text())
    newest = IssueStore(settings.db_url).completed_hours().max()
    assert pd.Timestamp(second["hour"]) == newest and second["version"] != first["version"]
    assert client.get(f"{redis_prefix}:reco:current").decode() == second["version"]
    user = json.loads(client.get(f"{redis_prefix}:reco:{second['version']}:user:u0"))
    assert user["feed_hour"] is not None and user["items"]


@pytest.mark.parametrize("model_dir", ["missing", "empty"])
def test_a_failing_recommender_leaves_the_feed_published_and_alerts(setup, webhook, model_dir):
    tmp_path, inputs = setup
    server, url = webhook
    settings = make_settings(tmp_path, inputs, trained=False, top={"alert_webhook": url})
    if model_dir == "empty":
        (tmp_path / "models").mkdir()                              # a model store with no model to serve
    code = run_scheduler(settings, [inputs["posts"]], [inputs["queries"]], once=True, now=NOW, progress=False)
    assert code == 0
    hours = IssueStore(settings.db_url).completed_hours()
    assert len(hours) == 2 and all(hour_file(settings.feed_file, h, settings.timezone).is_file() for h in hours)
    text = format_status(collect_status(settings))
    assert "recommender export: none yet" in text
    failed = "recommender export FAILED for hour 2026-05-04 02:00+09:00 at 2026-05-04 03:20+09:00"
    assert (failed in text) == (model_dir == "empty")             # recorded where the model store exists
    assert not (tmp_path / "models").exists() or model_dir == "empty"
    assert not [a for a in server.received if a["issuewire"]["kind"] != "failure"]    # hours with posts
    [alert] = server.received
    assert alert["issuewire"]["stage"] == "recommender-export" and "no current model" in alert["issuewire"]["error"]


def _trainings(tmp_path) -> list[str]:
    return sorted(p.parent.name for p in (tmp_path / "models").glob("*/meta.json"))


def test_the_real_scheduler_retrains_once_per_daily_slot(setup, tiny):
    tmp_path, inputs = setup
    settings = make_settings(tmp_path, inputs, trained=False, retrain_at="04:30")
    clock = {"now": pd.Timestamp("2026-05-05T04:40+09:00")}
    runs, lock = [], threading.Condition()

    def executed(event):
        if event.job_id == "daily-retrain":
            with lock:
                runs.append(event)
                lock.notify_all()

    def wait_for(n):
        with lock:
            assert lock.wait_for(lambda: len(runs) >= n, timeout=120)

    scheduler = build_scheduler(RunContext(settings), [inputs["posts"]], [inputs["queries"]],
                                trigger=IntervalTrigger(hours=1), blocking=False,
                                retrain_trigger=IntervalTrigger(seconds=0.2), clock=lambda: clock["now"])
    scheduler.add_listener(executed, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.start()
    try:
        wait_for(4)                                       # four firings after 04:30: one training
        assert len(_trainings(tmp_path)) == 1 and not any(e.exception for e in runs)
        clock["now"] = pd.Timestamp("2026-05-06T04:20+09:00")      # next day, before the slot
        wait_for(len(runs) + 3)
        assert len(_trainings(tmp_path)) == 1
        clock["now"] = pd.Timestamp("2026-05-06T04:31+09:00")      # the slot has come
        wait_for(len(runs) + 3)
    finally:
        scheduler.shutdown(wait=True)
    trained = _trainings(tmp_path)
    assert trained == ["20260504T194000", "20260505T193100"]       # the slots' times, in UTC
    state = json.loads((tmp_path / "models" / rj.RETRAIN_STATE).read_text())
    assert state["slot"] == "2026-05-06T04:30:00+09:00" and state["promoted"] is not None


def test_a_missed_retrain_catches_up_once_and_status_shows_both(setup, tiny):
    tmp_path, inputs = setup
    settings = make_settings(tmp_path, inputs, trained=False, retrain_at="04:30")
    (tmp_path / "models").mkdir()
    first = _trainings(tmp_path)                                # none: the first export waits for a model
    (tmp_path / "models" / rj.RETRAIN_STATE).write_text(json.dumps({"slot": "2026-05-01T04:30:00+09:00"}))
    for now in (NOW, NOW + pd.Timedelta(minutes=30)):          # down since May 1st; two runs on May 4th
        assert run_scheduler(settings, [inputs["posts"]], [inputs["queries"]], once=True, now=now,
                             progress=False) == 0
    trained = _trainings(tmp_path)
    assert len(trained) == len(first) + 1                       # the slots of May 2nd and 3rd: one training
    state = json.loads((tmp_path / "models" / rj.RETRAIN_STATE).read_text())
    assert state["slot"] == "2026-05-03T04:30:00+09:00" and state["version"] == trained[-1]
    exported = json.loads((tmp_path / "models" / rj.EXPORT_STATE).read_text())
    current = (tmp_path / "models" / "CURRENT").read_text().strip()
    assert current == trained[-1] and exported["model_version"] == current   # the new model, exported in the same run

    status = collect_status(settings)
    reco = status["recommender"]
    assert reco["export"]["version"].startswith("20260504T02-") and reco["export"]["served"] == 120
    assert reco["export"]["hour"] == "2026-05-04 02:00+09:00"
    assert reco["training"]["version"] == trained[-1] and reco["training"]["at"].endswith("+09:00")
    text = format_status(status)
    assert f"recommender export: {reco['export']['version']} at " in text and "served 120 of 120 users" in text
    verdict = "promoted" if reco["training"]["promoted"] else "kept the current model"
    assert f"recommender training: {trained[-1]} at {reco['training']['at']}: {verdict}" in text
    assert json.loads(json.dumps(status)) == status


def test_without_recommender_settings_status_and_scheduler_are_unchanged(setup):
    tmp_path, inputs = setup
    settings = resolve_settings({"db_url": f"sqlite:///{tmp_path / 'db.sqlite'}", "dictionary": inputs["dictionary"],
                                 "stopwords": "", "max_catchup_hours": 2}, {})
    assert run_scheduler(settings, [inputs["posts"]], [inputs["queries"]], once=True, now=NOW, progress=False) == 0
    status = collect_status(settings)
    assert status["recommender"] is None and "recommender" not in format_status(status)
    jobs = build_scheduler(RunContext(settings), [inputs["posts"]], blocking=False).get_jobs()
    assert [j.id for j in jobs] == ["hourly-run"]
