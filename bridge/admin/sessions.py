"""The admin login session: a signed cookie, its CSRF token, and slowed-down bad passwords.

The session cookie holds `<payload>.<mac>`: the payload (base64 JSON) names the user, a
random session id and when the session ends; the mac is an HMAC-SHA256 over it with the
bridge secret and a fingerprint of the user's password hash, so changing a password (or
removing the user) ends their sessions. Nothing secret is in the cookie. Logout forgets
the session id in the journal (until the session would have ended anyway), so a copied
cookie stops working too, on every bridge sharing the journal.

Cookie flags: HttpOnly, SameSite=Strict, Path=<where the admin app is mounted>, and Secure when
the request
came over https (`request_scheme` is given by the caller, which knows the trusted
proxies).

CSRF: every form carries `csrf`, an HMAC of the session id. Before login, the login form
is bound the same way to a short-lived random "pre-session" cookie, so a foreign page
cannot log a browser in either.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import time
from dataclasses import dataclass, field
from typing import Callable, Mapping, Protocol

from bridge.webbase.tokens import b64, mac, same

COOKIE = "astro_bridge_admin"
LOGIN_COOKIE = "astro_bridge_admin_login"
DEFAULT_MAX_AGE = 8 * 3600
LOGIN_COOKIE_MAX_AGE = 3600


def read_cookie(header: str | None, name: str) -> str | None:
    """The value of cookie `name` in a request's Cookie header (the first one), or None.

    Read by hand, not with http.cookies: that drops every cookie after one it cannot
    parse (another site on the same host may set a JSON cookie), and takes quadratic
    time on some quoted values (CVE-2024-7592). The bridge's cookies are never quoted."""
    for part in (header or "").split(";"):
        key, sep, value = part.partition("=")
        if sep and key.strip() == name:
            return value.strip()
    return None


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Session:
    """A logged-in admin: who, which session, until when (unix seconds)."""

    user: str
    sid: str
    expires: int


@dataclass(frozen=True)
class CookieSpec:
    """One Set-Cookie to send: name, value, max_age (0 deletes) and the flags."""

    name: str
    value: str = field(repr=False)
    max_age: int
    path: str
    secure: bool
    httponly: bool = True
    samesite: str = "Strict"

    def header(self) -> str:
        """The Set-Cookie header value."""
        parts = [f"{self.name}={self.value}", f"Max-Age={self.max_age}", f"Path={self.path}",
                 f"SameSite={self.samesite}"]
        if self.httponly:
            parts.append("HttpOnly")
        if self.secure:
            parts.append("Secure")
        return "; ".join(parts)


class EndedSessions(Protocol):
    """Where logged-out sessions are kept (bridge.journal.logins.LoginJournal)."""

    def end_session(self, sid: str, expires: float, *, now: float) -> None: ...

    def session_ended(self, sid: str) -> bool: ...


class SessionManager:
    """Issues, checks and ends admin sessions (see the module docstring).

    `users` maps user name -> password hash; it is read at each check so a reloaded
    configuration takes effect. `ended` keeps the sessions logged out (the journal)."""

    def __init__(self, secret: bytes | str, users: Callable[[], Mapping[str, str]],
                 ended: EndedSessions, *, max_age: int = DEFAULT_MAX_AGE,
                 clock: Callable[[], float] = time.time):
        if isinstance(secret, str):
            secret = secret.encode("utf-8")
        if not secret:
            raise ValueError("the session secret is empty")
        self._secret = secret
        self._users = users
        self.max_age = max_age
        self._clock = clock
        self._ended = ended

    def __repr__(self) -> str:
        return f"SessionManager(max_age={self.max_age})"

    def _mac(self, purpose: str, value: str, key_extra: str = "") -> str:
        key = hashlib.sha256(self._secret + b"\0" + key_extra.encode("utf-8")).digest()
        return mac(key, purpose, value)

    def _fingerprint(self, user: str) -> str | None:
        encoded = self._users().get(user)
        return None if encoded is None else hashlib.sha256(encoded.encode("utf-8")).hexdigest()

    # -- sessions -------------------------------------------------------------------
    def start(self, user: str, *, secure: bool, path: str) -> tuple[Session, CookieSpec]:
        """A new session for `user` (already authenticated) and its cookie for `path`."""
        fp = self._fingerprint(user)
        if fp is None:
            raise ValueError("unknown admin user")
        now = int(self._clock())
        session = Session(user, b64(os.urandom(18)), now + self.max_age)
        payload = b64(json.dumps({"u": user, "s": session.sid, "e": session.expires},
                                  separators=(",", ":")).encode("utf-8"))
        value = f"{payload}.{self._mac('session', payload, fp)}"
        return session, CookieSpec(COOKIE, value, self.max_age, path, secure)

    def current(self, cookie: str | None) -> Session | None:
        """The session a cookie value stands for, or None when it is missing, forged,
        expired, logged out, or its user's password changed."""
        payload, _, signature = (cookie or "").partition(".")
        if not payload or not signature:
            return None
        try:
            data = json.loads(_unb64(payload))
            user, sid, expires = str(data["u"]), str(data["s"]), data["e"]
        except (ValueError, KeyError, TypeError):
            return None
        if type(expires) is not int:      # 1e999 (inf), 1.5, "x": no session of ours
            return None
        fp = self._fingerprint(user)
        if fp is None or not same(self._mac("session", payload, fp), signature):
            return None
        if expires <= self._clock() or self._ended.session_ended(sid):
            return None
        return Session(user, sid, expires)

    def end(self, session: Session | None, *, secure: bool, path: str) -> CookieSpec:
        """Forget `session` (if any) and return the cookie that deletes it."""
        if session is not None:
            self._ended.end_session(session.sid, session.expires, now=self._clock())
        return CookieSpec(COOKIE, "", 0, path, secure)

    # -- CSRF -----------------------------------------------------------------------
    def csrf_token(self, session: Session) -> str:
        """The token every form of this session carries."""
        return self._mac("csrf", session.sid)

    def csrf_ok(self, session: Session | None, token: str | None) -> bool:
        """True when `token` belongs to `session`; constant time."""
        return session is not None and same(self.csrf_token(session), token)

    def login_nonce(self, cookie: str | None, *, secure: bool,
                    path: str) -> tuple[str, CookieSpec | None]:
        """The pre-session nonce of the login form: the one in `cookie` when it has the
        right shape, else a new one with the cookie that sets it."""
        if cookie and len(cookie) == 24 and cookie.isascii() \
                and cookie.replace("-", "").replace("_", "").isalnum():
            return cookie, None
        nonce = b64(os.urandom(18))
        return nonce, CookieSpec(LOGIN_COOKIE, nonce, LOGIN_COOKIE_MAX_AGE, path, secure)

    def login_csrf_token(self, nonce: str) -> str:
        """The token of the login form bound to the pre-session nonce."""
        return self._mac("login-csrf", nonce)

    def login_csrf_ok(self, nonce: str | None, token: str | None) -> bool:
        """True when `token` was made for the pre-session `nonce`."""
        return bool(nonce) and same(self.login_csrf_token(nonce), token)
