"""The core over the map and reduce publishes the same feed as the core over the whole posts frame."""
import pandas as pd
import pytest

from benchmarks.feed_equality import replay_lines
from benchmarks.feed_fingerprint import _tools, demo_world, news_world


def _both(name, posts, queries, hours, settings, tools, chunk_rows=37):
    old = list(replay_lines(name, posts, queries, hours, settings, tools, mapped=False, chunk_rows=chunk_rows))
    new = list(replay_lines(name, posts, queries, hours, settings, tools, mapped=True, chunk_rows=chunk_rows))
    return old, new


def test_real_news_hours_publish_the_same_feed(shared_data):
    settings, tools = _tools()
    posts, queries, hours = news_world("general", quick=False)
    hours = hours[(hours >= pd.Timestamp("2022-07-28T00:00+09:00")) & (hours < pd.Timestamp("2022-07-28T14:00+09:00"))]
    old, new = _both("general", posts, queries, hours, settings, tools)
    published = sum(len(line["feed"]["channels"].get("home", [])) for line in old)
    assert published > 0, "no issue published: the comparison would prove nothing"
    for a, b in zip(old, new):
        assert a == b, a["hour"]


def test_planted_simulator_publishes_the_same_feed(tmp_path):
    dictionary, posts, queries, hours = demo_world(tmp_path)
    settings, tools = _tools(dictionary)
    old, new = _both("demo", posts, queries, hours, settings, tools, chunk_rows=101)
    assert sum(len(line["feed"]["channels"].get("home", [])) for line in old) > 0
    for a, b in zip(old, new):
        assert a == b, a["hour"]
