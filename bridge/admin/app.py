"""The admin web app: login, the failure report with Retry / Hide / CSV, customer pages.

`create_admin_app(config, journal, clients)` builds a bottle app that the main app
mounts at `/admin`; every URL it makes is relative to where it is mounted. Routes stay
thin: they check the session and the CSRF token, call `bridge.admin.report` /
`bridge.admin.actions`, and render a template. Every page works without JavaScript.
"""
from __future__ import annotations

from pathlib import Path
from typing import Callable
from urllib.parse import quote, urlsplit

import bottle

from bridge.admin import failure_routes
from bridge.admin.migration import install_admin_route
from bridge.admin.sessions import COOKIE, LOGIN_COOKIE, SessionManager, read_cookie
from bridge.passwords import nobody_hash, verify_password
from bridge.webbase.proxy import request_origin
from bridge.webbase.render import see_other, set_security_headers
from bridge.webbase.throttle import LoginThrottle, throttle_key
from bridge.webbase.tokens import Signer

HERE = Path(__file__).resolve().parent
TEMPLATES = [str(HERE / "templates")]
STATIC = HERE / "static"
# The longest address kept to return to after the login.
MAX_NEXT = 2000


def render(name: str, **kw) -> str:
    """A page from bridge/admin/templates; values are HTML-escaped by the template."""
    kw.setdefault("prefix", bottle.request.script_name.rstrip("/"))
    kw.setdefault("session_user", None)
    kw.setdefault("csrf", "")
    return bottle.template(name, template_lookup=TEMPLATES, **kw)


class AdminWeb:
    """Holds what the routes share: configuration, journal, clients, sessions, throttle."""

    def __init__(self, config, journal, clients, *, secret: bytes | str | None = None,
                 throttle=None,
                 receipt_url: Callable[[str], str] | None = None):
        self.config = config
        self.journal = journal
        self.clients = clients
        if secret is None:
            secret = (config.secret_key.reveal() if config.secret_key is not None
                      else journal.secret("secret_key"))
        self._receipt_url = receipt_url or default_receipt_url(secret)
        self.sessions = SessionManager(b"admin-session\0" + (
            secret.encode("utf-8") if isinstance(secret, str) else secret),
            users=lambda: {a.name: a.password_hash for a in self.config.admins},
            ended=journal)
        # (not `throttle or ...`: an empty LoginThrottle is falsy, it has a __len__)
        self.throttle = throttle if throttle is not None else LoginThrottle(
            journal, key=throttle_key(secret, "admin"))

    def client_for(self, store_id: str):
        """The AstroClient of a store (`clients` is a callable or a mapping by id)."""
        if callable(self.clients):
            return self.clients(store_id)
        return self.clients[store_id]

    def receipt_url(self, sale_key: str) -> str:
        """Where the receipt of a sale is shown (signed, no credentials)."""
        return self._receipt_url(sale_key)

    def customer_url(self, store_id: str, customer_id: str) -> str:
        """The admin page listing a customer's sales."""
        return (f"{self.prefix()}/customers/{quote(store_id, safe='')}/"
                f"{quote(customer_id, safe='')}")

    # -- request helpers ------------------------------------------------------------
    def origin(self):
        return request_origin(bottle.request.environ, self.config.trusted_proxies)

    def secure(self) -> bool:
        return self.origin().scheme == "https"

    def path(self) -> str:
        return bottle.request.script_name.rstrip("/") or "/"

    def prefix(self) -> str:
        return bottle.request.script_name.rstrip("/")

    def set_cookie(self, spec) -> None:
        bottle.response.add_header("Set-Cookie", spec.header())

    def cookie(self, name: str) -> str | None:
        return read_cookie(bottle.request.environ.get("HTTP_COOKIE"), name)

    def session(self):
        return self.sessions.current(self.cookie(COOKIE))

    def require_session(self):
        """The current session, or a redirect to the login page (GET) / 403 (POST)."""
        session = self.session()
        if session is None:
            if bottle.request.method == "GET":
                target = bottle.request.fullpath
                if bottle.request.query_string:
                    target += "?" + bottle.request.query_string
                # An address too long to carry along is dropped: the login still works.
                back = f"?next={quote(target, safe='')}" if len(target) <= MAX_NEXT else ""
                raise see_other(f"{self.prefix()}/login{back}")
            raise bottle.HTTPResponse(self.page("message.tpl", title="Not logged in",
                                                message="Log in again, then repeat."),
                                      status=403)
        return session

    def require_csrf(self, session) -> None:
        if not self.sessions.csrf_ok(session, bottle.request.forms.get("csrf")):
            raise bottle.HTTPResponse(self.page(
                "message.tpl", session=session, title="Form expired",
                message="This form is out of date or did not come from this site. "
                        "Nothing was changed. Reload the page and try again.",
                back=f"{self.prefix()}/failures"), status=403)

    def page(self, name: str, session=None, **kw) -> str:
        if session is not None:
            kw.setdefault("session_user", session.user)
            kw.setdefault("csrf", self.sessions.csrf_token(session))
        return render(name, **kw)

    def safe_next(self, target: str | None) -> str:
        """Only a path inside this app is a valid place to return to after login."""
        default = f"{self.prefix()}/failures"
        if not target or len(target) > MAX_NEXT or not target.isprintable() \
                or not target.isascii():
            return default                # control characters cannot go in a Location
        parts = urlsplit(target)
        if parts.scheme or parts.netloc or not target.startswith(self.prefix() + "/"):
            return default
        if target.startswith("//") or "\\" in target:
            return default
        return target


