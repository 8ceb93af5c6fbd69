"""Three published burst detectors, run on the same hourly stats as issuewire's for comparison.

    >>> import pandas as pd
    >>> stats = pd.DataFrame({"keyword": ["a"], "channel": ["home"], "posts": [9], "authors": [9]})
    >>> d = PreviousHourPoisson()
    >>> d.step(stats)["passed"].tolist(), d.step(stats)["passed"].tolist()
    ([True], [False])

Each detector keeps its own state keyed by (keyword, channel) and has ``step(stats)`` -> the
stats with ``score`` and ``passed``, scoring this hour against the state, then learning it.
:func:`publish_top` turns any of them (or issuewire's scored rows) into the hour's top N.

* :class:`PreviousHourPoisson` — posts this hour against a Poisson whose mean is last hour's
  posts (at least ``floor``); passes at ``-log10 p >= min_surprise`` and ``min_posts``.
* :class:`SigniTrend` — Schubert, Weiler & Kriegel (KDD 2014): exponentially weighted mean and
  variance of each keyword's posts per hour, ``z = (x - max(mean, beta)) / (sqrt(var) + beta)``,
  the bias ``beta`` the noise floor for rare keywords; passes at ``z >= threshold``.
* :class:`MastodonTrends` — Mastodon's ``Trends::Tags``: on distinct accounts,
  ``score = (observed - expected)**2 / expected`` when observed > expected, expected = the
  accounts of the previous period (here the mean hour of the last 24 h, at least 1); a tag
  needs ``min_accounts`` (Mastodon's threshold, 5) accounts.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats as sps

KEY = ["keyword", "channel"]


def _index(stats: pd.DataFrame) -> pd.MultiIndex:
    return pd.MultiIndex.from_frame(stats[KEY]) if len(stats) else pd.MultiIndex.from_tuples([], names=KEY)


class PreviousHourPoisson:
    name = "prev-hour Poisson"

    def __init__(self, floor: float = 0.5, min_surprise: float = 3.0, min_posts: int = 3):
        self.floor, self.min_surprise, self.min_posts = floor, min_surprise, min_posts
        self.last_ = pd.Series(dtype=float)

    def step(self, stats: pd.DataFrame) -> pd.DataFrame:
        index = _index(stats)
        x = stats["posts"].to_numpy(float)
        mean = np.maximum(self.last_.reindex(index).fillna(0.0).to_numpy(), self.floor)
        score = -sps.poisson.logsf(x - 1, mean) / np.log(10.0)
        self.last_ = pd.Series(x, index=index)
        return stats.assign(score=score, passed=(score >= self.min_surprise) & (x >= self.min_posts))


class SigniTrend:
    name = "SigniTrend"

    def __init__(self, half_life_hours: float = 24.0, beta: float = 2.0, threshold: float = 3.0):
        self.alpha = 1.0 - 0.5 ** (1.0 / half_life_hours)
        self.beta, self.threshold = beta, threshold
        self.mean_ = pd.Series(dtype=float)
        self.var_ = pd.Series(dtype=float)

    def step(self, stats: pd.DataFrame) -> pd.DataFrame:
        index = _index(stats)
        x_now = pd.Series(stats["posts"].to_numpy(float), index=index)
        mean = self.mean_.reindex(index).fillna(0.0).to_numpy()
        var = self.var_.reindex(index).fillna(0.0).to_numpy()
        z = (x_now.to_numpy() - np.maximum(mean, self.beta)) / (np.sqrt(var) + self.beta)
        # update every tracked key (absent ones saw 0 this hour): West's EW mean and variance
        keys = self.mean_.index.union(index)
        x = x_now.reindex(keys).fillna(0.0)
        m, v = self.mean_.reindex(keys).fillna(0.0), self.var_.reindex(keys).fillna(0.0)
        delta = x - m
        self.mean_ = m + self.alpha * delta
        self.var_ = (1.0 - self.alpha) * (v + self.alpha * delta * delta)
        return stats.assign(score=z, passed=z >= self.threshold)


class MastodonTrends:
    name = "Mastodon (o-e)^2/e"

    def __init__(self, period_hours: int = 24, min_accounts: int = 5):
        self.period_hours, self.min_accounts = period_hours, min_accounts
        self.recent_: list[pd.Series] = []
        self.total_: pd.Series | None = None         # running sum of the last period_hours hours

    def step(self, stats: pd.DataFrame) -> pd.DataFrame:
        index = _index(stats)
        observed = stats["authors"].to_numpy(float)
        expected = np.zeros(len(stats)) if self.total_ is None else \
            (self.total_.reindex(index).fillna(0.0) / self.period_hours).to_numpy()
        expected = np.maximum(expected, 1.0)
        score = np.where(observed > expected, (observed - expected) ** 2 / expected, 0.0)
        now = pd.Series(observed, index=index)
        self.recent_.append(now)
        self.total_ = now.copy() if self.total_ is None else self.total_.add(now, fill_value=0.0)
        if len(self.recent_) > self.period_hours:
            self.total_ = self.total_.sub(self.recent_.pop(0), fill_value=0.0)
            self.total_ = self.total_[self.total_ > 1e-9]
        return stats.assign(score=score, passed=(score > 0) & (observed >= self.min_accounts))


def publish_top(scored: pd.DataFrame, top_n: int = 6) -> pd.DataFrame:
    """The passing rows ranked per channel by score (ties by keyword), ``top_n`` each, with ``rank``."""
    rows = scored.loc[scored["passed"].astype(bool)].sort_values(
        ["channel", "score", "keyword"], ascending=[True, False, True], kind="stable")
    rows = rows.groupby("channel", sort=False).head(top_n)
    return rows.assign(rank=rows.groupby("channel").cumcount() + 1)[["channel", "rank", "keyword", "score"]] \
        .reset_index(drop=True)
