"""Titles: name each issue after what people search for ('임재범' -> '나가수 임재범').

    >>> chooser = TitleChooser(matcher, TitleSettings())                       # doctest: +SKIP
    >>> titles = chooser.choose(["임재범"], queries_now, query_history)          # doctest: +SKIP
    >>> titles.loc["임재범", "title"]                                            # doctest: +SKIP
    '나가수 임재범'

Candidates are the hour's queries that contain the keyword or one of its aliases, found by the
keyword matcher (Aho-Corasick, the same particle rule as posts) over all distinct queries.
Each candidate scores ``log1p(count) x surge ** surge_exponent`` where
``surge = (count + 1) / (mean count over the stored history hours + 1)``: popular *and* rising
beats popular alone. Queries below ``min_count`` or ``min_surge`` do not qualify. The title is
the best query with its word order kept and whitespace normalised; when nothing qualifies,
or the query is too long, it is the keyword itself (its display form), so a title is never
empty.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Callable, Iterable

import numpy as np
import pandas as pd

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]")


@dataclass(frozen=True)
class TitleSettings:
    min_count: int = 5
    min_surge: float = 1.5
    surge_exponent: float = 0.5
    max_title_chars: int = 30


def clean_title(text: str) -> str:
    """NFC, control and zero-width characters dropped, whitespace runs collapsed."""
    text = unicodedata.normalize("NFC", str(text))
    return " ".join(_CONTROL.sub(" ", text).split())


def query_candidates(queries_now: pd.DataFrame, query_history: pd.Series, matcher,
                     settings: TitleSettings) -> pd.DataFrame:
    """Qualifying (keyword, query) pairs with count, surge and score, best first per keyword."""
    cols = ["keyword", "query", "count", "surge", "score"]
    if queries_now is None or queries_now.empty:
        return pd.DataFrame(columns=cols)
    q = queries_now.loc[queries_now["count"] >= settings.min_count, ["query", "count"]].reset_index(drop=True)
    if q.empty:
        return pd.DataFrame(columns=cols)
    q["query"] = q["query"].map(clean_title)
    q = q.groupby("query", as_index=False, sort=True)["count"].sum()
    history = query_history if query_history is not None else pd.Series(dtype=float)
    q["surge"] = (q["count"] + 1.0) / (q["query"].map(history).fillna(0.0).astype(float) + 1.0)
    q = q.loc[q["surge"] >= settings.min_surge].reset_index(drop=True)
    if q.empty:
        return pd.DataFrame(columns=cols)
    q["score"] = np.log1p(q["count"].to_numpy(float)) * q["surge"].to_numpy(float) ** settings.surge_exponent
    hits = matcher.find_many(q["query"].tolist())
    if hits.empty:
        return pd.DataFrame(columns=cols)
    pairs = hits[["doc", "keyword"]].drop_duplicates()
    out = pairs.join(q, on="doc")[cols]
    return out.sort_values(["keyword", "score", "query"], ascending=[True, False, True], kind="stable")


class TitleChooser:
    def __init__(self, matcher, settings: TitleSettings = TitleSettings(),
                 display_form: Callable[[str], str] | None = None):
        self.matcher = matcher
        self.settings = settings
        self.display_form = display_form or (lambda k: k)

    def choose(self, keywords: Iterable[str], queries_now: pd.DataFrame | None,
               query_history: pd.Series | None) -> pd.DataFrame:
        """Index keyword -> ``title``, ``title_source`` ('query' or 'keyword'), ``title_query_count``."""
        keywords = list(dict.fromkeys(keywords))
        cands = query_candidates(queries_now, query_history, self.matcher, self.settings)
        cands = cands.loc[cands["keyword"].isin(keywords)
                          & (cands["query"].str.len() <= self.settings.max_title_chars)]
        best = cands.groupby("keyword", sort=False).head(1).set_index("keyword")
        rows = []
        for keyword in keywords:
            fallback = clean_title(self.display_form(keyword)) or keyword
            if keyword in best.index:
                rows.append((keyword, best.at[keyword, "query"], "query", int(best.at[keyword, "count"])))
            else:
                rows.append((keyword, fallback[: self.settings.max_title_chars] or keyword, "keyword", 0))
        return pd.DataFrame(rows, columns=["keyword", "title", "title_source", "title_query_count"]).set_index("keyword")
