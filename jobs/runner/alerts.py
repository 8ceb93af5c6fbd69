"""Alerts: a Slack-compatible JSON webhook on a failed hour, an empty hour, and the first good hour after a failure.

    >>> alerter = WebhookAlerter("https://hooks.slack.com/services/T0/B0/xyz")      # doctest: +SKIP
    >>> alerter.failure(hour, stage="store", error="database ... unavailable")      # doctest: +SKIP
    >>> alerter.recovery(hour, failed_hour=..., failed_stage="store")               # doctest: +SKIP

The POST body is ``{"text": "...", "blocks": [...], "issuewire": {"kind", "hour", "stage",
"error", ...}}``: Slack shows ``text``/``blocks``, other receivers read ``issuewire``. Every string
is passed through :func:`redact` first: passwords in URLs (``postgresql://u:secret@h``),
``token=``/``key=``/``password=``/``secret=``/``signature=`` query values and Slack webhook paths
never reach an alert or a log. A webhook that fails is logged (redacted) and never fails the run.
"""
from __future__ import annotations

import json
import logging
import re
import socket
import urllib.error
import urllib.request
from typing import Any

import pandas as pd

log = logging.getLogger("issuewire.alerts")

_URL_PASSWORD = re.compile(r"(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*://)(?P<user>[^:/@\s]*):(?P<pw>[^@/\s]+)@")
_SECRET_PARAM = re.compile(r"(?i)(?P<k>[?&;\s][a-z_]*(?:token|key|password|passwd|pwd|secret|sig|"
                           r"signature|auth)=)(?P<v>[^&\s\"']+)")
_WEBHOOK_PATH = re.compile(r"(?i)(hooks\.slack\.com/(?:services|workflows|triggers)/)[^\s\"']+")
_BEARER = re.compile(r"(?i)(bearer\s+)[a-z0-9._~+/=-]{8,}")


def redact(text: str) -> str:
    """Hide secrets in free text: URL passwords, secret query values, webhook paths, bearer tokens.

    >>> redact("postgresql://iw:hunter2@db:5432/x?sslkey=abc&token=t0k")
    'postgresql://iw:***@db:5432/x?sslkey=***&token=***'
    """
    if not text:
        return text
    text = _URL_PASSWORD.sub(lambda m: f"{m['scheme']}{m['user']}:***@", text)
    text = _SECRET_PARAM.sub(lambda m: f"{m['k']}***", text)
    text = _WEBHOOK_PATH.sub(r"\1***", text)
    return _BEARER.sub(r"\1***", text)


def _hour_text(hour: pd.Timestamp, timezone: str) -> str:
    return pd.Timestamp(hour).tz_convert(timezone).isoformat()


class WebhookAlerter:
    def __init__(self, url: str, timeout: float = 5.0, timezone: str = "Asia/Seoul",
                 host: str | None = None):
        self.url = url
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
            log.warning("alert webhook %s failed: %s", redact(self.url),
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
