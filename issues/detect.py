"""Detect: keywords used far more than usual, by many distinct people -> ranked issue seeds.

    >>> from issues.aggregate import aggregate_keyword_stats
    >>> posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(12)], "channel": "news",
    ...                       "author_id": [f"a{i}" for i in range(12)]})
    >>> post_keywords = pd.DataFrame({"post_id": posts["post_id"], "keyword": ["지진"] * 10 + ["날씨"] * 2,
    ...                               "title_hits": 1, "score": 1.0})
    >>> stats = aggregate_keyword_stats(post_keywords, posts)        # rows: 날씨/home, 지진/home, 날씨/news, 지진/news
    >>> detector = BurstDetector(DetectSettings(warmup_history_hours=0), n_keywords=30000)
    >>> scored = detector.score(stats, pd.DataFrame({"expected_authors": [0.5, 0.5, 3.0, 3.0]}))
    >>> detector.select(scored)[["channel", "keyword", "authors"]].values.tolist()
    [['home', '지진', 10]]

Per (keyword, channel) row of the hour's stats and its baseline expectations:

* **significance** of distinct authors (the primary signal), posts and search-query volume:
  the negative-binomial upper tail ``P(X >= observed)`` with mean ``expected`` and variance
  ``expected + expected**2 / dispersion`` — Poisson at low counts (3 authors against 0.05
  expected is surprising, 3 against 2.5 is not), tolerant of the overdispersion of busy
  evergreen keywords at high counts. ``surprise_* = -log10 p``, capped.
* **false discoveries** are controlled each hour and channel: the authors' p-values get
  Benjamini-Hochberg q-values over the family ``fdr_family``: ``"active"`` (default) = the
  keywords used at least once in the channel this hour, ``"dictionary"`` = every dictionary
  keyword (``m = n_keywords``). Counting only active keywords is still honest: a keyword nobody
  used has p = 1 exactly, ranks last and can never be a discovery, so leaving it out of ``m``
  changes no decision except by the size of the BH step; the dictionary family divided the
  threshold by up to 30x for tests that were never run (a 31k dictionary, ~1k active per hour).
  A new issue needs ``q <= fdr``.
* **two-hour window** (``two_hour``): a sustained issue of ~10 people on a keyword already used a
  few times an hour proves nothing in any single hour (9 against 3 expected) but does over two
  (18 against 6). Each keyword gets a second test, this and the previous hour's distinct authors
  against the sum of both expectations (``surprise_2h``, ``lift_2h``; previous-hour rows come
  from the history, none when the previous hour was not run); the two tests are combined by
  Simes, ``p = min(2 min(p1, p2), max(p1, p2))`` (valid for these positively dependent counts),
  before BH, so looking twice is paid for: a one-hour pulse costs at most a factor 2 in ``p``.
  A new issue passes the effect gates (``min_lift``, ``min_surprise``) on either window.
* **hysteresis**: a keyword that was an issue in the previous hour stays one while it keeps a
  weaker evidence (``stay_surprise``, ``stay_lift``) instead of flickering on and off.
* **gates against floods**: at least ``min_authors`` distinct authors (after near-duplicate
  collapse, see :mod:`issues.spam`), top author's share of the posts at most
  ``max_top_author_share``, normalised author entropy at least ``min_author_entropy``.
* **fused score** = surprise_authors x (1 + title_weight x title share)
  + posts_weight x min(surprise_posts, surprise_authors) + query_weight x surprise_queries
  + influential_weight x min(influential, influential_cap) + spread_weight x (channels - 1);
  the influential-author and spread terms are capped so one big blog cannot make an issue alone.

Every signal's value and surprise is kept (``signal_columns``) and published as the issue's
"why". Seeds are the rows that pass, ranked per channel by score (ties by keyword), at most
``seed_pool`` per channel; the run publishes ``top_n`` per channel after merging.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

MAX_SURPRISE = 300.0
LN10 = np.log(10.0)


@dataclass(frozen=True)
class DetectSettings:
    top_n: int = 6
    seed_pool: int = 40
    min_authors: int = 3
    max_top_author_share: float = 0.5
    min_author_entropy: float = 0.3
    min_lift: float = 2.0
    min_surprise: float = 3.0
    fdr: float = 0.01
    fdr_family: str = "active"
    two_hour: bool = True            # second test: this + the previous hour, Simes-combined
    dispersion: float = 20.0
    stay_surprise: float = 1.5
    stay_lift: float = 1.3
    title_weight: float = 0.5
    posts_weight: float = 0.2
    query_weight: float = 0.3
    influential_weight: float = 0.5
    influential_cap: float = 3.0
    spread_weight: float = 0.3
    spread_cap: int = 4
    seasonal_days: int = 7
    level_hours: int = 24
    seasonal_weight: float = 0.6
    prior_authors_per_hour: float = 0.05
    prior_strength_hours: float = 2.0
    continue_hours: int = 3
    warmup_hours: int = 6
    warmup_history_hours: int = 24   # fewer completed hours of history: the feed is "warming_up"
    warmup_needs_context: bool = True  # while warming up, an issue whose title is just its keyword is dropped
    half_life_hours: float = 6.0
    weekly_weeks: int = 4
    weekly_weight: float = 0.4
    duplicate_threshold: float = 0.7
    mask_digits: bool = True
    cycle_floor: bool = True
    cycle_min_hours: int = 3
    cycle_similar: float = 0.5
    cycle_noise_sd: float = 1.0      # cycle floor minus this many Poisson SDs (0 = raw floor)


def tail_log10p(observed: np.ndarray, expected: np.ndarray, dispersion: float = np.inf) -> np.ndarray:
    """log10 P(X >= observed) under a negative binomial with this mean (Poisson if dispersion is inf)."""
    observed = np.asarray(observed, dtype=float)
    mean = np.maximum(np.asarray(expected, dtype=float), 1e-9)
    if np.isinf(dispersion):
        log_tail = sps.poisson.logsf(observed - 1, mean)
    else:
        log_tail = sps.nbinom.logsf(observed - 1, dispersion, dispersion / (dispersion + mean))
    log_tail = np.where(observed <= 0, 0.0, log_tail)
    return np.clip(np.nan_to_num(log_tail / LN10, nan=0.0, neginf=-MAX_SURPRISE), -MAX_SURPRISE, 0.0)


def poisson_surprise(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """-log10 P(X >= observed) for X ~ Poisson(expected); 0 where observed is 0."""
    return -tail_log10p(observed, expected)


def bh_qvalues(log10_p: np.ndarray, m: int) -> np.ndarray:
    """Benjamini-Hochberg q-values of ``len(log10_p)`` tests out of ``m`` (the rest have p = 1)."""
    n = len(log10_p)
    if n == 0:
        return np.zeros(0)
    m = max(m, n)
    order = np.argsort(log10_p, kind="stable")
    ranked = np.asarray(log10_p, float)[order] + np.log10(m) - np.log10(np.arange(1, n + 1))
    ranked = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(n)
    q[order] = np.minimum(10.0 ** ranked, 1.0)
    return q


def simes_two(log_p1: np.ndarray, log_p2: np.ndarray) -> np.ndarray:
    """log10 of the Simes combination of two p-values: min(2 min(p1, p2), max(p1, p2))."""
    low, high = np.minimum(log_p1, log_p2), np.maximum(log_p1, log_p2)
    return np.minimum(np.minimum(low + np.log10(2.0), high), 0.0)


class BurstDetector:
    signal_columns = ("authors", "expected_authors", "lift", "surprise", "q_value", "posts", "expected_posts",
                      "surprise_posts", "title_share", "query_volume", "expected_queries", "surprise_queries",
                      "influential", "channels", "top_author_share", "author_entropy")

    def __init__(self, settings: DetectSettings = DetectSettings(), n_keywords: int = 0):
        self.settings = settings
        self.n_keywords = n_keywords

    def score(self, stats: pd.DataFrame, expected: pd.DataFrame | np.ndarray,
              was_issue: pd.Series | np.ndarray | None = None) -> pd.DataFrame:
        """The stats with every signal's expectation and surprise, ``q_value``, ``score``, ``passed``."""
        s = self.settings
        out = stats.copy()
        if not isinstance(expected, pd.DataFrame):
            expected = pd.DataFrame({"expected_authors": np.asarray(expected, float)})
        out["expected_authors"] = expected["expected_authors"].to_numpy(float)
        out["expected"] = out["expected_authors"]
        for column, default in (("expected_posts", "expected_authors"), ("expected_queries", None)):
            out[column] = expected[column].to_numpy(float) if column in expected else \
                (out[default].to_numpy(float) if default else np.zeros(len(out)))
        for column, default in (("influential", 0.0), ("channels", 1), ("author_entropy", 1.0)):
            if column not in out:
                out[column] = default
        authors = out["authors"].to_numpy(float)
        log_p = tail_log10p(authors, out["expected_authors"], s.dispersion)
        out["surprise"] = -log_p
        out["lift"] = (authors + 0.5) / (out["expected_authors"].to_numpy() + 0.5)
        test_log_p = log_p
        two_ok = np.zeros(len(out), bool)
        if s.two_hour and "prev_authors" in out:
            prev_a = out["prev_authors"].to_numpy(float)
            prev_e = out["prev_expected"].to_numpy(float)
            known = ~np.isnan(prev_e)
            a2 = authors + np.nan_to_num(prev_a)
            e2 = out["expected_authors"].to_numpy(float) + np.nan_to_num(prev_e)
            log_p2 = np.where(known, tail_log10p(a2, e2, s.dispersion), 0.0)
            out["surprise_2h"] = -log_p2
            out["lift_2h"] = np.where(known, (a2 + 0.5) / (e2 + 0.5), 0.0)
            test_log_p = simes_two(log_p, log_p2)
            two_ok = (known & (out["lift_2h"] >= s.min_lift) & (out["surprise_2h"] >= s.min_surprise)).to_numpy()
        out["surprise_posts"] = -tail_log10p(out["posts"], out["expected_posts"], s.dispersion)
        queries = out["query_volume"].to_numpy(float)
        out["surprise_queries"] = np.where(queries > 0, -tail_log10p(queries, np.maximum(out["expected_queries"], 1.0),
                                                                     s.dispersion), 0.0)
        if s.fdr_family not in ("active", "dictionary"):
            raise ValueError(f"fdr_family must be 'active' or 'dictionary', not {s.fdr_family!r}")
        q_values = np.ones(len(out))
        for _, idx in out.groupby("channel", sort=False).indices.items():
            active = int((authors[idx] > 0).sum())
            q_values[idx] = bh_qvalues(test_log_p[idx], self.n_keywords if s.fdr_family == "dictionary" else active)
        out["q_value"] = q_values
        out["title_share"] = out["title_hits"].to_numpy(float) / np.maximum(out["posts"].to_numpy(float), 1.0)
        out["score"] = (out["surprise"] * (1.0 + s.title_weight * out["title_share"])
                        + s.posts_weight * np.minimum(out["surprise_posts"], out["surprise"])
                        + s.query_weight * out["surprise_queries"]
                        + s.influential_weight * np.minimum(out["influential"].astype(float), s.influential_cap)
                        + s.spread_weight * np.minimum(out["channels"].astype(float) - 1.0, s.spread_cap))
        clean = ((out["authors"] >= s.min_authors)
                 & (out["top_author_share"] <= s.max_top_author_share)
                 & (out["author_entropy"] >= s.min_author_entropy))
        new = (((out["lift"] >= s.min_lift) & (out["surprise"] >= s.min_surprise)) | two_ok) & (out["q_value"] <= s.fdr)
        staying = (out["lift"] >= s.stay_lift) & (out["surprise"] >= s.stay_surprise)
        was = np.zeros(len(out), bool) if was_issue is None else np.asarray(was_issue, bool)
        out["passed"] = clean & (new | (staying & was))
        return out

    def select(self, scored: pd.DataFrame) -> pd.DataFrame:
        """Seeds out of :meth:`score`'s output: passing rows, ranked per channel, ``seed_pool`` each."""
        seeds = scored.loc[scored["passed"]].sort_values(
            ["channel", "score", "keyword"], ascending=[True, False, True], kind="stable")
        seeds = seeds.groupby("channel", sort=False).head(self.settings.seed_pool)
        seeds = seeds.assign(seed_rank=seeds.groupby("channel").cumcount() + 1)
        return seeds.drop(columns="passed").reset_index(drop=True)

    def detect(self, stats: pd.DataFrame, expected, was_issue=None) -> pd.DataFrame:
        """:meth:`score` then :meth:`select`."""
        return self.select(self.score(stats, expected, was_issue))
