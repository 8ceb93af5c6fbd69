"""Polite HTTP fetching: per-host limits, robots.txt, retries with backoff, conditional GET, a size cap.

    >>> import functools, http.server, tempfile, threading
    >>> folder = tempfile.mkdtemp()
    >>> _ = open(f"{folder}/feed.xml", "w").write("<rss/>")
    >>> class Files(http.server.SimpleHTTPRequestHandler):
    ...     def log_message(self, *args): pass
    >>> server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Files, directory=folder))
    >>> threading.Thread(target=server.serve_forever, daemon=True).start()
    >>> url = f"http://127.0.0.1:{server.server_port}/feed.xml"
    >>> with Fetcher(CrawlSettings(workers=8, per_host_concurrency=2, per_host_delay=0.0)) as fetcher:
    ...     first = fetcher.fetch(url)
    ...     again = fetcher.fetch(url, last_modified=first.last_modified)    # a conditional GET
    >>> (first.outcome, first.status, first.body), (again.outcome, again.status, again.attempts)
    (('ok', 200, b'<rss/>'), ('not_modified', 304, 1))
    >>> server.shutdown()

``fetch`` never raises for network or HTTP trouble: it returns a :class:`FetchResult` whose
``outcome`` says what happened (``ok``, ``not_modified``, ``client_error``, ``server_error``,
``rate_limited``, ``timeout``, ``connection_error``, ``too_large``, ``robots_disallowed``) and
whose ``statuses`` list every attempt's HTTP status (or the error kind), so a run summary can
count them. 5xx, 429, timeouts and connection errors are retried with exponential backoff and
jitter (tenacity); a 429's or 503's ``Retry-After`` is honoured up to ``retry_after_max``; other
4xx are final. Bodies are streamed and gzip-decoded by requests/urllib3, and reading stops as
soon as the decoded body passes ``max_bytes`` (so a gzip bomb stops too).

One Fetcher is shared by the threads of one crawl pass; each thread gets its own
``requests.Session``.
"""
from __future__ import annotations

import threading
import time
import urllib.robotparser
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Iterator
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from tenacity import RetryError, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential, wait_random

from crawler.settings import CrawlSettings

ROBOTS_MAX_BYTES = 512 * 1024
CHUNK = 64 * 1024


@dataclass
class FetchResult:
    """What one ``fetch`` (with its retries) came back with."""

    url: str
    outcome: str
    status: int | None = None
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None
    content_type: str = ""
    statuses: list[str] = field(default_factory=list)
    error: str = ""
    elapsed: float = 0.0
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"

    @property
    def attempts(self) -> int:
        return len(self.statuses)


class _Transient(Exception):
    """An attempt worth retrying; carries the final result if no retry is left."""

    def __init__(self, result: FetchResult):
        super().__init__(result.error or result.outcome)
        self.result = result


class _TooLarge(Exception):
    pass


class HostLimiter:
    """At most ``concurrency`` requests in flight per host, request starts ``delay`` seconds apart.

        >>> limiter = HostLimiter(concurrency=2, delay=0.0)
        >>> with limiter.slot("example.org"):
        ...     pass
    """

    def __init__(self, concurrency: int, delay: float):
        self.concurrency, self.delay = concurrency, delay
        self._lock = threading.Lock()
        self._sems: dict[str, threading.Semaphore] = {}
        self._next_start: dict[str, float] = {}
        self._delays: dict[str, float] = {}

    def set_delay(self, host: str, delay: float) -> None:
        """Raise one host's delay (robots.txt ``Crawl-delay``); never lowers the configured one."""
        with self._lock:
            self._delays[host] = max(self.delay, delay)

    @contextmanager
    def slot(self, host: str) -> Iterator[None]:
        """Hold one of ``host``'s slots, starting no sooner than its delay allows."""
        with self._lock:
            sem = self._sems.setdefault(host, threading.BoundedSemaphore(self.concurrency))
        with sem:
            self._wait_turn(host)
            yield

    def _wait_turn(self, host: str) -> None:
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next_start.get(host, now))
            self._next_start[host] = start + self._delays.get(host, self.delay)
        if start > now:
            time.sleep(start - now)


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """``Retry-After`` as seconds to wait: delta-seconds or an HTTP date; None if absent or bad.

        >>> parse_retry_after("3"), parse_retry_after("soon")
        (3.0, None)
    """
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, when - (time.time() if now is None else now))


