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


def test_influential_authors_file_errors_name_the_line(tmp_path):
    from dictionaries import DictionaryError
    from dictionaries.authors import load_influential_authors

    path = tmp_path / "a.tsv"
    path.write_text("author_id\tweight\nyna\t2\nblog\tlots\n", encoding="utf-8")
    with pytest.raises(DictionaryError, match="a.tsv:3: weight 'lots' is not a number"):
        load_influential_authors(path)
    assert load_influential_authors(None).empty


def test_one_big_blog_cannot_make_an_issue_alone():
    # 1 author with a huge influence weight: the author gate holds, the bonus is capped
    stats = _stats([("대형", "home", 5, 1, 5, 1.0, 1.0, 0)]).assign(influential=100.0)
    scored = BurstDetector().score(stats, np.array([0.01]))
    assert not scored["passed"].iloc[0]
    two = _stats([("k", "home", 5, 5, 5, 1.0, 0.2, 0)] * 2).assign(influential=[0.0, 100.0], keyword=["a", "b"])
    scored = BurstDetector().score(two, np.array([0.5, 0.5]))
    assert scored["score"].iloc[1] - scored["score"].iloc[0] == pytest.approx(0.5 * 3.0)


def test_benjamini_hochberg_against_a_hand_computed_case():
    from issues.detect import bh_qvalues
    p = np.array([0.01, 0.04, 0.03, 0.5])
    # sorted p: .01 .03 .04 .5 with m = 10 -> .1, .15, .1333, 1.25 -> monotone: .1, .1333, .1333, 1
    q = bh_qvalues(np.log10(p), m=10)
    np.testing.assert_allclose(q, [0.1, 0.4 / 3, 0.4 / 3, 1.0])


def test_hysteresis_keeps_a_continuing_issue_on_weaker_evidence():
    stats = _stats([("설", "home", 8, 7, 4, 1.0, 0.3, 0)])
    expected = np.array([2.5])                                   # lift 2.5, surprise 1.69: not new
    fresh = BurstDetector().score(stats, expected)
    assert not fresh["passed"].iloc[0]
    assert BurstDetector().score(stats, expected, was_issue=[True])["passed"].iloc[0]


def test_negative_binomial_tolerates_busy_keywords():
    from issues.detect import tail_log10p
    poisson = -tail_log10p(np.array([130]), np.array([100.0]))[0]
    nb = -tail_log10p(np.array([130]), np.array([100.0]), dispersion=20.0)[0]
    assert poisson > 2.5 > nb                                    # 30% above a busy norm is routine
    low_p = -tail_log10p(np.array([3]), np.array([0.05]))[0]
    low_nb = -tail_log10p(np.array([3]), np.array([0.05]), dispersion=20.0)[0]
    assert low_nb == pytest.approx(low_p, rel=0.05)              # and honest at low counts


def test_two_hour_window_catches_a_sustained_burst_that_no_single_hour_proves():
    from issues.detect import simes_two, tail_log10p
    stats = _stats([("만에", "community", 7, 7, 4, 1.0, 0.15, 0)]).assign(prev_authors=[7.0], prev_expected=[2.0])
    expected = np.array([2.0])                  # 7 against 2 this hour: surprise ~2.4, not new on its own
    one_hour = BurstDetector(DetectSettings(two_hour=False)).score(stats, expected)
    assert one_hour["surprise"].iloc[0] < 3.0 and not one_hour["passed"].iloc[0]
    two = BurstDetector(DetectSettings()).score(stats, expected)          # 14 against 4 over two hours
    assert two["surprise_2h"].iloc[0] > 3.0 and two["passed"].iloc[0]
    log_p1 = tail_log10p(np.array([7]), np.array([2.0]), 20.0)
    log_p2 = tail_log10p(np.array([14]), np.array([4.0]), 20.0)
    assert two["q_value"].iloc[0] == pytest.approx(10 ** simes_two(log_p1, log_p2)[0])     # one active test
    # no previous row: the one-hour test alone, at the Simes price of two looks (2 x p)
    alone = BurstDetector(DetectSettings()).score(stats.assign(prev_authors=np.nan, prev_expected=np.nan), expected)
    assert alone["q_value"].iloc[0] == pytest.approx(min(1.0, 2 * 10 ** log_p1[0]))
    assert not alone["passed"].iloc[0]


def test_simes_of_two_p_values():
    from issues.detect import simes_two
    got = 10 ** simes_two(np.log10([1e-4, 1e-4, 0.5, 0.3]), np.log10([0.5, 1.5e-4, 1e-4, 0.4]))
    np.testing.assert_allclose(got, [2e-4, 1.5e-4, 2e-4, 0.4])


def test_previous_hour_counts_reads_only_the_hour_before():
    from issues.seeds import previous_hour_counts
    hour = pd.Timestamp("2026-03-09T12:00", tz="UTC")
    history = pd.DataFrame({"hour": [hour - pd.Timedelta(hours=h) for h in (1, 2)], "keyword": "만에",
                            "channel": "community", "authors": [9, 4], "expected": [3.0, 3.5]})
    prev = previous_hour_counts(history, hour)
    assert prev.loc[("만에", "community")].tolist() == [9.0, 3.0]
    assert previous_hour_counts(history.iloc[1:], hour).empty
