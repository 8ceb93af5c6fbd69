"""Publishing the feed: a Redis snapshot switched atomically, and a JSON file replaced atomically.

    >>> import tempfile
    >>> document = {"hour": "2026-05-05T02:00:00+09:00", "channels": {"home": []}}
    >>> version = feed_version(document, "20260504T17")      # the Redis version: UTC hour + content
    >>> version
    '20260504T17-9f5256cc'
    >>> path = hour_file(tempfile.mkdtemp() + "/feed-{hour}.json", pd.Timestamp("2026-05-04T17:00Z"), "Asia/Seoul")
    >>> write_feed_file(document, path).name                   # the file name: local hour
    'feed-20260505T02.json'

``IssueFeedPublisher(redis.Redis.from_url(url), prefix="issuewire").publish(document, version)``
writes the snapshot, then switches the pointer and notifies (the tests run it on a real Redis).

Redis keys (``<p>`` is the configurable prefix, ``issuewire`` by default):

* ``<p>:snapshot:<version>`` — a hash: field ``meta`` (JSON ``{"hour", "version", "channels",
  "warming_up", "history_hours"}``)
  and one field ``channel:<name>`` per channel (JSON list of issues, ranked). Written whole in
  one MULTI/EXEC with a TTL, so a snapshot nobody points to expires by itself.
* ``<p>:current`` — the version of the current snapshot. A Lua script switches it atomically,
  removes the new snapshot's TTL (the current one never expires) and gives the previous one
  ``ttl`` seconds; it refuses to move the pointer back to an older hour (a re-run of an old
  hour does not hide the newest feed). Versions are ``YYYYMMDDTHH-<content hash>`` in UTC.
* ``<p>:fence`` — the highest run-lock token (:mod:`jobs.store.lock`) that switched the pointer. The
  same script refuses a switch carrying a lower token (:class:`FencedOutError`): a run that lost
  its lock between its last check and its publish cannot overwrite the newer holder's feed.
  The key lives ``fence_ttl_seconds`` (two lock TTLs by default), far longer than that window,
  so a database recreated with tokens from 1 is not fenced out for longer than that.
* ``<p>:published`` — the pub/sub channel; the message is JSON ``{"version", "hour"}``.

A consumer reads ``GET <p>:current`` then ``HGETALL <p>:snapshot:<version>`` (or ``HGET`` one
channel): always one hour's whole snapshot, never half of two.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pandas as pd  # noqa: F401 - used by the example

from issues.atomic_file import atomic_write
from jobs.publish.paths import hour_file, hour_label  # noqa: F401 - hour_label: the {hour} rule, re-exported
from jobs.publish.redis_snapshot import FencedOutError, PublishError, RedisSnapshot
from jobs.runner.faults import checkpoint

__all__ = ["IssueFeedPublisher", "PublishError", "FencedOutError", "feed_version", "hour_label", "write_feed_file"]


def feed_version(document: dict[str, Any], hour_utc_label: str) -> str:
    """``YYYYMMDDTHH-<8 hex of the content>``: the same content gives the same version."""
    blob = json.dumps(document, ensure_ascii=False, sort_keys=True).encode()
    return f"{hour_utc_label}-{hashlib.sha1(blob).hexdigest()[:8]}"


class IssueFeedPublisher:
    def __init__(self, client, prefix: str = "issuewire", ttl_seconds: int = 48 * 3600,
                 fence_ttl_seconds: int = 600):
        self.client = client
        self.prefix = prefix
        self.ttl_seconds = ttl_seconds
        self.fence_ttl_seconds = fence_ttl_seconds
        self._snapshot = RedisSnapshot(client, prefix, channel="published", head="snapshot:{version}",
                                       ttl_seconds=ttl_seconds, fence_ttl_seconds=fence_ttl_seconds)

    def key(self, *parts: str) -> str:
        return ":".join((self.prefix,) + parts)

    def publish(self, document: dict[str, Any], version: str, fence_token: int | None = None) -> bool:
        """Write the snapshot, then switch the pointer; False if a newer hour is already current.

        With ``fence_token`` (the run lock's token) the switch is refused, raising
        :class:`FencedOutError`, when a higher token has already switched it."""
        import redis

        snapshot = self.key("snapshot", version)
        meta = {"hour": document["hour"], "version": version, "channels": list(document["channels"])}
        meta.update({k: document[k] for k in ("warming_up", "history_hours") if k in document})
        fields = {"meta": json.dumps(meta, ensure_ascii=False)}
        for channel, items in document["channels"].items():
            fields[f"channel:{channel}"] = json.dumps(items, ensure_ascii=False)
        try:
            self._snapshot.write_hash(snapshot, fields)
            checkpoint("redis:snapshot-written")
            return self._snapshot.switch(version, {"version": version, "hour": document["hour"]}, fence_token)
        except redis.RedisError as exc:
            raise PublishError(f"redis publish of {version} failed: {exc.__class__.__name__}: {exc}") from None

    def current(self) -> dict[str, Any] | None:
        """The current snapshot as the feed document (what a consumer sees), or None."""
        version = self.client.get(self.key("current"))
        if version is None:
            return None
        version = version.decode() if isinstance(version, bytes) else version
        raw = self.client.hgetall(self.key("snapshot", version))
        decoded = {(k.decode() if isinstance(k, bytes) else k): json.loads(v) for k, v in raw.items()}
        meta = decoded.pop("meta")
        return {"hour": meta["hour"], "version": version,
                **{k: meta[k] for k in ("warming_up", "history_hours") if k in meta},
                "channels": {k.split(":", 1)[1]: v for k, v in decoded.items()}}


def write_feed_file(document: dict[str, Any], path: str | Path) -> Path:
    """Write the JSON atomically (:func:`issues.atomic_file.atomic_write`: temp file, fsync, rename,
    mode from the umask); ``path`` is the hour's file (:func:`jobs.publish.paths.hour_file`)."""
    path = Path(path)

    def dump(fh) -> None:
        json.dump(document, fh, ensure_ascii=False, indent=1)
        fh.write("\n")
    try:
        atomic_write(path, dump, before_replace=lambda: checkpoint("file:temp-written"))
    except OSError as exc:
        raise PublishError(f"feed file {path}: {exc.strerror or exc}") from None
    return path
