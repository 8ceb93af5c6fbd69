"""Serving every user (issue 15): fold-in at serving time, cold start, fallback, feedback, columns."""
import json

import numpy as np
import pandas as pd
import pytest

import recommender.shell as jr
from jobs.cli.main import main as cli_main
from recommender.base import InputFileError
from recommender.data import DataSettings, events, map_columns, parse_columns
from recommender.foldin import FallbackSettings, HistoryStore, popular_and_trending
from tests.recommender.suite import planted_frame

TINY = dict(vae_epochs=2, vae_hidden=16, vae_latent=4, patience=0, threads=1, progress=False,
            ease_l2_grid=(5.0, 50.0), data=DataSettings(min_user_count=3, min_item_count=3))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve")
    df = planted_frame(n_users=120, per_user=10)
    df["timestamp"] = 1_700_000_000 + np.random.default_rng(1).integers(0, 10 * 86400, len(df))
    # u0 rated i1 badly: a touched item, never to come back though it is not a positive
    low = pd.DataFrame({"user_id": ["u0"], "item_id": ["i1"], "rating": [1], "timestamp": [1_700_000_000]})
    light = pd.DataFrame({"user_id": ["light"], "item_id": ["i2"], "rating": [5], "timestamp": [1_700_000_000]})
    pd.concat([df, low, light]).to_csv(folder / "inter.csv", index=False)
    s = jr.RecommenderSettings(model_dir=str(folder / "models"), **TINY)
    out = jr.train_recommender(s, folder / "inter.csv")
    return folder, s, out


def _lists(out):
    return {r["user_id"]: r for r in out["records"]}


def test_every_user_is_served_new_light_and_unknown(trained):
    folder, s, _ = trained
    # a new user picks three items of cluster 0 on a sign-up page: a short history
    pd.DataFrame({"user_id": ["newbie"] * 3, "item_id": ["i0", "i3", "i6"], "rating": [5, 5, 5],
                  "timestamp": [1_701_000_000] * 3}).to_csv(folder / "since.csv", index=False)
    out = jr.recommend(s, users=["newbie", "light", "abc", "u0"], interactions_paths=[folder / "since.csv"])
    lists = _lists(out)
    assert set(lists) == {"newbie", "light", "abc", "u0"}
    assert all(len(r["items"]) == s.top_k for r in lists.values())
    assert lists["newbie"]["basis"] == "history" and lists["light"]["basis"] == "history"
    assert lists["abc"]["basis"] == "fallback" and all(i["fallback"] for i in lists["abc"]["items"])
    top = [i["item_id"] for i in lists["newbie"]["items"][:5]]
    assert sum(int(t[1:]) < 15 for t in top) >= 4, top          # cluster 0 of the planted world
    assert not {"i0", "i3", "i6"} & {i["item_id"] for i in lists["newbie"]["items"]}
    meta = out["meta"]
    assert (meta["n_users"], meta["folded_in"], meta["fallback"]) == (4, 3, 1)
    assert meta["folded_in_new"] == 2 and meta["unknown_users"] == 1       # newbie, light; abc


def test_nothing_touched_comes_back_whatever_the_rating(trained):
    folder, s, _ = trained
    out = jr.recommend(s)
    inter = pd.read_csv(folder / "inter.csv", dtype={"user_id": str, "item_id": str})
    touched = inter.groupby("user_id")["item_id"].agg(set)
    lists = _lists(out)
    assert len(lists) == inter["user_id"].nunique()
    for user, record in lists.items():
        assert not touched[user] & {i["item_id"] for i in record["items"]}, user
    assert "i1" not in {i["item_id"] for i in lists["u0"]["items"]}


def test_feedback_bad_never_comes_back_good_is_a_positive(trained, tmp_path):
    folder, s, _ = trained
    first = _lists(jr.recommend(s, users=["u3"]))["u3"]["items"]
    bad = first[0]["item_id"]
    pd.DataFrame({"user_id": ["u3", "fresh"], "item_id": [bad, "i30"], "feedback": ["bad", "GOOD"],
                  "timestamp": [1_702_000_000] * 2}).to_csv(tmp_path / "fb.csv", index=False)
    out = _lists(jr.recommend(s, users=["u3", "fresh"], feedback_path=tmp_path / "fb.csv"))
    assert bad not in {i["item_id"] for i in out["u3"]["items"]}
    assert out["fresh"]["basis"] == "history"        # one good item is a history to fold in
    (tmp_path / "fb2.csv").write_text("user_id,item_id,feedback,timestamp\nu3,i1,meh,1\n")
    with pytest.raises(InputFileError, match="fb2.csv: line 2: feedback must be good or bad"):
        jr.recommend(s, users=["u3"], feedback_path=tmp_path / "fb2.csv")


