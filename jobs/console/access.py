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

Passwords are hashed with scrypt (:mod:`werkzeug.security`, the standard library's
``hashlib.scrypt``) and checked in constant time; a file with a plain-text password, an unknown
key or role is refused with the file and the reason.
"""
from __future__ import annotations

import ipaddress
import secrets
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from keywords.errors import InputError

ROLES = ("editor", "viewer")
_KEYS = {"auth", "proxy_header", "trusted_proxies", "proxy_default_role", "secret_key_file", "secure_cookies", "users"}


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
    return ConsoleConfig(auth, users, str(data.get("proxy_header", "X-Portal-User")), proxies, default_role,
                         secret, bool(data.get("secure_cookies", False)))


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
