"""One hour, as the design draws it: extract -> seeds -> seed rows -> titles -> merge -> overrides -> warm-up -> rank and bundle.

    >>> from dictionaries import KeywordDictionary
    >>> from jobs.settings import Settings
    >>> tools = HourTools.build(KeywordDictionary.from_records([{"keyword": "자민당"}]))
    >>> words = ["압승", "총선", "과반", "개헌", "연립", "출구조사", "도쿄", "의석"]
    >>> posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(8)], "channel": "news",
    ...                       "author_id": [f"a{i}" for i in range(8)], "title": [f"자민당 {w}" for w in words],
    ...                       "body": "", "url": "", "recommend_count": 0, "editor_score": 0.0})
    >>> run_hour_core(HourInputs(pd.Timestamp("2026-02-08T11:00Z"), posts), tools, Settings()).warming_up
    True
    >>> from issues.detect import DetectSettings          # as after a day of history (no warm-up bar):
    >>> warmed = Settings(detect=DetectSettings(warmup_history_hours=0))
    >>> result = run_hour_core(HourInputs(pd.Timestamp("2026-02-08T11:00Z"), posts), tools, warmed)
    >>> result.issues[["channel", "rank", "title"]].values.tolist()
    [['home', 1, '자민당'], ['news', 1, '자민당']]

:mod:`jobs.runner.hour` loads the history into :class:`HourInputs` and writes :class:`HourResult`
out; everything between is here and in :mod:`jobs.pipeline.stages`, so it is tested without a
database. :mod:`benchmarks.evaluation.replay` runs it with the history kept in memory.
"""
from __future__ import annotations

import pandas as pd

from jobs.pipeline.records import (FIRING_COLUMNS, ISSUE_COLUMNS, HourInputs, HourResult, HourTools, Issue,
                                   Merged)
from jobs.pipeline.stages import (apply_overrides, bundle_issues, choose_titles, continue_issues,
                                  extract_keywords, find_hour_seeds, hold_back_bare_words, merge_issues,
                                  rank_issues, seed_rows, signals)
from jobs.settings import Settings

__all__ = ["HourInputs", "HourResult", "HourTools", "run_hour_core"]


def run_hour_core(inputs: HourInputs, tools: HourTools, settings: Settings) -> HourResult:
    """The hour's issues per channel, ranked, titled and bundled, with the rules that fired."""
    rules = inputs.overrides.active_at(inputs.hour)
    extraction, blocked = extract_keywords(inputs, tools, settings.extract, rules)
    found = find_hour_seeds(extraction, inputs, tools, settings.detect)
    rows = seed_rows(found, extraction, rules)
    titles = choose_titles(found, extraction, rows, inputs, tools, settings.title)
    merged, merges = merge_issues(found, extraction, rows, titles, tools, settings, rules)
    edited, edits = apply_overrides(merged, rules)
    edited = hold_back_bare_words(edited, found, tools, settings.detect)
    ranked, pins = rank_issues(continue_issues(edited, inputs, settings.detect), rules, settings.detect.top_n)
    issues, bundles = bundle_issues(ranked, extraction, rows, tools, settings.bundle)
    return _result(inputs, extraction, found, ranked, issues, bundles, blocked + merges + edits + pins,
                   settings.detect.warmup_history_hours)


def _result(inputs: HourInputs, extraction, found, ranked: Merged, issues: list[Issue], bundles: pd.DataFrame,
            firings: list[dict], warmup_history_hours: int) -> HourResult:
    """The hour's rows for the store: issues, bundles, and the keyword stats marked with what was published."""
    frame = pd.DataFrame([{"channel": i.channel, "rank": i.rank, "issue_id": i.issue_id, "keyword": i.keyword,
                           "title": i.title, "title_source": i.title_source, "score": i.score,
                           "facets": list(i.facets), "post_ids": i.post_ids, "signals": signals(i.lead),
                           "pinned": i.pinned, "state": i.state, "onset": i.onset} for i in issues],
                         columns=ISSUE_COLUMNS)
    published = {i.keyword for i in issues if not i.pinned} | {f for i in issues for f in i.facets}
    scored = found.scored.assign(is_issue=found.scored["keyword"].isin(published))
    scored["masked"] = scored["is_issue"] & found.warmed_up
    counts = {"posts": len(extraction.posts), "post_keywords": len(extraction.post_keywords),
              "seeds": int(len(found.seeds)), "duplicate_posts": found.duplicate_posts,
              "issues": sum(i.channel == ranked.channels[0] for i in issues)}
    return HourResult(pd.Timestamp(inputs.hour).tz_convert("UTC"), extraction.post_keywords, scored, frame, bundles,
                      ranked.channels, found.activity, counts,
                      pd.DataFrame(firings, columns=FIRING_COLUMNS).drop_duplicates(ignore_index=True),
                      history_hours=found.history_hours,
                      warming_up=found.history_hours < warmup_history_hours)
