"""Baseline: how many distinct authors (and posts, and searches) a keyword usually has now.

    >>> model = AuthorBaseline(seasonal_days=7, level_hours=24).fit(history, run_hours, hour)  # doctest: +SKIP
    >>> model.expected(keys, activity_now)             # expected distinct authors           # doctest: +SKIP
    >>> model.expected_frame(keys, activity_now)       # authors, posts and query volume     # doctest: +SKIP

For hour H and each (keyword, channel), for each value (authors, posts, query_volume):

* ``weekly`` — mean at the same hour of the week over the last ``weekly_weeks`` weeks
  (H-7d, H-14d, ...), counting only hours that were actually run;
* ``seasonal`` — mean at the same hour of day over the last ``seasonal_days`` days;
* ``level`` — mean over the last ``level_hours`` hours that were run;
* both are Gamma-Poisson shrunk towards a prior rate, so a keyword never seen before (or the
  very first hour of a new installation) gets ``prior_rate`` instead of a division by zero:
  ``mean = (sum + prior_rate * prior_strength) / (n + prior_strength)``;
* in hours where the keyword was published as an issue (``masked``) its count enters clipped
  to ``masked_clip`` x what was expected then: a burst does not teach the baseline that the
  burst is normal, yet a lasting step up is learnt within a few hours instead of being masked
  forever. The hourly run masks only once warmed up (``warmup_hours`` of history): before
  that every keyword is "new" against the prior;
* **cycles** (``cycle_floor``): a keyword that is high at this hour on most days (a morning
  traffic keyword, a Sunday TV show) is routine, not news. The expectation is at least the
  *cycle floor*: the value reached at this hour on at least half of the seasonal-window days
  (the upper median of those days, missing days counting 0) once it has ``cycle_min_hours``
  run hours, and likewise over the weekly window from its first week (a Sunday keyword as
  high as last Sunday is a recurrence). A one-off burst on one earlier day
  moves a median of 7 days not at all, so bursts still cannot teach it. For the same reason a
  masked hour is *not* clipped when the keyword was similarly high (at least ``cycle_similar``
  of that value) at the same hour on at least two earlier days of the seasonal window: it is a
  cycle, not a burst, and clipping it would hide the cycle from the seasonal mean;
* blended: ``w_w = weekly_weight * n_w / (n_w + 1)``, ``w_s = (1 - w_w) * seasonal_weight * n_s / (n_s + 1)``,
  ``expected = w_w * weekly + w_s * seasonal + (1 - w_w - w_s) * level``, so a window with
  no history yet weighs nothing;
* scaled by how busy this hour is in the channel against the same blend of its total posts
  (clipped to ``activity_clip``), so a quiet Sunday night does not hide a burst and a busy
  Monday morning does not invent one.

All of it is grouped NumPy/pandas over the history window; ``tests/issues/test_baseline.py``
checks it against a plain loop.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

KEY = ["keyword", "channel"]
VALUES = {"authors": "expected", "posts": "expected_posts", "query_volume": "expected_queries"}
WINDOWS = ("weekly", "seasonal", "level")


class AuthorBaseline:
    def __init__(self, seasonal_days: int = 7, level_hours: int = 24, seasonal_weight: float = 0.6,
                 prior_rate: float = 0.05, prior_strength: float = 2.0,
                 activity_clip: tuple[float, float] = (0.25, 4.0), masked_clip: float = 1.5,
                 weekly_weeks: int = 0, weekly_weight: float = 0.4, cycle_floor: bool = False,
                 cycle_min_hours: int = 3, cycle_similar: float = 0.5):
        self.seasonal_days = seasonal_days
        self.level_hours = level_hours
        self.seasonal_weight = seasonal_weight
        self.prior_rate = prior_rate
        self.prior_strength = prior_strength
        self.activity_clip = activity_clip
        self.masked_clip = masked_clip
        self.weekly_weeks = weekly_weeks
        self.weekly_weight = weekly_weight
        self.cycle_floor = cycle_floor
        self.cycle_min_hours = cycle_min_hours
        self.cycle_similar = cycle_similar

    @staticmethod
    def window_hours(hour: pd.Timestamp, seasonal_days: int, level_hours: int, weekly_weeks: int = 0) -> dict:
        hour = pd.Timestamp(hour)
        return {"weekly": pd.DatetimeIndex([hour - pd.Timedelta(weeks=w) for w in range(1, weekly_weeks + 1)]),
                "seasonal": pd.DatetimeIndex([hour - pd.Timedelta(days=d) for d in range(1, seasonal_days + 1)]),
                "level": pd.DatetimeIndex([hour - pd.Timedelta(hours=h) for h in range(1, level_hours + 1)])}

    def fit(self, history: pd.DataFrame, run_hours: pd.DatetimeIndex, hour: pd.Timestamp,
            activity: pd.DataFrame | None = None) -> "AuthorBaseline":
        """``history``: hour, keyword, channel, authors [posts, query_volume], their expected
        columns and masked, of earlier hours; ``run_hours``: every earlier hour that was run;
        ``activity``: hour, channel, posts."""
        runs = pd.DatetimeIndex(run_hours)
        self.windows_ = {name: runs.intersection(hours) for name, hours in
                         self.window_hours(hour, self.seasonal_days, self.level_hours, self.weekly_weeks).items()}
        self.seasonal_hours_, self.level_hours_ = self.windows_["seasonal"], self.windows_["level"]
        self.means_ = {value: self._means(history, value, mask_column="masked", expected_column=exp)
                       for value, exp in VALUES.items() if history is not None and value in history}
        if "authors" not in self.means_:
            self.means_["authors"] = self._means(None, "authors")
        self.keyword_means_ = self.means_["authors"]
        self.activity_means_ = self._means(activity, "posts", key=["channel"]) if activity is not None else None
        self.floors_ = {value: self._floor(history, value) for value in VALUES
                        if self.cycle_floor and history is not None and value in history}
        return self

    def _floor(self, frame: pd.DataFrame, value: str) -> pd.Series:
        """Per key: the value reached in at least half of the seasonal (and weekly) window hours."""
        floors = []
        for name in ("seasonal", "weekly"):
            hours = self.windows_[name]
            if frame.empty or len(hours) < (self.cycle_min_hours if name == "seasonal" else 1):
                continue
            k = (len(hours) + 1) // 2
            part = frame.loc[frame["hour"].isin(hours), KEY + [value]]
            part = part.sort_values(value, ascending=False, kind="stable")
            nth = part.loc[part.groupby(KEY, sort=False).cumcount() == k - 1]
            floors.append(nth.set_index(KEY)[value].astype(float))
        if not floors:
            return pd.Series(dtype=float)
        both = pd.concat(floors, axis=1)
        return both.max(axis=1)

    def _cycle_hours(self, frame: pd.DataFrame, part: pd.DataFrame, value: str) -> np.ndarray:
        """For each row of ``part``: was the key similarly high at the same hour on >= 2 earlier days?"""
        if not self.cycle_floor or not len(part):
            return np.zeros(len(part), bool)
        lookup = frame.set_index(["hour"] + KEY)[value].astype(float)
        lookup = lookup[~lookup.index.duplicated()]
        support = np.zeros(len(part))
        for d in range(1, self.seasonal_days + 1):
            earlier = pd.MultiIndex.from_arrays([part["hour"] - pd.Timedelta(days=d), part["keyword"], part["channel"]])
            before = lookup.reindex(earlier).fillna(0.0).to_numpy()
            support += before >= self.cycle_similar * part[value].astype(float).to_numpy()
        return support >= 2

    def _means(self, frame: pd.DataFrame | None, value: str, key=KEY, mask_column: str | None = None,
               expected_column: str = "expected") -> pd.DataFrame:
        """Per key: the sum of each window (masked hours clipped); hour counts are per window."""
        tables = []
        for name, hours in self.windows_.items():
            if frame is None or frame.empty or len(hours) == 0:
                continue
            part = frame.loc[frame["hour"].isin(hours)]
            values = part[value].astype(float).to_numpy()
            if mask_column is not None and len(part) and expected_column in part:
                masked = part[mask_column].astype(bool).to_numpy()
                if masked.any() and self.cycle_floor:
                    cycle = np.zeros(len(part), bool)
                    cycle[masked] = self._cycle_hours(frame, part.loc[masked], value)
                    masked = masked & ~cycle
                clipped = np.minimum(values, self.masked_clip * part[expected_column].astype(float).fillna(np.inf).to_numpy())
                values = np.where(masked, clipped, values)
            sums = pd.Series(values, index=part.index).groupby([part[k] for k in key]).sum()
            tables.append(sums.rename(f"{name}_sum").astype("float64"))
        return pd.concat(tables, axis=1) if tables else pd.DataFrame()

    def _blend(self, means: pd.DataFrame, keys, prior: float | np.ndarray) -> np.ndarray:
        means = means.reindex(keys) if len(means.columns) else pd.DataFrame(index=keys)
        k0 = self.prior_strength
        estimate, weight_left = np.zeros(len(keys)), np.ones(len(keys))
        for name, share in (("weekly", self.weekly_weight), ("seasonal", self.seasonal_weight), ("level", 1.0)):
            n = float(len(self.windows_[name]))
            total = means[f"{name}_sum"].fillna(0.0).to_numpy(float) if f"{name}_sum" in means else np.zeros(len(keys))
            mean = (total + prior * k0) / (n + k0)
            w = weight_left * (share * n / (n + 1.0) if name != "level" else 1.0)
            estimate += w * mean
            weight_left = weight_left - w
        return estimate

    def _activity_ratio(self, keys: pd.DataFrame, activity_now: pd.Series | None) -> np.ndarray:
        if activity_now is None or self.activity_means_ is None or not len(keys):
            return np.ones(len(keys))
        channels = pd.Index(keys["channel"])
        usual = self._blend(self.activity_means_, channels, 0.0)
        now = channels.map(activity_now).to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(usual > 0, now / usual, 1.0)
        return np.clip(np.nan_to_num(ratio, nan=1.0, posinf=self.activity_clip[1]), *self.activity_clip)

    def expected(self, keys: pd.DataFrame, activity_now: pd.Series | None = None,
                 prior_rates: pd.Series | None = None) -> np.ndarray:
        """Expected distinct authors for each row of ``keys`` (columns keyword, channel)."""
        index = pd.MultiIndex.from_frame(keys[KEY]) if len(keys) else pd.MultiIndex.from_tuples([], names=KEY)
        prior = self.prior_rate if prior_rates is None else \
            keys["keyword"].map(prior_rates).fillna(self.prior_rate).to_numpy(float)
        blend = self._blend(self.keyword_means_, index, prior) * self._activity_ratio(keys, activity_now)
        return self._with_floor(blend, index, "authors")

    def _with_floor(self, estimate: np.ndarray, index: pd.MultiIndex, value: str) -> np.ndarray:
        floor = getattr(self, "floors_", {}).get(value)
        if floor is None or floor.empty or not len(index):
            return estimate
        return np.maximum(estimate, floor.reindex(index).fillna(0.0).to_numpy(float))

    def expected_frame(self, keys: pd.DataFrame, activity_now: pd.Series | None = None,
                       prior_rates: pd.Series | None = None) -> pd.DataFrame:
        """``expected_authors``, ``expected_posts`` and ``expected_queries`` for each row of ``keys``."""
        index = pd.MultiIndex.from_frame(keys[KEY]) if len(keys) else pd.MultiIndex.from_tuples([], names=KEY)
        ratio = self._activity_ratio(keys, activity_now)
        authors = self.expected(keys, activity_now, prior_rates)
        out = pd.DataFrame({"expected_authors": authors}, index=keys.index)
        posts = self.means_.get("posts")
        out["expected_posts"] = authors if posts is None else \
            self._with_floor(self._blend(posts, index, self.prior_rate) * ratio, index, "posts")
        queries = self.means_.get("query_volume")
        out["expected_queries"] = 0.0 if queries is None else self._blend(queries, index, 0.0)
        return out
