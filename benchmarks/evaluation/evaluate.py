"""Evaluate detectors on a simulated world: replay hour by hour, then score the published top N.

``detection_report(replay_detector(IssuewireDetector(DetectSettings()), world), world, placebo_tops)``
scores a detector on a simulated world (:func:`jobs.demo.simulator.simulate`; the placebo is the
replay of :func:`jobs.demo.simulator.time_shuffled`); ``benchmarks.eval_detection`` runs it. The
metrics on a hand-made top list, one planted issue live from hour 1 to hour 2:

    >>> hours = pd.date_range("2026-03-02T00:00Z", periods=6, freq="h")
    >>> truth = pd.DataFrame({"kind": ["issue"], "keyword": ["지진"], "channel": ["news"],
    ...                       "onset": [hours[1]], "end": [hours[2]]})
    >>> tops = pd.DataFrame({"hour": hours[[1, 2, 4]], "channel": "home", "rank": 1, "keyword": "지진",
    ...                      "score": 9.0})
    >>> issue_latencies(tops, truth).tolist()              # caught in the onset hour's own run
    [0.0]
    >>> precision_per_hour(tops, truth, hours).tolist()    # live until its end + a 2 h tail
    [1.0, 1.0, 1.0]
    >>> flicker_rate(tops, hours)                          # out at hour 3, back at hour 4: 1 of 2 entries
    0.5

:class:`IssuewireDetector` is the detection core of the hourly run (aggregate -> baseline ->
score -> near-duplicate collapse -> select, :func:`issues.seeds.find_seeds`) with the history
kept in memory, the lifecycle's onset decay on the ranking and the same masking of published
keywords as :func:`jobs.pipeline.hour.run_hour_core`; it skips titling, merging and bundling,
which do not change which keywords are detected. The baselines of :mod:`benchmarks.evaluation.reference_detectors` are
replayed on the same hours' stats.

Metrics, over the hours after the warm-up (``world.eval_from``):

* ``p6_home`` / ``p6_channels``: per hour with a non-empty list, the share of its (at most 6)
  items that are planted issues live then (onset .. end + ``tail_hours``); the mean over hours
  (channels: over every channel's hours);
* ``recall`` / ``recall_strong``: planted issues in the home or its channel's top N within
  ``detect_hours`` of onset; strong = lift >= 3 and >= 10 authors;
* ``latency``: hours from onset to the first such appearance (detected strong issues);
* ``placebo_fa``: items per hour in the home top N of the time-shuffled placebo (all false);
* ``flicker``: re-entries of a keyword into the home list within 2 hours of leaving it, per entry;
* controls: how many floods / sock-puppet templates got into any top N around their hour, how
  many routine / holiday keywords got into any top N during the hours they recur.

Every rate has a 95 % percentile bootstrap interval (:func:`bootstrap_ci`, seeded) over hours or
issues, whichever it averages over.
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from issues.aggregate import HOME, aggregate_keyword_stats
from benchmarks.evaluation.reference_detectors import publish_top
from issues.detect import DetectSettings
from issues.lifecycle import ranking_score
from jobs.pipeline.hour import HourInputs
from issues.seeds import find_seeds

_HISTORY = ["hour", "keyword", "channel", "authors", "posts", "query_volume", "expected", "expected_posts",
            "expected_queries", "masked", "is_issue"]
_EMPTY_QUERIES = pd.Series(dtype="int64")


class IssuewireDetector:
    """issuewire's detection core replayed in memory; ``step(hour, posts, post_keywords)`` -> top N."""

    name = "issuewire"

    def __init__(self, settings: DetectSettings = DetectSettings(), n_keywords: int = 0, name: str | None = None):
        self.settings = settings
        self.n_keywords = n_keywords
        self.name = name or self.name
        self.history_ = pd.DataFrame(columns=_HISTORY)
        self.activity_ = pd.DataFrame(columns=["hour", "channel", "posts"])
        self.run_hours_: list[pd.Timestamp] = []
        self.onsets_: dict[str, tuple[pd.Timestamp, pd.Timestamp]] = {}      # keyword -> (onset, last hour)

    def step(self, hour: pd.Timestamp, posts: pd.DataFrame, post_keywords: pd.DataFrame) -> pd.DataFrame:
        d = self.settings
        keep = hour - pd.Timedelta(days=max(d.seasonal_days, 7 * d.weekly_weeks))
        if len(self.run_hours_) % 24 == 0 and len(self.history_):
            self.history_ = self.history_.loc[self.history_["hour"] >= keep]
            self.activity_ = self.activity_.loc[self.activity_["hour"] >= keep]
        inputs = HourInputs(hour=hour, posts=posts, history=self.history_,
                            run_hours=pd.DatetimeIndex(self.run_hours_), activity_history=self.activity_)
        found = find_seeds(post_keywords, posts, _EMPTY_QUERIES, inputs, self.n_keywords, d)
        seeds = found.seeds
        onset = [self._onset(k, hour) for k in seeds["keyword"]]
        seeds = seeds.assign(score=[ranking_score(float(s), o, hour, d.half_life_hours)
                                    for s, o in zip(seeds["score"], onset)], passed=True)
        top = publish_top(seeds, d.top_n)
        published = set(top["keyword"])
        for k in published:
            self.onsets_[k] = (self._onset(k, hour), hour)
        scored = found.scored.assign(hour=hour, is_issue=found.scored["keyword"].isin(published))
        scored["masked"] = scored["is_issue"] & found.warmed_up
        self.history_ = pd.concat([self.history_, scored[_HISTORY]], ignore_index=True) if len(self.history_) \
            else scored[_HISTORY].reset_index(drop=True)
        activity = pd.DataFrame({"hour": hour, "channel": found.activity.index, "posts": found.activity.to_numpy()})
        self.activity_ = pd.concat([self.activity_, activity], ignore_index=True) if len(self.activity_) else activity
        self.run_hours_.append(hour)
        return top

    def _onset(self, keyword: str, hour: pd.Timestamp) -> pd.Timestamp:
        known = self.onsets_.get(keyword)
        if known and hour - known[1] <= pd.Timedelta(hours=self.settings.continue_hours):
            return known[0]
        return hour


