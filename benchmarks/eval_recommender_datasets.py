"""Loaders for the benchmark data sets in ``/work/shared/data`` (read in place, never copied).

    >>> df, items = load_ml100k()              # doctest: +SKIP
    >>> df, items = load_kmrd()                # doctest: +SKIP

Both return an interactions frame in the project's contract (``user_id``, ``item_id``,
``rating``, ``timestamp``) and an item table (``item_id``, ``title``, ``genres``).
The data licences forbid redistribution: nothing here writes the data anywhere.
"""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd

DATA_ROOT = Path(os.environ.get("ISSUEWIRE_SHARED_DATA", "/work/shared/data"))
ML100K = DATA_ROOT / "ratings_movielens_ml100k"
KMRD = DATA_ROOT / "ratings_kmrd_small"


def load_ml100k(root: Path = ML100K) -> tuple[pd.DataFrame, pd.DataFrame]:
    df = pd.read_csv(root / "u.data.gz", sep="\t", names=["user_id", "item_id", "rating", "timestamp"])
    genres = pd.read_csv(root / "u.genre", sep="|", names=["genre", "gid"]).dropna()
    cols = ["item_id", "title", "release", "video", "url"] + genres.genre.tolist()
    raw = pd.read_csv(root / "u.item", sep="|", names=cols, encoding="latin-1")
    g = raw[genres.genre.tolist()].to_numpy().astype(bool)
    names = genres.genre.to_numpy()
    items = pd.DataFrame({"item_id": raw.item_id, "title": raw.title,
                          "genres": ["|".join(names[row]) for row in g]})
    return df, items


def load_kmrd(root: Path = KMRD) -> tuple[pd.DataFrame, pd.DataFrame]:
    r = pd.read_csv(root / "rates.csv.gz")
    df = pd.DataFrame({"user_id": r.user, "item_id": r.movie, "rating": r.rate, "timestamp": r.time})
    movies = pd.read_csv(root / "movies.txt", sep="\t")
    genres = pd.read_csv(root / "genres.csv").groupby("movie")["genre"].agg("|".join)
    items = pd.DataFrame({"item_id": movies.movie, "title": movies.title,
                          "genres": movies.movie.map(genres).fillna("")})
    return df, items
