"""The login throttle: guesses per (address, user) by distinct wrong password, a growing
delay, then a lockout, kept bounded in the journal (shared by every bridge on it),
never keeping a password."""
import pytest

from bridge.journal import Journal
from bridge.webbase.throttle import LoginThrottle, ThrottlePolicy


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


POLICY = ThrottlePolicy(free_failures=1, base_delay=0.5, max_delay=2.0, lockout_after=5,
                        lockout_seconds=60, window=300, max_addresses=3, max_users=2,
                        recheck_seconds=100)


@pytest.fixture
def journal(tmp_path):
    with Journal(tmp_path / "journal.db") as j:
        yield j


@pytest.fixture
def throttle(journal):
    """throttle(clock) -> a LoginThrottle of POLICY on the test's journal."""
    return lambda clock: LoginThrottle(journal, POLICY, clock, key=b"k" * 32)


def test_guesses_get_slower_then_the_user_is_refused_for_a_while(throttle):
    clock = Clock()
    t = throttle(clock)
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


def test_the_same_wrong_password_again_is_no_new_guess_and_is_known_without_a_check(throttle):
    clock = Clock()
    t = throttle(clock)
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


def test_a_success_forgets_the_guesses_but_not_the_known_wrong_passwords(throttle):
    t = throttle(Clock())
    for n in range(4):
        t.failed("a", "demo", f"guess-{n}")
    assert t.check("a", "demo", "right").refused
    t.succeeded("a", "demo")
    assert not t.check("a", "demo", "right").refused
    assert t.check("a", "demo", "guess-0").known_wrong
    assert t.failed("a", "demo", "guess-9") == 0.0    # counting starts again


def test_inventing_user_names_cannot_push_a_lockout_out_nor_grow_memory(throttle):
    clock = Clock()
    t = throttle(clock)
    for n in range(5):
        t.failed("10.0.0.9", "demo", f"guess-{n}")
    for n in range(1000):
        t.failed("10.0.0.9", f"user-{n}", "x")
    assert t.check("10.0.0.9", "demo", "right").refused
    users = t._fresh(t.book.login_record("10.0.0.9"), clock.now).users
    assert len(users) == POLICY.max_users + 1         # further names share one record
    assert all(len(g.wrong) <= POLICY.lockout_after for g in users.values())


def test_memory_is_bounded_by_forgetting_the_least_recent_addresses(throttle):
    clock = Clock()
    t = throttle(clock)
    for n in range(100):
        t.failed(f"10.0.{n}.1", "demo", "x")
    assert len(t) == 3
    clock.now += 301                                  # quiet addresses expire too
    assert not t.check("10.0.99.1", "demo", "y").known_wrong   # forgotten at once
    t.failed("10.1.0.1", "demo", "x")                 # and gone at the next write
    assert len(t) == 1


def test_no_wrong_password_is_kept_in_the_journal(throttle, tmp_path):
    t = throttle(Clock())
    secret = "Zq-wrong-" + "pass" * 3
    t.failed("10.0.0.9", "demo", secret)
    t.failed("10.0.0.9", "demo", secret + "2")
    assert t.check("10.0.0.9", "demo", secret).known_wrong      # remembered, as a digest
    stored = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert b"10.0.0.9" in stored and secret.encode() not in stored


def test_two_bridges_on_one_journal_count_one_guesser(journal):
    """A guesser spreading guesses over two bridges is held back by both."""
    clock = Clock()
    one = LoginThrottle(journal, POLICY, clock, key=b"k" * 32)
    two = LoginThrottle(journal, POLICY, clock, key=b"k" * 32)
    for n in range(5):
        (one if n % 2 else two).failed("10.0.0.9", "demo", f"guess-{n}")
    assert one.check("10.0.0.9", "demo", "right").retry_after == 60
    assert two.check("10.0.0.9", "demo", "right").retry_after == 60
    assert two.check("10.0.0.9", "demo", "guess-1").known_wrong   # tried on the other


def test_a_right_login_of_an_address_without_guesses_reads_the_journal_once(journal, throttle):
    t = throttle(Clock())
    before = journal.reads, journal.commits
    assert t.attempt("10.0.0.5", "demo", "right", lambda: True).ok
    assert (journal.reads, journal.commits) == (before[0] + 1, before[1])   # nothing to forget
    # (With a guess on record, a right login reads it again to forget it: see
    # test_a_success_forgets_the_guesses_but_not_the_known_wrong_passwords.)
