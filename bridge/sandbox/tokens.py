"""Bearer tokens the sandbox issues: random, kept in memory, each with its expiry."""
from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Token:
    value: str = field(repr=False)
    username: str
    created: int
    expires_in: int
    expires_at: float


class Tokens:
    def __init__(self):
        self._lock = threading.Lock()
        self._tokens: dict[str, Token] = {}
        self.issued = 0

    def issue(self, username: str, ttl: float) -> Token:
        now = time.time()
        token = Token(secrets.token_urlsafe(24), username, int(now), int(ttl), now + ttl)
        with self._lock:
            self._tokens[token.value] = token
            self.issued += 1
        return token

    def check(self, value: str) -> Token | None:
        """The live token with this value, or None (unknown or expired)."""
        with self._lock:
            token = self._tokens.get(value)
        if token is None or time.time() >= token.expires_at:
            return None
        return token

    def expire_all(self) -> None:
        with self._lock:
            self._tokens.clear()

    def values(self) -> list[str]:
        """The value of every token issued since the last expire_all (tests search logs,
        pages and files for them)."""
        with self._lock:
            return list(self._tokens)

    def live(self) -> int:
        now = time.time()
        with self._lock:
            return sum(1 for t in self._tokens.values() if t.expires_at > now)
