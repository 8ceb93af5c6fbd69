"""A real HTTP server on 127.0.0.1 for the crawler tests and the benchmark.

    >>> import urllib.request
    >>> with PortalServer() as server:
    ...     urllib.request.urlopen(server.url("/robots.txt")).status, server.hits["/robots.txt"]
    (200, 1)

Routes (``server.hits[path]`` counts requests, ``server.log`` keeps ``(path, headers)``,
``server.targets`` the full request targets):

``/robots.txt``              disallows ``/private/`` for everyone (``server.robots``: body or status)
``/api/posts``               paged JSON (``?since=ISO&page=N``), ``server.posts`` items, 2 per page
``/feed.xml``, ``/atom.xml`` RSS / Atom with ETag and Last-Modified; 304 on a matching condition
                             (``?feed=K`` on either of the first two: a distinct feed, its own post ids)
``/flaky/<key>``             500 for the first ``server.fail_first`` requests of that key, then JSON
``/always500``               500 forever
``/rate/<key>``              429 with ``Retry-After: 1`` on the first request of that key, then JSON
``/slow``                    sleeps ``?delay=`` seconds before answering
``/malformed.json``          truncated JSON; ``/badutf8.json`` invalid UTF-8 inside a string
``/gzip.json``               a gzip-encoded JSON page
``/huge``                    50 MB streamed with chunked encoding (never held in memory)
``/huge-declared``           50 MB streamed with its Content-Length declared
``/queries/<hour>.csv``      hourly query counts (``server.queries[hour]``) with an ETag
``/private/...``, other      404 (``/private/`` must never be requested)

``delay`` (seconds) is added to every response, so concurrency matters in the benchmark.
"""
from __future__ import annotations

import collections
import gzip
import hashlib
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

HUGE_BYTES = 50 * 1024 * 1024
PAGE_SIZE = 2


def community_post(i: int, hour: str = "2026-05-05T09", minute: int | None = None) -> dict:
    return {"id": f"c{i}", "board": "humor", "writer": f"user{i % 3}", "subject": f"어린이날 선물 {i}",
            "content": f"어린이날 선물 추천 글 {i}", "created_at": f"{hour}:{(minute if minute is not None else i) % 60:02d}:00+00:00",
            "link": f"http://127.0.0.1/c{i}", "likes": i}


def rss_feed(n: int = 3, feed: str = "") -> bytes:
    items = "".join(
        f"<item><guid>{feed}rss-{i}</guid><title>뉴스 &lt;b&gt;{i}&lt;/b&gt;{feed}</title><link>http://127.0.0.1/n{i}</link>"
        f"<description>&lt;p&gt;어린이날 행사 기사 {i}&lt;/p&gt;</description><category>news</category>"
        f"<dc:creator>기자{i}</dc:creator><pubDate>Tue, 05 May 2026 18:{i:02d}:00 +0900</pubDate></item>"
        for i in range(n))
    return ('<?xml version="1.0" encoding="UTF-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
            f"<channel><title>테스트 뉴스</title>{items}</channel></rss>").encode()


def atom_feed() -> bytes:
    return ('<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>블로그</title>'
            "<author><name>blogger</name></author>"
            '<entry><id>tag:blog,2026:1</id><title>어린이날 나들이</title><link href="http://127.0.0.1/b1"/>'
            "<published>2026-05-05T09:30:00+00:00</published><summary>공원 나들이 후기</summary>"
            '<category term="blog"/></entry></feed>').encode()


class PortalServer:
    def __init__(self, delay: float = 0.0):
        self.delay = delay
        self.fail_first = 2
        self.robots: bytes | int = b"User-agent: *\nDisallow: /private/\n"   # an int is sent as that status
        self.posts = [community_post(i) for i in range(5)]
        self.rss = rss_feed()
        self.queries: dict[str, str] = {"20260505T09": "keyword,searches\n어린이날,120\n어린이날 선물,40\n"}
        self.hits: collections.Counter = collections.Counter()
        self.log: list[tuple[str, dict]] = []
        self.targets: list[str] = []          # full request targets, query strings included
        self.inflight = self.peak_inflight = 0   # requests being answered now / at most at once
        self._lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def start(self) -> "PortalServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "PortalServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def record(self, path: str, headers: dict) -> int:
        with self._lock:
            self.hits[path] += 1
            self.log.append((path, headers))
            return self.hits[path]


