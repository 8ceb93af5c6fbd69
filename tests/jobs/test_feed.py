"""The Redis feed against a real Redis: whole snapshots, atomic pointer, notification, expiry."""
import json
import time

import pytest
import redis

from jobs.publish.feed import IssueFeedPublisher, PublishError, feed_version, write_feed_file


def _doc(hour, title):
    return {"hour": hour, "channels": {"home": [{"issue_id": "i1", "rank": 1, "title": title, "keyword": "k",
                                                 "score": 1.0, "post_ids": ["p1"]}], "news": []}}


def test_publish_switch_notify_and_expire(redis_server, redis_prefix):
    client = redis.Redis.from_url(redis_server)
    pub = IssueFeedPublisher(client, redis_prefix, ttl_seconds=3600)
    sub = client.pubsub()
    sub.subscribe(f"{redis_prefix}:published")
    sub.get_message(timeout=1)
    d1, d2 = _doc("2026-02-19T16:00:00+09:00", "a"), _doc("2026-02-19T17:00:00+09:00", "b")
    v1, v2 = feed_version(d1, "20260219T07"), feed_version(d2, "20260219T08")
    assert pub.publish(d1, v1) and pub.publish(d2, v2)
    assert pub.current() == {**d2, "version": v2}
    assert client.ttl(f"{redis_prefix}:snapshot:{v2}") == -1           # the current one never expires
    assert 0 < client.ttl(f"{redis_prefix}:snapshot:{v1}") <= 3600      # the previous one does
    messages = [sub.get_message(timeout=1) for _ in range(2)]
    assert [json.loads(m["data"])["version"] for m in messages] == [v1, v2]
    # an older hour re-published does not move the pointer back
    assert pub.publish(d1, v1) is False
    assert pub.current()["version"] == v2
    sub.close()


def test_redis_down_is_a_publish_error(redis_prefix):
    client = redis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.2)
    with pytest.raises(PublishError, match="redis publish"):
        IssueFeedPublisher(client, redis_prefix).publish(_doc("h", "t"), "20260219T07-00000000")


def test_feed_file_is_replaced_atomically(tmp_path):
    path = write_feed_file(_doc("h", "t"), tmp_path / "out" / "feed-20260219T16.json")
    assert path.name == "feed-20260219T16.json" and json.loads(path.read_text())["channels"]["home"][0]["title"] == "t"
    assert [p.name for p in path.parent.iterdir()] == [path.name]          # no temp file left
    with pytest.raises(PublishError):
        write_feed_file(_doc("h", "t"), path / "under-a-file.json")   # parent is a file


def test_a_switch_with_an_older_lock_token_is_fenced_out(redis_server, redis_prefix):
    """Redis checks the run lock's token itself: a run that lost its lock after its last check
    cannot switch the pointer over the newer holder's feed; the fence key expires by itself."""
    from jobs.publish.feed import FencedOutError

    client = redis.Redis.from_url(redis_server)
    pub = IssueFeedPublisher(client, redis_prefix, ttl_seconds=3600, fence_ttl_seconds=30)
    new, stale = _doc("2026-02-19T17:00:00+09:00", "new holder"), _doc("2026-02-19T18:00:00+09:00", "stale")
    v_new, v_stale = feed_version(new, "20260219T08"), feed_version(stale, "20260219T09")
    assert pub.publish(new, v_new, fence_token=8)
    with pytest.raises(FencedOutError, match="token 7"):
        pub.publish(stale, v_stale, fence_token=7)
    assert pub.current()["version"] == v_new
    assert 0 < client.ttl(f"{redis_prefix}:fence") <= 30
    assert pub.publish(stale, v_stale, fence_token=9)                  # a newer token goes through
    assert pub.current()["version"] == v_stale and int(client.get(f"{redis_prefix}:fence")) == 9
