"""EASE on the real ML-100k (read in place from /work/shared/data, never copied)."""

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from recommender.data import DataSettings, Interactions
from recommender.ease import EASE
from recommender.metrics import ndcg_at_k
from recommender.splits import strong_generalization_split

U_DATA = Path("/work/shared/data/ratings_movielens_ml100k/u.data.gz")


@pytest.mark.skipif(not U_DATA.exists(), reason="shared ML-100k not available")
def test_ease_fits_ml100k_fast_and_beats_popularity_order():
    df = pd.read_csv(U_DATA, sep="\t", names=["user_id", "item_id", "rating", "timestamp"])
    data = Interactions.from_frame(df, settings=DataSettings())
    train, _, test = strong_generalization_split(data, data.n_users // 10, np.random.default_rng(0))
    times = []
    for _ in range(3):  # best of three: the CI box is shared, a single wall time is noisy
        t0 = time.perf_counter()
        model = EASE(l2=200.0).fit(train)
        times.append(time.perf_counter() - t0)
    assert min(times) < 2.0, times
    idx, _ = model.recommend_history(test.fold_in, k=20)
    assert ndcg_at_k(idx, test.target, 20) > 0.35  # popularity is about 0.20 on this split