def test_bad_feedback_is_a_negative_in_training(tmp_path):
    df = pd.DataFrame({"user_id": ["a", "a", "b"], "item_id": ["x", "y", "x"], "rating": [5, 5, 5],
                       "timestamp": [1, 2, 3]})
    liked, touched = events(df, DataSettings())
    fb = pd.DataFrame({"user_id": ["a", "b"], "item_id": ["x", "y"], "feedback": ["bad", "good"],
                       "timestamp": [4.0, 4.0]})
    from recommender.data import apply_feedback
    liked, touched = apply_feedback(liked, touched, fb)
    assert sorted(zip(liked.user_id, liked.item_id)) == [("a", "y"), ("b", "x"), ("b", "y")]
    assert ("a", "x") in set(zip(touched.user_id, touched.item_id))


def test_column_mapping_and_a_threshold_without_ratings():
    raw = pd.DataFrame({"user": [1, 2], "movie": [10, 11], "rate": [9, 3], "time": [5, 6]})
    df = map_columns(raw, parse_columns("user=user,item=movie,rating=rate,timestamp=time"), "r.csv")
    liked, touched = events(df, DataSettings(rating_threshold=6))
    assert liked.user_id.tolist() == ["1"] and liked.item_id.tolist() == ["10"] and len(touched) == 2
    no_rating = map_columns(raw.drop(columns="rate"), parse_columns("user=user,item=movie"), "r.csv")
    with pytest.raises(InputFileError, match="--rating-threshold was given but there is no rating column"):
        events(no_rating, DataSettings(rating_threshold=6, rating_required=True), source="r.csv")
    with pytest.raises(InputFileError, match="r.csv: --columns names column"):
        map_columns(raw, parse_columns("user=uid"), "r.csv")
    with pytest.raises(InputFileError, match="NAME=COLUMN"):
        parse_columns("usr=user")


def test_fallback_puts_a_bursting_item_first():
    day = 86400.0
    rows = [("u%d" % u, "steady", 10 * day - u * 3600.0) for u in range(30)]          # popular all along
    rows += [("v%d" % u, "burst", 20 * day - u * 60.0) for u in range(12)]             # 12 likes in the last hour
    rows += [("w%d" % u, "steady", 20 * day - 2 * day - u * 3600.0) for u in range(3)]
    liked = pd.DataFrame(rows, columns=["user_id", "item_id", "timestamp"])
    store = HistoryStore.from_events(liked, liked, ["steady", "burst", "quiet"])
    plain = popular_and_trending(store, now=20 * day, settings=FallbackSettings(recent_share=1.0, trend_weight=0.0))
    trending = popular_and_trending(store, now=20 * day, settings=FallbackSettings(recent_share=1.0))
    assert plain[0] > plain[1]                       # by popularity the steady item leads
    assert trending[1] > trending[0] and trending[2] == 0     # the burst puts the bursting item first


def test_cli_serves_any_string_ids_and_counts(trained, tmp_path, capsys):
    folder, s, _ = trained
    users = tmp_path / "users.txt"
    users.write_text("abc\nu1\n")
    base = ["--model-dir", s.model_dir, "--threads", "1"]
    assert cli_main(["recommend", "--users", "abc", "--out", str(tmp_path / "e.jsonl"), *base]) == 0
    out = capsys.readouterr().out
    assert "served 1 of 1 users" in out and "1 fallback" in out
    assert json.loads((tmp_path / "e.jsonl").read_text())["user_id"] == "abc"
    assert cli_main(["recommend", "--users", str(users), "--out", str(tmp_path / "e.jsonl"),
                     "--similar-out", str(tmp_path / "s.jsonl"), *base]) == 0
    assert "served 2 of 2 users" in capsys.readouterr().out
    similar = [json.loads(x) for x in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert len(similar) == 45 and all(len(r["similar"]) <= 20 for r in similar)
    assert all(r["item_id"] not in {x["item_id"] for x in r["similar"]} for r in similar)
    rc = cli_main(["train-recommender", "--interactions", str(folder / "inter.csv"), "--columns", "user=nope",
                   *base])
    assert rc == 2 and "--columns names column(s) ['nope']" in capsys.readouterr().err
