"""Who may use the console: users with hashed passwords in a TOML file, or the portal's proxy header.

    >>> config = parse_console_config('''
    ... auth = "password"
    ... [users.kim]
    ... password_hash = "%s"
    ... role = "editor"
    ... ''' % hash_password("s3cret"), "console.toml")
    >>> config.authenticate("kim", "s3cret"), config.authenticate("kim", "wrong")
    (User(name='kim', role='editor'), None)

The file (``issuewire console --users FILE``)::

    auth = "password"              # or "proxy": the portal's reverse proxy has logged the user in
    proxy_header = "X-Portal-User" # proxy mode: the header naming the user
    trusted_proxies = ["127.0.0.1"]   # proxy mode: the header is believed only from these addresses
    proxy_default_role = "viewer"  # proxy mode: role of a user not listed below ("none" = refused)
    secret_key_file = "/var/lib/issuewire/console.key"   # signs session cookies; default: new per start
    secure_cookies = false         # true when served over HTTPS

    [users.kim]
    password_hash = "scrypt:32768:8:1$..."   # `issuewire console --hash-password` prints one
    role = "editor"                          # editor: may change the override file; viewer: reads

Failed logins are throttled (:class:`LoginThrottle`): after ``login_attempts`` failures (5) from one
address or for one user name within ``login_window_minutes`` (10), further logins from that
address or for that user are refused with HTTP 429 until the window has moved past them::

    login_attempts = 5             # failed logins before a cool-down (per address and per user name)
    login_window_minutes = 10      # ... within this many minutes; the cool-down lasts until they age out

Passwords are hashed with scrypt (:mod:`werkzeug.security`, the standard library's
``hashlib.scrypt``) and checked in constant time; a file with a plain-text password, an unknown
key or role is refused with the file and the reason.
"""
from __future__ import annotations

import ipaddress
import secrets
import threading
import tomllib
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from pathlib import Path

from keywords.errors import InputError

ROLES = ("editor", "viewer")
_KEYS = {"auth", "proxy_header", "trusted_proxies", "proxy_default_role", "secret_key_file", "secure_cookies", "users",
         "login_attempts", "login_window_minutes"}


class ConsoleConfigError(InputError, ValueError):
    """The console's users file is invalid; the message names the file."""


@dataclass(frozen=True)
class User:
    name: str
    role: str

    @property
    def can_edit(self) -> bool:
        return self.role == "editor"


@dataclass(frozen=True)
class ConsoleConfig:
    auth: str = "password"
    users: dict[str, tuple[str | None, str]] = field(default_factory=dict)   # name -> (hash, role)
    proxy_header: str = "X-Portal-User"
    trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")
    proxy_default_role: str = "viewer"
    secret_key: bytes = field(default_factory=lambda: secrets.token_bytes(32), repr=False)
    secure_cookies: bool = False
    login_attempts: int = 5
    login_window_minutes: int = 10

    def authenticate(self, name: str, password: str) -> User | None:
        """The user if the password matches its hash (a wrong name costs the same time)."""
        from werkzeug.security import check_password_hash

        stored, role = self.users.get(name, (None, "viewer"))
        ok = check_password_hash(stored or _DUMMY_HASH, password or "")
        return User(name, role) if ok and stored else None

    def proxy_user(self, header_value: str | None, remote_addr: str | None) -> User | None:
        """The user named by the proxy header, if the request came from a trusted proxy."""
        if not header_value or not _trusted(remote_addr, self.trusted_proxies):
            return None
        name = header_value.strip()
        if not name or len(name) > 200 or not name.isprintable():
            return None
        if name in self.users:
            return User(name, self.users[name][1])
        return None if self.proxy_default_role == "none" else User(name, self.proxy_default_role)


