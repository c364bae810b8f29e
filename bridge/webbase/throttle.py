"""Slowing down and then refusing password guesses, per (address, user).

A guess is a wrong password that this user has not tried from this address before. The
same wrong password again (a till whose button was set up wrong, clicked all day) is no
new guess: `check` says `known_wrong` and the caller refuses it at once without checking
it again (no scrypt, no Astro call), so that till neither slows nor locks itself or the
other tills behind the same address. Each new guess makes the (address, user) wait
longer before its next attempt is even looked at (a growing delay, capped; an attempt
inside it gets 429 with Retry-After at once), and after `lockout_after` guesses in a row
it is refused (429) for `lockout_seconds`. Nothing sleeps in a server thread, so a flood
of bad logins cannot tie the bridge's threads up. A success forgets the user's guesses
at that address, but not the wrong passwords it remembers (another till may still send
one); a remembered one is checked for real again after `recheck_seconds` (a `delegate`
login can become right when its Astro password is changed), without counting as a guess.

The records live in a `book` shared by every bridge (the journal: see
bridge.journal.logins), one per address, changed in one transaction each: a guesser
spreading guesses over several bridges behind a load balancer is counted as one, and
times are wall-clock seconds (`time.time`), which the bridges' hosts share.

No password is kept: a wrong one is remembered as an HMAC-SHA256 of the user name and
the password, under `key` (the same on every bridge: the app derives it from the
bridge's secret). What is kept is bounded: at most `max_addresses` addresses (the least
recently seen forgotten first; a quiet address expires after `window`), `max_users`
user names per address (further names share one record, so a guesser cannot push its
own lockout out by inventing names) and `lockout_after` remembered passwords per user.
"""
import hashlib
import hmac
import json
import os
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Callable, Protocol

# The record shared by the user names of an address beyond `max_users`.
_OTHER_USERS = "\0other users"


@dataclass(frozen=True)
class ThrottlePolicy:
    """How hard repeated guesses are slowed and refused."""

    free_failures: int = 2        # guesses answered at once (typos happen)
    base_delay: float = 0.5       # seconds, doubled with each further guess
    max_delay: float = 4.0
    lockout_after: int = 10       # guesses in a row before refusing
    lockout_seconds: float = 300.0
    window: float = 900.0         # a quiet address is forgotten after this long
    max_addresses: int = 10_000
    max_users: int = 16           # user names tracked per address
    recheck_seconds: float = 300.0   # a remembered wrong password is checked again after


@dataclass(frozen=True)
class Verdict:
    """What to do with a login attempt."""

    refused: bool                 # 429: wait `retry_after` seconds
    retry_after: int = 0
    known_wrong: bool = False     # this wrong password was tried before: refuse it (401)


@dataclass(frozen=True)
class Attempt:
    """The outcome of `LoginThrottle.attempt`."""

    ok: bool
    retry_after: int = 0          # > 0: not checked at all, wait this long (429)
    delay: float = 0.0            # after a new wrong password: the wait before the next


class GuessBook(Protocol):
    """Where the records are kept (bridge.journal.logins.LoginJournal)."""

    def login_record(self, address: str) -> tuple[str, float] | None: ...

    def change_login_record(self, address: str, change, *, now: float, window: float,
                            max_records: int): ...

    def login_record_count(self) -> int: ...


@dataclass
class _Guesses:
    """The wrong passwords of one user from one address."""

    failures: int = 0
    locked_until: float = 0.0
    not_before: float = 0.0       # the end of the delay after the last guess
    wrong: OrderedDict = field(default_factory=OrderedDict)   # hex digest -> checked at


@dataclass
class _Address:
    last_seen: float
    users: dict = field(default_factory=dict)   # user name -> _Guesses

    def to_text(self) -> str:
        return json.dumps({user: [g.failures, g.locked_until, g.not_before,
                                  list(g.wrong.items())] for user, g in self.users.items()},
                          separators=(",", ":"))

    @classmethod
    def from_text(cls, text: str, last_seen: float) -> "_Address":
        return cls(last_seen, {user: _Guesses(f, lu, nb, OrderedDict(map(tuple, wrong)))
                               for user, (f, lu, nb, wrong) in json.loads(text).items()})

    def locked_until(self) -> float:
        return max((g.locked_until for g in self.users.values()), default=0.0)


def throttle_key(secret: bytes | str, purpose: str) -> bytes:
    """The key of the throttle's digests for `purpose`, from the bridge's secret: the
    same on every bridge of a fleet, and not kept beside the digests (unless the secret
    itself is the journal's)."""
    if isinstance(secret, str):
        secret = secret.encode("utf-8")
    return hmac.new(secret, b"login throttle\0" + purpose.encode("utf-8"),
                    hashlib.sha256).digest()


