"""Simulator, baselines, metrics and the detector fixes of issue #4 (all small and seeded)."""
import doctest
import importlib

import numpy as np
import pandas as pd
import pytest
from datasketch import MinHash

from issues.baseline import AuthorBaseline
from benchmarks.evaluation.reference_detectors import MastodonTrends, PreviousHourPoisson, SigniTrend, publish_top
from issues.detect import BurstDetector, DetectSettings
from benchmarks.evaluation.evaluate import (IssuewireDetector, bootstrap_ci, control_hits, flicker_rate, issue_latencies,
                             precision_per_hour)
from jobs.demo.simulator import SimSettings, simulate, time_shuffled
from issues.spam import near_duplicate_groups, shingles

TITLES = ["자민당 단독 과반 확보 출구조사", "설 연휴 귀성길 정체 시작", "코스피 상승 마감 외국인 매수",
          "최가온 스노보드 첫 금메달", "무디스 신용등급 유지 발표", "카카오 오찬 회동", "환율 급등 원화 약세",
          "동계올림픽 쇼트트랙 결승 진출", "부동산 대책 발표 임박", "날씨 주말 전국 비 소식"] * 20
SMALL = SimSettings(days=3, warmup_days=1, vocab=30, posts_per_hour=20, n_issues=6, n_floods=2,
                    n_sockpuppets=2, n_routine=2, n_holiday=1, seed=3)
H0 = pd.Timestamp("2026-03-02T00:00Z")


def test_simulator_is_deterministic_and_has_its_controls():
    a, b = simulate(TITLES, SMALL), simulate(TITLES, SMALL)
    pd.testing.assert_frame_equal(a.posts, b.posts)
    pd.testing.assert_frame_equal(a.truth, b.truth)
    assert simulate(TITLES, SimSettings(**{**SMALL.__dict__, "seed": 4})).posts["author_id"].tolist() != \
        a.posts["author_id"].tolist()
    kinds = a.truth["kind"].value_counts().to_dict()
    assert kinds == {"issue": 6, "flood": 2, "sockpuppet": 2, "routine": 2, "holiday": 1}
    issues = a.truth.loc[a.truth["kind"] == "issue"]
    assert (issues["onset"] >= a.eval_from).all() and issues["keyword"].is_unique
    flood = a.truth.loc[a.truth["kind"] == "flood"].iloc[0]
    posts, pk = a.hour(flood["onset"])
    flooded = posts.loc[posts["post_id"].isin(pk.loc[pk["keyword"] == flood["keyword"], "post_id"])]
    assert flooded["author_id"].value_counts().iloc[0] >= 30
    placebo = time_shuffled(a, seed=1)
    assert len(placebo.posts) == len(a.posts) and placebo.truth.empty
    assert sorted(placebo.posts["post_id"]) == sorted(a.posts["post_id"])


def _stats(rows):
    return pd.DataFrame(rows, columns=["keyword", "channel", "posts", "authors"])


def test_signitrend_matches_a_plain_loop():
    rng = np.random.default_rng(0)
    counts = rng.poisson(3, 30)
    det = SigniTrend(half_life_hours=6, beta=1.0)
    mean = var = 0.0
    alpha = 1 - 0.5 ** (1 / 6)
    for x in counts:
        z = det.step(_stats([("k", "home", int(x), int(x))]))["score"].iloc[0]
        assert z == pytest.approx((x - max(mean, 1.0)) / (np.sqrt(var) + 1.0))
        delta = x - mean
        mean, var = mean + alpha * delta, (1 - alpha) * (var + alpha * delta * delta)


def test_previous_hour_poisson_and_mastodon_scores():
    p = PreviousHourPoisson()
    assert p.step(_stats([("k", "home", 9, 9)]))["passed"].item()          # 9 against the floor 0.5
    assert not p.step(_stats([("k", "home", 9, 9)]))["passed"].item()      # 9 against 9
    m = MastodonTrends(period_hours=2, min_accounts=5)
    m.step(_stats([("k", "home", 2, 2)]))
    m.step(_stats([("k", "home", 4, 4)]))
    scored = m.step(_stats([("k", "home", 7, 7), ("new", "home", 4, 4)]))
    assert scored["score"].tolist() == pytest.approx([(7 - 3) ** 2 / 3, (4 - 1) ** 2 / 1])
    assert scored["passed"].tolist() == [True, False]                    # 4 accounts < 5
    top = publish_top(scored.assign(passed=True), top_n=1)
    assert top[["keyword", "rank"]].values.tolist() == [["new", 1]]


