"""The login throttle: a growing delay, then a lockout, in bounded memory."""
from bridge.webbase.throttle import LoginThrottle, ThrottlePolicy


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


POLICY = ThrottlePolicy(free_failures=1, base_delay=0.5, max_delay=2.0, lockout_after=5,
                        lockout_seconds=60, window=300, max_addresses=3)


def test_failures_get_slower_then_the_address_is_refused_for_a_while():
    clock = Clock()
    t = LoginThrottle(POLICY, clock)
    delays = [t.failed("10.0.0.9") for _ in range(4)]
    assert delays == [0.0, 0.5, 1.0, 2.0]
    inside = t.check("10.0.0.9")                     # no attempt is looked at in the delay
    assert inside.refused and inside.retry_after == 2
    clock.now += 2
    assert not t.check("10.0.0.9").refused
    t.failed("10.0.0.9")
    verdict = t.check("10.0.0.9")
    assert verdict.refused and verdict.retry_after == 60
    assert not t.check("10.0.0.10").refused          # other addresses are not affected
    clock.now += 61
    assert not t.check("10.0.0.9").refused


def test_success_forgets_the_failures():
    t = LoginThrottle(POLICY, Clock())
    for _ in range(4):
        t.failed("a")
    t.succeeded("a")
    assert t.failed("a") == 0.0


def test_memory_is_bounded_by_forgetting_the_least_recent_addresses():
    clock = Clock()
    t = LoginThrottle(POLICY, clock)
    for n in range(100):
        t.failed(f"10.0.{n}.1")
    assert len(t) == 3
    clock.now += 301                                  # quiet addresses expire too
    assert not t.check("10.0.99.1").refused and len(t) == 2
