"""Detect: keywords used far more than usual, by many distinct authors -> ranked issue seeds.

    >>> seeds = BurstDetector(DetectSettings(top_n=6)).detect(stats, expected_authors)  # doctest: +SKIP
    >>> seeds[["channel", "keyword", "score"]].head()                                    # doctest: +SKIP

Per (keyword, channel) row of the hour's stats, with ``expected`` distinct authors from the
baseline:

* ``surprise`` = -log10 P(X >= authors | Poisson(expected)) — the Poisson upper tail, exact at
  low counts (3 authors against 0.05 expected is surprising; 3 against 2.5 is not), capped;
* ``lift`` = (authors + 0.5) / (expected + 0.5);
* ``score`` = surprise x (1 + title_weight x title share) x (1 + query_weight x log1p(query volume)):
  a keyword that is in the titles and that people search for ranks above one only mentioned;
* gates: at least ``min_authors`` distinct authors, top author's share of the posts at most
  ``max_top_author_share`` (one author's flood is never an issue), ``lift >= min_lift`` and
  ``surprise >= min_surprise``.

Seeds are the rows that pass, ranked per channel by score (ties by keyword); the run keeps
``seed_pool`` per channel for merging and publishes ``top_n`` after it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as sps

MAX_SURPRISE = 300.0


@dataclass(frozen=True)
class DetectSettings:
    top_n: int = 6
    seed_pool: int = 40
    min_authors: int = 3
    max_top_author_share: float = 0.5
    min_lift: float = 2.0
    min_surprise: float = 3.0
    title_weight: float = 0.5
    query_weight: float = 0.1
    seasonal_days: int = 7
    level_hours: int = 24
    seasonal_weight: float = 0.6
    prior_authors_per_hour: float = 0.05
    prior_strength_hours: float = 2.0
    continue_hours: int = 3
    warmup_hours: int = 6


def poisson_surprise(observed: np.ndarray, expected: np.ndarray) -> np.ndarray:
    """-log10 P(X >= observed) for X ~ Poisson(expected); 0 where observed is 0."""
    observed = np.asarray(observed, dtype=float)
    expected = np.maximum(np.asarray(expected, dtype=float), 1e-9)
    log_tail = sps.poisson.logsf(observed - 1, expected)
    surprise = -log_tail / np.log(10.0)
    surprise = np.where(observed <= 0, 0.0, surprise)
    return np.clip(np.nan_to_num(surprise, nan=0.0, posinf=MAX_SURPRISE), 0.0, MAX_SURPRISE)


class BurstDetector:
    def __init__(self, settings: DetectSettings = DetectSettings()):
        self.settings = settings

    def score(self, stats: pd.DataFrame, expected: np.ndarray) -> pd.DataFrame:
        """The stats with ``expected``, ``lift``, ``surprise``, ``title_share``, ``score`` and ``passed``."""
        s = self.settings
        out = stats.copy()
        out["expected"] = np.asarray(expected, dtype=float)
        authors = out["authors"].to_numpy(float)
        out["lift"] = (authors + 0.5) / (out["expected"].to_numpy() + 0.5)
        out["surprise"] = poisson_surprise(authors, out["expected"].to_numpy())
        posts = np.maximum(out["posts"].to_numpy(float), 1.0)
        out["title_share"] = out["title_hits"].to_numpy(float) / posts
        out["score"] = (out["surprise"] * (1.0 + s.title_weight * out["title_share"])
                        * (1.0 + s.query_weight * np.log1p(out["query_volume"].to_numpy(float))))
        out["passed"] = ((out["authors"] >= s.min_authors)
                         & (out["top_author_share"] <= s.max_top_author_share)
                         & (out["lift"] >= s.min_lift)
                         & (out["surprise"] >= s.min_surprise))
        return out

    def select(self, scored: pd.DataFrame) -> pd.DataFrame:
        """Seeds out of :meth:`score`'s output: passing rows, ranked per channel, ``seed_pool`` each."""
        seeds = scored.loc[scored["passed"]].sort_values(
            ["channel", "score", "keyword"], ascending=[True, False, True], kind="stable")
        seeds = seeds.groupby("channel", sort=False).head(self.settings.seed_pool)
        seeds = seeds.assign(seed_rank=seeds.groupby("channel").cumcount() + 1)
        return seeds.drop(columns="passed").reset_index(drop=True)

    def detect(self, stats: pd.DataFrame, expected: np.ndarray) -> pd.DataFrame:
        """:meth:`score` then :meth:`select`."""
        return self.select(self.score(stats, expected))
