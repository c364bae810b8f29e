"""Slowing down and then refusing repeated bad button credentials from one address.

Every failed login from an address makes that address wait longer before its next
attempt is even looked at (a growing delay, capped; an attempt inside the delay gets
429 with Retry-After at once), and after `lockout_after` failures in a row the address
is refused (429) for `lockout_seconds`. Nothing sleeps in a server thread, so a flood
of bad logins cannot tie the bridge's threads up. A success
forgets the address. Memory is bounded: at most `max_addresses` addresses are kept,
the least recently seen are forgotten first, and quiet addresses expire after `window`.
"""
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Callable


@dataclass(frozen=True)
class ThrottlePolicy:
    """How hard repeated failures are slowed and refused."""

    free_failures: int = 2        # failures answered at once (typos happen)
    base_delay: float = 0.5       # seconds, doubled with each further failure
    max_delay: float = 4.0
    lockout_after: int = 10       # failures in a row before refusing
    lockout_seconds: float = 300.0
    window: float = 900.0         # a quiet address is forgotten after this long
    max_addresses: int = 10_000


@dataclass(frozen=True)
class Verdict:
    """What to do with a login attempt from one address."""

    refused: bool
    retry_after: int = 0          # seconds, when refused


@dataclass
class _Record:
    failures: int
    last_seen: float
    locked_until: float = 0.0
    not_before: float = 0.0       # the end of the delay after the last failure


class LoginThrottle:
    """Thread-safe per-address failure counter (see the module docstring)."""

    def __init__(self, policy: ThrottlePolicy = ThrottlePolicy(),
                 clock: Callable[[], float] = time.monotonic):
        self.policy = policy
        self._clock = clock
        self._lock = threading.Lock()
        self._records: OrderedDict[str, _Record] = OrderedDict()

    def check(self, address: str) -> Verdict:
        """Whether an attempt from `address` may be checked at all right now."""
        now = self._clock()
        with self._lock:
            rec = self._fresh(address, now)
            until = max(rec.locked_until, rec.not_before) if rec else 0.0
            if until > now:
                return Verdict(True, max(1, int(until - now + 0.999)))
        return Verdict(False)

    def failed(self, address: str) -> float:
        """Count a failure; returns the delay (seconds) before the address may try
        again (attempts inside it are refused by `check`)."""
        now = self._clock()
        p = self.policy
        with self._lock:
            rec = self._fresh(address, now) or _Record(0, now)
            rec.failures += 1
            rec.last_seen = now
            if rec.failures >= p.lockout_after:
                rec.locked_until = now + p.lockout_seconds
            self._records[address] = rec
            self._records.move_to_end(address)
            while len(self._records) > p.max_addresses:
                self._records.popitem(last=False)
            extra = rec.failures - p.free_failures
            delay = 0.0 if extra <= 0 else min(p.max_delay, p.base_delay * 2 ** (extra - 1))
            rec.not_before = now + delay
        return delay

    def succeeded(self, address: str) -> None:
        """Forget the failures of `address`."""
        with self._lock:
            self._records.pop(address, None)

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)

    def _fresh(self, address: str, now: float) -> _Record | None:
        rec = self._records.get(address)
        if rec is None:
            return None
        expired = now - rec.last_seen > self.policy.window and rec.locked_until <= now
        if expired:
            del self._records[address]
            return None
        return rec
