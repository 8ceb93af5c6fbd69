"""Alerts: a Slack-compatible JSON webhook on a failed hour, an empty hour, and the first good hour after a failure.

    >>> alerter = WebhookAlerter("http://127.0.0.1:9/services/T0/B0/s3cret?token=t0k", timeout=1,
    ...                          host="worker-1")
    >>> body = alerter.payload("failure", pd.Timestamp("2026-05-05T03:00Z"), stage="store",
    ...                        error="database postgresql://iw:pa@ss/w0rd@db/x unavailable")
    >>> body["issuewire"]["error"]
    'database postgresql://iw:***@db/x unavailable'
    >>> body["text"].rsplit(": database", 1)[0]
    ':rotating_light: issuewire hour 2026-05-05T12:00:00+09:00 FAILED at stage store'
    >>> redact(f"alert to {alerter.url} failed")       # the webhook's path and query are a secret
    'alert to http://127.0.0.1:9/*** failed'

``send`` (``failure``, ``empty``, ``recovery``) POSTs the body. It is ``{"text": "...", "blocks": [...],
"issuewire": {"kind", "hour", "stage", "error", ...}}``: Slack shows ``text``/``blocks``, other
receivers read ``issuewire``. Every string is passed through :func:`redact` first: passwords in
URLs (``postgresql://u:secret@h``, also when the password holds ``@`` or ``/``),
``token=``/``key=``/``password=``/``secret=``/``signature=`` query values, the path and query of
every webhook URL (the configured one on any host, and any URL that looks like a webhook) and
bearer tokens never reach an alert, a log line, an error line, the run database or ``status``.
A webhook that fails is logged (redacted: only its scheme and host) and never fails the run.
"""
from __future__ import annotations

import json
import logging
import re
import socket
import threading
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import pandas as pd

log = logging.getLogger("issuewire.alerts")

_URL = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://(?P<rest>[^\s\"'<>`]+)")
_SECRET_PARAM = re.compile(r"(?i)(?P<k>[?&;\s][a-z_]*(?:token|key|password|passwd|pwd|secret|sig|"
                           r"signature|auth)=)(?P<v>[^&\s\"']+)")
_WEBHOOK_HOST = re.compile(r"(?i)(^|[.-])(hooks?|webhooks?)([.-]|$)")
_WEBHOOK_PATH = re.compile(r"(?i)(^|/)(services|workflows|triggers|hooks?|webhooks?)(/|$)")
_BEARER = re.compile(r"(?i)(bearer\s+)[a-z0-9._~+/=-]{8,}")
_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()


def register_secret(text: str | None) -> None:
    """From now on :func:`redact` replaces ``text`` wherever it appears (a webhook's path and query).

    >>> register_secret("/hook/abc123")
    >>> redact("POST /hook/abc123 -> 500")
    'POST /*** -> 500'
    """
    if text and len(text) >= 4:
        with _SECRETS_LOCK:
            _SECRETS.add(text)


def redact_webhook(url: str) -> str:
    """A webhook URL as it may be shown: scheme and host only (its path and query are the secret);
    the path and query are also registered, so :func:`redact` hides them in any later message.

    >>> redact_webhook("https://user:pw@alerts.example.com:8443/api/v1/x9Y?sig=abc")
    'https://alerts.example.com:8443/***'
    """
    parts = urlsplit(url)
    secret = url[url.find(parts.netloc) + len(parts.netloc):] if parts.netloc else url
    register_secret(secret)
    host = parts.netloc.rsplit("@", 1)[-1]
    return f"{parts.scheme}://{host}/***" if parts.scheme and host else "***"


def _split_userinfo(scheme: str, rest: str) -> tuple[str, str, str] | None:
    """``(user, password, after)`` of ``scheme://rest`` when it carries a password, else None.

    The userinfo ends at the *last* ``@`` (a password may hold ``@`` and ``/``, unencoded); a
    ``host:port`` followed by an ``@`` in the path is not a password."""
    at = rest.rfind("@")
    if at < 0:
        return None
    userinfo = rest[:at]
    if ":" not in userinfo:
        return None
    user, password = userinfo.split(":", 1)
    if any(c in user for c in "/?#"):
        return None
    netloc = urlsplit(f"{scheme}://{rest}").netloc
    if "@" not in netloc:                       # 'host:8080/path@x' is a port, not a password
        host, _, port = netloc.rpartition(":")
        if host and port.isdigit():
            return None
    return user, password, rest[at + 1:]


