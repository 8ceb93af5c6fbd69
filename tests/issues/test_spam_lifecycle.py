import pandas as pd

from issues.aggregate import aggregate_keyword_stats
from issues.lifecycle import issue_state, ranking_score
from issues.spam import near_duplicate_groups

H = pd.Timestamp("2026-02-19T07:00Z")


def _posts(texts, authors):
    return pd.DataFrame({"post_id": [f"p{i}" for i in range(len(texts))], "title": texts, "body": "",
                         "author_id": authors, "channel": "community"})


def test_a_template_posted_by_many_accounts_is_one_group():
    template = "지금 바로 확인하세요 대박 이벤트 무료 쿠폰 증정 {}"
    texts = [template.format(i % 3) for i in range(20)] + ["정부가 오늘 새 부동산 대책을 발표했다",
                                                            "야구 대표팀이 결승에 올랐다"]
    posts = _posts(texts, [f"sock{i}" for i in range(20)] + ["a", "b"])
    groups = near_duplicate_groups(posts, threshold=0.7)
    assert len(groups) == 20 and groups.nunique() == 1          # the two real posts stay alone
    pk = pd.DataFrame({"post_id": posts["post_id"][:20], "keyword": "쿠폰", "title_hits": 1, "score": 1.0})
    plain = aggregate_keyword_stats(pk, posts)
    collapsed = aggregate_keyword_stats(pk, posts, duplicate_group=groups)
    assert plain.loc[plain.channel == "home", "authors"].item() == 20
    assert collapsed.loc[collapsed.channel == "home", "authors"].item() == 1


def test_spacing_tricks_do_not_hide_a_duplicate():
    posts = _posts(["오늘 밤 특가 세일 놓치지 마세요 전품목", "오늘밤 특가세일 놓치지마세요 전 품목"], ["x", "y"])
    assert len(near_duplicate_groups(posts, threshold=0.7)) == 2


def test_lifecycle_states_and_half_life():
    assert issue_state(H, H, 10, None) == "new"
    later = H + pd.Timedelta(hours=2)
    assert issue_state(H, later, 15, 10) == "rising"
    assert issue_state(H, later, 10, 10) == "peak"
    assert issue_state(H, later, 7, 10) == "fading"
    assert ranking_score(8.0, H, H + pd.Timedelta(hours=12), 6.0) == 2.0
    assert ranking_score(8.0, H, H, 6.0) == 8.0
