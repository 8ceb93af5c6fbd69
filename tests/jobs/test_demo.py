"""``issuewire demo`` (the README's first command) runs end to end on shipped data only and shows
the planted events, titled from the simulated queries in the operator's display form; its first
day is a new installation's warm-up (issue 12, item 12)."""
import json

import pytest

from jobs.cli.main import main

HOURS = 27                                     # 2026-05-04 00 h .. 2026-05-05 02 h: all four planted events


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    capture = folder / "out.txt"
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["demo", "--workdir", str(folder), "--hours", str(HOURS), "--show", "8"]) == 0
    capture.write_text(out.getvalue(), encoding="utf-8")
    feeds = {path.stem.removeprefix("feed-"): json.loads(path.read_text(encoding="utf-8"))
             for path in sorted((folder / "feeds").glob("feed-*.json"))}
    return out.getvalue(), feeds


def test_demo_publishes_the_planted_events(demo):
    out, feeds = demo
    assert f"issuewire demo: {HOURS} hours" in out
    home = [issue["title"] for issue in feeds["20260504T21"]["channels"]["home"]]
    assert home[:2] == ["나가수 임재범", "어린이날 선물"]          # 나는가수다's display form is 나가수
    assert "1. 나가수 임재범" in out
    assert len(feeds) == HOURS
    for document in feeds.values():                     # one author posts 광고 30 times every hour
        assert all(issue["keyword"] != "광고" for issues in document["channels"].values() for issue in issues)


def test_the_first_day_warms_up_without_generic_words_and_the_events_still_come_out(demo):
    out, feeds = demo
    labels = sorted(feeds)
    for h, label in enumerate(labels):
        document = feeds[label]
        assert h >= 24 or document["history_hours"] == h, (label, document["history_hours"])
        assert document["warming_up"] is (h < 24), label
        issues = [i for items in document["channels"].values() for i in items]
        if document["warming_up"]:                      # no issue titled by a bare word while warming up
            assert all(i["title"] != i["keyword"] for i in issues), (label, [i["title"] for i in issues])
        if h < 20:                                      # 소식, 이야기, 3-author noise: gone from the first hours
            assert issues == [], (label, [i["title"] for i in issues])
    assert feeds["20260504T20"]["channels"]["home"][0]["title"] == "어린이날 선물"
    assert feeds["20260504T21"]["channels"]["home"][0]["title"] == "나가수 임재범"
    assert feeds["20260505T00"]["channels"]["home"][0]["title"] == "경북 지진"
    assert feeds["20260505T02"]["channels"]["home"][0]["title"] == "손흥민 결승골"
    assert feeds["20260505T00"]["history_hours"] >= 24
    assert "(397 posts; warming up, 20 h of history)" in out
