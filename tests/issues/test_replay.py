"""The in-memory replay gives exactly what the stored hourly runs give."""
import pandas as pd
import pytest

from crawler.ingest import posts_in_hour, queries_in_hour, read_posts, read_query_counts
from dictionaries import load_dictionary
from issues.pipeline import HourTools
from issues.replay import HourReplayer
from jobs.hourly import RunContext, run_hour
from jobs.settings import resolve_settings
from tests.jobs.helpers import START, write_inputs


def test_replay_matches_the_database_backed_run(tmp_path):
    inputs = write_inputs(tmp_path, hours=10)
    settings = resolve_settings({"db_url": f"sqlite:///{tmp_path / 'db.sqlite'}", "dictionary": inputs["dictionary"],
                                 "stopwords": "", "evergreen": "", "title_blocklist": ""}, {})   # as the bare tools
    ctx = RunContext(settings)
    replayer = HourReplayer(HourTools.build(load_dictionary(inputs["dictionary"])), settings)
    posts = read_posts([inputs["posts"]]).accepted
    queries = read_query_counts([inputs["queries"]]).accepted
    for h in range(10):
        hour = (START + pd.Timedelta(hours=h)).tz_convert("UTC")
        stored = run_hour(ctx, hour, [inputs["posts"]], [inputs["queries"]]).document["channels"]
        replayed = replayer.run(hour, posts_in_hour(posts, hour), queries_in_hour(queries, hour))
        got = replayed.issues
        for channel, items in stored.items():
            mine = got.loc[got["channel"] == channel].sort_values("rank")
            assert [i["issue_id"] for i in items] == mine["issue_id"].tolist()
            assert [i["score"] for i in items] == pytest.approx(mine["score"].tolist())


def test_hours_must_be_in_order(tmp_path):
    inputs = write_inputs(tmp_path, hours=1, bad_rows=False)
    replayer = HourReplayer(HourTools.build(load_dictionary(inputs["dictionary"])), resolve_settings({}, {}))
    empty = read_posts([inputs["posts"]]).accepted.iloc[:0]
    replayer.run(START, empty)
    with pytest.raises(ValueError, match="in order"):
        replayer.run(START, empty)
