import json
import os
import uuid

import numpy as np
import pandas as pd
import pytest

import recommender.shell as jr
from jobs.cli.main import main as cli_main
from jobs.publish.redis_snapshot import PublishError, publish_recommendations
from recommender.baselines import ItemKNN, Popularity
from recommender.data import DataSettings
from recommender.ease import EASE
from recommender.ensemble import Ensemble
from recommender.serving import holdout_metrics_by_id
from recommender.splits import time_split
from tests.recommender.suite import planted_frame

TINY = dict(vae_epochs=2, vae_hidden=16, vae_latent=4, patience=0, threads=1, progress=False,
            ease_l2_grid=(5.0, 50.0), data=DataSettings(min_user_count=3, min_item_count=3))


@pytest.fixture()
def files(tmp_path):
    df = planted_frame(n_users=120, per_user=10)
    df["timestamp"] = 1_700_000_000 + np.random.default_rng(1).integers(0, 10 * 86400, len(df))
    items = pd.DataFrame({"item_id": sorted(df.item_id.unique())})
    items["title"] = "movie " + items.item_id
    items["genres"] = "Drama"
    df.to_csv(tmp_path / "inter.csv", index=False)
    items.to_csv(tmp_path / "items.csv", index=False)
    feed = {"hour": "2023-11-24T20:00:00+00:00", "channels": {"home": [
        {"issue_id": "iss-7", "rank": 1, "title": "i7 everywhere", "keyword": "i7", "score": 3.0,
         "post_ids": [], "state": "rising", "onset": "2023-11-24T18:00:00+00:00"}]}}
    (tmp_path / "feed.json").write_text(json.dumps(feed))
    return tmp_path


def settings(tmp_path, **kw):
    return jr.RecommenderSettings(model_dir=str(tmp_path / "models"), **{**TINY, **kw})


def test_train_saves_metrics_fingerprint_and_promotes(files):
    s = settings(files)
    out = jr.train_recommender(s, files / "inter.csv", files / "items.csv", files / "feed.json")
    assert out["promoted"] and out["metrics"]["n_users"] > 0
    store = jr.ModelStore(s.model_dir)
    assert store.current_version() == out["version"]
    meta = json.loads((files / "models" / out["version"] / "meta.json").read_text())
    assert meta["fingerprint"] == out["fingerprint"] and "candidate" in meta["validation"]
    assert "by_weight" in meta["issue_selection"]


@pytest.mark.parametrize("refit_full", [True, False])
def test_worse_candidate_is_not_promoted(files, monkeypatch, refit_full):
    s = settings(files, refit_full=refit_full)
    strong = lambda _s, **kw: Ensemble([EASE(l2=5.0), ItemKNN(n_neighbors=20)])
    weak = lambda _s, **kw: Ensemble([Popularity(), Popularity(recent_days=1)])
    monkeypatch.setattr(jr, "build_ensemble", strong)
    first = jr.train_recommender(s, files / "inter.csv", files / "items.csv",
                                 now=pd.Timestamp("2024-01-01", tz="UTC").to_pydatetime())
    monkeypatch.setattr(jr, "build_ensemble", weak)
    second = jr.train_recommender(s, files / "inter.csv", files / "items.csv",
                                  now=pd.Timestamp("2024-01-02", tz="UTC").to_pydatetime())
    assert not second["promoted"]
    assert second["metrics"]["ndcg@20"] < second["current_metrics"]["ndcg@20"]
    assert jr.ModelStore(s.model_dir).current_version() == first["version"]
    assert (files / "models" / second["version"] / "meta.json").exists()