def _handler(server: PortalServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True   # headers and body are separate writes: no 40 ms delayed-ACK stalls

        def log_message(self, *args) -> None:   # keep test output quiet
            pass

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            path, query = parts.path, parse_qs(parts.query)
            nth = server.record(path, dict(self.headers))
            with server._lock:
                server.targets.append(self.path)
                server.inflight += 1
                server.peak_inflight = max(server.peak_inflight, server.inflight)
            if server.delay:
                time.sleep(server.delay)
            with server._lock:   # counted before answering: the client holds its slot at least this long
                server.inflight -= 1
            try:
                self.route(path, query, nth)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def send(self, code: int, body: bytes = b"", ctype: str = "application/json", headers: dict | None = None) -> None:
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def conditional(self, body: bytes, ctype: str) -> None:
            etag = '"' + hashlib.sha1(body).hexdigest()[:12] + '"'
            modified = "Tue, 05 May 2026 09:00:00 GMT"
            if self.headers.get("If-None-Match") == etag or (
                    "If-None-Match" not in self.headers and self.headers.get("If-Modified-Since") == modified):
                self.send_response(304)
                self.send_header("ETag", etag)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            self.send(200, body, ctype, {"ETag": etag, "Last-Modified": modified})

        def route(self, path: str, query: dict, nth: int) -> None:
            ok = json.dumps({"items": [], "next_page": None}).encode()
            if path == "/robots.txt":
                if isinstance(server.robots, int):
                    self.send(server.robots, b"", "text/plain")
                else:
                    self.send(200, server.robots, "text/plain")
            elif path == "/api/posts":
                since = query.get("since", [""])[0]
                page = int(query.get("page", ["1"])[0])
                items = [p for p in server.posts if not since or p["created_at"] > since]
                if "feed" in query:   # ?feed=K: a distinct feed with its own posts (the benchmark's many sources)
                    feed = query["feed"][0]
                    items = [{**p, "id": f"{feed}-{p['id']}", "content": f"{p['content']} {feed}"} for p in items]
                chunk = items[(page - 1) * PAGE_SIZE: page * PAGE_SIZE]
                more = page * PAGE_SIZE < len(items)
                self.send(200, json.dumps({"items": chunk, "next_page": page + 1 if more else None},
                                          ensure_ascii=False).encode())
            elif path == "/feed.xml":
                self.conditional(rss_feed(3, query["feed"][0]) if "feed" in query else server.rss, "application/rss+xml")
            elif path == "/atom.xml":
                self.conditional(atom_feed(), "application/atom+xml")
            elif path.startswith("/flaky/"):
                self.send(500, b"oops", "text/plain") if nth <= server.fail_first else self.send(200, ok)
            elif path == "/always500":
                self.send(500, b"oops", "text/plain")
            elif path.startswith("/rate/"):
                self.send(429, b"slow down", "text/plain", {"Retry-After": "1"}) if nth == 1 else self.send(200, ok)
            elif path == "/slow":
                time.sleep(float(query.get("delay", ["2"])[0]))
                self.send(200, ok)
            elif path == "/malformed.json":
                self.send(200, b'{"items": [{"id": "x1", ')
            elif path == "/badutf8.json":
                self.send(200, b'{"items": [{"id": "x1", "subject": "\xff\xfe bad"}], "next_page": null}')
            elif path == "/gzip.json":
                body = gzip.compress(json.dumps({"items": [community_post(42)], "next_page": None}).encode())
                self.send(200, body, headers={"Content-Encoding": "gzip"})
            elif path in ("/huge", "/huge-declared"):
                self.stream_huge(declared=path == "/huge-declared")
            elif path.startswith("/queries/") and path.endswith(".csv"):
                hour = path.rsplit("/", 1)[1][:-4]
                if hour in server.queries:
                    self.conditional(server.queries[hour].encode(), "text/csv")
                else:
                    self.send(404, b"no such hour", "text/plain")
            else:
                self.send(404, b"not found", "text/plain")

        def stream_huge(self, declared: bool) -> None:
            block = b"x" * 65536
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            if declared:
                self.send_header("Content-Length", str(HUGE_BYTES))
            else:
                self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            sent = 0
            while sent < HUGE_BYTES:
                if declared:
                    self.wfile.write(block)
                else:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(block), block))
                sent += len(block)
                with server._lock:
                    server.hits["/huge:bytes"] = sent
            if not declared:
                self.wfile.write(b"0\r\n\r\n")

    return Handler
