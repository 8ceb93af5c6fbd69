"""One run at a time: a lock row in the database with an owner, an expiry kept fresh by a
heartbeat, and a fencing token.

    >>> import sqlalchemy as sa
    >>> from jobs.store.migrate import upgrade_database
    >>> engine = sa.create_engine("sqlite://")
    >>> _ = upgrade_database(engine)         # the tables, from the migrations
    >>> clock = FakeClock(1_777_000_000)     # tests pass a clock; the default is time.time
    >>> a = RunLock(engine, ttl_seconds=300, owner="host-a:101:aa", clock=clock, heartbeat_seconds=3600)
    >>> a.acquire()
    1
    >>> RunLock(engine, owner="host-b:202:bb", clock=clock).acquire()
    Traceback (most recent call last):
    ...
    jobs.store.lock.LockBusyError: another run holds the lock: host-a:101:aa until 2026-04-24T03:11:40Z unless it heart-beats
    >>> clock.advance(301)                   # host-a stopped heart-beating: its lock expired
    >>> b = RunLock(engine, owner="host-b:202:bb", clock=clock, heartbeat_seconds=3600)
    >>> b.acquire(), a.heartbeat(), a.lost   # b takes it over with the next token; a learns it lost
    (2, False, True)
    >>> b.release()
    >>> lock_state(lock_holder(engine), clock)["state"]
    'free'

The ``run_lock`` table has one row per lock name (``hourly``). Taking the lock is a
compare-and-set on that row: free (no owner), expired (the holder stopped heart-beating for
``ttl_seconds``) or held by a process on this host that no longer exists -> the row gets the new
owner and ``token + 1``. Anything else raises :class:`LockBusyError` naming the holder.

The token is the fence: :meth:`jobs.store.issue_store.IssueStore.save_hour` re-reads it inside its own
transaction (after its first write, so SQLite's write lock and PostgreSQL's ``FOR UPDATE`` order
it against a takeover) and refuses to commit when a newer holder has taken over — a process
that was paused past its expiry and woke up cannot overwrite the newer holder's hour.
Releasing clears the owner but keeps the token, so tokens only grow.

Time comes from ``clock`` (a callable returning seconds since the epoch, :func:`time.time` by
default) and waiting goes through ``sleep``, so tests move time with a :class:`FakeClock` instead
of sleeping past real TTLs. Only the heartbeat thread's period is wall-clock time.
"""
from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from jobs.store.errors import StoreError, database_errors
from jobs.store.schema import run_lock
from keywords.errors import BusyError

LOCK_NAME = "hourly"


class LockBusyError(BusyError, RuntimeError):
    """Another process holds the run lock; the message names it and until when it is valid."""

    def __init__(self, holder: str, expires_at: datetime | None):
        self.holder, self.expires_at = holder, expires_at
        until = f" until {expires_at:%Y-%m-%dT%H:%M:%S}Z unless it heart-beats" if expires_at else ""
        super().__init__(f"another run holds the lock: {holder}{until}")


class LockLostError(BusyError, RuntimeError):
    """This process's lock was taken over (it stopped heart-beating); its writes are refused."""


@dataclass(frozen=True)
class Fence:
    """What a fenced write checks: the lock row ``name`` still carries ``token``."""

    name: str
    token: int


class FakeClock:
    """A clock for tests: ``clock()`` is the time, :meth:`sleep` and :meth:`advance` move it.

    >>> clock = FakeClock(100.0)
    >>> clock.sleep(2.5); clock()
    102.5
    """

    def __init__(self, start: float = 0.0):
        self.now = float(start)

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    sleep = advance


def as_db_time(epoch_seconds: float) -> datetime:
    """Seconds since the epoch as the naive UTC datetime the lock row stores."""
    return datetime.fromtimestamp(epoch_seconds, timezone.utc).replace(tzinfo=None)


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_pid(owner: str | None) -> tuple[str, int | None]:
    """``(host, pid)`` of an owner string ``host:pid:nonce`` (pid None if it has none)."""
    host, _, rest = (owner or "").partition(":")
    pid = rest.split(":", 1)[0]
    return host, int(pid) if pid.isdigit() else None


