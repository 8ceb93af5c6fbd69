"""Seeds of one hour: aggregate -> baseline -> score -> collapse near-duplicates -> rescore -> select.

    >>> from types import SimpleNamespace
    >>> words = ["강진 발생", "여진 계속", "피해 집계", "대피소 운영", "건물 붕괴", "도로 통제", "학교 휴교",
    ...          "구조대 투입", "정부 대책", "주민 불안"]
    >>> posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(10)], "channel": "news",
    ...                       "author_id": [f"a{i}" for i in range(10)], "title": [f"지진 {w}" for w in words],
    ...                       "body": ""})
    >>> post_keywords = pd.DataFrame({"post_id": posts["post_id"], "keyword": "지진", "title_hits": 1, "score": 1.0})
    >>> inputs = SimpleNamespace(hour=pd.Timestamp("2026-02-08T11:00Z"), history=None,
    ...                          run_hours=pd.DatetimeIndex([], tz="UTC"), activity_history=None)
    >>> cold = DetectSettings(warmup_history_hours=0)
    >>> found = find_seeds(post_keywords, posts, pd.Series(dtype="int64"), inputs, n_keywords=30000, settings=cold)
    >>> found.seeds[["channel", "keyword", "authors"]].values.tolist(), found.duplicate_posts
    ([['home', '지진', 10], ['news', '지진', 10]], 0)
    >>> template = posts.assign(title=[f"지진 속보 {i}번" for i in range(10)])    # one text, ten accounts
    >>> found = find_seeds(post_keywords, template, pd.Series(dtype="int64"), inputs, n_keywords=30000, settings=cold)
    >>> found.seeds["keyword"].tolist(), found.duplicate_posts
    ([], 10)

Near-duplicate collapse (:mod:`issues.spam`) runs only over the posts of the keywords that would
be seeds without it, so its cost follows the hour's candidates, not the whole stream; when it
finds groups, the stats are aggregated again with each group counted as one author and every
row is scored again. With ``keyword_types`` (keyword -> dictionary type) a keyword's cold-start
prior is ``prior_authors_per_hour`` scaled by its type's use this hour (:func:`issues.baseline.type_prior_rates`), else the constant
``prior_authors_per_hour``. ``was_issue`` (published in the previous hour) drives the detector's
hysteresis; with ``two_hour`` each row also gets the previous hour's distinct authors and
expectation from the history (:func:`previous_hour_counts`) for the detector's two-hour window.
The hour's ids are turned into integer codes once (:func:`issues.aggregate.encode_hour`); both
aggregations and the candidates' posts (:func:`candidate_posts`) work on them.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from issues.aggregate import HourCodes, aggregate_keyword_stats, channel_activity, encode_hour
from issues.baseline import AuthorBaseline, type_prior_rates
from issues.detect import BurstDetector, DetectSettings
from issues.spam import near_duplicate_groups


@dataclass
class FoundSeeds:
    scored: pd.DataFrame            # every (keyword, channel) row with signals, score, passed
    seeds: pd.DataFrame             # the passing rows, ranked per channel
    activity: pd.Series             # posts per channel (and home)
    warmed_up: bool                 # enough history to mask issue hours in the baseline
    duplicate_posts: int            # posts that fell into a near-duplicate group
    history_hours: int = 0          # completed earlier hours among those the baseline reads


def previous_hour_issues(history: pd.DataFrame, hour: pd.Timestamp) -> set[tuple[str, str]]:
    """(keyword, channel) pairs that were issues in the hour before ``hour``."""
    if history is None or history.empty or "is_issue" not in history:
        return set()
    last = history.loc[(history["hour"] == hour - pd.Timedelta(hours=1)) & history["is_issue"].astype(bool)]
    return set(zip(last["keyword"], last["channel"]))


def previous_hour_counts(history: pd.DataFrame, hour: pd.Timestamp) -> pd.DataFrame:
    """Distinct authors and their expectation per (keyword, channel) in the hour before ``hour``."""
    if history is None or history.empty or "expected" not in history:
        return pd.DataFrame(columns=["authors", "expected"],
                            index=pd.MultiIndex.from_arrays([[], []], names=["keyword", "channel"]))
    last = history.loc[history["hour"] == hour - pd.Timedelta(hours=1)]
    return last.drop_duplicates(["keyword", "channel"]).set_index(["keyword", "channel"])[["authors", "expected"]] \
        .astype(float)


def candidate_posts(codes: HourCodes, keywords) -> np.ndarray:
    """Per post (row of the encoded ``posts``): does it mention one of ``keywords``.

    >>> codes = encode_hour(pd.DataFrame({"post_id": ["p1", "p2", "p2"], "keyword": ["비", "눈", "비"]}),
    ...                     pd.DataFrame({"post_id": ["p0", "p1", "p2"], "channel": "news", "author_id": "a"}))
    >>> candidate_posts(codes, ["눈"]).tolist()
    [False, False, True]
    """
    wanted = np.append(codes.keywords.isin(list(keywords)), False)       # code -1 (no keyword): not wanted
    rows = wanted[codes.keyword] & (codes.post_row >= 0)
    mask = np.zeros(codes.author.size, dtype=bool)
    mask[codes.post_row[rows]] = True
    return mask


def previous_hour_flags(stats: pd.DataFrame, before: set[tuple[str, str]]) -> np.ndarray:
    """Per row of ``stats``: was its (keyword, channel) an issue in the previous hour.

    >>> previous_hour_flags(pd.DataFrame({"keyword": ["비", "눈"], "channel": "home"}), {("눈", "home")}).tolist()
    [False, True]
    """
    if not before or stats.empty:
        return np.zeros(len(stats), dtype=bool)
    return pd.MultiIndex.from_arrays([stats["keyword"], stats["channel"]]).isin(list(before))


def find_seeds(post_keywords: pd.DataFrame, posts: pd.DataFrame, query_volume: pd.Series, inputs,
               n_keywords: int, settings: DetectSettings,
               influential: pd.Series | None = None, keyword_types: pd.Series | None = None,
               signatures: np.ndarray | None = None) -> FoundSeeds:
    """The hour's seeds (module docstring); ``signatures`` are the posts' near-duplicate signatures
    (row-aligned with ``posts``, :mod:`keywords.stream`), else computed from their texts."""
    hour = pd.Timestamp(inputs.hour).tz_convert("UTC")
    d = settings
    baseline = AuthorBaseline(d.seasonal_days, d.level_hours, d.seasonal_weight, d.prior_authors_per_hour,
                              d.prior_strength_hours, weekly_weeks=d.weekly_weeks, weekly_weight=d.weekly_weight,
                              cycle_floor=d.cycle_floor, cycle_min_hours=d.cycle_min_hours,
                              cycle_similar=d.cycle_similar, cycle_noise_sd=d.cycle_noise_sd)
    baseline.fit(inputs.history, inputs.run_hours, hour, inputs.activity_history)
    activity = channel_activity(posts)
    detector = BurstDetector(d, n_keywords=n_keywords)
    before = previous_hour_issues(inputs.history, hour)
    ran_before = (hour - pd.Timedelta(hours=1)) in pd.DatetimeIndex(inputs.run_hours)
    previous = previous_hour_counts(inputs.history, hour) if d.two_hour and ran_before else None

    codes = encode_hour(post_keywords, posts) if len(post_keywords) else None

    def score(duplicate_group=None) -> pd.DataFrame:
        stats = aggregate_keyword_stats(post_keywords, posts, query_volume, influential, duplicate_group, codes=codes)
        was = previous_hour_flags(stats, before)
        if previous is not None:
            at = pd.MultiIndex.from_arrays([stats["keyword"], stats["channel"]])
            stats = stats.assign(prev_authors=previous["authors"].reindex(at).to_numpy(float),
                                 prev_expected=previous["expected"].reindex(at).to_numpy(float))
        prior = None if keyword_types is None else type_prior_rates(stats, keyword_types, d.prior_authors_per_hour)
        return detector.score(stats, baseline.expected_frame(stats, activity, prior), was)

    scored = score()
    candidates = scored.loc[scored["passed"], "keyword"].unique()
    duplicates = 0
    if len(candidates):
        mask = candidate_posts(codes, candidates)
        groups = near_duplicate_groups(posts.loc[mask], threshold=d.duplicate_threshold, mask_digits=d.mask_digits,
                                       signatures=None if signatures is None else signatures[mask])
        duplicates = len(groups)
        if duplicates:
            scored = score(groups)
    history = baseline.windows_["weekly"].union(baseline.windows_["seasonal"]).union(baseline.windows_["level"])
    return FoundSeeds(scored, detector.select(scored), activity,
                      len(baseline.level_hours_) >= d.warmup_hours, duplicates, len(history))
