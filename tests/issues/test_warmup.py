"""A new installation warms up: until the baseline has ``detect.warmup_history_hours`` hours of
history the feed says so and an issue must say more than its bare keyword (issue 12, item 12)."""
from __future__ import annotations

import pandas as pd

from benchmarks.evaluation.replay import HourReplayer
from crawler.ingest import posts_in_hour, queries_in_hour, read_posts, read_query_counts
from dictionaries import load_dictionary
from jobs.pipeline.feed import feed_document
from jobs.pipeline.hour import HourTools
from jobs.settings import resolve_settings
from tests.jobs.helpers import START, write_inputs


def _replay(inputs, settings, hours: int = 9):
    tools = HourTools.build(load_dictionary(inputs["dictionary"]))
    replayer = HourReplayer(tools, settings)
    posts, queries = read_posts([inputs["posts"]]).accepted, read_query_counts([inputs["queries"]]).accepted
    results = []
    for h in range(hours):
        hour = (START + pd.Timedelta(hours=h)).tz_convert("UTC")
        results.append(replayer.run(hour, posts_in_hour(posts, hour), queries_in_hour(queries, hour)))
    return results


def test_the_first_hours_publish_no_bare_words_and_the_event_still_comes_out(tmp_path):
    inputs = write_inputs(tmp_path, hours=9, bad_rows=False)
    warm = _replay(inputs, resolve_settings({"stopwords": ""}, {}))
    cold = _replay(inputs, resolve_settings({"stopwords": "", "detect": {"warmup_history_hours": 0}}, {}))

    for h, result in enumerate(warm):
        document = feed_document(result)
        assert document["warming_up"] is True and document["history_hours"] == h
        home = result.issues.loc[result.issues["channel"] == "home"]
        assert (home["title"] != home["keyword"]).all(), home["title"].tolist()
    bare = [t for r in cold for t, k in zip(r.issues["title"], r.issues["keyword"]) if t == k]
    assert bare, "without the warm-up rule the first hours publish bare words (the defect)"
    assert feed_document(cold[0])["warming_up"] is False
    event = warm[8].issues.loc[warm[8].issues["channel"] == "home"]
    assert event["title"].tolist()[:1] == ["선물 어린이날"]              # the planted event at 08 h


def test_warming_up_ends_once_the_history_is_there(tmp_path):
    inputs = write_inputs(tmp_path, hours=5, bad_rows=False)
    results = _replay(inputs, resolve_settings({"stopwords": "", "detect": {"warmup_history_hours": 3}}, {}),
                      hours=5)
    assert [r.warming_up for r in results] == [True, True, True, False, False]
    assert [r.history_hours for r in results] == [0, 1, 2, 3, 4]
