"""The recommender reads the hourly feed the run really writes (issue 15: one feed contract).

A real backfill of 11 simulated hours (a planted event at 08 h) writes the feed files through
``jobs.pipeline.feed.feed_document``; the 10 h feed carries the event as ``fading`` with its
``onset`` two hours earlier, and the recommender must apply both the fading weight and the decay.
"""
import json

import pandas as pd
import pytest

from jobs.cli.main import main
from recommender.issue_features import STATE_WEIGHTS, issues_from_feed, item_boosts, item_issue_features
from recommender.shell import load_feed
from tests.jobs.helpers import write_inputs


@pytest.fixture(scope="module")
def feeds(tmp_path_factory):
    folder = tmp_path_factory.mktemp("feedrun")
    inputs = write_inputs(folder, hours=11, bad_rows=False)
    assert main(["backfill", "--from", "2026-05-04T00:00+09:00", "--to", "2026-05-04T10:00+09:00",
                 "--posts", inputs["posts"], "--queries", inputs["queries"], "--dictionary", inputs["dictionary"],
                 "--stopwords", "", "--db", f"sqlite:///{folder / 'db.sqlite'}",
                 "--feed-file", str(folder / "feed-{hour}.json"), "--quiet"]) == 0
    return folder


def test_the_real_feed_gives_fading_its_weight_and_the_decay(feeds):
    path = feeds / "feed-20260504T10.json"
    raw = json.loads(path.read_text(encoding="utf-8"))
    home = raw["channels"]["home"]
    assert home and home[0]["state"] == "fading" and "onset" in home[0]      # what the run writes
    feed = load_feed(path)                                                    # through the contract
    issues = issues_from_feed(feed)
    event = issues[0]
    hours = (pd.Timestamp(feed["hour"]) - event.onset).total_seconds() / 3600
    assert event.state == "fading" and hours == 2.0
    items = pd.DataFrame({"item_id": ["m1", "m2"], "title": [f"{event.keyword} 대작전", "다른 영화"], "genres": ""})
    feats = item_issue_features(items, issues, feed["hour"])
    assert feats["hours_since_onset"].tolist() == [2.0]
    boost, source = item_boosts(feats, items["item_id"].to_numpy(), half_life_hours=24.0)
    top = max(i.score for i in issues)
    expected = event.score / top * STATE_WEIGHTS["fading"] * 0.5 ** (2.0 / 24.0)
    assert boost[0] == pytest.approx(expected, rel=1e-6) and boost[1] == 0 and source[0] == event.issue_id
    assert STATE_WEIGHTS["fading"] < STATE_WEIGHTS["new"]


def test_a_feed_off_the_contract_is_a_named_error(tmp_path):
    from recommender.base import InputFileError
    bad = tmp_path / "feed.json"
    bad.write_text(json.dumps({"hour": "2026-05-04T10:00+09:00", "channels": {"home": [
        {"issue_id": "a", "rank": 1, "title": "t", "keyword": "k", "score": 1.0, "state": "cooling"}]}}))
    with pytest.raises(InputFileError, match=r"feed.json: channels.home.0.state"):
        load_feed(bad)
