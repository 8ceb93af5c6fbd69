"""The one Redis snapshot publisher: write a version's keys, then switch a pointer to it atomically.

    >>> import uuid, redis
    >>> client = redis.Redis(host="127.0.0.1", port=6379)
    >>> snap = RedisSnapshot(client, f"doctest-{uuid.uuid4().hex[:8]}", hour_ordered=False)
    >>> snap.write_hash(snap.head_key("v1"), {"meta": "{}"})
    >>> snap.switch("v1", {"version": "v1"}, fence_token=7), snap.current_version()
    (True, 'v1')
    >>> snap.switch("v2", {"version": "v2"}, fence_token=6)
    Traceback (most recent call last):
    ...
    jobs.publish.redis_snapshot.FencedOutError: redis publish of v2 refused: lock token 6 is older than the one that last switched doctest-...:current
    >>> client.delete(*client.keys(snap.key("*"))) > 0
    True

Used by the issue feed (:class:`jobs.publish.feed.IssueFeedPublisher`: one hash per hour) and by
the recommendations (:func:`publish_recommendations`: one string per user and per item). For a
namespace ``<ns>`` (the feed: ``<prefix>``; the recommendations: ``<prefix>:reco``):

* the version's keys are written first, each with ``ttl_seconds``, so a version nobody points to
  expires by itself (a run that died half-way leaves no permanent debris);
* then one Lua script (:data:`SWITCH_SCRIPT`) does, atomically: the **fence** check (a switch
  carrying a run-lock token lower than the highest one seen at ``<ns>:fence`` is refused with
  :class:`FencedOutError`: a run that lost its lock cannot overwrite the newer holder's
  snapshot), with ``hour_ordered`` the refusal to move ``<ns>:current`` back to an older hour
  (versions start with ``YYYYMMDDTHH``), the pointer ``SET``, ``PERSIST`` of the version's head
  key when asked (the current feed never expires), ``EXPIRE`` of the previous version's head key
  to ``old_ttl_seconds``, and the ``PUBLISH`` of the notification on ``<ns>:<channel>``;
* the previous version's other keys (the recommendations' per-user keys) are given
  ``old_ttl_seconds`` after the switch, by a ``SCAN`` of their pattern.

Readers ``GET <ns>:current`` and read that version's keys: one whole version, never half of two.
Redis errors become :class:`PublishError` (the previous snapshot stays current).
"""
from __future__ import annotations

import json
from typing import Any, Iterable

from jobs.runner.faults import checkpoint
from keywords.errors import OutputError

__all__ = ["RedisSnapshot", "PublishError", "FencedOutError", "publish_recommendations", "SWITCH_SCRIPT"]

# KEYS: pointer, head key of the new version, notification channel, fence
# ARGV: version, old ttl, head-key prefix of versions, message, fence token ('' = none), fence ttl,
#       head-key suffix, persist the new head (1/0), hour-ordered (1/0)
SWITCH_SCRIPT = """
if ARGV[5] ~= '' then
  local seen = tonumber(redis.call('GET', KEYS[4]) or '0')
  if tonumber(ARGV[5]) < seen then
    return -1
  end
  redis.call('SET', KEYS[4], ARGV[5], 'EX', tonumber(ARGV[6]))
end
local current = redis.call('GET', KEYS[1])
if ARGV[9] == '1' and current and string.sub(current, 1, 11) > string.sub(ARGV[1], 1, 11) then
  return 0
end
redis.call('SET', KEYS[1], ARGV[1])
if ARGV[8] == '1' then
  redis.call('PERSIST', KEYS[2])
end
if current and current ~= ARGV[1] then
  redis.call('EXPIRE', ARGV[3] .. current .. ARGV[7], tonumber(ARGV[2]))
end
redis.call('PUBLISH', KEYS[3], ARGV[4])
return 1
"""


class PublishError(OutputError, RuntimeError):
    """Redis or the feed file could not be written; the previous feed is still in place."""


class FencedOutError(PublishError):
    """A newer lock holder has already published: this run's pointer switch was refused."""