def quote_url_password(url: str) -> str:
    """``url`` with a raw ``@`` or ``/`` in its password percent-encoded, so that every client (and
    :func:`redact`) finds the real host: ``u:p@ss@h`` would otherwise connect to ``ss@h``.

    >>> quote_url_password("postgresql://iw:p@ss/w0rd@db:5432/x")
    'postgresql://iw:p%40ss%2Fw0rd@db:5432/x'
    >>> quote_url_password("redis://:plain@127.0.0.1:6379/0")
    'redis://:plain@127.0.0.1:6379/0'
    """
    match = re.match(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://(?P<rest>.*)$", url or "", re.S)
    if not match:
        return url
    scheme, rest = match["scheme"], match["rest"]
    cut = min([i for i in (rest.find("?"), rest.find("#")) if i >= 0], default=len(rest))
    parts = _split_userinfo(scheme, rest[:cut])
    if parts is None or not any(c in parts[1] for c in "@/"):
        return url
    user, password, after = parts
    password = password.replace("@", "%40").replace("/", "%2F")
    return f"{scheme}://{user}:{password}@{after}{rest[cut:]}"


def _redact_url(match: re.Match) -> str:
    scheme, rest = match["scheme"], match["rest"]
    parts = _split_userinfo(scheme, rest)
    if parts is not None:
        user, _, after = parts
        rest = f"{user}:***@{after}"
    split = urlsplit(f"{scheme}://{rest}")
    host = split.netloc.rsplit("@", 1)[-1].split(":")[0]
    if split.path.strip("/") and (_WEBHOOK_HOST.search(host) or _WEBHOOK_PATH.search(split.path)
                                  or "hooks.slack.com" in host):
        rest = rest[:rest.find(split.netloc) + len(split.netloc)] + "/***"
    return f"{scheme}://{rest}"


def redact(text: str) -> str:
    """Hide secrets in free text: URL passwords, secret query values, webhook paths and queries,
    registered secrets (:func:`register_secret`), bearer tokens.

    >>> redact("postgresql://iw:hunter2@db:5432/x?sslkey=abc&token=t0k")
    'postgresql://iw:***@db:5432/x?sslkey=***&token=***'
    >>> redact("redis://:p@ss/w0rd@127.0.0.1:6379/0 down")
    'redis://:***@127.0.0.1:6379/0 down'
    >>> redact("https://hooks.slack.com/services/T0/B0/xyz and http://10.0.0.5:8080/status@1")
    'https://hooks.slack.com/*** and http://10.0.0.5:8080/status@1'
    """
    if not text:
        return text
    with _SECRETS_LOCK:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for secret in secrets:
        text = text.replace(secret, "/***" if secret.startswith("/") else "***")
    text = _URL.sub(_redact_url, text)
    text = _SECRET_PARAM.sub(lambda m: f"{m['k']}***", text)
    return _BEARER.sub(r"\1***", text)


def _hour_text(hour: pd.Timestamp, timezone: str) -> str:
    return pd.Timestamp(hour).tz_convert(timezone).isoformat()


class WebhookAlerter:
    def __init__(self, url: str, timeout: float = 5.0, timezone: str = "Asia/Seoul",
                 host: str | None = None):
        self.url = url
        self.shown_url = redact_webhook(url)     # registers its path and query as secrets
        self.timeout = timeout
        self.timezone = timezone
        self.host = host or socket.gethostname()

    def payload(self, kind: str, hour: pd.Timestamp, stage: str | None, error: str | None,
                **extra: Any) -> dict[str, Any]:
        hour_text = _hour_text(hour, self.timezone)
        error = redact(error or "")
        if kind == "failure":
            text = f":rotating_light: issuewire hour {hour_text} FAILED at stage {stage or '?'}: {error}"
        elif kind == "empty":
            text = f":warning: issuewire hour {hour_text} published an EMPTY feed: {error}"
        else:
            text = (f":white_check_mark: issuewire recovered: hour {hour_text} ran; "
                    f"last failure was hour {extra.get('failed_hour')} at stage {stage or '?'}")
        text = redact(text)
        fields = {"kind": kind, "hour": hour_text, "stage": stage, "error": error or None, "host": self.host,
                  **{k: redact(str(v)) if isinstance(v, str) else v for k, v in extra.items()}}
        return {"text": text,
                "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}],
                "issuewire": fields}

    def send(self, payload: dict[str, Any]) -> bool:
        """POST the payload; False (logged) if the webhook did not answer 2xx."""
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(self.url, data=body, method="POST",
                                         headers={"Content-Type": "application/json; charset=utf-8"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return 200 <= response.status < 300
        except (urllib.error.URLError, OSError, ValueError) as exc:
            log.warning("alert webhook %s failed: %s", self.shown_url,
                        redact(f"{exc.__class__.__name__}: {exc}"))
            return False

    def failure(self, hour: pd.Timestamp, stage: str | None, error: str | None, **extra: Any) -> bool:
        return self.send(self.payload("failure", hour, stage, error, **extra))

    def empty(self, hour: pd.Timestamp, detail: str, **extra: Any) -> bool:
        """The hour ran but had no posts: published (and recorded as ``empty``), worth a look."""
        return self.send(self.payload("empty", hour, "ingest", detail, **extra))

    def recovery(self, hour: pd.Timestamp, failed_hour: str | None, failed_stage: str | None,
                 **extra: Any) -> bool:
        return self.send(self.payload("recovery", hour, failed_stage, None, failed_hour=failed_hour, **extra))
