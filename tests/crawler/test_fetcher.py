"""The fetcher against a real HTTP server: every failure mode the issue names, asserted."""
from __future__ import annotations

import threading
import time

import pytest

from crawler.feeds import ParseError, parse_json_page
from crawler.fetcher import Fetcher, HostLimiter, parse_retry_after
from portal_server import HUGE_BYTES


def test_ok_sends_a_user_agent_that_names_the_service(server, fast):
    with Fetcher(fast) as f:
        r = f.fetch(server.url("/api/posts"))
    assert (r.outcome, r.status, r.attempts) == ("ok", 200, 1)
    items, nxt = parse_json_page(r.body)
    assert len(items) == 2 and nxt == 2
    path, headers = server.log[-1]
    assert path == "/api/posts" and headers["User-Agent"].startswith("issuewire-crawler/")


def test_conditional_get_with_etag_and_last_modified_gives_304(server, fast):
    with Fetcher(fast) as f:
        first = f.fetch(server.url("/feed.xml"))
        by_etag = f.fetch(server.url("/feed.xml"), etag=first.etag)
        by_date = f.fetch(server.url("/feed.xml"), last_modified=first.last_modified)
        changed = f.fetch(server.url("/feed.xml"), etag='"stale"')
    assert first.outcome == "ok" and first.etag and first.last_modified
    assert (by_etag.outcome, by_etag.status, by_etag.body) == ("not_modified", 304, b"")
    assert by_date.status == 304
    assert changed.status == 200 and changed.body == first.body


def test_5xx_is_retried_with_backoff_until_it_succeeds(server, fast):
    with Fetcher(fast) as f:
        r = f.fetch(server.url("/flaky/a"))
    assert r.outcome == "ok" and r.statuses == ["500", "500", "200"]


def test_5xx_gives_up_after_the_configured_retries(server, fast):
    with Fetcher(fast.replace(retries=1)) as f:
        r = f.fetch(server.url("/always500"))
    assert (r.outcome, r.status, r.statuses) == ("server_error", 500, ["500", "500"])
    assert server.hits["/always500"] == 2


def test_404_is_not_retried(server, fast):
    with Fetcher(fast) as f:
        r = f.fetch(server.url("/nothing-here"))
    assert (r.outcome, r.status, r.attempts) == ("client_error", 404, 1)
    assert server.hits["/nothing-here"] == 1


def test_429_waits_for_retry_after_then_succeeds(server, fast):
    with Fetcher(fast) as f:
        t0 = time.monotonic()
        r = f.fetch(server.url("/rate/a"))
        waited = time.monotonic() - t0
    assert r.outcome == "ok" and r.statuses == ["429", "200"]
    assert waited >= 0.95, "Retry-After: 1 must be honoured, not the short backoff"


def test_429_with_a_retry_after_longer_than_we_wait_is_given_up(server, fast):
    with Fetcher(fast.replace(retry_after_max=0.5)) as f:
        r = f.fetch(server.url("/rate/b"))
    assert (r.outcome, r.statuses, r.retry_after) == ("rate_limited", ["429"], 1.0)


def test_slow_response_times_out_and_is_retried(server, fast):
    with Fetcher(fast.replace(retries=1)) as f:
        t0 = time.monotonic()
        r = f.fetch(server.url("/slow?delay=2"))
    assert r.outcome == "timeout" and r.statuses == ["timeout", "timeout"]
    assert time.monotonic() - t0 < 1.5


def test_connection_refused_is_a_connection_error(fast):
    with Fetcher(fast.replace(retries=1, respect_robots=False)) as f:
        r = f.fetch("http://127.0.0.1:9/nothing")   # discard port: nobody listens
    assert r.outcome == "connection_error" and r.attempts == 2


