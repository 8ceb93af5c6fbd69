"""Evergreen topics are never issues by a burst; a pin still shows their bundle until it expires."""
import pandas as pd

from crawler.ingest import posts_in_hour, queries_in_hour, read_posts, read_query_counts
from dictionaries import load_dictionary
from jobs.pipeline.hour import HourTools
from benchmarks.evaluation.replay import HourReplayer
from jobs.settings import resolve_settings
from tests.jobs.helpers import START, write_inputs
from titling.overrides import parse_overrides

PIN = """[[pin]]
channel = "home"
keyword = "어린이날"
title = "어린이날 나들이"
expires = 2026-05-04T08:30:00+09:00
"""


def _home_at_8(tmp_path, evergreen=frozenset(), overrides=None):
    inputs = write_inputs(tmp_path, hours=9, bad_rows=False)
    tools = HourTools.build(load_dictionary(inputs["dictionary"]), evergreen=evergreen)
    replayer = HourReplayer(tools, resolve_settings({}, {}), overrides)
    posts, queries = read_posts([inputs["posts"]]).accepted, read_query_counts([inputs["queries"]]).accepted
    for h in range(9):
        hour = (START + pd.Timedelta(hours=h)).tz_convert("UTC")
        result = replayer.run(hour, posts_in_hour(posts, hour), queries_in_hour(queries, hour))
    return result.issues.loc[result.issues["channel"] == "home"], result


def test_an_evergreen_keyword_is_never_an_issue_but_may_be_pinned(tmp_path):
    # without the evergreen list the planted 어린이날 event tops hour 8 (tests/jobs/test_hourly_integration.py)
    home, result = _home_at_8(tmp_path, frozenset({"어린이날"}), parse_overrides(PIN, "o.toml"))
    bursts = home.loc[~home["pinned"].astype(bool)]
    assert "어린이날" not in {k for r in bursts.itertuples() for k in [r.keyword, *r.facets]}
    first = home.sort_values("rank").iloc[0]
    assert first["pinned"] and first["title"] == "어린이날 나들이" and first["keyword"] == "어린이날"
    assert len(result.bundles.loc[result.bundles["issue_id"] == first["issue_id"]]) > 0
    assert result.firings[["rule", "line"]].values.tolist() == [["pin", 1]]


def test_an_expired_pin_is_gone(tmp_path):
    rules = parse_overrides(PIN, "o.toml").active_at(pd.Timestamp("2026-05-04T09:00+09:00"))
    assert rules.pins == []