class RedisSnapshot:
    """Versions under ``namespace``; see the module text. ``head`` names a version's head key
    (``"snapshot:{version}"`` for the feed, ``"{version}:meta"`` for the recommendations)."""

    def __init__(self, client, namespace: str, channel: str = "published", head: str = "snapshot:{version}",
                 ttl_seconds: int = 48 * 3600, old_ttl_seconds: int | None = None, fence_ttl_seconds: int = 600,
                 hour_ordered: bool = True, persist_head: bool = True):
        self.client = client
        self.namespace = namespace
        self.channel = channel
        self.head = head
        self.ttl_seconds = ttl_seconds
        self.old_ttl_seconds = ttl_seconds if old_ttl_seconds is None else old_ttl_seconds
        self.fence_ttl_seconds = fence_ttl_seconds
        self.hour_ordered = hour_ordered
        self.persist_head = persist_head
        self._switch = client.register_script(SWITCH_SCRIPT)

    def key(self, *parts: Any) -> str:
        return ":".join((self.namespace, *map(str, parts)))

    def head_key(self, version: str) -> str:
        return self.key(self.head.format(version=version))

    def current_version(self) -> str | None:
        value = self.client.get(self.key("current"))
        return value.decode() if isinstance(value, bytes) else value

    def write_hash(self, key: str, fields: dict[str, str]) -> None:
        """One hash, replaced whole in one MULTI/EXEC, with the snapshot TTL."""
        pipe = self.client.pipeline(transaction=True)
        pipe.delete(key)
        pipe.hset(key, mapping=fields)
        pipe.expire(key, self.ttl_seconds)
        pipe.execute()

    def write_strings(self, items: Iterable[tuple[str, str]], batch: int = 1000) -> int:
        """Many string keys with the snapshot TTL, pipelined ``batch`` at a time; returns the count."""
        n = 0
        pipe = self.client.pipeline(transaction=False)
        for key, value in items:
            pipe.set(key, value, ex=self.ttl_seconds)
            n += 1
            if n % batch == 0:
                pipe.execute()
        pipe.execute()
        return n

    def switch(self, version: str, message: dict, fence_token: int | None = None,
               previous_pattern: str | None = None) -> bool:
        """Point ``<ns>:current`` at ``version``; False if ``hour_ordered`` and a newer hour is current.

        ``previous_pattern`` (e.g. ``"{version}:*"``): the previous version's other keys, given
        ``old_ttl_seconds`` after the switch."""
        previous = self.current_version() if previous_pattern else None
        prefix, _, suffix = self.key(self.head).partition("{version}")
        switched = self._switch(
            keys=[self.key("current"), self.head_key(version), self.key(self.channel), self.key("fence")],
            args=[version, self.old_ttl_seconds, prefix, json.dumps(message, ensure_ascii=False),
                  "" if fence_token is None else str(int(fence_token)), max(1, int(self.fence_ttl_seconds)),
                  suffix, "1" if self.persist_head else "0", "1" if self.hour_ordered else "0"])
        checkpoint("redis:switched")
        if switched == -1:
            raise FencedOutError(f"redis publish of {version} refused: lock token {fence_token} is older "
                                 f"than the one that last switched {self.key('current')}")
        if switched == 1 and previous and previous != version and previous_pattern:
            for k in self.client.scan_iter(match=self.key(previous_pattern.format(version=previous)), count=1000):
                self.client.expire(k, self.old_ttl_seconds)
        return bool(switched)


def publish_recommendations(client, prefix: str, version: str, records: list[dict], meta: dict,
                            similar: list[dict] = (), fence_token: int | None = None,
                            fresh_ttl: int = 2 * 86400, old_ttl: int = 3600) -> bool:
    """The recommendation export in Redis, under ``<prefix>:reco``:
    ``<version>:user:<user_id>`` and ``<version>:item:<item_id>`` (JSON strings), ``<version>:meta``,
    then ``current`` switched and ``{"version", "n_users", "n_items"}`` published on ``notify``."""
    import redis

    snap = RedisSnapshot(client, f"{prefix}:reco", channel="notify", head="{version}:meta",
                         ttl_seconds=fresh_ttl, old_ttl_seconds=old_ttl, hour_ordered=False, persist_head=False)
    try:
        snap.write_strings((snap.key(version, "user", r["user_id"]), json.dumps(r, ensure_ascii=False))
                           for r in records)
        snap.write_strings((snap.key(version, "item", r["item_id"]), json.dumps(r, ensure_ascii=False))
                           for r in similar)
        snap.write_strings([(snap.head_key(version), json.dumps(meta, ensure_ascii=False, default=str))])
        checkpoint("redis:snapshot-written")
        return snap.switch(version, {"version": version, "n_users": len(records), "n_items": len(similar)},
                           fence_token=fence_token, previous_pattern="{version}:*")
    except redis.RedisError as exc:
        raise PublishError(f"redis export of recommendations {version} failed: "
                           f"{exc.__class__.__name__}: {exc}") from None