def test_retrain_on_the_same_data_ties_with_the_current_model(files):
    """The served model's EASE was refitted on all data, the window's targets included: judged
    as served it would win (the bias); the gate judges its recipe refitted before the window."""
    s = settings(files, vae_epochs=3, patience=2)           # refit_full on, as in production
    days = [pd.Timestamp(f"2024-01-0{d}", tz="UTC").to_pydatetime() for d in (1, 2)]
    first = jr.train_recommender(s, files / "inter.csv", files / "items.csv", now=days[0])
    second = jr.train_recommender(s, files / "inter.csv", files / "items.csv", now=days[1])
    assert first["promoted"] and second["promoted"]
    assert second["current_metrics"] == second["metrics"]
    store = jr.ModelStore(s.model_dir)
    assert store.current_version() == second["version"]
    served = store.load(first["version"])
    cut = served["validation"]["cut"]
    _, holdout = time_split(served["ensemble"].train_, cut)
    as_served = holdout_metrics_by_id(served["ensemble"], holdout.fold_in, holdout.target,
                                      served["ensemble"].train_.item_ids, 20, method=served["served"])
    assert as_served["ndcg@20"] > second["metrics"]["ndcg@20"]       # what the old gate compared with
    gate = store.load(second["version"])["validation"]["gate"]
    assert gate["current_validation_cut"] == cut and gate["vaes_saw_window"] is False


def test_recommend_exports_explained_lists(files):
    s = settings(files)
    jr.train_recommender(s, files / "inter.csv", files / "items.csv")
    out = files / "export.jsonl"
    meta = jr.recommend(s, feed_path=files / "feed.json", out_path=out, issue_weight=5.0)["meta"]
    lines = [json.loads(x) for x in out.read_text().splitlines()]
    assert meta["n_users"] == len(lines) == 120 and meta["n_boosted_items"] == 1
    rec = lines[0]
    assert rec["version"].startswith("20231124T20-") and 0 < len(rec["items"]) <= 20
    assert [i["rank"] for i in rec["items"]] == list(range(1, len(rec["items"]) + 1))
    boosted = [r for r in lines if r["items"][0]["item_id"] == "i7"]
    assert boosted and boosted[0]["items"][0]["issue"]["issue_id"] == "iss-7"
    assert all(it["voted_by"] or it["fused_fill"] or it["fallback"] for r in lines for it in r["items"])
    for r in lines:  # ranked lists are sorted, unique and never contain what the user has seen
        scores = [it["score"] for it in r["items"]]
        assert scores == sorted(scores, reverse=True)
        assert len({it["item_id"] for it in r["items"]}) == len(r["items"])
    assert not [f for f in os.listdir(files) if f.endswith(".tmp")]
    first = out.read_bytes()
    jr.recommend(s, feed_path=files / "feed.json", out_path=out, issue_weight=5.0)
    assert out.read_bytes() == first  # re-running the same hour changes nothing


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    path = tmp_path / "x.jsonl"
    jr.write_jsonl_atomic([{"a": 1}], path)

    def broken():
        yield {"b": 2}
        raise RuntimeError("boom")
    with pytest.raises(RuntimeError):
        jr.write_jsonl_atomic(broken(), path)
    assert path.read_text() == '{"a": 1}\n' and os.listdir(tmp_path) == ["x.jsonl"]


@pytest.mark.redis
def test_redis_export_switches_pointer_and_expires_old(files):
    redis = pytest.importorskip("redis")
    client = redis.Redis(host="127.0.0.1", port=6379)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("no Redis at 127.0.0.1:6379")
    prefix = f"test-{uuid.uuid4().hex[:10]}"
    try:
        pub = lambda v, recs, **kw: publish_recommendations(client, prefix, v, recs, {"n": 1}, fresh_ttl=600,
                                                           old_ttl=5, **kw)
        sim = [{"item_id": "i1", "model": "ease", "similar": [{"item_id": "i2", "score": 0.5}]}]
        pub("v1", [{"user_id": "u1", "items": [{"item_id": "i1"}]}], similar=sim, fence_token=3)
        assert client.get(f"{prefix}:reco:current") == b"v1"
        assert json.loads(client.get(f"{prefix}:reco:v1:user:u1"))["items"][0]["item_id"] == "i1"
        assert json.loads(client.get(f"{prefix}:reco:v1:item:i1"))["similar"][0]["item_id"] == "i2"
        with pytest.raises(PublishError, match="lock token 2 is older"):
            pub("v0", [{"user_id": "u1", "items": []}], fence_token=2)
        assert client.get(f"{prefix}:reco:current") == b"v1"
        pub("v2", [{"user_id": "u1", "items": []}], fence_token=3)
        assert client.get(f"{prefix}:reco:current") == b"v2"
        assert 0 < client.ttl(f"{prefix}:reco:v1:user:u1") <= 5
        assert client.ttl(f"{prefix}:reco:v2:user:u1") > 5
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)


