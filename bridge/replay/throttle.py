"""A token bucket shared by the delivery threads: at most `rate` calls per second
overall, with bursts of at most `burst` calls."""
from __future__ import annotations

import threading
import time
from typing import Callable


class TokenBucket:
    """`take()` blocks until a call may be made. Thread-safe; `rate` None = no cap.
    `sleep` is time.sleep unless a test gives its own."""

    def __init__(self, rate: float | None, burst: float | None = None, *,
                 sleep: Callable[[float], None] = time.sleep):
        if rate is not None and rate <= 0:
            raise ValueError("rate must be greater than 0")
        self.rate = rate
        self.capacity = burst if burst is not None else max(1.0, rate or 1.0)
        self._sleep = sleep
        self._tokens = self.capacity
        self._stamp = time.monotonic()
        self._lock = threading.Lock()

    def take(self) -> None:
        """Wait for one token (returns at once when there is no cap)."""
        if self.rate is None:
            return
        while True:
            with self._lock:
                now = time.monotonic()
                self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                wait = (1 - self._tokens) / self.rate
            self._sleep(wait)  # outside the lock: other threads may refill meanwhile
