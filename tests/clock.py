"""Time in tests, independent of the machine's speed: a clock a test moves by hand, for
the parts that take one (the login throttles, the verified-password cache), and a
bounded wait for something another thread or process does."""
import time


class ManualClock:
    """Callable like time.monotonic; stands still until `advance`."""

    def __init__(self, start: float = 1000.0):
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def wait_until(predicate, what: str, timeout: float = 15.0):
    """Poll `predicate` until it gives a true value, and return that value. The timeout
    is only there so a broken test ends: fail with `what` when it passes."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
