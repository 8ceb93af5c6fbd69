"""Baseline: how many distinct authors (and posts, and searches) a keyword usually has now.

    >>> hours = pd.date_range("2026-02-01T00:00Z", periods=48, freq="h")
    >>> history = pd.DataFrame({"hour": hours, "keyword": "날씨", "channel": "news", "authors": 4, "posts": 5,
    ...                         "query_volume": 0, "expected": 4.0, "masked": False})
    >>> model = AuthorBaseline(seasonal_days=7, level_hours=24).fit(history, hours, pd.Timestamp("2026-02-03T00:00Z"))
    >>> keys = pd.DataFrame({"keyword": ["날씨", "자민당"], "channel": ["news", "news"]})
    >>> model.expected(keys).round(2).tolist()          # a regular keyword; one never seen (the prior)
    [3.03, 0.01]
    >>> model.expected_frame(keys).columns.tolist()    # authors, posts and query volume
    ['expected_authors', 'expected_posts', 'expected_queries']

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
  high as last Sunday is a recurrence). The floor is an order statistic of a few counts (one
  or two weeks in the weekly window), so for a keyword used about once an hour it is mostly
  Poisson noise, and ``max(blend, floor)`` then inflates the expectation (by 1.2-1.6x on
  average for about half the simulated rows expecting 0.5 or more): ``cycle_noise_sd`` takes
  that many Poisson standard deviations off it (``floor - z sqrt(floor)``), so a count of 1
  or 2 raises nothing while a 20-author routine keeps a floor of 15.5. A one-off burst on one
  earlier day moves a median of 7 days not at all, so bursts still cannot teach it. For the same reason a
  masked hour is *not* clipped when the keyword was similarly high (at least ``cycle_similar``
  of that value) at the same hour on at least two earlier days of the seasonal window: it is a
  cycle, not a burst, and clipping it would hide the cycle from the seasonal mean;
* blended: ``w_w = weekly_weight * n_w / (n_w + 1)``, ``w_s = (1 - w_w) * seasonal_weight * n_s / (n_s + 1)``,
  ``expected = w_w * weekly + w_s * seasonal + (1 - w_w - w_s) * level``, so a window with
  no history yet weighs nothing;
* scaled by how busy this hour is in the channel against the same blend of its total posts
  (clipped to ``activity_clip``), so a quiet Sunday night does not hide a burst and a busy
  Monday morning does not invent one.

The history is sliced once to the window hours; (keyword, channel) keys are factorised to
integer codes and each window's sum is one ``np.bincount``, so the cost follows the rows of
those hours, not the length of the stored history (``benchmarks/bench_detection.py``).
``tests/issues/test_baseline.py`` checks it against a plain loop.
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
                 cycle_min_hours: int = 3, cycle_similar: float = 0.5, cycle_noise_sd: float = 0.0):
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
        self.cycle_noise_sd = cycle_noise_sd

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
        self._earlier = None
        if history is not None and len(history):          # read the long history once: only window hours
            window = self.windows_["weekly"].union(self.windows_["seasonal"]).union(self.windows_["level"])
            history = history.loc[history["hour"].isin(window)]
        self.keys_ = _KeyCodes(history, KEY)
        self.means_ = {value: self._means(history, self.keys_, value, mask_column="masked", expected_column=exp)
                       for value, exp in VALUES.items() if history is not None and value in history}
        if "authors" not in self.means_:
            self.means_["authors"] = {}
        self.keyword_means_ = self.means_["authors"]
        if activity is not None:
            self.activity_keys_ = _KeyCodes(activity, ["channel"])
            self.activity_means_ = self._means(activity, self.activity_keys_, "posts")
        else:
            self.activity_keys_, self.activity_means_ = None, None
        self.floors_ = {value: self._floor(history, self.keys_, value) for value in VALUES
                        if self.cycle_floor and history is not None and value in history}
        self._earlier = None
        return self

    def _floor(self, frame: pd.DataFrame, keys: "_KeyCodes", value: str) -> np.ndarray | None:
        """Per key: the value reached in at least half of the seasonal (and weekly) window hours."""
        floor = None
        for name in ("seasonal", "weekly"):
            hours = self.windows_[name]
            if frame.empty or len(hours) < (self.cycle_min_hours if name == "seasonal" else 1):
                continue
            k = (len(hours) + 1) // 2
            inside = frame["hour"].isin(hours).to_numpy()
            codes, values = keys.codes[inside], frame[value].to_numpy(float)[inside]
            order = np.lexsort((-values, codes))                   # by key, largest first
            codes, values = codes[order], values[order]
            starts = np.searchsorted(codes, np.arange(keys.size))
            counts = np.bincount(codes, minlength=keys.size)
            nth = np.zeros(keys.size)
            has = counts >= k
            nth[has] = values[starts[has] + k - 1]
            floor = nth if floor is None else np.maximum(floor, nth)
        return floor

    def _cycle_rows(self, frame: pd.DataFrame, value: str) -> np.ndarray:
        """Masked rows of ``frame`` whose key was similarly high at the same hour on >= 2 earlier days.

        Only the masked rows (few: the published issues) and the window rows of their keywords are
        looked at, so the cost follows the issues. Earlier days are looked up among the window
        hours only (the hours ``jobs.store.issue_store.IssueStore.load_history`` loads), so the stored run
        and the in-memory replay agree: a masked hour of the seasonal window sees the same hour
        on the other days of that window.
        """
        flags = np.zeros(len(frame), bool)
        where = np.flatnonzero(frame["masked"].astype(bool).to_numpy())
        if not len(where):
            return flags
        masked = frame.iloc[where]
        days = [pd.Timedelta(days=d) for d in range(1, self.seasonal_days + 1)]
        if getattr(self, "_earlier", None) is None:       # once per fit, shared by every value
            earlier = frame.loc[frame["keyword"].isin(set(masked["keyword"]))]
            earlier_hours = pd.DatetimeIndex(sorted({h - d for h in masked["hour"].unique() for d in days}))
            self._earlier = earlier.loc[earlier["hour"].isin(earlier_hours)]
        earlier = self._earlier
        lookup = earlier.drop_duplicates(["hour"] + KEY).set_index(["hour"] + KEY)[value].astype(float)
        now = masked[value].astype(float).to_numpy()
        support = np.zeros(len(masked))
        for d in days:
            at = pd.MultiIndex.from_arrays([masked["hour"] - d, masked["keyword"], masked["channel"]])
            support += lookup.reindex(at).fillna(0.0).to_numpy() >= self.cycle_similar * now
        flags[where] = support >= 2
        return flags

    def _means(self, frame: pd.DataFrame | None, keys: "_KeyCodes", value: str, mask_column: str | None = None,
               expected_column: str = "expected") -> dict[str, np.ndarray]:
        """Per key code: the sum of each window (masked hours clipped); hour counts are per window."""
        sums = {}
        if frame is None or frame.empty:
            return sums
        values = frame[value].to_numpy(float)
        if mask_column is not None and expected_column in frame:
            masked = frame[mask_column].astype(bool).to_numpy()
            if masked.any() and self.cycle_floor:
                masked = masked & ~self._cycle_rows(frame, value)
            clipped = np.minimum(values, self.masked_clip * frame[expected_column].astype(float).fillna(np.inf).to_numpy())
            values = np.where(masked, clipped, values)
        hours = frame["hour"]
        for name, window in self.windows_.items():
            if len(window) == 0:
                continue
            inside = hours.isin(window).to_numpy()
            sums[name] = np.bincount(keys.codes[inside], weights=values[inside], minlength=keys.size)
        return sums

    def _blend(self, sums: dict[str, np.ndarray], positions: np.ndarray, prior: float | np.ndarray) -> np.ndarray:
        k0 = self.prior_strength
        found = positions >= 0
        estimate, weight_left = np.zeros(len(positions)), np.ones(len(positions))
        for name, share in (("weekly", self.weekly_weight), ("seasonal", self.seasonal_weight), ("level", 1.0)):
            n = float(len(self.windows_[name]))
            total = np.zeros(len(positions))
            if name in sums:
                total[found] = sums[name][positions[found]]
            mean = (total + prior * k0) / (n + k0)
            w = weight_left * (share * n / (n + 1.0) if name != "level" else 1.0)
            estimate += w * mean
            weight_left = weight_left - w
        return estimate

    def _activity_ratio(self, keys: pd.DataFrame, activity_now: pd.Series | None) -> np.ndarray:
        if activity_now is None or self.activity_means_ is None or not len(keys):
            return np.ones(len(keys))
        channels = pd.Index(keys["channel"])
        usual = self._blend(self.activity_means_, self.activity_keys_.positions(keys[["channel"]]), 0.0)
        now = channels.map(activity_now).to_numpy(float)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(usual > 0, now / usual, 1.0)
        return np.clip(np.nan_to_num(ratio, nan=1.0, posinf=self.activity_clip[1]), *self.activity_clip)

    def _with_floor(self, estimate: np.ndarray, positions: np.ndarray, value: str) -> np.ndarray:
        floor = getattr(self, "floors_", {}).get(value)
        if floor is None or not len(positions):
            return estimate
        at = np.zeros(len(positions))
        at[positions >= 0] = floor[positions[positions >= 0]]
        if self.cycle_noise_sd:
            at = np.maximum(at - self.cycle_noise_sd * np.sqrt(at), 0.0)
        return np.maximum(estimate, at)

    def _prior(self, keys: pd.DataFrame, prior_rates: pd.Series | np.ndarray | None):
        if prior_rates is None:
            return self.prior_rate
        if isinstance(prior_rates, np.ndarray):          # one rate per row of keys (type_prior_rates)
            return prior_rates
        return keys["keyword"].map(prior_rates).fillna(self.prior_rate).to_numpy(float)

    def expected(self, keys: pd.DataFrame, activity_now: pd.Series | None = None,
                 prior_rates: pd.Series | None = None) -> np.ndarray:
        """Expected distinct authors for each row of ``keys`` (columns keyword, channel)."""
        positions = self.keys_.positions(keys)
        blend = self._blend(self.keyword_means_, positions, self._prior(keys, prior_rates))
        return self._with_floor(blend * self._activity_ratio(keys, activity_now), positions, "authors")

    def expected_frame(self, keys: pd.DataFrame, activity_now: pd.Series | None = None,
                       prior_rates: pd.Series | None = None) -> pd.DataFrame:
        """``expected_authors``, ``expected_posts`` and ``expected_queries`` for each row of ``keys``."""
        positions = self.keys_.positions(keys)
        ratio = self._activity_ratio(keys, activity_now)
        authors = self.expected(keys, activity_now, prior_rates)
        out = pd.DataFrame({"expected_authors": authors}, index=keys.index)
        posts = self.means_.get("posts")
        out["expected_posts"] = authors if posts is None else \
            self._with_floor(self._blend(posts, positions, self.prior_rate) * ratio, positions, "posts")
        queries = self.means_.get("query_volume")
        out["expected_queries"] = 0.0 if queries is None else self._blend(queries, positions, 0.0)
        return out


def type_prior_rates(stats: pd.DataFrame, keyword_types: pd.Series, base_rate: float = 0.05,
                     pseudo_keywords: float = 50.0, clip: tuple[float, float] = (0.1, 10.0)) -> np.ndarray:
    """Cold-start prior (expected distinct authors an hour) for each row of ``stats``: the base
    rate scaled by how much more or less its keyword's dictionary type is used than the average
    dictionary keyword this hour, leaving the keyword itself out.

        >>> stats = pd.DataFrame({"keyword": ["a", "b", "c"], "channel": "news", "authors": [10, 2, 0]})
        >>> types = pd.Series({"a": "person", "b": "person", "c": "common", "d": "common"})
        >>> type_prior_rates(stats, types, base_rate=0.05, pseudo_keywords=1.0).round(3).tolist()
        [0.042, 0.108, 0.025]

    Per channel ``c`` and type ``t``: ``g_c`` = the channel's distinct authors summed over its
    keywords / dictionary size (the average keyword's rate); the type's rate = (authors of the
    *other* keywords of type ``t`` in ``c`` + ``g_c`` x ``pseudo_keywords``) / (keywords of type
    ``t`` - 1 + ``pseudo_keywords``), so a type with few entries leans on the average and a
    keyword's own burst never raises its own prior; the prior is ``base_rate`` x type rate /
    ``g_c``, clipped to ``clip``. An untyped keyword is type ``""``; a keyword missing from
    ``keyword_types`` or an empty channel gets ``base_rate``. It is the Gamma-Poisson prior of
    :class:`AuthorBaseline`, so it matters while history is short: on a new installation a
    never-seen name of a busy type (persons in news) is expected more often than a rare common
    word, instead of both at one constant.
    """
    if stats.empty:
        return np.zeros(0)
    types = stats["keyword"].map(keyword_types)
    known = types.notna().to_numpy()
    n_type = keyword_types.fillna("").value_counts()
    types = types.fillna("").to_numpy()
    authors = stats["authors"].to_numpy(float)
    frame = pd.DataFrame({"channel": stats["channel"].to_numpy(), "type": types, "authors": authors})
    by_channel = frame.groupby("channel")["authors"].transform("sum").to_numpy(float)
    by_type = frame.groupby(["channel", "type"])["authors"].transform("sum").to_numpy(float)
    average = by_channel / max(len(keyword_types), 1)
    n = pd.Series(types).map(n_type).fillna(0).to_numpy(float)
    rate = (by_type - authors + average * pseudo_keywords) / (np.maximum(n - 1, 0) + pseudo_keywords)
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(average > 0, rate / average, 1.0)
    return base_rate * np.where(known, np.clip(factor, *clip), 1.0)


class _KeyCodes:
    """Integer codes for the keys of a frame (factorised once per fit), and lookups of other keys.

    Sums per key are then ``np.bincount`` over the codes: no index alignment per window.
    """

    def __init__(self, frame: pd.DataFrame | None, key: list[str]):
        self.key = key
        if frame is None or frame.empty:
            self.codes, self.size, self.parts, self.combined = np.zeros(0, np.int64), 0, [], np.zeros(0, np.int64)
            return
        combined, self.parts = np.zeros(len(frame), np.int64), []
        for k in key:
            codes, uniques = pd.factorize(frame[k])
            self.parts.append(pd.Index(uniques))
            combined = combined * (len(uniques) + 1) + codes
        self.combined, self.codes = np.unique(combined, return_inverse=True)
        self.codes = self.codes.astype(np.int64).ravel()
        self.size = len(self.combined)

    def positions(self, keys: pd.DataFrame) -> np.ndarray:
        """The code of each row of ``keys``, -1 where the key was not in the frame."""
        if not self.size or not len(keys):
            return np.full(len(keys), -1, np.int64)
        combined, missing = np.zeros(len(keys), np.int64), np.zeros(len(keys), bool)
        for k, uniques in zip(self.key, self.parts):
            codes = uniques.get_indexer(keys[k])
            missing |= codes < 0
            combined = combined * (len(uniques) + 1) + codes
        pos = np.searchsorted(self.combined, combined)
        pos = np.minimum(pos, self.size - 1)
        hit = ~missing & (self.combined[pos] == combined)
        return np.where(hit, pos, -1)
