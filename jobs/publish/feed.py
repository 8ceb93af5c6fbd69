"""Publishing the feed: a Redis snapshot switched atomically, and a JSON file replaced atomically.

    >>> publisher = IssueFeedPublisher(redis.Redis.from_url(url), prefix="issuewire")   # doctest: +SKIP
    >>> publisher.publish(document, version)        # snapshot, then pointer + notification  # doctest: +SKIP
    >>> write_feed_file(document, "feed-{hour}.json", hour_label)                          # doctest: +SKIP

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
import os
import tempfile
from pathlib import Path
from typing import Any

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


def hour_label(hour_local) -> str:
    """The ``{hour}`` placeholder: ``YYYYMMDDTHH`` of the hour in local time."""
    return hour_local.strftime("%Y%m%dT%H")


def write_feed_file(document: dict[str, Any], path_template: str, label: str) -> Path:
    """Write the JSON atomically (temp file in the same folder, fsync, rename)."""
    path = Path(path_template.replace("{hour}", label))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(document, fh, ensure_ascii=False, indent=1)
                fh.write("\n")
                fh.flush()
                os.fsync(fh.fileno())
            checkpoint("file:temp-written")
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise PublishError(f"feed file {path}: {exc.strerror or exc}") from None
    return path
