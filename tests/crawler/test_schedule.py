"""The due order as a pure function (with Hypothesis), and the schedule table on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from hypothesis import given, settings, strategies as st

from crawler.schedule import ScheduleEntry, SchedulePolicy, due_entries, is_due
from crawler.crawl_store import CrawlStore, FetchUpdate

NOW = datetime(2026, 5, 5, 9, tzinfo=timezone.utc)
H = timedelta(hours=1)
POLICY = SchedulePolicy(hold_back=300, hold_back_max=3600)


def entry(url, **kw) -> ScheduleEntry:
    return ScheduleEntry(url, "s", **kw)


def test_never_scheduled_first_then_longest_since_crawled_then_least_recently_inspected():
    rows = [
        entry("crawled-1h", last_scheduled=NOW - H, last_crawled=NOW - H, last_inspected=NOW - H),
        entry("crawled-3h", last_scheduled=NOW - 3 * H, last_crawled=NOW - 3 * H),
        entry("new"),
        entry("crawled-1h-inspected-long-ago", last_scheduled=NOW - H, last_crawled=NOW - H,
              last_inspected=NOW - 5 * H),
    ]
    assert [e.url for e in due_entries(rows, NOW, POLICY)] == [
        "new", "crawled-3h", "crawled-1h-inspected-long-ago", "crawled-1h"]


def test_scheduled_but_not_crawled_is_held_back_then_retried_ever_more_slowly():
    failed_once = entry("u", last_scheduled=NOW - timedelta(seconds=200), failures=1)
    assert not is_due(failed_once, NOW, POLICY)
    assert is_due(failed_once, NOW + timedelta(seconds=101), POLICY)
    failed_thrice = entry("u", last_scheduled=NOW - timedelta(seconds=900), failures=3)   # held 1200 s
    assert not is_due(failed_thrice, NOW, POLICY)
    failed_often = entry("u", last_scheduled=NOW - timedelta(seconds=3601), failures=30)  # capped at 1 h
    assert is_due(failed_often, NOW, POLICY)


def test_a_crawl_that_died_on_a_url_holds_it_back_too():
    died = entry("u", last_scheduled=NOW - timedelta(seconds=10), last_crawled=NOW - H, failures=0)
    assert died.pending and not is_due(died, NOW, POLICY)


def test_recrawl_interval_per_source():
    policy = SchedulePolicy(recrawl=(("s", 1800.0),))
    fresh = entry("u", last_scheduled=NOW - timedelta(minutes=10), last_crawled=NOW - timedelta(minutes=10))
    assert not is_due(fresh, NOW, policy) and is_due(fresh, NOW + timedelta(minutes=21), policy)


times = st.one_of(st.none(), st.integers(0, 10_000).map(lambda s: NOW - timedelta(seconds=s)))


@st.composite
def entries(draw):
    scheduled = draw(times)
    crawled = draw(times) if scheduled else None
    return entry(draw(st.text("abc", min_size=1, max_size=4)), last_scheduled=scheduled, last_crawled=crawled,
                 last_inspected=draw(times) if crawled else None, failures=draw(st.integers(0, 5)))


@settings(max_examples=200, deadline=None)
@given(st.lists(entries(), max_size=20))
def test_due_order_invariants(rows):
    due = due_entries(rows, NOW, POLICY)
    assert all(is_due(e, NOW, POLICY) for e in due)
    assert len(due) == sum(is_due(e, NOW, POLICY) for e in rows)
    seen_scheduled = False
    for e in due:   # never-scheduled ones all come before any scheduled one
        seen_scheduled |= e.last_scheduled is not None
        assert not (seen_scheduled and e.last_scheduled is None)
    crawled = [e.last_crawled or datetime.min.replace(tzinfo=timezone.utc) for e in due if e.last_scheduled]
    assert crawled == sorted(crawled)


def test_store_round_trip(db_url):
    store = CrawlStore(db_url).create()
    assert store.sync_urls([("http://x/a", "s"), ("http://x/b", "s")]) == 2
    assert store.sync_urls([("http://x/a", "s"), ("http://x/c", "t")]) == 1
    store.mark_scheduled(["http://x/a", "http://x/b"], NOW)
    store.commit_fetch(FetchUpdate("http://x/a", crawled=True, inspected=True, status="200", etag='"e1"',
                                   last_modified="Tue, 05 May 2026 09:00:00 GMT", cursor="2026-05-05T09:00:00+00:00"),
                       NOW, parts=[{"part": "p1", "source": "s", "kind": "posts", "hour": "20260505T09", "rows": 1}],
                       seen_posts=[{"post_id": "c1", "content_hash": "h1", "source": "s", "part": "p1"}])
    store.commit_fetch(FetchUpdate("http://x/b", crawled=False, inspected=False, status="500", error="HTTP 500"), NOW)
    rows = {e.url: e for e in store.entries(["s"])}
    assert set(rows) == {"http://x/a", "http://x/b"}
    a, b = rows["http://x/a"], rows["http://x/b"]
    assert (a.scheduled_count, a.crawled_count, a.inspected_count, a.etag, a.cursor) == (1, 1, 1, '"e1"', "2026-05-05T09:00:00+00:00")
    assert a.last_crawled == NOW and a.last_scheduled.tzinfo is not None and not a.pending
    assert (b.crawled_count, b.failures, b.last_status, b.last_error) == (0, 1, "500", "HTTP 500") and b.pending
    # a 304 keeps the validators; the due order skips b while it is held back
    store.mark_scheduled(["http://x/a"], NOW + H)
    store.commit_fetch(FetchUpdate("http://x/a", crawled=True, inspected=False, status="304"), NOW + H)
    a = {e.url: e for e in store.entries()}["http://x/a"]
    assert (a.etag, a.crawled_count, a.inspected_count, a.last_inspected) == ('"e1"', 2, 1, NOW)
    assert store.seen(["c1", "c2"], ["h1", "h9"]) == ({"c1"}, {"h1"})
    assert store.committed_parts(["p1", "p2"]) == {"p1"}
    store.dispose()


def test_store_errors_are_named(tmp_path):
    import pytest
    from crawler.crawl_store import CrawlStoreError
    with pytest.raises(CrawlStoreError, match="creating the crawl tables"):
        CrawlStore(f"sqlite:///{tmp_path}/no/such/dir/x.sqlite").create()