def test_robots_disallow_is_respected_without_requesting_the_page(server, fast):
    with Fetcher(fast) as f:
        r = f.fetch(server.url("/private/secret.json"))
    assert r.outcome == "robots_disallowed"
    assert server.hits["/private/secret.json"] == 0 and server.hits["/robots.txt"] == 1


def test_robots_is_fetched_once_per_host(server, fast):
    with Fetcher(fast) as f:
        for _ in range(3):
            f.fetch(server.url("/api/posts"))
    assert server.hits["/robots.txt"] == 1


def test_gzip_bodies_are_decoded(server, fast):
    with Fetcher(fast) as f:
        r = f.fetch(server.url("/gzip.json"))
    assert r.outcome == "ok"
    assert parse_json_page(r.body)[0][0]["id"] == "c42"
    assert "gzip" in server.log[-1][1]["Accept-Encoding"]


@pytest.mark.parametrize("path", ["/huge", "/huge-declared"])
def test_a_50_mb_body_stops_at_the_size_cap(server, fast, path):
    with Fetcher(fast.replace(max_bytes=1_000_000, read_timeout=5)) as f:
        t0 = time.monotonic()
        r = f.fetch(server.url(path))
    assert r.outcome == "too_large" and r.body == b"" and r.attempts == 1
    assert time.monotonic() - t0 < 5
    time.sleep(0.2)
    assert server.hits["/huge:bytes"] < HUGE_BYTES / 2, "the crawler must stop reading, not drain the body"


def test_malformed_json_and_invalid_utf8_are_parse_errors(server, fast):
    with Fetcher(fast) as f:
        malformed = f.fetch(server.url("/malformed.json"))
        bad = f.fetch(server.url("/badutf8.json"))
    assert malformed.outcome == bad.outcome == "ok"
    with pytest.raises(ParseError, match="invalid JSON"):
        parse_json_page(malformed.body)
    with pytest.raises(ParseError, match="invalid UTF-8 at byte"):
        parse_json_page(bad.body)


def test_per_host_limit_caps_requests_in_flight():
    limiter, inflight, peak, lock = HostLimiter(concurrency=2, delay=0.0), [0], [0], threading.Lock()

    def work():
        with limiter.slot("h"):
            with lock:
                inflight[0] += 1
                peak[0] = max(peak[0], inflight[0])
            time.sleep(0.15)
            with lock:
                inflight[0] -= 1

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert peak[0] == 2


def test_per_host_delay_spaces_request_starts():
    limiter, starts, t0 = HostLimiter(concurrency=4, delay=0.05), [], time.monotonic()
    for _ in range(4):
        with limiter.slot("h"):
            starts.append(time.monotonic())
    assert all(start - t0 >= 0.05 * i - 1e-3 for i, start in enumerate(starts))   # the n-th start no sooner than n delays
    assert starts[-1] - t0 < 1.0


def test_retry_after_parses_seconds_and_http_dates():
    assert parse_retry_after("2") == 2.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == pytest.approx(10.0)
    assert parse_retry_after(None) is None and parse_retry_after("later") is None


def test_robots_crawl_delay_spaces_requests_to_that_host(server, fast):
    server.robots = b"User-agent: issuewire-crawler\nCrawl-delay: 1\nDisallow: /private/\n"
    with Fetcher(fast) as f:
        t0 = time.monotonic()
        assert f.fetch(server.url("/api/posts")).ok and f.fetch(server.url("/feed.xml")).ok
        assert time.monotonic() - t0 >= 0.95
        assert f.fetch(server.url("/private/x")).outcome == "robots_disallowed"


@pytest.mark.parametrize("status, allowed", [(404, True), (410, True), (500, False), (503, False)])
def test_robots_missing_allows_all_and_unavailable_disallows_all(server, fast, status, allowed):
    server.robots = status
    with Fetcher(fast.replace(retries=0)) as f:
        r = f.fetch(server.url("/api/posts"))
    assert (r.outcome == "ok") is allowed
    assert server.hits["/api/posts"] == (1 if allowed else 0)