class LoginThrottle:
    """Guess counter per (address, user) kept in `book` (see the module docstring)."""

    def __init__(self, book: GuessBook, policy: ThrottlePolicy = ThrottlePolicy(),
                 clock: Callable[[], float] = time.time, *, key: bytes | None = None):
        self.book = book
        self.policy = policy
        self._clock = clock
        self._key = key or os.urandom(32)

    def attempt(self, address: str, user: str | None, password: str | None,
                check: Callable[[], bool]) -> Attempt:
        """One login attempt: refused unchecked when the password is known to be wrong
        or the (address, user) must wait; else `check()` decides and the outcome is
        counted. An exception of `check` (the check could not be made) counts nothing."""
        found = self.book.login_record(address)
        verdict = self._verdict(found, user, password)
        if verdict.known_wrong:
            return Attempt(False)
        if verdict.refused:
            return Attempt(False, retry_after=verdict.retry_after)
        if check():
            if found is not None:    # else nothing to forget: the usual click reads once
                self.succeeded(address, user)
            return Attempt(True)
        return Attempt(False, delay=self.failed(address, user, password))

    def check(self, address: str, user: str | None = None,
              password: str | None = None) -> Verdict:
        """Whether an attempt of `user` with `password` from `address` may be checked at
        all right now: `known_wrong` (refuse it, it was wrong before), `refused` (429),
        or neither."""
        return self._verdict(self.book.login_record(address), user, password)

    def _verdict(self, found: tuple[str, float] | None, user: str | None,
                 password: str | None) -> Verdict:
        """`check`, of the address's record `found` (as the book gives it)."""
        now = self._clock()
        rec = self._fresh(found, now)
        guesses = rec.users.get(self._user_key(rec, user)) if rec else None
        if guesses is None:
            return Verdict(False)
        checked = guesses.wrong.get(self._digest(user, password))
        if checked is not None and now - checked < self.policy.recheck_seconds:
            return Verdict(False, known_wrong=True)
        until = max(guesses.locked_until, guesses.not_before)
        if until > now:
            return Verdict(True, max(1, int(until - now + 0.999)))
        return Verdict(False)

    def failed(self, address: str, user: str | None = None,
               password: str | None = None) -> float:
        """Record a wrong password; returns the delay (seconds) before this user may try
        again from `address` (attempts inside it are refused by `check`). A password
        this user already tried from there is no new guess: nothing more is counted."""
        now = self._clock()
        p = self.policy
        digest = self._digest(user, password)

        def change(found):
            rec = self._fresh(found, now) or _Address(now)
            guesses = rec.users.setdefault(self._user_key(rec, user), _Guesses())
            if digest in guesses.wrong:
                guesses.wrong[digest] = now
                return rec.to_text(), rec.locked_until(), max(0.0, guesses.not_before - now)
            guesses.wrong[digest] = now
            while len(guesses.wrong) > max(1, p.lockout_after):
                guesses.wrong.popitem(last=False)
            guesses.failures += 1
            if guesses.failures >= p.lockout_after:
                guesses.locked_until = now + p.lockout_seconds
            extra = guesses.failures - p.free_failures
            delay = 0.0 if extra <= 0 else min(p.max_delay, p.base_delay * 2 ** (extra - 1))
            guesses.not_before = now + delay
            return rec.to_text(), rec.locked_until(), delay

        return self._change(address, change, now)

    def succeeded(self, address: str, user: str | None = None) -> None:
        """Forget the guesses of `user` from `address` (not its remembered wrong
        passwords)."""
        now = self._clock()
        if self.book.login_record(address) is None:
            return              # the usual case: nothing to forget, nothing written

        def change(found):
            rec = self._fresh(found, now)
            guesses = rec.users.get(self._user_key(rec, user)) if rec else None
            if guesses is None:
                return (rec.to_text() if rec else None), (rec.locked_until() if rec
                                                            else 0.0), None
            if guesses.wrong:
                guesses.failures, guesses.locked_until, guesses.not_before = 0, 0.0, 0.0
            else:
                del rec.users[self._user_key(rec, user)]
            return (rec.to_text() if rec.users else None), rec.locked_until(), None

        self._change(address, change, now)

    def __len__(self) -> int:
        """How many addresses are remembered."""
        return self.book.login_record_count()

    def _change(self, address: str, change, now: float):
        return self.book.change_login_record(address, change, now=now,
                                             window=self.policy.window,
                                             max_records=self.policy.max_addresses)

    def _user_key(self, rec: _Address, user: str | None) -> str:
        user = user or ""
        if user in rec.users or len(rec.users) < self.policy.max_users:
            return user
        return _OTHER_USERS

    def _digest(self, user: str | None, password: str | None) -> bytes:
        # Length-prefixed, so no two different (user, password) give the same input.
        parts = [(p or "").encode("utf-8", "surrogatepass") for p in (user, password)]
        data = b"".join(len(b).to_bytes(4, "big") + b for b in parts)
        return hmac.new(self._key, data, hashlib.sha256).hexdigest()

    def _fresh(self, found: tuple[str, float] | None, now: float) -> _Address | None:
        """The record as the book keeps it, or None when there is none or it expired."""
        if found is None:
            return None
        rec = _Address.from_text(*found)
        if now - rec.last_seen > self.policy.window and rec.locked_until() <= now:
            return None
        return rec
