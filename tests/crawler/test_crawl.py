"""Whole crawl passes against the real test server: layout, contract, conditional GET, failures, resume."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pandas as pd
import pyarrow.parquet as pq
import pytest

from crawler.crawl import crawl_pass
from crawler.ingest import POST_COLUMNS, read_posts, read_query_counts
from crawler.settings import SourceSettings
from crawler.storage import PartWriter
from crawler.shell import crawl_once, posts_dir, queries_dir
from crawler.crawl_store import CrawlStore
from portal_server import community_post

NOW = datetime(2026, 5, 5, 10, 5, tzinfo=timezone.utc)


def all_sources(server, tmp_path, drop_rows=None):
    drop = tmp_path / "drop"
    drop.mkdir(exist_ok=True)
    rows = drop_rows if drop_rows is not None else [
        {"post_id": "d1", "channel": "blog", "author_id": "u9", "title": "드롭 글", "body": "어린이날 본문",
         "published_at": "2026-05-05T18:10:00+09:00"}]
    (drop / "a.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows) + "{not json\n",
                                  encoding="utf-8")
    return (SourceSettings("community", "json_feed", url=server.url("/api/posts"), mapping="community_json"),
            SourceSettings("news", "rss", url=server.url("/feed.xml"), mapping="rss"),
            SourceSettings("blog", "rss", url=server.url("/atom.xml"), mapping="rss"),
            SourceSettings("queries", "query_counts", url=server.url("/queries/{hour}.csv"), mapping="query_csv",
                           lookback_hours=1),
            SourceSettings("drop", "drop_folder", path=str(drop)))


@pytest.fixture
def settings(server, fast, tmp_path):
    return fast.replace(sources=all_sources(server, tmp_path))


def test_one_pass_collects_every_source_into_raw_and_contract_parquet(settings, db_url, server):
    summary = crawl_once(settings, db_url, now=NOW)
    assert (summary.posts, summary.queries, summary.failed, summary.hours) == (10, 2, 0, {"20260505T09"})
    s = summary.sources
    assert (s["community"].pages, s["community"].posts, s["community"].statuses["200"]) == (3, 5, 3)
    assert (s["news"].posts, s["blog"].posts, s["drop"].posts, s["drop"].rejected) == (3, 1, 1, 1)
    # processed layout and exactly the Post contract, published_at as ISO text with an offset
    parts = sorted((settings.data_dir / "processed" / "posts").rglob("*.parquet"))
    assert {p.parent.name for p in parts} == {"source=community", "source=news", "source=blog", "source=drop"}
    assert {p.parent.parent.name for p in parts} == {"hour=20260505T09"}
    table = pq.read_table(parts[0])
    assert table.column_names == POST_COLUMNS
    assert str(table.schema.field("published_at").type) in ("string", "large_string")
    assert table.column("published_at")[0].as_py().endswith("+00:00")
    # what the hourly run reads: the folder, through the lead's ingest
    batch = read_posts([posts_dir(settings)])
    assert batch.summary == {"read": 10, "accepted": 10, "rejected": 0}
    news = batch.accepted.set_index("post_id").loc["rss-1"]
    assert (news["channel"], news["author_id"], news["title"], news["source"]) == ("news", "기자1", "뉴스 1", "news")
    assert news["published_at"] == pd.Timestamp("2026-05-05T09:01:00Z")
    queries = read_query_counts([queries_dir(settings)]).accepted
    assert queries.set_index("query")["count"].to_dict() == {"어린이날": 120, "어린이날 선물": 40}
    # raw bodies as fetched, date/hour partitioned, with a metadata sidecar
    raw_pages = sorted((settings.data_dir / "raw" / "community" / "2026-05-05" / "10").glob("*page_*[0-9]"))
    assert len(raw_pages) == 3 and json.loads(raw_pages[0].read_bytes())["items"]
    meta = json.loads(raw_pages[0].with_name(raw_pages[0].name + ".meta.json").read_text())
    assert meta["status"] == 200 and meta["url"].startswith(server.base)
    rejects = pd.concat(pd.read_parquet(p) for p in (settings.data_dir / "processed" / "rejects").rglob("*.parquet"))
    assert rejects["reason"].str.contains("invalid JSON").all()


def test_second_pass_is_conditional_and_stores_nothing_twice(settings, db_url, server):
    crawl_once(settings, db_url, now=NOW)
    server.posts.append(community_post(7, minute=30))
    server.posts.append(community_post(8, minute=3) | {"created_at": "2026-05-05T09:03:30+00:00"})  # arrived late
    summary = crawl_once(settings, db_url, now=NOW + timedelta(minutes=10))
    s = summary.sources
    assert s["news"].outcomes == {"not_modified": 1} and s["blog"].statuses == {"304": 1}
    assert s["drop"].outcomes == {"not_modified": 1} and s["queries"].outcomes == {"not_modified": 1}
    # the feed is asked from 5 minutes before the newest post seen: the late one is caught too
    assert [t for t in server.targets if t.startswith("/api/posts")][-1].startswith("/api/posts?since=2026-05-05T08%3A59%3A00%2B00%3A00&page=")
    assert (s["community"].posts, s["community"].duplicates) == (2, 5)
    assert summary.posts == 2
    batch = read_posts([posts_dir(settings)])
    assert len(batch.accepted) == 12 and batch.rejects.empty


def test_one_authors_same_post_under_another_id_or_source_is_stored_once(server, fast, tmp_path, db_url):
    dup = community_post(1)
    mirror = {"post_id": "mirror-1", "channel": "blog", "author_id": dup["writer"], "title": dup["subject"],
              "body": "  " + dup["content"], "published_at": dup["created_at"]}
    same_words = {**mirror, "post_id": "other-1", "author_id": "someone-else"}
    settings = fast.replace(sources=all_sources(server, tmp_path, drop_rows=[mirror, same_words])[::4])
    summary = crawl_once(settings, db_url, now=NOW)
    assert summary.posts == 6 and sum(s.duplicates for s in summary.sources.values()) == 1
    stored = set(read_posts([posts_dir(settings)]).accepted["post_id"])
    assert len(stored) == 6 and {"c0", "c2", "c3", "c4", "other-1"} <= stored   # whichever copy came first
    assert len(stored & {"c1", "mirror-1"}) == 1


def test_failures_are_counted_per_status_and_held_back(server, fast, tmp_path):
    bad = (SourceSettings("down", "rss", url=server.url("/always500")),
           SourceSettings("secret", "rss", url=server.url("/private/feed.xml")),
           SourceSettings("huge", "json_feed", url=server.url("/huge")),
           SourceSettings("broken", "json_feed", url=server.url("/malformed.json")),
           SourceSettings("latin1", "json_feed", url=server.url("/badutf8.json")),
           SourceSettings("slow", "rss", url=server.url("/slow")))
    settings = fast.replace(sources=bad, retries=1)
    db = f"sqlite:///{tmp_path / 'c.sqlite'}"
    summary = crawl_once(settings, db, now=NOW)
    s = summary.sources
    assert s["down"].statuses == {"500": 2} and s["down"].outcomes == {"server_error": 1}
    assert s["secret"].outcomes == {"robots_disallowed": 1} and server.hits["/private/feed.xml"] == 0
    assert s["huge"].outcomes == {"too_large": 1}
    assert s["broken"].outcomes == {"parse_error": 1} and "invalid JSON" in s["broken"].errors[0]
    assert s["latin1"].outcomes == {"parse_error": 1} and "invalid UTF-8" in s["latin1"].errors[0]
    assert s["slow"].statuses == {"timeout": 2}
    assert summary.failed == 6 and summary.posts == 0
    rows = {e.source: e for e in CrawlStore(db).entries()}
    assert all(e.failures == 1 and e.crawled_count == 0 and e.last_error for e in rows.values())
    assert crawl_once(settings, db, now=NOW + timedelta(seconds=30)).due == 0       # held back
    assert crawl_once(settings, db, now=NOW + timedelta(seconds=61)).due == 6       # hold-back over
    rows = {e.source: e for e in CrawlStore(db).entries()}
    assert rows["down"].failures == 2 and rows["down"].scheduled_count == 2


class Crash(BaseException):
    """Stands for the process dying (kill -9, OOM): nothing after it runs."""


def test_crash_before_commit_loses_and_duplicates_nothing(settings, server, monkeypatch, tmp_path):
    db = f"sqlite:///{tmp_path / 'c.sqlite'}"
    store = CrawlStore(db).create()
    real_commit, calls = store.commit_fetches, []
    server.delay, settings = 0.05, settings.replace(workers=1)   # one URL per batch: a crash mid-pass

    def dying_commit(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise Crash()
        return real_commit(*args, **kwargs)

    monkeypatch.setattr(store, "commit_fetches", dying_commit)
    with pytest.raises(Crash):
        crawl_pass(settings, store, now=NOW)
    monkeypatch.undo()
    half = read_posts([posts_dir(settings)])
    assert 0 < len(half.accepted) < 10
    later = NOW + timedelta(seconds=settings.hold_back_seconds + 1)
    summary = crawl_pass(settings, store, now=later)
    batch = read_posts([posts_dir(settings)])
    assert batch.rejects.empty and sorted(batch.accepted["post_id"]) == sorted(
        ["c0", "c1", "c2", "c3", "c4", "rss-0", "rss-1", "rss-2", "tag:blog,2026:1", "d1"])
    assert not list(settings.data_dir.rglob("*.tmp"))
    assert summary.recovered == (0, 0)


def test_crash_between_commit_and_rename_is_finished_by_the_next_pass(settings, monkeypatch, tmp_path):
    db = f"sqlite:///{tmp_path / 'c.sqlite'}"
    store = CrawlStore(db).create()

    def dying_publish(parts):
        raise Crash()

    monkeypatch.setattr(PartWriter, "publish", staticmethod(dying_publish))
    with pytest.raises(Crash):
        crawl_pass(settings, store, now=NOW)
    monkeypatch.undo()
    assert len(list(settings.data_dir.rglob("*.parquet.tmp"))) >= 1
    summary = crawl_pass(settings, store, now=NOW + timedelta(seconds=settings.hold_back_seconds + 1))
    assert summary.recovered[0] >= 1
    batch = read_posts([posts_dir(settings)])
    assert len(batch.accepted) == 10 and batch.rejects.empty
    assert not list(settings.data_dir.rglob("*.tmp"))


@pytest.mark.parametrize("per_host", [2, 6])
def test_the_pool_respects_the_per_host_limit(server, fast, tmp_path, per_host):
    server.delay = 0.2
    feeds = tuple(SourceSettings(f"news{i}", "rss", url=server.url(f"/feed.xml?n={i}"), mapping="rss")
                  for i in range(12))
    summary = crawl_once(fast.replace(sources=feeds, workers=8, per_host_concurrency=per_host, read_timeout=2),
                         f"sqlite:///{tmp_path / 'c.sqlite'}", now=NOW)
    assert summary.failed == 0 and summary.sources["news0"].statuses == {"200": 1}
    assert 2 <= server.peak_inflight <= per_host   # concurrent, never more than the host's limit


def test_a_retry_after_longer_than_we_wait_keeps_the_url_off_until_then(server, fast, tmp_path):
    settings = fast.replace(sources=(SourceSettings("busy", "json_feed", url=server.url("/rate/long")),),
                            retry_after_max=0.5, hold_back_seconds=0)
    db = f"sqlite:///{tmp_path / 'c.sqlite'}"
    assert crawl_once(settings, db, now=NOW).sources["busy"].outcomes == {"rate_limited": 1}
    (entry,) = CrawlStore(db).entries()
    assert entry.not_before == NOW + timedelta(seconds=1)
    assert crawl_once(settings, db, now=NOW + timedelta(seconds=0.5)).due == 0
    later = crawl_once(settings, db, now=NOW + timedelta(seconds=1))
    assert later.sources["busy"].outcomes == {"ok": 1}
    assert CrawlStore(db).entries()[0].not_before is None


def test_a_missing_drop_folder_is_reported_not_silent(fast, tmp_path):
    settings = fast.replace(sources=(SourceSettings("drop", "drop_folder", path=str(tmp_path / "gone")),))
    summary = crawl_once(settings, f"sqlite:///{tmp_path / 'c.sqlite'}", now=NOW)
    assert summary.failed == 1 and "does not exist" in summary.sources["drop"].errors[0]
