"""Operator passwords and console sessions.

Rules:

* A stored password is ``scrypt$N$r$p$SALT$HASH`` (salt and hash in
  URL-safe base64), made by :func:`hash_password` or
  ``carrier-gateway console hash-password``; the plain password is never
  stored or logged.  Comparison is constant-time.
* A successful check is remembered per (user, SHA-256 of the password) so a
  script polling with HTTP Basic does not pay for scrypt on every request.
* A session is a random 32-byte token that expires ``ttl`` seconds after
  its last use; at most ``max_sessions`` live at once (oldest dropped).
  Time comes from the clock passed in.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
from typing import Mapping

SCHEME = "scrypt"
N, R, P = 1 << 14, 8, 1  # 16 MiB of memory per hash (N * R * 128 bytes)
SALT_BYTES, HASH_BYTES = 16, 32


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    salt = os.urandom(SALT_BYTES) if salt is None else salt
    digest = hashlib.scrypt(password.encode(), salt=salt, n=N, r=R, p=P, dklen=HASH_BYTES)
    return f"{SCHEME}${N}${R}${P}${_b64(salt)}${_b64(digest)}"


def check_hash_format(stored: str) -> str | None:
    """None when *stored* is a hash we can verify, else what is wrong with it."""
    parts = stored.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        return "must be a scrypt$N$r$p$salt$hash string (carrier-gateway console hash-password)"
    try:
        n, r, p = (int(x) for x in parts[1:4])
        _unb64(parts[4]), _unb64(parts[5])
    except ValueError:
        return "has a malformed number or base64 field"
    if n < 2 or n & (n - 1) or r < 1 or p < 1:
        return "has bad scrypt parameters"
    return None


def verify_password(password: str, stored: str) -> bool:
    if check_hash_format(stored) is not None:
        return False
    _, n, r, p, salt, digest = stored.split("$")
    expected = _unb64(digest)
    got = hashlib.scrypt(password.encode(), salt=_unb64(salt), n=int(n), r=int(r), p=int(p),
                         dklen=len(expected), maxmem=256 << 20)
    return hmac.compare_digest(got, expected)


class Operators:
    """The ``[console] users`` table: user name -> stored hash."""

    def __init__(self, users: Mapping[str, str]):
        self._users = dict(users)
        self._verified: set[tuple[str, bytes, str]] = set()

    def __contains__(self, user: str) -> bool:
        return user in self._users

    def check(self, user: str, password: str) -> bool:
        stored = self._users.get(user)
        if stored is None:
            return False
        key = (user, hashlib.sha256(password.encode()).digest(), stored)
        if key in self._verified:
            return True
        if not verify_password(password, stored):
            return False
        if len(self._verified) > 1024:
            self._verified.clear()
        self._verified.add(key)
        return True


class Sessions:
    def __init__(self, clock, *, ttl: float = 12 * 3600.0, max_sessions: int = 1000):
        self.clock = clock
        self.ttl = ttl
        self.max_sessions = max_sessions
        self._live: dict[str, tuple[str, float]] = {}  # token -> (user, expires), oldest first

    def open(self, user: str) -> str:
        token = _b64(os.urandom(32))
        while len(self._live) >= self.max_sessions:
            del self._live[next(iter(self._live))]
        self._live[token] = (user, self.clock.seconds() + self.ttl)
        return token

    def user(self, token: str | None) -> str | None:
        """The session's user (and its expiry moved on), or None."""
        if not token:
            return None
        found = self._live.pop(token, None)
        if found is None:
            return None
        user, expires = found
        now = self.clock.seconds()
        if now >= expires:
            return None
        self._live[token] = (user, now + self.ttl)
        return user

    def close(self, token: str | None) -> None:
        self._live.pop(token or "", None)
