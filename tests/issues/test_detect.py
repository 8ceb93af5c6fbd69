import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from issues.aggregate import aggregate_keyword_stats
from issues.detect import BurstDetector, DetectSettings, poisson_surprise


def test_poisson_surprise_is_the_upper_tail_and_stays_finite():
    assert poisson_surprise(np.array([3]), np.array([0.05]))[0] == pytest.approx(-np.log10(sps.poisson.sf(2, 0.05)))
    assert poisson_surprise(np.array([0]), np.array([0.0]))[0] == 0.0
    assert np.isfinite(poisson_surprise(np.array([5000]), np.array([1e-12]))).all()
    # low counts: 3 authors against 2.5 expected is not surprising, against 0.05 it is
    assert poisson_surprise(np.array([3]), np.array([2.5]))[0] < 1 < poisson_surprise(np.array([3]), np.array([0.05]))[0]


def _stats(rows):
    return pd.DataFrame(rows, columns=["keyword", "channel", "posts", "authors", "title_hits", "score_sum",
                                       "top_author_share", "query_volume"])


def test_gates_and_ranking():
    stats = _stats([("자민당", "home", 12, 10, 9, 5.0, 0.2, 0),
                    ("도배", "home", 50, 1, 50, 9.0, 1.0, 0),          # one author's flood
                    ("둘뿐", "home", 2, 2, 2, 1.0, 0.5, 0),             # too few authors
                    ("환율", "home", 30, 20, 5, 9.0, 0.1, 0)])          # usual level
    expected = np.array([0.1, 0.1, 0.1, 18.0])
    seeds = BurstDetector(DetectSettings(min_authors=3)).detect(stats, expected)
    assert seeds["keyword"].tolist() == ["자민당"]
    assert seeds["seed_rank"].tolist() == [1]


def test_flood_by_one_author_never_passes_whatever_its_volume():
    posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(50)], "channel": "community", "author_id": "spammer"})
    pk = pd.DataFrame({"post_id": posts["post_id"], "keyword": "광고", "title_hits": 1, "score": 1.0})
    stats = aggregate_keyword_stats(pk, posts)
    home = stats[stats.channel == "home"].iloc[0]
    assert (home.posts, home.authors, home.top_author_share) == (50, 1, 1.0)
    assert BurstDetector().detect(stats, np.full(len(stats), 0.01)).empty
