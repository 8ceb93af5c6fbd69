"""Baseline: how many distinct authors a keyword usually has in this hour of the day.

    >>> model = AuthorBaseline(seasonal_days=7, level_hours=24).fit(history, run_hours, hour)  # doctest: +SKIP
    >>> model.expected(keys, activity_now)                                                      # doctest: +SKIP

For hour H and each (keyword, channel):

* ``seasonal`` — mean distinct authors at the same hour of day over the last ``seasonal_days``
  days (H-24h, H-48h, ...), counting only hours that were actually run;
* ``level`` — mean over the last ``level_hours`` hours that were run;
* both are Gamma-Poisson shrunk towards a prior rate, so a keyword never seen before (or the
  very first hour of a new installation) gets ``prior_rate`` instead of a division by zero:
  ``mean = (sum + prior_rate * prior_strength) / (n + prior_strength)``;
* in hours where the keyword was published as an issue (``masked``) its count enters clipped
  to ``masked_clip`` x what was expected then: a burst does not teach the baseline that the
  burst is normal, yet a lasting step up is learnt within a few hours instead of being masked
  forever. The hourly run masks only once warmed up (``warmup_hours`` of history): before
  that every keyword is "new" against the prior;
* ``expected = w * seasonal + (1 - w) * level`` with ``w = seasonal_weight * n_s / (n_s + 1)``;
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


class AuthorBaseline:
    def __init__(self, seasonal_days: int = 7, level_hours: int = 24, seasonal_weight: float = 0.6,
                 prior_rate: float = 0.05, prior_strength: float = 2.0,
                 activity_clip: tuple[float, float] = (0.25, 4.0), masked_clip: float = 1.5):
        self.seasonal_days = seasonal_days
        self.level_hours = level_hours
        self.seasonal_weight = seasonal_weight
        self.prior_rate = prior_rate
        self.prior_strength = prior_strength
        self.activity_clip = activity_clip
        self.masked_clip = masked_clip

    def fit(self, history: pd.DataFrame, run_hours: pd.DatetimeIndex, hour: pd.Timestamp,
            activity: pd.DataFrame | None = None) -> "AuthorBaseline":
        """``history``: hour, keyword, channel, authors, expected, masked of earlier hours;
        ``run_hours``: every earlier hour that was run; ``activity``: hour, channel, posts."""
        hour = pd.Timestamp(hour)
        runs = pd.DatetimeIndex(run_hours)
        self.seasonal_hours_ = runs.intersection(
            pd.DatetimeIndex([hour - pd.Timedelta(days=d) for d in range(1, self.seasonal_days + 1)]))
        self.level_hours_ = runs.intersection(
            pd.DatetimeIndex([hour - pd.Timedelta(hours=h) for h in range(1, self.level_hours + 1)]))
        self.keyword_means_ = self._means(history, "authors", mask_column="masked")
        self.activity_means_ = self._means(activity, "posts", key=["channel"]) if activity is not None else None
        return self

    def _means(self, frame: pd.DataFrame | None, value: str, key=KEY, mask_column: str | None = None) -> pd.DataFrame:
        """Per key: shrunk seasonal and level means and their effective hour counts."""
        out = {}
        for name, hours in (("seasonal", self.seasonal_hours_), ("level", self.level_hours_)):
            n_hours = len(hours)
            if frame is None or frame.empty:
                out[name] = pd.DataFrame(columns=[f"{name}_sum", f"{name}_n"])
                continue
            part = frame.loc[frame["hour"].isin(hours)]
            values = part[value].astype(float)
            if mask_column is not None and len(part):
                masked = part[mask_column].astype(bool).to_numpy()
                clipped = np.minimum(values.to_numpy(), self.masked_clip * part["expected"].astype(float).to_numpy())
                values = pd.Series(np.where(masked, clipped, values.to_numpy()), index=part.index)
            sums = values.groupby([part[k] for k in key]).sum()
            table = pd.DataFrame(index=sums.index)
            table[f"{name}_sum"] = sums.astype("float64")
            table[f"{name}_n"] = float(n_hours)
            out[name] = table
        joined = out["seasonal"].join(out["level"], how="outer")
        return joined

    def _blend(self, means: pd.DataFrame, keys: pd.MultiIndex | pd.Index, prior: float | np.ndarray) -> np.ndarray:
        means = means.reindex(keys)
        n_s_default, n_l_default = float(len(self.seasonal_hours_)), float(len(self.level_hours_))
        s_sum = means["seasonal_sum"].fillna(0.0).to_numpy(float) if "seasonal_sum" in means else np.zeros(len(keys))
        s_n = means["seasonal_n"].fillna(n_s_default).to_numpy(float) if "seasonal_n" in means else np.full(len(keys), n_s_default)
        l_sum = means["level_sum"].fillna(0.0).to_numpy(float) if "level_sum" in means else np.zeros(len(keys))
        l_n = means["level_n"].fillna(n_l_default).to_numpy(float) if "level_n" in means else np.full(len(keys), n_l_default)
        k0 = self.prior_strength
        seasonal = (s_sum + prior * k0) / (s_n + k0)
        level = (l_sum + prior * k0) / (l_n + k0)
        w = self.seasonal_weight * s_n / (s_n + 1.0)
        return w * seasonal + (1.0 - w) * level

    def expected(self, keys: pd.DataFrame, activity_now: pd.Series | None = None,
                 prior_rates: pd.Series | None = None) -> np.ndarray:
        """Expected distinct authors for each row of ``keys`` (columns keyword, channel)."""
        index = pd.MultiIndex.from_frame(keys[KEY]) if len(keys) else pd.MultiIndex.from_tuples([], names=KEY)
        prior = self.prior_rate if prior_rates is None else \
            keys["keyword"].map(prior_rates).fillna(self.prior_rate).to_numpy(float)
        expected = self._blend(self.keyword_means_, index, prior)
        if activity_now is not None and self.activity_means_ is not None and len(keys):
            channels = pd.Index(keys["channel"])
            usual = self._blend(self.activity_means_, channels, 0.0)
            now = channels.map(activity_now).to_numpy(float)
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(usual > 0, now / usual, 1.0)
            ratio = np.nan_to_num(ratio, nan=1.0, posinf=self.activity_clip[1])
            expected = expected * np.clip(ratio, *self.activity_clip)
        return expected