class LoginThrottle:
    """Failed logins per client address and per user name in a sliding window: once either has
    ``attempts`` failures within ``window_seconds``, its logins are refused until the oldest ages out.

    >>> throttle = LoginThrottle(attempts=2, window_seconds=600)
    >>> throttle.failed("10.0.0.9", "kim", now=0.0), throttle.failed("10.0.0.9", "kim", now=60.0)
    (False, True)
    >>> throttle.retry_after("10.0.0.9", "lee", now=120.0)      # the address is locked, whoever it tries
    480
    >>> throttle.retry_after("10.0.0.7", "kim", now=120.0)      # so is the user, from anywhere
    480
    >>> throttle.retry_after("10.0.0.7", "kim", now=601.0)      # the first failure aged out

    The time is passed in (the console's clock), so tests never wait. State is in memory, per console
    process; at most ``max_keys`` addresses and names are tracked (the least recently failed are
    forgotten first), so a flood of invented user names cannot fill the memory.
    """

    def __init__(self, attempts: int = 5, window_seconds: float = 600.0, max_keys: int = 10000):
        self.attempts, self.window, self.max_keys = attempts, float(window_seconds), max_keys
        self._failures: OrderedDict[tuple[str, str], deque] = OrderedDict()
        self._lock = threading.Lock()

    def _keys(self, address: str | None, name: str) -> list[tuple[str, str]]:
        return [("address", address or "?"), ("user", name)]

    def _recent(self, key: tuple[str, str], now: float) -> deque:
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times

    def retry_after(self, address: str | None, name: str, now: float) -> int | None:
        """Seconds until a login from ``address`` for ``name`` is allowed again; None if it is now."""
        with self._lock:
            waits = [times[-self.attempts] + self.window - now for key in self._keys(address, name)
                     if len(times := self._recent(key, now)) >= self.attempts]
        return int(max(waits) + 0.999) if waits else None

    def failed(self, address: str | None, name: str, now: float) -> bool:
        """Count a failed login; True if it reached the limit (the start of a cool-down)."""
        locked = False
        with self._lock:
            for key in self._keys(address, name):
                times = self._recent(key, now)
                times.append(now)
                self._failures[key] = times
                self._failures.move_to_end(key)
                locked |= len(times) == self.attempts
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)
        return locked

    def succeeded(self, name: str) -> None:
        """A good password clears the user's failures (not the address's)."""
        with self._lock:
            self._failures.pop(("user", name), None)


def _trusted(address: str | None, networks: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(n, strict=False) for n in networks)


def hash_password(password: str) -> str:
    """A scrypt hash for the users file."""
    from werkzeug.security import generate_password_hash

    return generate_password_hash(password, method="scrypt")


_DUMMY_HASH = hash_password(secrets.token_hex(8))


def parse_console_config(text: str, path: str = "<console.toml>") -> ConsoleConfig:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConsoleConfigError(f"{path}: not valid TOML: {exc}") from None
    unknown = set(data) - _KEYS
    if unknown:
        raise ConsoleConfigError(f"{path}: unknown key(s) {', '.join(sorted(unknown))}")
    auth = data.get("auth", "password")
    if auth not in ("password", "proxy"):
        raise ConsoleConfigError(f"{path}: auth must be 'password' or 'proxy', not {auth!r}")
    users: dict[str, tuple[str | None, str]] = {}
    for name, entry in (data.get("users") or {}).items():
        if not isinstance(entry, dict) or set(entry) - {"password_hash", "role"}:
            raise ConsoleConfigError(f"{path}: [users.{name}] takes password_hash and role")
        role = entry.get("role", "viewer")
        if role not in ROLES:
            raise ConsoleConfigError(f"{path}: [users.{name}] role must be one of {', '.join(ROLES)}")
        hashed = entry.get("password_hash")
        if hashed is not None and (not isinstance(hashed, str) or not hashed.startswith(("scrypt:", "pbkdf2:"))):
            raise ConsoleConfigError(f"{path}: [users.{name}] password_hash is not a hash "
                                     f"(make one with `issuewire console --hash-password`)")
        if hashed is None and auth == "password":
            raise ConsoleConfigError(f"{path}: [users.{name}] needs password_hash (auth = 'password')")
        users[str(name)] = (hashed, role)
    default_role = data.get("proxy_default_role", "viewer")
    if default_role not in ROLES + ("none",):
        raise ConsoleConfigError(f"{path}: proxy_default_role must be editor, viewer or none")
    proxies = tuple(data.get("trusted_proxies", ("127.0.0.1", "::1")))
    for network in proxies:
        try:
            ipaddress.ip_network(network, strict=False)
        except ValueError:
            raise ConsoleConfigError(f"{path}: trusted_proxies: {network!r} is not an address or network") from None
    secret = secrets.token_bytes(32)
    if data.get("secret_key_file"):
        key_path = Path(data["secret_key_file"])
        if not key_path.exists():
            key_path.write_bytes(secrets.token_hex(32).encode())
            key_path.chmod(0o600)
        secret = key_path.read_bytes().strip()
    limits = {}
    for key, default in (("login_attempts", 5), ("login_window_minutes", 10)):
        value = data.get(key, default)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 10000:
            raise ConsoleConfigError(f"{path}: {key} must be a whole number from 1 to 10000, not {value!r}")
        limits[key] = value
    return ConsoleConfig(auth, users, str(data.get("proxy_header", "X-Portal-User")), proxies, default_role,
                         secret, bool(data.get("secure_cookies", False)), **limits)


def load_console_config(path: str | Path | None) -> ConsoleConfig:
    """The users file; without one nobody can log in (say so at start)."""
    if not path:
        return ConsoleConfig()
    try:
        return parse_console_config(Path(path).read_text(encoding="utf-8"), str(path))
    except FileNotFoundError:
        raise ConsoleConfigError(f"{path}: users file not found") from None
    except UnicodeDecodeError:
        raise ConsoleConfigError(f"{path}: not valid UTF-8") from None