class Fetcher:
    """Fetch URLs politely with the settings of one crawl pass (see the module docstring)."""

    def __init__(self, settings: CrawlSettings):
        self.settings = settings
        self.limiter = HostLimiter(settings.per_host_concurrency, settings.per_host_delay)
        self._local = threading.local()
        self._sessions: list[requests.Session] = []
        self._robots: dict[str, urllib.robotparser.RobotFileParser] = {}
        self._robots_locks: dict[str, threading.Lock] = {}
        self._robots_guard = threading.Lock()

    # ------------------------------------------------------------ public
    def fetch(self, url: str, etag: str | None = None, last_modified: str | None = None) -> FetchResult:
        """GET ``url`` with retries; ``etag`` / ``last_modified`` make it a conditional GET."""
        started = time.monotonic()
        if self.settings.respect_robots and not self.allowed(url):
            return FetchResult(url, "robots_disallowed", statuses=["robots"], error="disallowed by robots.txt")
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        result = self._with_retries(url, headers, self.settings.max_bytes)
        result.elapsed = time.monotonic() - started
        return result

    def allowed(self, url: str) -> bool:
        """Whether robots.txt of ``url``'s host lets our User-Agent fetch it (cached per host)."""
        parts = urlsplit(url)
        if parts.path == "/robots.txt":
            return True
        return self._robots_for(f"{parts.scheme}://{parts.netloc}").can_fetch(self.settings.user_agent, url)

    def close(self) -> None:
        for session in self._sessions:
            session.close()

    def __enter__(self) -> "Fetcher":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ------------------------------------------------------------ robots
    def _robots_for(self, origin: str) -> urllib.robotparser.RobotFileParser:
        with self._robots_guard:
            if origin in self._robots:
                return self._robots[origin]
            lock = self._robots_locks.setdefault(origin, threading.Lock())
        with lock:
            if origin not in self._robots:
                self._robots[origin] = self._load_robots(origin)
            return self._robots[origin]

    def _load_robots(self, origin: str) -> urllib.robotparser.RobotFileParser:
        """RFC 9309: 2xx is parsed, other 4xx allow everything, 5xx or no answer disallow everything."""
        parser = urllib.robotparser.RobotFileParser(origin + "/robots.txt")
        result = self._with_retries(origin + "/robots.txt", {}, ROBOTS_MAX_BYTES)
        if result.ok:
            parser.parse(result.body.decode("utf-8", "replace").splitlines())
            delay = parser.crawl_delay(self.settings.user_agent)
            if delay:
                self.limiter.set_delay(urlsplit(origin).netloc, float(delay))
        elif result.status is not None and 400 <= result.status < 500 and result.status != 429:
            parser.allow_all = True
        else:
            parser.disallow_all = True
        return parser

    # ------------------------------------------------------------ one GET, retried
    def _session(self) -> requests.Session:
        session = getattr(self._local, "session", None)
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(pool_connections=16, pool_maxsize=max(4, self.settings.per_host_concurrency))
            session.mount("http://", adapter)
            session.mount("https://", adapter)
            session.headers.update({"User-Agent": self.settings.user_agent, "Accept-Encoding": "gzip, deflate"})
            self._local.session = session
            with self._robots_guard:
                self._sessions.append(session)
        return session

    def _with_retries(self, url: str, headers: dict, max_bytes: int) -> FetchResult:
        s = self.settings
        statuses: list[str] = []
        backoff = wait_exponential(multiplier=s.backoff_base, max=s.backoff_max) + wait_random(0, s.backoff_base)

        def wait(state) -> float:
            exc = state.outcome.exception()
            retry_after = exc.result.retry_after if isinstance(exc, _Transient) else None
            return retry_after if retry_after is not None else backoff(state)

        retrying = Retrying(stop=stop_after_attempt(s.retries + 1), wait=wait,
                            retry=retry_if_exception_type(_Transient), reraise=False)
        try:
            result = retrying(self._attempt, url, headers, max_bytes, statuses)
        except RetryError as exc:
            result = exc.last_attempt.exception().result
        result.statuses = statuses
        return result

    def _attempt(self, url: str, headers: dict, max_bytes: int, statuses: list[str]) -> FetchResult:
        s = self.settings
        host = urlsplit(url).netloc
        try:
            with self.limiter.slot(host):
                resp = self._session().get(url, headers=headers, timeout=s.timeout, stream=True, allow_redirects=True)
                try:
                    body = b"" if resp.status_code in (204, 304) else self._read_capped(resp, max_bytes)
                finally:
                    resp.close()
        except _TooLarge as exc:
            statuses.append(str(resp.status_code))
            return FetchResult(url, "too_large", resp.status_code, error=str(exc))
        except requests.Timeout as exc:
            statuses.append("timeout")
            raise _Transient(FetchResult(url, "timeout", error=f"timed out: {exc.__class__.__name__}")) from None
        except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as exc:
            statuses.append("connection_error")
            raise _Transient(FetchResult(url, "connection_error", error=_short(exc))) from None
        except requests.RequestException as exc:   # invalid URL, too many redirects, ...
            statuses.append("request_error")
            return FetchResult(url, "client_error", error=_short(exc))
        code = resp.status_code
        statuses.append(str(code))
        result = FetchResult(url, "ok", code, body, resp.headers.get("ETag"), resp.headers.get("Last-Modified"),
                             resp.headers.get("Content-Type", ""))
        if code == 304:
            result.outcome = "not_modified"
        elif code == 429 or code >= 500:
            result.outcome = "rate_limited" if code == 429 else "server_error"
            result.body, result.error = b"", f"HTTP {code}"
            result.retry_after = parse_retry_after(resp.headers.get("Retry-After"))
            if result.retry_after is not None and result.retry_after > s.retry_after_max:
                result.error = f"HTTP {code}, Retry-After {result.retry_after:.0f}s is longer than we wait"
                return result
            raise _Transient(result)
        elif code >= 400:
            result.outcome, result.body, result.error = "client_error", b"", f"HTTP {code}"
        elif code >= 300:
            result.outcome, result.error = "client_error", f"HTTP {code} without a usable redirect"
        return result

    def _read_capped(self, resp: requests.Response, max_bytes: int) -> bytes:
        declared = resp.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > max_bytes and "Content-Encoding" not in resp.headers:
            raise _TooLarge(f"Content-Length {declared} is over the {max_bytes}-byte cap")
        deadline = time.monotonic() + self.settings.total_timeout
        chunks, total = [], 0
        for chunk in resp.iter_content(CHUNK):
            total += len(chunk)
            if total > max_bytes:
                raise _TooLarge(f"body passed the {max_bytes}-byte cap")
            if time.monotonic() > deadline:
                raise requests.Timeout(f"body not complete after {self.settings.total_timeout}s")
            chunks.append(chunk)
        return b"".join(chunks)


def _short(exc: Exception, limit: int = 300) -> str:
    text = f"{exc.__class__.__name__}: {exc}"
    return text if len(text) <= limit else text[:limit] + "..."
