"""Salted password hashes for button users and admin users.

Format (one line, safe to paste into TOML)::

    scrypt$<n>$<r>$<p>$<salt base64>$<hash base64>

`hash_password(password)` makes a new hash with a fresh random salt;
`verify_password(password, encoded)` checks a password against it in constant time and
is False (never an exception) for a malformed hash; `is_password_hash(text)` tells the
configuration loader whether a value has the right shape. Hashes are made with
`hashlib.scrypt`, so a leaked configuration file does not give away the passwords.

The cost (n, r, p) is part of each stored hash, so raising DEFAULT_N leaves every hash
made before valid: it is checked at the cost it was made with (`hash-password` again to
raise an old one). `VerifiedCache` remembers successful checks for a few minutes (a check
at the default cost takes most of a second and 128 MiB, and a button sends its password
with every click), keyed by a keyed digest only: never the password, and a failed check
is never remembered; at most one check per core is computed at a time (the others
wait), so memory stays bounded. `nobody_hash(like)` is checked for a user name that does not
exist, at the cost of the configured hashes, so such a login takes as long as a wrong
password (also while older, cheaper hashes are still in use).

May import: the standard library only.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import os
import threading
import time
from collections import OrderedDict

SCHEME = "scrypt"
# n=2**17, r=8, p=1: OWASP's minimum for scrypt (128 MiB per check). Right passwords are
# then remembered by VerifiedCache, so a click pays it once every few minutes at most.
DEFAULT_N = 2**17
DEFAULT_R = 8
DEFAULT_P = 1
_SALT_BYTES = 16
_HASH_BYTES = 32
# Upper bounds so a hostile hash in a config file cannot make a check take minutes.
_MAX_N = 2**20
_MAX_RP = 64
# Checks computed at once, in this process: each takes 128 MiB at the default cost, so a
# burst of wrong passwords on every request thread would otherwise take gigabytes. More
# than one per core would not finish sooner anyway.
_CHECKS = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))
# Salt and digest of no one's password: random bytes fixed here (nothing secret, and
# nothing to compute at start-up).
_NOBODY = "TMAZmwjh8OSTDC5Dx/H1rg==$w8LtHEYBkgXwAUchsq0lfaJnUjywyC3jgz2/mHrGarg="


def hash_password(password: str, *, n: int = DEFAULT_N, r: int = DEFAULT_R,
                  p: int = DEFAULT_P) -> str:
    """A new salted scrypt hash of `password` in the `scrypt$n$r$p$salt$hash` format."""
    if not password:
        raise ValueError("password must not be empty")
    salt = os.urandom(_SALT_BYTES)
    digest = _scrypt(password, salt, n, r, p)
    return "$".join([SCHEME, str(n), str(r), str(p), _b64(salt), _b64(digest)])


def verify_password(password: str, encoded: str) -> bool:
    """True when `password` matches the hash `encoded`; False otherwise, including for a
    malformed hash. The comparison takes the same time wherever the bytes differ."""
    parsed = _parse(encoded)
    if parsed is None or password is None:
        return False
    n, r, p, salt, expected = parsed
    actual = _scrypt(password, salt, n, r, p, dklen=len(expected))
    return hmac.compare_digest(actual, expected)


class VerifiedCache:
    """Successful password checks of this process, kept `ttl` seconds (at most
    `max_entries`, least recently used dropped first).

    An entry's key is HMAC-SHA256(a random key of this process, scope + name + password
    + stored hash) and its value only the expiry time: the password is not kept, a
    wrong password cannot hit an entry, and a changed hash (a reloaded configuration)
    no longer finds the old entries. `verify(scope, name, password, encoded)` answers as
    `verify_password(password, encoded)` does.
    """

    def __init__(self, *, ttl: float = 300.0, max_entries: int = 1000,
                 clock=time.monotonic):
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._key = os.urandom(32)
        self._lock = threading.Lock()
        self._entries: OrderedDict[bytes, float] = OrderedDict()

    def verify(self, scope: str, name: str, password: str, encoded: str) -> bool:
        if not password or not isinstance(encoded, str):
            return False
        digest = self._digest(scope, name, password, encoded)
        now = self._clock()
        with self._lock:
            expiry = self._entries.get(digest)
            if expiry is not None:
                if expiry > now:
                    self._entries.move_to_end(digest)
                    return True
                del self._entries[digest]
        if not verify_password(password, encoded):
            return False                        # never cached
        with self._lock:
            self._entries[digest] = now + self.ttl
            self._entries.move_to_end(digest)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)
        return True

    def __len__(self) -> int:
        return len(self._entries)

    def items(self) -> list[tuple[bytes, float]]:
        """(key digest, expiry) pairs, for inspection."""
        with self._lock:
            return list(self._entries.items())

    def _digest(self, scope: str, name: str, password: str, encoded: str) -> bytes:
        # Length-prefixed parts, so no two different tuples give the same input.
        parts = (scope, name, password, encoded)
        data = b"".join(len(b).to_bytes(4, "big") + b
                        for b in (p.encode("utf-8", "surrogatepass") for p in parts))
        return hmac.new(self._key, data, hashlib.sha256).digest()


def nobody_hash(like: str | None = None) -> str:
    """A hash no password matches, with the cost (n, r, p) of the hash `like` (else the
    default): checking it takes as long as checking a real user's password."""
    parsed = _parse(like) if like else None
    n, r, p = parsed[:3] if parsed else (DEFAULT_N, DEFAULT_R, DEFAULT_P)
    return f"{SCHEME}${n}${r}${p}${_NOBODY}"


def is_password_hash(text: str) -> bool:
    """True when `text` has the shape of a hash made by `hash_password`."""
    return _parse(text) is not None


def _parse(encoded: str):
    if not isinstance(encoded, str):
        return None
    parts = encoded.split("$")
    if len(parts) != 6 or parts[0] != SCHEME:
        return None
    try:
        n, r, p = int(parts[1]), int(parts[2]), int(parts[3])
        salt = base64.b64decode(parts[4], validate=True)
        digest = base64.b64decode(parts[5], validate=True)
    except ValueError:
        return None
    power_of_two = n > 1 and n & (n - 1) == 0
    if not power_of_two or n > _MAX_N or not 0 < r <= _MAX_RP or not 0 < p <= _MAX_RP:
        return None
    if len(salt) < 8 or len(digest) < 16:
        return None
    return n, r, p, salt, digest


def _scrypt(password: str, salt: bytes, n: int, r: int, p: int, dklen: int = _HASH_BYTES) -> bytes:
    with _CHECKS:
        return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                              maxmem=256 * r * n * 2 + 2**20, dklen=dklen)


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")
