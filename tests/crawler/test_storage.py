"""Raw and processed storage layers on their own: layout, the contract, the two-step publish."""
from __future__ import annotations

import json
from datetime import datetime, timezone

import pandas as pd

from crawler.ingest import POST_COLUMNS, read_posts, validate_post
from crawler.storage import PartWriter, RawStore, hour_key, posts_table

AT = datetime(2026, 5, 5, 9, 3, 12, tzinfo=timezone.utc)


def posts(*specs):
    return [validate_post({"post_id": pid, "channel": "c", "author_id": "a", "title": "t " + pid,
                                        "body": "b", "published_at": when, "source": "s"}) for pid, when in specs]


def test_raw_bodies_are_kept_byte_for_byte_in_date_hour_folders(tmp_path):
    raw = RawStore(tmp_path)
    body = b"\xff\xfe not utf-8"
    first = raw.save("news", "http://127.0.0.1:1/feed.xml?page=2", body, AT, {"status": 200})
    second = raw.save("news", "http://127.0.0.1:1/feed.xml?page=2", b"again", AT)
    assert first.parent == tmp_path / "raw" / "news" / "2026-05-05" / "09"
    assert first.name.startswith("090312-") and first.name.endswith("feed.xml_page_2")
    assert first.read_bytes() == body and second != first and second.read_bytes() == b"again"
    meta = json.loads(first.with_name(first.name + ".meta.json").read_text())
    assert meta["status"] == 200 and meta["bytes"] == len(body) and meta["fetched_at"] == AT.isoformat()


def test_posts_are_split_by_utc_hour_with_exactly_the_contract_columns(tmp_path):
    writer = PartWriter(tmp_path)
    staged = writer.stage_posts("blog", posts(("p1", "2026-05-05T18:59:59+09:00"), ("p2", "2026-05-05T10:00:00Z")))
    assert [s.hour for s in staged] == ["20260505T09", "20260505T10"]
    assert all(s.tmp.exists() and not s.final.exists() for s in staged)
    assert read_posts([tmp_path / "processed"]).accepted.empty      # staged parts are invisible
    writer.publish(staged)
    assert staged[0].final.parent == tmp_path / "processed" / "posts" / "hour=20260505T09" / "source=blog"
    frame = pd.read_parquet(staged[0].final)
    assert frame.columns.tolist() == POST_COLUMNS and frame["published_at"].tolist() == ["2026-05-05T09:59:59+00:00"]
    assert sorted(read_posts([tmp_path / "processed" / "posts"]).accepted["post_id"]) == ["p1", "p2"]


def test_recover_publishes_committed_parts_and_deletes_the_rest(tmp_path):
    writer = PartWriter(tmp_path)
    committed = writer.stage_posts("s", posts(("p1", "2026-05-05T09:00Z")))
    orphan = writer.stage_posts("s", posts(("p2", "2026-05-05T09:00Z")))
    leftovers = writer.leftovers()
    assert [writer.key_of_leftover(t) for t in leftovers] == sorted([committed[0].key, orphan[0].key])
    assert writer.recover(leftovers, {committed[0].key}) == (1, 1)
    assert committed[0].final.exists() and not orphan[0].tmp.exists() and not orphan[0].final.exists()
    assert writer.leftovers() == []


def test_query_parts_are_named_after_the_url_so_a_refetch_replaces_them(tmp_path):
    writer = PartWriter(tmp_path)
    counts = [{"hour": pd.Timestamp("2026-05-05T09:00Z"), "query": "q", "count": 1}]
    first = writer.stage_queries("qs", "http://x/20260505T09.csv", counts)
    writer.publish(first)
    second = writer.stage_queries("qs", "http://x/20260505T09.csv", [{**counts[0], "count": 5}])
    writer.publish(second)
    assert first[0].final == second[0].final
    assert pd.read_parquet(second[0].final).to_dict("records") == [
        {"hour": "2026-05-05T09:00:00+00:00", "query": "q", "count": 5}]


def test_hour_key_is_utc():
    assert hour_key(pd.Timestamp("2026-01-01T00:30+09:00")) == "20251231T15"
    assert posts_table(posts(("p", "2026-05-05T09:00Z"))).column("url").to_pylist() == [""]
