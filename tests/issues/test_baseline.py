"""The vectorised baseline against a plain loop over the same definition."""
import numpy as np
import pandas as pd

from issues.baseline import AuthorBaseline, type_prior_rates

H = pd.Timestamp("2026-02-19T07:00Z")


def _history(seed=3):
    rng = np.random.default_rng(seed)
    rows = []
    hours = pd.date_range(H - pd.Timedelta(days=9), H - pd.Timedelta(hours=1), freq="h")
    run_hours = hours[rng.random(len(hours)) > 0.1]          # some hours were never run
    for h in run_hours:
        for kw in ("자민당", "환율", "설"):
            for ch in ("home", "news"):
                if rng.random() < 0.7:
                    rows.append({"hour": h, "keyword": kw, "channel": ch, "authors": int(rng.poisson(3)),
                                 "expected": float(rng.uniform(0.5, 3)), "masked": bool(rng.random() < 0.1)})
    return pd.DataFrame(rows), pd.DatetimeIndex(run_hours)


def _loop(history, run_hours, keyword, channel, b: AuthorBaseline):
    def mean(hours):
        n, total = 0, 0.0
        for h in hours:
            if h not in set(run_hours):
                continue
            row = history[(history.hour == h) & (history.keyword == keyword) & (history.channel == channel)]
            n += 1
            if len(row) and row.masked.iloc[0]:             # a burst hour counts only up to 1.5x expected
                total += min(row.authors.iloc[0], b.masked_clip * row.expected.iloc[0])
            elif len(row):
                total += row.authors.iloc[0]
        return (total + b.prior_rate * b.prior_strength) / (n + b.prior_strength), n
    seasonal, n_s = mean([H - pd.Timedelta(days=d) for d in range(1, b.seasonal_days + 1)])
    level, _ = mean([H - pd.Timedelta(hours=k) for k in range(1, b.level_hours + 1)])
    w = b.seasonal_weight * n_s / (n_s + 1)
    return w * seasonal + (1 - w) * level


def test_matches_plain_loop():
    history, run_hours = _history()
    b = AuthorBaseline(seasonal_days=7, level_hours=24).fit(history, run_hours, H)
    keys = pd.DataFrame([(k, c) for k in ("자민당", "환율", "설", "신조어") for c in ("home", "news")],
                        columns=["keyword", "channel"])
    got = b.expected(keys)
    want = [_loop(history, run_hours, k, c, b) for k, c in keys.itertuples(index=False)]
    np.testing.assert_allclose(got, want, rtol=1e-12)


def test_cold_start_gives_the_prior_not_a_division_by_zero():
    b = AuthorBaseline(prior_rate=0.05).fit(pd.DataFrame(columns=["hour", "keyword", "channel", "authors", "masked"]),
                                            pd.DatetimeIndex([], tz="UTC"), H)
    got = b.expected(pd.DataFrame({"keyword": ["새말"], "channel": ["home"]}))
    assert got.tolist() == [0.05]


def test_cold_start_prior_follows_the_keyword_type_and_never_its_own_burst():
    # dictionary: 4 persons, 6 places; this hour in news: persons busy, places quiet
    types = pd.Series({**{f"p{i}": "person" for i in range(4)}, **{f"l{i}": "place" for i in range(6)}})
    stats = pd.DataFrame({"keyword": ["p0", "p1", "p2", "l0", "new"], "channel": "news",
                          "authors": [40, 6, 4, 1, 0]})
    got = type_prior_rates(stats, types, base_rate=0.05, pseudo_keywords=2.0)
    g = 51 / 10                                              # the channel's authors per dictionary keyword
    want = [(10 + 2 * g) / 5, (44 + 2 * g) / 5, (46 + 2 * g) / 5, (0 + 2 * g) / 7, g]
    assert np.allclose(got, 0.05 * np.clip(np.array(want) / g, 0.1, 10.0))
    assert got[3] < 0.05 < got[1]                           # quiet places below the base rate, busy persons above
    # p0's own 40 authors are left out of p0's prior: its burst stays a burst
    assert got[0] < got[1] < got[2] and got[4] == 0.05      # a keyword outside the dictionary: the base rate
    # as the baseline's prior on a cold start: the expectation is the type's rate, not a division by zero
    b = AuthorBaseline(prior_rate=0.05).fit(pd.DataFrame(columns=["hour", "keyword", "channel", "authors", "masked"]),
                                            pd.DatetimeIndex([], tz="UTC"), H)
    np.testing.assert_allclose(b.expected(stats[["keyword", "channel"]], prior_rates=got), got)
    # once hours have run, the prior weighs prior_strength / (run hours + prior_strength) for every
    # keyword (an hour without the keyword counts as 0): at most 2 / (6 + 2) over these windows
    history, run_hours = _history()
    warm = AuthorBaseline(seasonal_days=7, level_hours=24).fit(history, run_hours, H)
    keys = pd.DataFrame({"keyword": ["자민당", "신조어"], "channel": "news"})
    low, high = warm.expected(keys, prior_rates=np.array([0.0, 0.0])), warm.expected(keys, prior_rates=np.array([9.0, 9.0]))
    assert np.allclose(high - low, (high - low)[0]) and 0 < (high - low)[0] <= 9.0 * 2 / (6 + 2)


def test_burst_hours_do_not_raise_the_baseline():
    hours = pd.date_range(H - pd.Timedelta(hours=24), H - pd.Timedelta(hours=1), freq="h")
    quiet = pd.DataFrame({"hour": hours, "keyword": "설", "channel": "home", "authors": 1, "expected": 1.0,
                          "masked": False})
    burst = quiet.copy()
    burst.loc[burst.index[-3:], ["authors", "masked"]] = [40, True]
    keys = pd.DataFrame({"keyword": ["설"], "channel": ["home"]})
    a = AuthorBaseline().fit(quiet, hours, H).expected(keys)
    b = AuthorBaseline().fit(burst, hours, H).expected(keys)
    assert b[0] - a[0] < 0.1 * a[0]          # 3 hours of 40 authors move it by 3 x 0.5 / 26 at most


def test_busy_hour_scales_expectation():
    hours = pd.date_range(H - pd.Timedelta(hours=24), H - pd.Timedelta(hours=1), freq="h")
    hist = pd.DataFrame({"hour": hours, "keyword": "설", "channel": "home", "authors": 2, "expected": 2.0,
                         "masked": False})
    activity = pd.DataFrame({"hour": hours, "channel": "home", "posts": 100})
    keys = pd.DataFrame({"keyword": ["설"], "channel": ["home"]})
    b = AuthorBaseline().fit(hist, hours, H, activity)
    normal = b.expected(keys, pd.Series({"home": 100}))[0]
    busy = b.expected(keys, pd.Series({"home": 200}))[0]
    assert busy == pytest_approx(2 * normal)


def pytest_approx(x):
    import pytest
    return pytest.approx(x, rel=1e-9)
