"""After the seeds the stages read only the seeds' rows (``jobs.pipeline.stages.seed_rows``); the
feed is the one they give reading the whole hour, override rules included."""
from dataclasses import replace

import pandas as pd
import pytest

import jobs.pipeline.hour as hour_module
from dictionaries import KeywordDictionary
from issues.detect import DetectSettings
from jobs.pipeline.hour import HourInputs, HourTools, run_hour_core
from jobs.pipeline.stages import SeedRows, seed_rows
from jobs.settings import Settings
from titling.overrides import parse_overrides

WORDS = ["압승", "과반", "개헌", "연립", "출구조사", "도쿄", "의석", "단독"]
# 일본 is in two posts only (no seed), yet the operators merge the seeds 자민당 and 총선 into it;
# 고양이 and 날씨 are pinned without being seeds; 도쿄 is in one post and plays no part (but in EMPTY_PINS)
RULES = "merge 일본 <= 자민당, 총선\npin home 고양이 => 고양이 사진\npin news 날씨\n"
EMPTY_PINS = "pin sports 도쿄\npin home 길고양이\n"        # no post in that channel / no such keyword


def _hour():
    tools = HourTools.build(KeywordDictionary.from_records(
        [{"keyword": k} for k in ["자민당", "총선", "일본", "고양이", "날씨", "도쿄"]]))
    titles = [f"자민당 총선 {w}" + (" 일본" if i in (0, 5) else "") for i, w in enumerate(WORDS)] + ["고양이 사진", "오늘 날씨"]
    n = len(titles)
    posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(n)], "channel": ["news", "blog"] * 4 + ["blog", "news"],
                          "author_id": [f"a{i}" for i in range(n)], "title": titles, "body": "", "url": "",
                          "recommend_count": list(range(n)), "editor_score": 0.0})
    inputs = HourInputs(pd.Timestamp("2026-02-08T11:00Z"), posts, overrides=parse_overrides(RULES, "o.txt"))
    return inputs, tools, Settings(detect=DetectSettings(warmup_history_hours=0))


def _whole_hour(found, extraction, rules):
    """The reference: every keyword's rows and every post, as the stages read them before."""
    pk = extraction.post_keywords.merge(extraction.posts[["post_id", "channel"]], on="post_id")
    return SeedRows(frozenset(pk["keyword"]) | seed_rows(found, extraction, rules).keywords,
                    pk[["post_id", "keyword", "score", "channel"]], extraction.posts.reset_index(drop=True),
                    extraction.signatures)


@pytest.mark.parametrize("rules", [RULES, "", RULES + EMPTY_PINS])
def test_the_feed_from_the_seeds_rows_is_the_feed_from_the_whole_hour(monkeypatch, rules):
    inputs, tools, settings = _hour()
    inputs = replace(inputs, overrides=parse_overrides(rules, "o.txt"))
    narrowed = run_hour_core(inputs, tools, settings)
    monkeypatch.setattr(hour_module, "seed_rows", _whole_hour)
    whole = run_hour_core(inputs, tools, settings)
    for name in ("issues", "bundles", "firings", "stats"):
        pd.testing.assert_frame_equal(getattr(narrowed, name), getattr(whole, name))
    assert len(narrowed.bundles)


def test_override_targets_count_though_no_seed():
    inputs, tools, settings = _hour()
    result = run_hour_core(inputs, tools, settings)
    issues = result.issues.set_index(["channel", "keyword"])
    assert issues.loc[("home", "일본"), "facets"] == ["자민당", "총선"]          # merged under a non-seed
    assert issues.loc[("home", "고양이"), "post_ids"] == ["p8"]                  # a pin's posts
    assert issues.loc[("news", "날씨"), "post_ids"] == ["p9"]
    home = result.bundles.loc[result.bundles["issue_id"] == issues.loc[("home", "일본"), "issue_id"]]
    assert home["post_id"].iloc[0] == "p5"       # its 일본 row counts: p5 (일본 in the title) comes first

    from jobs.pipeline.stages import extract_keywords, find_hour_seeds
    rules = inputs.overrides
    extraction, _ = extract_keywords(inputs, tools, settings.extract, rules)
    found = find_hour_seeds(extraction, inputs, tools, settings.detect)
    rows = seed_rows(found, extraction, rules)
    assert set(found.seeds["keyword"]) == {"자민당", "총선"}
    assert rows.keywords == {"자민당", "총선", "일본", "고양이", "날씨"}
    assert "도쿄" in set(extraction.post_keywords["keyword"]) and "도쿄" not in set(rows.channel_keywords["keyword"])
    assert rows.posts["post_id"].tolist() == [f"p{i}" for i in range(10)]
    assert rows.channel_keywords.groupby("keyword")["channel"].agg(set)["날씨"] == {"news"}
