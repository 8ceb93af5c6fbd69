"""The static report as an operator reads it (rendered from documents, no browser)."""
from __future__ import annotations

import html
import re

from jobs.publish.explain import issue_cards
from jobs.publish.report import render_report


def _item(keyword, rank, issue_id=None, **more):
    return {"issue_id": issue_id or f"id-{keyword}", "rank": rank, "title": keyword, "keyword": keyword,
            "score": 15.734, "post_ids": [], "facets": more.pop("facets", []), "title_source": "query",
            "pinned": False, "state": "new", "onset": "2026-05-04T16:00:00+09:00",
            "signals": {"authors": 25, "expected_authors": 0.41234, "lift": 61.2345, "surprise": 31.0456,
                        "q_value": 0.00012345, "fused_score": 11.7459, "title_share": 0.4567}, "posts": [], **more}


def _text(page: str) -> str:
    return html.unescape(" ".join(re.sub(r"<[^>]+>", " ", page).split()))


def test_all_rejected_hour_has_a_banner_and_is_not_a_quiet_hour():
    page = render_report({"hour": "2026-05-04T16:00:00+09:00", "channels": {"home": []}},
                         run={"posts_read": 31666, "posts_accepted": 0, "posts_rejected": 31666, "posts_in_hour": 0},
                         reasons=[("missing field 'author_id'", 31000), ("invalid JSON", 666)])
    text = _text(page)
    assert 'class="banner error"' in page
    assert "All 31,666 rows read for this hour were rejected: this is not a quiet hour." in text
    assert "missing field 'author_id' (31,000)" in text
    page = render_report({"hour": "2026-05-04T16:00:00+09:00", "channels": {"home": []}},
                         run={"posts_read": 0, "posts_accepted": 0, "posts_rejected": 0})
    assert "No input: no post was read for this hour" in _text(page)


def test_summary_grammar_rounding_local_time_and_one_card_per_issue():
    doc = {"hour": "2026-05-04T16:00:00+09:00",
           "channels": {"home": [_item("무기징역", 1, facets=["보수"])], "politics": [_item("무기징역", 1), _item("보수", 2)],
                        **{f"ch{k:02d}": [] for k in range(11)}}}
    page = render_report(doc, version="20260504T07-3f2a9c1d",
                         run={"posts_read": 100, "posts_accepted": 100, "posts_rejected": 0, "posts_in_hour": 90})
    text = _text(page)
    assert "issues of 2026-05-04 16:00 (+09:00)" in text and "named by the UTC hour" in text
    assert "1 issue on home" in text and "(1 issues)" not in text
    assert text.count("No issues in:") == 1 and "(11 channels)" in text              # one line for 11 channels
    assert page.count('<article class="issue"') == 2                                 # 무기징역 once, 보수 once
    card = page.split('<article class="issue"')[1]
    assert "home #1" in card and "politics #1" in card
    assert "score 15.7 = surge strength 15.7 × 1.00 for age" in _text(card)
    assert "this keyword's own fused score is 11.7" in _text(card)
    assert "0.4 expected" in _text(card) and "61.2x" in _text(card) and "11.7459" not in page
    assert "q-value (among the keywords active in the channel this hour)" in _text(card)
    other = page.split('<article class="issue"')[2]
    assert "in home part of 무기징역" in _text(other)       # 보수 is merged into 무기징역 on home


def test_cards_group_by_issue_id():
    cards = issue_cards({"home": [_item("a", 1), _item("b", 2)], "blog": [_item("b", 1)], "news": [_item("c", 1)]})
    assert [(c.keyword, c.placements) for c in cards] == [("a", [("home", 1)]), ("b", [("home", 2), ("blog", 1)]),
                                                          ("c", [("news", 1)])]


def test_hostile_fields_are_escaped_and_only_http_links_are_made():
    post = {"post_id": "p1", "title": "<script>alert(1)</script>\u202e", "author_id": '"><img src=x onerror=alert(2)>',
            "url": "javascript:alert(3)"}
    good = {"post_id": "p2", "title": "ok", "author_id": "a", "url": "https://news.example/1?a=1&b=2"}
    doc = {"hour": "2026-05-04T16:00:00+09:00",
           "channels": {"home": [_item("x", 1, title="&lt;img src=x onerror=alert(4)&gt;", posts=[post, good])],
                        '"><svg onload=alert(5)>': []}}
    page = render_report(doc)
    assert "<script>" not in page and "<img" not in page and "<svg onload" not in page
    assert 'href="javascript' not in page and "\u202e" not in page
    assert 'href="https://news.example/1?a=1&amp;b=2"' in page
    assert "&lt;img src=x onerror=alert(4)&gt;" in page                # the title escaped once, shown as text
