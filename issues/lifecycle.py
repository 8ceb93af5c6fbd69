"""Lifecycle: where an issue is in its life, and how its rank decays with age.

    >>> issue_state(onset=pd.Timestamp("2026-02-19T07:00Z"), hour=pd.Timestamp("2026-02-19T07:00Z"),
    ...             authors=12, previous_authors=None)
    'new'
    >>> issue_state(pd.Timestamp("2026-02-19T07:00Z"), pd.Timestamp("2026-02-19T09:00Z"), 6, 12)
    'fading'
    >>> round(ranking_score(10.0, pd.Timestamp("2026-02-19T03:00Z"), pd.Timestamp("2026-02-19T09:00Z"), 6.0), 3)
    5.0

States: ``new`` in its first hour; then ``rising`` while its distinct authors grow by at least
``grow`` against the previous hour, ``fading`` once they fall below ``fall`` of it, ``peak`` in
between. The ranking score halves every ``half_life_hours`` since onset, so a stale issue yields
to a new one of the same strength.
"""
from __future__ import annotations

import pandas as pd


def issue_state(onset: pd.Timestamp, hour: pd.Timestamp, authors: int, previous_authors: int | None,
                grow: float = 1.2, fall: float = 0.8) -> str:
    if pd.Timestamp(onset) >= pd.Timestamp(hour):
        return "new"
    if previous_authors is None or previous_authors <= 0:
        return "rising"
    if authors >= grow * previous_authors:
        return "rising"
    if authors < fall * previous_authors:
        return "fading"
    return "peak"


def ranking_score(score: float, onset: pd.Timestamp, hour: pd.Timestamp, half_life_hours: float) -> float:
    age = max(0.0, (pd.Timestamp(hour) - pd.Timestamp(onset)).total_seconds() / 3600.0)
    return score * 0.5 ** (age / half_life_hours) if half_life_hours > 0 else score