def test_bootstrap_on_a_tiny_known_case():
    assert bootstrap_ci([1.0, 1.0, 1.0]) == (1.0, 1.0)
    lo, hi = bootstrap_ci([0.0, 1.0] * 50, reps=2000, seed=1)
    assert lo < 0.5 < hi and hi - lo == pytest.approx(2 * 1.96 * 0.05, abs=0.03)
    assert np.isnan(bootstrap_ci([])[0])


def test_precision_latency_flicker_and_controls_on_hand_made_lists():
    h = [H0 + pd.Timedelta(hours=i) for i in range(6)]
    truth = pd.DataFrame([{"kind": "issue", "keyword": "a", "channel": "news", "onset": h[1], "end": h[1],
                           "lift": 5.0, "authors": 10},
                          {"kind": "flood", "keyword": "spam", "channel": "community", "onset": h[2], "end": h[2],
                           "lift": np.nan, "authors": 1}])
    tops = pd.DataFrame([(h[1], "home", 1, "a"), (h[1], "home", 2, "x"), (h[2], "home", 1, "a"),
                         (h[4], "home", 1, "x"), (h[2], "community", 1, "spam")],
                        columns=["hour", "channel", "rank", "keyword"])
    assert precision_per_hour(tops, truth, h, tail_hours=0).tolist() == [0.5, 0.0, 0.0]
    assert precision_per_hour(tops, truth, h, tail_hours=2).tolist() == [0.5, 1.0, 0.0]
    assert issue_latencies(tops, truth).tolist() == [0.0]
    assert control_hits(tops, truth, h, "flood") == (1, 1)
    flick = pd.DataFrame([(h[i], "home", 1, "a") for i in (0, 2, 3)], columns=["hour", "channel", "rank", "keyword"])
    assert flicker_rate(flick, h) == pytest.approx(1 / 2)    # entries at 0 and 2, one re-entry after a 1 h gap


def test_bh_over_active_keywords_is_less_strict_than_over_the_dictionary():
    stats = pd.DataFrame({"keyword": [f"k{i}" for i in range(20)], "channel": "home", "posts": 6, "authors": 6,
                          "title_hits": 0, "score_sum": 1.0, "top_author_share": 0.2, "query_volume": 0})
    expected = np.r_[0.6, np.full(19, 6.0)]                  # k0: 6 authors against 0.6, p about 1e-4
    active = BurstDetector(DetectSettings(), n_keywords=31000).score(stats, expected)
    whole = BurstDetector(DetectSettings(fdr_family="dictionary"), n_keywords=31000).score(stats, expected)
    assert active["passed"].tolist() == [True] + [False] * 19
    assert not whole["passed"].any()
    assert whole["q_value"].iloc[0] == pytest.approx(min(1.0, active["q_value"].iloc[0] * 31000 / 20), rel=1e-6)


def test_cycle_floor_is_the_upper_median_of_the_same_hour_on_earlier_days():
    rng = np.random.default_rng(5)
    hour = H0 + pd.Timedelta(days=8)
    rows = []
    for d in range(1, 8):
        for kw in ("routine", "burst"):
            value = int(rng.integers(15, 25)) if kw == "routine" else (30 if d == 3 else 0)
            if value:
                rows.append({"hour": hour - pd.Timedelta(days=d), "keyword": kw, "channel": "home",
                             "authors": value, "expected": 1.0, "masked": True})
    history = pd.DataFrame(rows)
    runs = pd.DatetimeIndex(sorted(set(history["hour"])))
    model = AuthorBaseline(cycle_floor=True).fit(history, runs, hour)
    keys = pd.DataFrame({"keyword": ["routine", "burst"], "channel": "home"})
    routine_values = sorted(history.loc[history.keyword == "routine", "authors"], reverse=True)
    expected = model.expected(keys)
    assert expected[0] == pytest.approx(routine_values[3])          # 4th largest of 7 days
    assert expected[1] < 1.0                                          # one burst day teaches nothing
    plain = AuthorBaseline(cycle_floor=False).fit(history, runs, hour).expected(keys)
    assert plain[0] < expected[0] / 2                                 # clipped masked hours hid the cycle


def _random_text(rng, n=16):
    return "".join(rng.choice(list("가나다라마바사아자차카타파하거너더러머버서어저처"), n))


