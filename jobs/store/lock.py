"""One run at a time: a lock row in the database with an owner, an expiry kept fresh by a
heartbeat, and a fencing token.

    >>> lock = RunLock(store.engine, ttl_seconds=300)          # doctest: +SKIP
    >>> with lock.held():                                       # LockBusyError if another holds it
    ...     store.save_hour(..., fence=lock.fence)              # the write checks the token  # doctest: +SKIP

The ``run_lock`` table has one row per lock name (``hourly``). Taking the lock is a
compare-and-set on that row: free (no owner), expired (the holder stopped heart-beating for
``ttl_seconds``) or held by a process on this host that no longer exists -> the row gets the new
owner and ``token + 1``. Anything else raises :class:`LockBusyError` naming the holder.

The token is the fence: :meth:`jobs.store.issue_store.IssueStore.save_hour` re-reads it inside its own
transaction (after its first write, so SQLite's write lock and PostgreSQL's ``FOR UPDATE`` order
it against a takeover) and refuses to commit when a newer holder has taken over — a process
that was paused past its expiry and woke up cannot overwrite the newer holder's hour.
Releasing clears the owner but keeps the token, so tokens only grow.
"""
from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from jobs.store.issue_store import StoreError, run_lock, utc_now
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


def default_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def owner_is_dead(owner: str | None) -> bool:
    """True when ``owner`` names a process on this host that no longer runs."""
    if not owner:
        return True
    host, _, rest = owner.partition(":")
    pid = rest.split(":", 1)[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class RunLock:
    def __init__(self, engine: sa.Engine, name: str = LOCK_NAME, ttl_seconds: float = 300,
                 owner: str | None = None, heartbeat_seconds: float | None = None):
        self.engine = engine
        self.name = name
        self.ttl_seconds = ttl_seconds
        self.owner = owner or default_owner()
        self.heartbeat_seconds = heartbeat_seconds or max(ttl_seconds / 3, 0.05)
        self.token: int | None = None
        self.lost = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def fence(self) -> Fence | None:
        return None if self.token is None else Fence(self.name, self.token)

    # ------------------------------------------------------------------ taking and giving back
    def acquire(self, wait_seconds: float = 0) -> int:
        """Take the lock (waiting up to ``wait_seconds``) and start the heartbeat; returns the token."""
        deadline = time.monotonic() + wait_seconds
        while True:
            try:
                self.token = self._try_take()
                break
            except LockBusyError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(min(1.0, max(0.05, deadline - time.monotonic())))
        self.lost = False
        self._stop.clear()
        self._thread = threading.Thread(target=self._beat, name=f"lock-heartbeat-{self.name}", daemon=True)
        self._thread.start()
        return self.token

    def _try_take(self) -> int:
        now = utc_now()
        expires = now + timedelta(seconds=self.ttl_seconds)
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
        except SQLAlchemyError as exc:
            raise StoreError(f"run lock: {exc.__class__.__name__}: {str(exc).splitlines()[0]}") from None

    def release(self) -> None:
        """Stop the heartbeat and free the row (only if it is still ours)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self.token is None:
            return
        token, self.token = self.token, None
        try:
            with self.engine.begin() as conn:
                conn.execute(run_lock.update().where(run_lock.c.name == self.name, run_lock.c.token == token)
                             .values(owner=None, expires_at=utc_now()))
        except SQLAlchemyError:
            pass  # the row expires by itself

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
        now = utc_now()
        try:
            with self.engine.begin() as conn:
                done = conn.execute(run_lock.update()
                                    .where(run_lock.c.name == self.name, run_lock.c.token == self.token)
                                    .values(heartbeat_at=now, expires_at=now + timedelta(seconds=self.ttl_seconds)))
        except SQLAlchemyError:
            return not self.lost      # a blip: try again at the next beat; the fence still guards writes
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
    with engine.connect() as conn:
        row = conn.execute(sa.select(run_lock).where(run_lock.c.name == name)).first()
    return None if row is None else dict(row._mapping)


def check_fence(conn, fence: Fence | None) -> None:
    """Inside a write transaction: refuse to go on if ``fence`` is no longer the lock's token."""
    if fence is None:
        return
    row = conn.execute(sa.select(run_lock.c.token, run_lock.c.owner).where(run_lock.c.name == fence.name)
                       .with_for_update()).first()
    if row is None or int(row.token) != fence.token:
        raise LockLostError(f"run lock {fence.name!r} now has token {row.token if row else None} "
                            f"(held by {row.owner if row else None}), this write had {fence.token}; refused")