class StatsDetector:
    """A baseline of :mod:`benchmarks.evaluation.reference_detectors` fed the plain hourly stats."""

    def __init__(self, baseline, top_n: int = 6):
        self.baseline, self.top_n, self.name = baseline, top_n, baseline.name

    def step(self, hour, posts, post_keywords) -> pd.DataFrame:
        stats = aggregate_keyword_stats(post_keywords, posts)
        return publish_top(self.baseline.step(stats), self.top_n)


def replay_detector(detector, world, progress=None) -> pd.DataFrame:
    """Every hour of ``world`` through ``detector.step``: hour, channel, rank, keyword, score."""
    tops = []
    hours = world.hours if progress is None else progress(world.hours, desc=detector.name)
    for hour in hours:
        posts, pk = world.hour(hour)
        tops.append(detector.step(hour, posts, pk).assign(hour=hour))
    return pd.concat(tops, ignore_index=True)


def bootstrap_ci(values, stat=np.mean, reps: int = 1000, seed: int = 0, level: float = 0.95) -> tuple[float, float]:
    """Percentile bootstrap interval of ``stat`` over ``values`` (NaN, NaN when empty)."""
    values = np.asarray(values, float)
    if len(values) == 0:
        return (np.nan, np.nan)
    rng = np.random.default_rng(seed)
    draws = np.array([stat(values[rng.integers(len(values), size=len(values))]) for _ in range(reps)])
    tail = (1.0 - level) / 2.0
    return (float(np.quantile(draws, tail)), float(np.quantile(draws, 1.0 - tail)))


def _live_keywords(truth: pd.DataFrame, tail_hours: int) -> dict:
    issues = truth.loc[truth["kind"] == "issue"]
    live: dict[pd.Timestamp, set] = {}
    for r in issues.itertuples(index=False):
        for h in pd.date_range(r.onset, r.end + pd.Timedelta(hours=tail_hours), freq="h"):
            live.setdefault(h, set()).add(r.keyword)
    return live


def precision_per_hour(tops: pd.DataFrame, truth: pd.DataFrame, hours, channels=None,
                       tail_hours: int = 2) -> np.ndarray:
    """Per (hour, channel) list that is not empty: the share of its items that are live planted issues."""
    live = _live_keywords(truth, tail_hours)
    rows = tops.loc[tops["hour"].isin(hours)]
    rows = rows.loc[rows["channel"] == HOME] if channels is None else rows.loc[rows["channel"].isin(channels)]
    if rows.empty:
        return np.zeros(0)
    hit = np.array([k in live.get(h, ()) for h, k in zip(rows["hour"], rows["keyword"])])
    return pd.Series(hit, index=rows.index).groupby([rows["hour"], rows["channel"]]).mean().to_numpy(float)


def issue_latencies(tops: pd.DataFrame, truth: pd.DataFrame, detect_hours: int = 3) -> np.ndarray:
    """Per planted issue: hours from onset to its first appearance in home or its channel (NaN if missed)."""
    issues = truth.loc[truth["kind"] == "issue"]
    seen = tops.loc[tops["channel"].isin([HOME, *issues["channel"].unique()])]
    first = {}
    for h, c, k in zip(seen["hour"], seen["channel"], seen["keyword"]):
        first.setdefault(k, []).append((h, c))
    out = []
    for r in issues.itertuples(index=False):
        lags = [(h - r.onset) / pd.Timedelta(hours=1) for h, c in first.get(r.keyword, ())
                if c in (HOME, r.channel) and r.onset <= h <= r.onset + pd.Timedelta(hours=detect_hours)]
        out.append(min(lags) if lags else np.nan)
    return np.asarray(out, float)


