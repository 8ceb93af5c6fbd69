"""The in-memory replay gives exactly what the stored hourly runs give."""
import pandas as pd
import pytest

from crawler.ingest import posts_in_hour, queries_in_hour, read_posts, read_query_counts
from dictionaries import load_dictionary
from jobs.pipeline.hour import HourTools
from benchmarks.evaluation.replay import HourReplayer
from jobs.runner.hour import RunContext, run_hour
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


def test_first_hour_priors_follow_the_dictionary_types(tmp_path):
    """On a new installation a keyword's expectation comes from how its type is used this hour."""
    inputs = write_inputs(tmp_path, hours=1, bad_rows=False)
    path = tmp_path / "typed.tsv"
    busy = {"정부", "환율", "주가", "날씨", "국회"}
    rows = ["keyword\ttype\taliases\tweight"] + [f"{w}\t{'person' if w in busy else 'common'}\t\t" for w in
                                                 __import__("tests.jobs.helpers", fromlist=["VOCAB"]).VOCAB]
    rows += [f"빈말{i}\tcommon\t\t" for i in range(300)]           # dictionary entries nobody uses
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    tools = HourTools.build(load_dictionary(path))
    assert tools.keyword_types["정부"] == "person" and tools.keyword_types["빈말0"] == "common"
    posts = read_posts([inputs["posts"]]).accepted
    result = HourReplayer(tools, resolve_settings({}, {})).run(START, posts_in_hour(posts, START.tz_convert("UTC")))
    home = result.stats.loc[result.stats["channel"] == "home"].set_index("keyword")["expected"]
    persons, commons = home[home.index.isin(busy)], home[~home.index.isin(busy)]
    assert len(persons) and len(commons) and persons.min() > commons.max()