def default_receipt_url(secret: bytes | str) -> Callable[[str], str]:
    """Receipt links as the main app serves them, `<main app>/receipt/<sale key>?t=<token>`,
    the main app being where this one is mounted minus its last path segment (/admin)."""
    signer = Signer(secret)

    def url(sale_key: str) -> str:
        root = bottle.request.script_name.rstrip("/").rsplit("/", 1)[0]
        return (f"{root}/receipt/{quote(sale_key, safe='')}?"
                f"t={quote(signer.receipt_token(sale_key), safe='')}")
    return url


def create_admin_app(config, journal, clients, **options) -> bottle.Bottle:
    """The admin app (see the module docstring). `clients` gives the AstroClient of a
    store (a callable `clients(store)` or a mapping by store id) for Retry. `options`
    go to AdminWeb (tests pass a fast throttle or a fixed secret)."""
    web = AdminWeb(config, journal, clients, **options)
    app = bottle.Bottle()
    app.config["admin.web"] = web
    # The same no-store, no-referrer, self-only CSP headers as every page of the bridge.
    app.add_hook("after_request", set_security_headers)

    @app.get("/static/<name>")
    def static(name):
        return bottle.static_file(name, root=str(STATIC))

    @app.get("/")
    def index():
        web.require_session()
        return see_other(f"{web.prefix()}/failures")

    @app.get("/login")
    def login_form():
        if web.session() is not None:
            return see_other(web.safe_next(bottle.request.query.getunicode("next")))
        return _login_page(web)

    @app.post("/login")
    def login():
        forms = bottle.request.forms
        nonce = web.cookie(LOGIN_COOKIE)
        if not web.sessions.login_csrf_ok(nonce, forms.get("csrf")):
            bottle.response.status = 403
            return _login_page(web, error="The login form expired. Please try again.")
        address = web.origin().address
        username = forms.getunicode("username") or ""
        password = forms.getunicode("password") or ""
        admin = web.config.admin(username) if username else None
        stored = admin.password_hash if admin else nobody_hash(
            web.config.admins[0].password_hash if web.config.admins else None)
        attempt = web.throttle.attempt(address, username, password, lambda: bool(
            verify_password(password, stored) and admin))
        if attempt.retry_after:
            bottle.response.status = 429
            bottle.response.set_header("Retry-After", str(attempt.retry_after))
            return _login_page(web, error=f"Too many failed logins. Try again in "
                                          f"{attempt.retry_after} seconds.",
                               username=username)
        if not attempt.ok:
            # No sleeping in a server thread: the address waits out the delay on its
            # side (attempts inside it are refused by the throttle).
            bottle.response.status = 401
            n = max(1, round(attempt.delay))
            wait = (f" Wait {n} second{'s' * (n != 1)} before trying again."
                    if attempt.delay else "")
            return _login_page(web, error="Wrong user or password." + wait,
                               username=username)
        session, cookie = web.sessions.start(admin.name, secure=web.secure(), path=web.path())
        web.set_cookie(cookie)
        return see_other(web.safe_next(forms.getunicode("next")))

    @app.post("/logout")
    def logout():
        session = web.require_session()
        web.require_csrf(session)
        web.set_cookie(web.sessions.end(session, secure=web.secure(), path=web.path()))
        return see_other(f"{web.prefix()}/login?logged_out=1")

    failure_routes.install(app, web)
    install_admin_route(app, web)   # GET /migration: the readiness report (bridge.migrate)
    return app


def mount_admin(parent: bottle.Bottle, config, journal, clients, **options) -> bottle.Bottle:
    """Mount the admin app on the main app at /admin/ (and send /admin there); returns it."""
    admin = create_admin_app(config, journal, clients, **options)

    def admin_wsgi(environ, start_response):
        # bottle hands a mounted app PATH_INFO already decoded from UTF-8, and the
        # mounted app decodes it again: a character beyond Latin-1 would raise, one
        # within it would be dropped. Back to what PEP 3333 says it is (bytes as Latin-1).
        environ["PATH_INFO"] = environ["PATH_INFO"].encode("utf-8").decode("latin-1")
        return admin.wsgi(environ, start_response)

    # As a plain WSGI app (not bottle's route merging), so SCRIPT_NAME says where the
    # admin app lives and every URL it makes follows the mount point.
    parent.mount("/admin/", admin_wsgi)

    @parent.get("/admin")
    def to_admin():
        return see_other(bottle.request.script_name.rstrip("/") + "/admin/")
    return admin


def _login_page(web: AdminWeb, error: str | None = None, username: str = "") -> str:
    nonce, cookie = web.sessions.login_nonce(web.cookie(LOGIN_COOKIE),
                                             secure=web.secure(), path=web.path())
    if cookie is not None:
        web.set_cookie(cookie)
    notice = None
    if bottle.request.query.get("logged_out"):
        notice = "You are logged out."
    if not web.config.admins:
        error = ("No admin users are configured. Add an [[admins]] entry with a "
                 "password_hash made by `astro-bridge hash-password`.")
    return render("login.tpl", error=error, username=username, notice=notice,
                  login_csrf=web.sessions.login_csrf_token(nonce),
                  next=web.safe_next(bottle.request.query.get("next")
                                     or bottle.request.forms.getunicode("next")))