def flicker_rate(tops: pd.DataFrame, hours, gap_hours: int = 2) -> float:
    """Re-entries into the home list within ``gap_hours`` of leaving it, per entry."""
    home = tops.loc[(tops["channel"] == HOME) & tops["hour"].isin(hours)]
    hour_index = {h: i for i, h in enumerate(pd.DatetimeIndex(hours))}
    entries = flickers = 0
    for _, when in home.groupby("keyword")["hour"]:
        idx = sorted(hour_index[h] for h in when)
        starts = [i for j, i in enumerate(idx) if j == 0 or idx[j - 1] != i - 1]
        entries += len(starts)
        flickers += sum(1 for j, i in enumerate(idx) if j > 0 and 1 < i - idx[j - 1] <= gap_hours + 1)
    return flickers / entries if entries else 0.0


def control_hits(tops: pd.DataFrame, truth: pd.DataFrame, hours, kind: str) -> tuple[int, int]:
    """(controls of ``kind`` that got into any top N while they were active, controls of that kind)."""
    controls = truth.loc[truth["kind"] == kind]
    rows = tops.loc[tops["hour"].isin(hours)]
    hits = 0
    for r in controls.itertuples(index=False):
        mine = rows.loc[rows["keyword"] == r.keyword, "hour"]
        if kind in ("flood", "sockpuppet"):
            mine = mine.loc[(mine >= r.onset) & (mine <= r.onset + pd.Timedelta(hours=1))]
        else:                      # recurring: the hours of day (and week) it recurs at, and the next
            kst = r.onset.tz_convert("Asia/Seoul")
            local = mine.dt.tz_convert("Asia/Seoul")
            mine = mine.loc[(local.dt.hour - kst.hour).between(0, 1 if kind == "routine" else 8)
                            & ((kind == "routine") | (local.dt.day_of_week == kst.day_of_week))]
        hits += int(len(mine) > 0)
    return hits, len(controls)


def detection_report(tops: pd.DataFrame, world, placebo_tops: pd.DataFrame | None = None,
                     channels=None, reps: int = 1000, seed: int = 0) -> dict:
    """Every metric of the module docstring with its bootstrap interval."""
    hours = world.hours[world.hours >= world.eval_from]
    truth = world.truth
    channels = channels or sorted(set(world.posts["channel"]))
    out = {}
    p_home = precision_per_hour(tops, truth, hours)
    p_chan = precision_per_hour(tops, truth, hours, channels)
    out["p6_home"], out["p6_home_ci"] = float(np.mean(p_home)) if len(p_home) else np.nan, bootstrap_ci(p_home, reps=reps, seed=seed)
    out["p6_channels"], out["p6_channels_ci"] = float(np.mean(p_chan)) if len(p_chan) else np.nan, bootstrap_ci(p_chan, reps=reps, seed=seed)
    out["p6_by_channel"] = {c: float(np.mean(v)) if len(v := precision_per_hour(tops, truth, hours, [c])) else np.nan
                            for c in channels}
    issues = truth.loc[truth["kind"] == "issue"].reset_index(drop=True)
    lat = issue_latencies(tops, truth)
    strong = ((issues["lift"] >= 3) & (issues["authors"] >= 10)).to_numpy()
    found = ~np.isnan(lat)
    out["recall"], out["recall_ci"] = float(found.mean()), bootstrap_ci(found, reps=reps, seed=seed)
    out["recall_strong"], out["recall_strong_ci"] = float(found[strong].mean()), bootstrap_ci(found[strong], reps=reps, seed=seed)
    out["n_strong"] = int(strong.sum())
    strong_lat = lat[strong & found]
    out["latency_median"] = float(np.median(strong_lat)) if len(strong_lat) else np.nan
    out["latency_median_ci"] = bootstrap_ci(strong_lat, np.median, reps=reps, seed=seed)
    out["latency_p90"] = float(np.quantile(strong_lat, 0.9)) if len(strong_lat) else np.nan
    out["recall_by"] = issues.assign(found=found).groupby(["lift", "authors"])["found"].mean().unstack()
    out["flicker"] = flicker_rate(tops, hours)
    for kind in ("flood", "sockpuppet", "routine", "holiday"):
        out[kind] = control_hits(tops, truth, hours, kind)
    if placebo_tops is not None:
        home = placebo_tops.loc[(placebo_tops["channel"] == HOME) & placebo_tops["hour"].isin(hours)]
        per_hour = home.groupby("hour").size().reindex(hours, fill_value=0).to_numpy(float)
        out["placebo_fa"], out["placebo_fa_ci"] = float(per_hour.mean()), bootstrap_ci(per_hour, reps=reps, seed=seed)
    return out


def before_fixes(settings: DetectSettings) -> DetectSettings:
    """The detector as it was before issue #4: dictionary-wide BH, no cycle floor, raw-digit shingles,
    one-hour test only."""
    return replace(settings, fdr_family="dictionary", cycle_floor=False, mask_digits=False, two_hour=False,
                   cycle_noise_sd=0.0)
