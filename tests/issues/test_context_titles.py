"""Issues no query titled take the context nouns most of their posts' titles carry (issue #3)."""
import dataclasses

import pandas as pd
import pytest

from crawler.ingest import posts_in_hour, read_posts
from jobs.demo.simulator import PlantedEvent, PortalSimulator
from dictionaries import KeywordDictionary
from jobs.pipeline.hour import HourTools
from benchmarks.evaluation.replay import HourReplayer
from jobs.settings import SettingsError, resolve_settings
from tests.jobs.helpers import START, VOCAB

HOURS = 5     # the event is planted in the last one


def _home(tmp_path, event: PlantedEvent, backend: str):
    """The event's home issue in its hour, replayed without any query log."""
    posts, _ = PortalSimulator(VOCAB, posts_per_hour=120, n_authors=200, seed=3).simulate(START, HOURS, [event])
    posts.to_json(tmp_path / "posts.jsonl", orient="records", lines=True, force_ascii=False)
    posts = read_posts([tmp_path / "posts.jsonl"]).accepted
    dictionary = KeywordDictionary.from_records([{"keyword": w} for w in VOCAB + [event.keyword]])
    settings = resolve_settings({}, {"ISSUEWIRE_TITLE__CONTEXT_BACKEND": backend,
                                     "ISSUEWIRE_DETECT__WARMUP_HISTORY_HOURS": "0"})   # titles as once warmed up
    replayer = HourReplayer(HourTools.build(dictionary), settings)
    for h in range(HOURS):
        hour = (START + pd.Timedelta(hours=h)).tz_convert("UTC")
        result = replayer.run(hour, posts_in_hour(posts, hour))
    home = result.issues.loc[result.issues["channel"] == "home"]
    return home.loc[home["keyword"] == event.keyword].iloc[0]


def test_an_issue_without_queries_is_titled_with_its_posts_context_noun(tmp_path):
    # every post of the event says '시설장' (not a dictionary word) next to '색동원'
    issue = _home(tmp_path, PlantedEvent("색동원", hour=HOURS - 1, context="시설장", authors=25, channel="news"), "kiwi")
    assert issue["title"] == "시설장 색동원" and issue["title_source"] == "context"


def test_no_context_word_in_most_titles_leaves_the_keyword(tmp_path):
    # the event's titles share nothing but the keyword (fillers and endings vary)
    issue = _home(tmp_path, PlantedEvent("색동원", hour=HOURS - 1, authors=25, channel="news"), "regex")
    assert issue["title"] == "색동원" and issue["title_source"] == "keyword"


def test_context_backend_none_switches_context_titles_off(tmp_path):
    issue = _home(tmp_path, PlantedEvent("색동원", hour=HOURS - 1, context="시설장", authors=25, channel="news"), "none")
    assert issue["title"] == "색동원" and issue["title_source"] == "keyword"


def test_an_unknown_context_backend_is_a_settings_error():
    with pytest.raises(SettingsError, match=r"\[title\]: context_backend must be one of kiwi, okt, regex, none"):
        resolve_settings({}, {"ISSUEWIRE_TITLE__CONTEXT_BACKEND": "mecab"})
    assert dataclasses.replace(resolve_settings({}, {}).title).context_backend == "kiwi"
