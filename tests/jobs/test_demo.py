"""``issuewire demo`` (the README's first command) runs end to end on shipped data only and shows
the planted events, titled from the simulated queries in the operator's display form."""
import json

from jobs.cli.main import main


def test_demo_publishes_the_planted_events(tmp_path, capsys):
    assert main(["demo", "--workdir", str(tmp_path), "--hours", "23", "--show", "3"]) == 0
    out = capsys.readouterr().out
    assert "issuewire demo: 23 hours" in out
    feed = json.loads((tmp_path / "feeds" / "feed-20260504T21.json").read_text(encoding="utf-8"))
    home = [issue["title"] for issue in feed["channels"]["home"]]
    assert home[:2] == ["나가수 임재범", "어린이날 선물"]          # 나는가수다's display form is 나가수
    assert "1. 나가수 임재범" in out
    feeds = sorted((tmp_path / "feeds").glob("feed-*.json"))
    assert len(feeds) == 23
    for path in feeds:                                  # one author posts 광고 30 times every hour
        document = json.loads(path.read_text(encoding="utf-8"))
        assert all(issue["keyword"] != "광고" for issues in document["channels"].values() for issue in issues)