def test_cli_train_and_recommend_exit_codes(files, capsys):
    base = ["--model-dir", str(files / "models"), "--threads", "1"]
    rc = cli_main(["train-recommender", "--interactions", str(files / "inter.csv"), "--items",
                   str(files / "items.csv"), "--epochs", "2", "--validation-users", "0.3", "--no-progress",
                   "--min-count", "3", *base])
    assert rc == 0 and "promoted to current" in capsys.readouterr().out
    rc = cli_main(["recommend", "--out", str(files / "e.jsonl"), "--feed-file",
                   str(files / "{hour}.json"), "--hour", "2023-11-24T20:00", *base])
    assert rc == 2 and "No such file" in capsys.readouterr().err
    os.rename(files / "feed.json", files / "20231124T20.json")
    rc = cli_main(["recommend", "--no-redis", "--out", str(files / "e.jsonl"), "--users", "u1,u2",
                   "--feed-file", str(files / "{hour}.json"), "--hour", "2023-11-24T20:00", *base])
    assert rc == 0 and "served 2 of 2 users" in capsys.readouterr().out
    rc = cli_main(["train-recommender", "--interactions", str(files / "missing.csv"), *base])
    assert rc == 2 and "no such file" in capsys.readouterr().err


def test_redis_failure_becomes_export_error():
    redis = pytest.importorskip("redis")
    client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    with pytest.raises(PublishError, match="redis export of recommendations v1 failed"):
        publish_recommendations(client, "x", "v1", [{"user_id": "1", "items": []}], {})


def test_cli_keeps_top_level_options_of_the_parent_parser():
    import argparse

    from jobs.cli.recommend import _opt, add_recommender_commands
    parser = argparse.ArgumentParser(prog="issuewire")
    parser.add_argument("--redis-url", default="redis://parent:6379/0")
    add_recommender_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["--redis-url", "redis://chosen:1/0", "recommend"])
    assert args.redis_url == "redis://chosen:1/0" and args.func.__name__ == "run_recommend"
    args = parser.parse_args(["recommend", "--prefix", "p", "--redis-url", "redis://old:1/0"])   # old names
    assert _opt(args, "redis_prefix") == "p" and _opt(args, "redis_url") == "redis://old:1/0"
    args = parser.parse_args(["recommend", "--redis-prefix", "q", "--redis", "redis://new:1/0"])
    assert _opt(args, "redis_prefix") == "q" and _opt(args, "model_dir") == "var/recommender"


def test_a_crippled_retrain_is_kept_out_by_the_gate(files):
    s = settings(files, vae_epochs=3, patience=2)
    crippled = settings(files, ease_l2_grid=(1e7,), vae_epochs=1, vae_hidden=2, vae_latent=1)
    days = [pd.Timestamp(f"2024-01-0{d}", tz="UTC").to_pydatetime() for d in (1, 2)]
    first = jr.train_recommender(s, files / "inter.csv", now=days[0])
    second = jr.train_recommender(crippled, files / "inter.csv", now=days[1])
    assert not second["promoted"]
    assert second["metrics"]["ndcg@20"] < second["current_metrics"]["ndcg@20"]
    assert jr.ModelStore(s.model_dir).current_version() == first["version"]
