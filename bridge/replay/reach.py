"""Whether Astro takes a replay's calls, and the client a replay sends them with.

When Astro cannot be reached, a replay says so once, plainly:

    error: cannot reach Astro at http://127.0.0.1:8765/api/json: connection refused

and after `give_up_after` calls in a row were not sent (20 by default) it stops; the
run says how to resume. A call Astro answered in any way (even with an error, or a
lost answer) means it is reachable and starts the count again. A 429 is Astro asking
to slow down, not Astro being away: it does not count.
"""
from __future__ import annotations

import threading
from typing import Callable

from bridge.astro import AstroClient, NotSent, RateLimited
from bridge.replay.throttle import TokenBucket


class Reach:
    """Counts the calls in a row Astro did not take. `say(text)` tells the user (once per
    outage); `give_up()` is called once, when `give_up_after` calls in a row were not
    sent. Thread-safe."""

    def __init__(self, base_url: str, give_up_after: int, *, say: Callable[[str], None],
                 give_up: Callable[[], None]):
        self.base_url, self.give_up_after = base_url, give_up_after
        self._say, self._give_up = say, give_up
        self._lock = threading.Lock()
        self.streak = 0              # calls in a row not sent
        self.calls = 0               # calls made (each with its own resends)
        self.given_up = False
        self.last_error: str | None = None

    @property
    def down(self) -> bool:
        """The last call was not sent."""
        return self.streak > 0

    def sent(self) -> None:
        with self._lock:
            self.calls += 1
            self.streak = 0

    def unsent(self, error: NotSent) -> None:
        with self._lock:
            self.calls += 1
            self.streak += 1
            first, self.last_error = self.streak == 1, self.problem(error)
            stop = self.streak >= self.give_up_after and not self.given_up
            if stop:
                self.given_up = True
        if first:
            self._say(f"error: {self.last_error}")
        if stop:
            self._give_up()

    def problem(self, error: NotSent) -> str:
        """`cannot reach Astro at URL: connection refused` or what Astro did instead."""
        if error.reason:
            return f"cannot reach Astro at {self.base_url}: {error.reason}"
        return f"Astro at {self.base_url} did not take the call ({error})"


class ReplayClient(AstroClient):
    """The AstroClient of a replay run: each call (as delivery makes them) first takes a
    token from a bucket shared by all delivery threads (`--rate`), and tells `reach`
    whether it was sent. Once the run gave up, no call is made any more."""

    def __init__(self, *args, bucket: TokenBucket, reach: Reach, **kwargs):
        super().__init__(*args, **kwargs)
        self._bucket, self._reach = bucket, reach

    def call(self, endpoint, payload=None):
        if self._reach.given_up:
            raise NotSent(f"{endpoint}: not sent, the run is stopping", endpoint=endpoint)
        self._bucket.take()
        try:
            answer = super().call(endpoint, payload)
        except RateLimited:
            self._reach.sent()       # Astro answered: slow down, not away
            raise
        except NotSent as e:
            self._reach.unsent(e)
            raise
        except Exception:
            self._reach.sent()
            raise
        self._reach.sent()
        return answer