def test_a_routine_daily_keyword_stops_being_flagged_after_a_few_days():
    rng = np.random.default_rng(2)
    detector = IssuewireDetector(DetectSettings(weekly_weeks=0), n_keywords=100)
    flagged = []
    for day in range(7):
        for hh in (22, 23, 24):              # 07, 08, 09 h KST; the routine keyword peaks at 08 h
            hour = H0 + pd.Timedelta(days=day, hours=hh)
            rows, kws = [], []
            for i in range(40):
                pid = f"d{day}h{hh}p{i}"
                rows.append((pid, "news", f"a{rng.integers(400)}", _random_text(rng)))
                kws.append((pid, ["환율", "코스피", "날씨", "부동산"][i % 4]))
            if hh == 23:
                for j in range(20):
                    pid = f"d{day}r{j}"
                    rows.append((pid, "news", f"r{day}_{j}", "출근길 " + _random_text(rng)))
                    kws.append((pid, "출근길"))
            posts = pd.DataFrame(rows, columns=["post_id", "channel", "author_id", "title"]).assign(body="")
            pk = pd.DataFrame(kws, columns=["post_id", "keyword"]).assign(title_hits=1, score=1.0)
            top = detector.step(hour, posts, pk)
            if hh == 23:
                flagged.append("출근길" in set(top.loc[top["channel"] == "home", "keyword"]))
    assert flagged[0]                         # the first morning it is news
    assert not any(flagged[3:])               # from the fourth day on it is routine


def test_a_digit_varying_sock_puppet_template_collapses():
    rng = np.random.default_rng(0)
    texts = [f"대박 무료 쿠폰 {rng.integers(1, 99)}장 증정 당첨자 {rng.integers(10, 999)}명 발표 "
             f"지금 010-{rng.integers(1000, 9999)}-{rng.integers(1000, 9999)} 으로 확인하세요" for _ in range(25)]
    texts += ["정부가 오늘 새 부동산 대책을 발표했다", "야구 대표팀이 결승에 올랐다"]
    posts = pd.DataFrame({"post_id": [f"p{i}" for i in range(len(texts))], "title": texts, "body": "",
                          "author_id": [f"sock{i}" for i in range(len(texts))], "channel": "community"})
    a, b = (MinHash(num_perm=128, seed=1) for _ in range(2))
    for m, t in ((a, texts[0]), (b, texts[1])):
        m.update_batch(list(shingles(t)))
    assert a.jaccard(b) < 0.7                                      # raw digits split the template
    groups = near_duplicate_groups(posts, threshold=0.7)
    assert len(groups) == 25 and groups.nunique() == 1             # masked digits: one group
    assert len(near_duplicate_groups(posts, threshold=0.7, mask_digits=False)) < 25


@pytest.mark.parametrize("module", ["jobs.demo.simulator", "benchmarks.evaluation.reference_detectors"])
def test_docstring_examples_run(module):
    assert doctest.testmod(importlib.import_module(module)).failed == 0


def test_a_masked_hour_that_recurs_daily_is_not_clipped():
    hour = H0 + pd.Timedelta(days=4)
    history = pd.DataFrame({"hour": [hour - pd.Timedelta(days=d) for d in (1, 2, 3)], "keyword": "출근길",
                            "channel": "home", "authors": 20, "expected": 1.0, "masked": True})
    runs = pd.DatetimeIndex(history["hour"]).sort_values()
    keys = pd.DataFrame({"keyword": ["출근길"], "channel": ["home"]})
    cyc = AuthorBaseline(cycle_floor=True).fit(history, runs, hour)
    old = AuthorBaseline(cycle_floor=False).fit(history, runs, hour)
    # only the newest day has two earlier days as high at that hour: it is a cycle and enters whole
    assert cyc.means_["authors"]["seasonal"].sum() == pytest.approx(1.5 + 1.5 + 20)
    assert old.means_["authors"]["seasonal"].sum() == pytest.approx(3 * 1.5)


def test_cycle_floor_noise_margin_keeps_noise_keywords_at_their_mean():
    hour = H0 + pd.Timedelta(days=8)
    rows = []
    for d in range(1, 8):
        rows.append({"hour": hour - pd.Timedelta(days=d), "keyword": "routine", "channel": "home",
                     "authors": 20, "expected": 1.0, "masked": True})
        if d <= 4:                               # used once at this hour on 4 of 7 days: noise, not a cycle
            rows.append({"hour": hour - pd.Timedelta(days=d), "keyword": "noise", "channel": "home",
                         "authors": 1, "expected": 0.5, "masked": False})
    history = pd.DataFrame(rows)
    runs = pd.DatetimeIndex(sorted(set(history["hour"])))
    keys = pd.DataFrame({"keyword": ["routine", "noise"], "channel": "home"})
    upper = AuthorBaseline(cycle_floor=True).fit(history, runs, hour).expected(keys)
    margin = AuthorBaseline(cycle_floor=True, cycle_noise_sd=1.0).fit(history, runs, hour).expected(keys)
    plain = AuthorBaseline(cycle_floor=False).fit(history, runs, hour).expected(keys)
    assert upper[1] == pytest.approx(1.0) and margin[1] == pytest.approx(plain[1]) and plain[1] < 1.0
    assert margin[0] == pytest.approx(max(plain[0], 20 - np.sqrt(20)))   # a real cycle keeps its floor