def owner_is_dead(owner: str | None) -> bool:
    """True when ``owner`` names a process on this host that no longer runs."""
    if not owner:
        return True
    host, pid = owner_pid(owner)
    if host != socket.gethostname() or pid is None:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class RunLock:
    """The run lock of one database; ``clock`` returns seconds since the epoch (default
    :func:`time.time`), ``sleep`` waits (default :func:`time.sleep`) while :meth:`acquire` waits."""

    def __init__(self, engine: sa.Engine, name: str = LOCK_NAME, ttl_seconds: float = 300,
                 owner: str | None = None, heartbeat_seconds: float | None = None,
                 clock: Callable[[], float] = time.time, sleep: Callable[[float], None] | None = None):
        self.engine = engine
        self.name = name
        self.ttl_seconds = ttl_seconds
        self.owner = owner or default_owner()
        self.heartbeat_seconds = heartbeat_seconds or max(ttl_seconds / 3, 0.05)
        self.clock = clock
        self.sleep = sleep or getattr(clock, "sleep", None) or time.sleep
        self.token: int | None = None
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def fence(self) -> Fence | None:
        return None if self.token is None else Fence(self.name, self.token)

    def _now(self) -> datetime:
        return as_db_time(self.clock())

    def _errors(self, doing: str):
        return database_errors(self.engine.url, f"{doing} the run lock {self.name!r}")

    # ------------------------------------------------------------------ taking and giving back
    def acquire(self, wait_seconds: float = 0) -> int:
        """Take the lock (waiting up to ``wait_seconds``) and start the heartbeat; returns the token."""
        deadline = self.clock() + wait_seconds
        while True:
            try:
                self.token = self._try_take()
                break
            except LockBusyError:
                left = deadline - self.clock()
                if left <= 0:
                    raise
                self.sleep(min(1.0, max(0.05, left)))
        self.lost = False
        self._stop.clear()
        self._thread = threading.Thread(target=self._beat, name=f"lock-heartbeat-{self.name}", daemon=True)
        self._thread.start()
        return self.token

    def _try_take(self) -> int:
        now = self._now()
        expires = now + timedelta(seconds=self.ttl_seconds)
        with self._errors("taking"):
            try:
                with self.engine.begin() as conn:
                    row = conn.execute(sa.select(run_lock).where(run_lock.c.name == self.name)
                                       .with_for_update()).first()
                    if row is None:
                        conn.execute(run_lock.insert().values(name=self.name, owner=self.owner, token=1,
                                                              acquired_at=now, heartbeat_at=now, expires_at=expires))
                        return 1
                    if row.owner and row.owner != self.owner and row.expires_at and row.expires_at > now \
                            and not owner_is_dead(row.owner):
                        raise LockBusyError(row.owner, row.expires_at)
                    token = int(row.token) + 1
                    done = conn.execute(run_lock.update()
                                        .where(run_lock.c.name == self.name, run_lock.c.token == row.token)
                                        .values(owner=self.owner, token=token, acquired_at=now,
                                                heartbeat_at=now, expires_at=expires))
                    if done.rowcount != 1:
                        raise LockBusyError("a process that took it a moment ago", None)
                    return token
            except IntegrityError:
                raise LockBusyError("a process that took it a moment ago", None) from None

    def release(self) -> None:
        """Stop the heartbeat and free the row (only if it is still ours)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self.token is None:
            return
        token, self.token = self.token, None
        with contextlib.suppress(StoreError):         # the row expires by itself
            with self._errors("releasing"), self.engine.begin() as conn:
                conn.execute(run_lock.update().where(run_lock.c.name == self.name, run_lock.c.token == token)
                             .values(owner=None, expires_at=self._now()))

    @contextlib.contextmanager
    def held(self, wait_seconds: float = 0):
        self.acquire(wait_seconds)
        try:
            yield self
        finally:
            self.release()

    # ------------------------------------------------------------------ while holding
    def heartbeat(self) -> bool:
        """Push the expiry forward; False (and ``lost``) if another process has taken the lock."""
        if self.token is None:
            return False
        now = self._now()
        try:
            with self._errors("renewing"), self.engine.begin() as conn:
                done = conn.execute(run_lock.update()
                                    .where(run_lock.c.name == self.name, run_lock.c.token == self.token)
                                    .values(heartbeat_at=now, expires_at=now + timedelta(seconds=self.ttl_seconds)))
        except StoreError:              # a blip: try again at the next beat; the fence still guards writes
            return not self.lost
        if done.rowcount != 1:
            self.lost = True
        return not self.lost

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_seconds):
            if not self.heartbeat():
                return

    def check(self) -> None:
        """Raise :class:`LockLostError` if the lock is no longer ours."""
        if self.token is None or self.lost:
            raise LockLostError(f"run lock {self.name!r} was taken over; this run's writes are refused")


def lock_holder(engine: sa.Engine, name: str = LOCK_NAME) -> dict | None:
    """The lock row as a dict (owner None when free), or None if no run ever took it."""
    with database_errors(engine.url, f"reading the run lock {name!r}"), engine.connect() as conn:
        row = conn.execute(sa.select(run_lock).where(run_lock.c.name == name)).first()
    return None if row is None else dict(row._mapping)


def lock_state(row: dict | None, clock: Callable[[], float] = time.time) -> dict:
    """The lock row read as an operator needs it: ``state`` is ``never`` (no run ever took it),
    ``free``, ``held`` (a live holder within its expiry), ``expired`` (the holder stopped
    heart-beating past its expiry) or ``dead`` (its process on this host is gone); the next run
    takes an expired or dead lock over at once. The row's fields and the holder's ``host`` and
    ``pid`` come with it."""
    if row is None:
        return {"state": "never"}
    host, pid = owner_pid(row.get("owner"))
    out = {**row, "host": host or None, "pid": pid}
    if not row.get("owner"):
        state = "free"
    elif owner_is_dead(row["owner"]):
        state = "dead"
    elif row.get("expires_at") is not None and row["expires_at"] <= as_db_time(clock()):
        state = "expired"
    else:
        state = "held"
    return {"state": state, **out}


def check_fence(conn, fence: Fence | None) -> None:
    """Inside a write transaction: refuse to go on if ``fence`` is no longer the lock's token."""
    if fence is None:
        return
    row = conn.execute(sa.select(run_lock.c.token, run_lock.c.owner).where(run_lock.c.name == fence.name)
                       .with_for_update()).first()
    if row is None or int(row.token) != fence.token:
        raise LockLostError(f"run lock {fence.name!r} now has token {row.token if row else None} "
                            f"(held by {row.owner if row else None}), this write had {fence.token}; refused")
