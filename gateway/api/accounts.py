"""API accounts: sid → keyed hash of the auth token, never the token itself.

Tokens are hashed with HMAC-SHA256 under a random per-process key at load,
and a presented token is hashed the same way and compared with
``hmac.compare_digest`` (constant time).  An unknown sid is compared against a
dummy hash so that its timing matches a wrong token.  ``replace()`` swaps the
whole table at once (SIGHUP reload).
"""
from __future__ import annotations

import hashlib
import hmac
import os
from typing import Iterable


class Accounts:
    def __init__(self, pairs: Iterable[tuple[str, str]] = ()) -> None:
        self._key = os.urandom(32)
        self._dummy = self._digest(os.urandom(16).hex())
        self._hashes: dict[str, bytes] = {}
        self.replace(pairs)

    @classmethod
    def from_config(cls, accounts) -> "Accounts":
        """From config objects with ``.sid`` and ``.auth_token``."""
        return cls((a.sid, a.auth_token) for a in accounts)

    def _digest(self, token: str) -> bytes:
        return hmac.new(self._key, token.encode("utf-8"), hashlib.sha256).digest()

    def replace(self, pairs: Iterable[tuple[str, str]]) -> None:
        self._hashes = {sid: self._digest(token) for sid, token in pairs}

    def check(self, sid: str, token: str) -> bool:
        hashes = self._hashes
        expected = hashes.get(sid, self._dummy)
        return hmac.compare_digest(expected, self._digest(token)) and sid in hashes

    def __contains__(self, sid: str) -> bool:
        return sid in self._hashes

    def __len__(self) -> int:
        return len(self._hashes)

    def __repr__(self) -> str:
        return f"Accounts({sorted(self._hashes)!r})"
