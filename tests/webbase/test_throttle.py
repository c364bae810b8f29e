"""The login throttle: guesses per (address, user) by distinct wrong password, a growing
delay, then a lockout, in bounded memory, never keeping a password."""
import gc

from bridge.webbase.throttle import LoginThrottle, ThrottlePolicy


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


POLICY = ThrottlePolicy(free_failures=1, base_delay=0.5, max_delay=2.0, lockout_after=5,
                        lockout_seconds=60, window=300, max_addresses=3, max_users=2,
                        recheck_seconds=100)


def test_guesses_get_slower_then_the_user_is_refused_for_a_while():
    clock = Clock()
    t = LoginThrottle(POLICY, clock)
    delays = [t.failed("10.0.0.9", "demo", f"guess-{n}") for n in range(4)]
    assert delays == [0.0, 0.5, 1.0, 2.0]
    inside = t.check("10.0.0.9", "demo", "guess-4")  # no new guess is looked at in the delay
    assert inside.refused and inside.retry_after == 2
    clock.now += 2
    assert not t.check("10.0.0.9", "demo", "guess-4").refused
    t.failed("10.0.0.9", "demo", "guess-4")
    verdict = t.check("10.0.0.9", "demo", "right")
    assert verdict.refused and verdict.retry_after == 60
    assert not t.check("10.0.0.10", "demo", "right").refused   # other addresses: not held
    assert not t.check("10.0.0.9", "front", "right").refused   # nor other users there
    clock.now += 61
    assert not t.check("10.0.0.9", "demo", "right").refused


def test_the_same_wrong_password_again_is_no_new_guess_and_is_known_without_a_check():
    clock = Clock()
    t = LoginThrottle(POLICY, clock)
    checks = []

    def wrong():
        checks.append(1)
        return False

    for _ in range(50):                               # a till set up wrong, clicked all day
        attempt = t.attempt("10.0.0.9", "demo", "typo", wrong)
        assert not attempt.ok and attempt.retry_after == 0
        clock.now += 1
    assert len(checks) == 1                           # answered from memory after the first
    assert t.attempt("10.0.0.9", "demo", "right", lambda: True).ok   # the other tills
    clock.now += 101                                  # checked for real again after a while,
    t.attempt("10.0.0.9", "demo", "typo", wrong)      # and still no new guess
    assert len(checks) == 2
    assert t.attempt("10.0.0.9", "demo", "right", lambda: True).ok


def test_a_success_forgets_the_guesses_but_not_the_known_wrong_passwords():
    t = LoginThrottle(POLICY, Clock())
    for n in range(4):
        t.failed("a", "demo", f"guess-{n}")
    assert t.check("a", "demo", "right").refused
    t.succeeded("a", "demo")
    assert not t.check("a", "demo", "right").refused
    assert t.check("a", "demo", "guess-0").known_wrong
    assert t.failed("a", "demo", "guess-9") == 0.0    # counting starts again


def test_inventing_user_names_cannot_push_a_lockout_out_nor_grow_memory():
    clock = Clock()
    t = LoginThrottle(POLICY, clock)
    for n in range(5):
        t.failed("10.0.0.9", "demo", f"guess-{n}")
    for n in range(1000):
        t.failed("10.0.0.9", f"user-{n}", "x")
    assert t.check("10.0.0.9", "demo", "right").refused
    users = t._records["10.0.0.9"].users
    assert len(users) == POLICY.max_users + 1         # further names share one record
    assert all(len(g.wrong) <= POLICY.lockout_after for g in users.values())


def test_memory_is_bounded_by_forgetting_the_least_recent_addresses():
    clock = Clock()
    t = LoginThrottle(POLICY, clock)
    for n in range(100):
        t.failed(f"10.0.{n}.1", "demo", "x")
    assert len(t) == 3
    clock.now += 301                                  # quiet addresses expire too
    assert not t.check("10.0.99.1", "demo", "y").refused and len(t) == 2


def test_no_wrong_password_is_kept_in_memory():
    t = LoginThrottle(POLICY, Clock())
    secret = "Zq-wrong-" + "pass" * 3
    t.failed("10.0.0.9", "demo", secret)
    t.failed("10.0.0.9", "demo", secret + "2")
    held = [o for o in _everything(t) if isinstance(o, (str, bytes))]
    assert any(isinstance(o, bytes) and len(o) == 32 for o in held)   # the digests
    assert not any(secret in (o if isinstance(o, str) else o.decode("latin-1"))
                   for o in held)


def _everything(t):
    """The objects the throttle holds, all the way down."""
    seen, todo = {}, [t.__dict__]
    while todo:
        obj = todo.pop()
        if id(obj) in seen or isinstance(obj, (type, type(len))):
            continue
        seen[id(obj)] = obj
        todo.extend(gc.get_referents(obj))
    return list(seen.values())
