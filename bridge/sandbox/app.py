"""The sandbox's bottle app: Astro's REST wire format in front of an Account, with the
fault injection applied to every call, the legacy URL, and the control routes when
asked for."""
from __future__ import annotations

import json
import logging
from decimal import Decimal
from pathlib import Path

import bottle

from bridge.sandbox import control as control_routes
from bridge.sandbox import legacy
from bridge.sandbox.account import Account
from bridge.sandbox.endpoints import ENDPOINTS, unknown_field
from bridge.sandbox.runtime import JSON, Reply, Runtime, failure_reply
from bridge.sandbox.seed import Seed, load_seed
from bridge.sandbox.state_store import SQLiteStore
from bridge.sandbox.wire import UNDOCUMENTED, AstroFailure, Wire, dumps, error_envelope

log = logging.getLogger("bridge.sandbox")

API_PREFIX = "/api/json"
TOKEN_FIELDS = frozenset({"username", "password", "grant_type", "client_id"})


def _make_account(seed: Seed, state: Account | str | Path | None) -> Account:
    if isinstance(state, Account):
        return state
    if state is None:
        return Account(seed)
    return Account(seed, SQLiteStore(state))


def create_app(config: Seed | str | Path | None = None,
               state: Account | str | Path | None = None,
               control: bool = False, wire: Wire | None = None) -> bottle.Bottle:
    """A new sandbox Astro as a WSGI app.

    config: a Seed, the path of a seed TOML file, or None for the packaged default.
    state: an Account, the path of a SQLite state file (kept across restarts), or None
    for state in memory. control: also serve the /_sandbox/ control routes. wire: the
    answer shapes, strictness and removal count field (default: Wire()).
    The Runtime is reachable as `app.sandbox`."""
    seed = config if isinstance(config, Seed) else load_seed(config)
    rt = Runtime(seed, _make_account(seed, state), wire or Wire())
    app = bottle.Bottle()
    app.sandbox = rt

    @app.route(API_PREFIX + "/<endpoint>/", method=["GET", "POST", "PUT", "DELETE"])
    def api(endpoint: str):
        if endpoint != "token" and endpoint not in ENDPOINTS:
            return Runtime._send(failure_reply("unknown_endpoint"))
        if bottle.request.method != "POST":
            return Runtime._send(failure_reply("method_not_allowed"))
        if endpoint == "token":
            return rt.serve("token", lambda: token_reply(rt))
        return rt.serve(endpoint, lambda: call_reply(rt, endpoint))

    legacy.install(app, rt)
    if control:
        control_routes.install(app, rt)

    @app.error(404)
    def not_found(_err):
        bottle.response.content_type = JSON
        return dumps(error_envelope(UNDOCUMENTED["unknown_endpoint"]))

    @app.error(405)
    def not_allowed(_err):
        bottle.response.content_type = JSON
        return dumps(error_envelope(UNDOCUMENTED["method_not_allowed"]))

    @app.error(500)
    def server_error(_err):
        bottle.response.content_type = JSON
        return dumps(error_envelope(UNDOCUMENTED["server_error"]))

    return app


def _form() -> bottle.FormsDict:
    # Only form bodies count: a JSON body leaves the form empty (Incomplete Request).
    return bottle.request.forms


def _extra_form_field(known: frozenset[str]) -> str | None:
    return next((name for name in _form() if name not in known), None)


def _strict(rt: Runtime, extra: str | None) -> None:
    """--strict: a request field the sandbox does not read is refused, naming it."""
    if rt.wire.strict and extra is not None:
        raise AstroFailure("unknown_field", extra)


def token_reply(rt: Runtime) -> Reply:
    form = _form()
    username = form.getunicode("username") or ""
    password = form.getunicode("password") or ""
    client_id = form.getunicode("client_id") or ""
    grant_type = form.getunicode("grant_type") or ""

    def refuse(key: str, error: str, message: str | None = None) -> Reply:
        answer = UNDOCUMENTED[key]
        message = message or answer.message
        return Reply(answer.http, {"error": error, "error_description": message,
                                   "astro_status": answer.code,
                                   "astro_status_message": message})

    try:
        _strict(rt, _extra_form_field(TOKEN_FIELDS))
    except AstroFailure as failure:
        return refuse(failure.key, "invalid_request", failure.message)
    if grant_type != "password" or not username or not password:
        return refuse("invalid_login", "invalid_request")
    if client_id not in {lg.client_id for lg in rt.seed.logins}:
        return refuse("invalid_client_id", "invalid_client")
    login = rt.seed.login(username, password)
    if login is None:
        return refuse("invalid_login", "invalid_grant")
    if login.client_id != client_id:
        return refuse("invalid_client_id", "invalid_client")
    token = rt.tokens.issue(login.username, rt.token_ttl())
    return Reply(200, rt.wire.token(token.value, token.expires_in, token.created))


def call_reply(rt: Runtime, endpoint: str) -> Reply:
    # As received: bottle's get_header decodes UTF-8 and raises on other bytes.
    auth = bottle.request.environ.get("HTTP_AUTHORIZATION") or ""
    scheme, _, value = auth.partition(" ")
    if scheme.lower() != "bearer" or rt.tokens.check(value.strip()) is None:
        return failure_reply("invalid_token")
    raw = _form().getunicode("jsonData")
    try:
        _strict(rt, _extra_form_field(frozenset({"jsonData"})))
        if raw is None:
            raise AstroFailure("incomplete_request")
        try:
            payload = json.loads(raw, parse_float=Decimal)   # money stays exact
        except ValueError:
            raise AstroFailure("incomplete_request") from None
        if not isinstance(payload, dict):
            raise AstroFailure("incomplete_request")
        _strict(rt, unknown_field(endpoint, payload))
        data = ENDPOINTS[endpoint].handler(rt.account, payload, rt.wire)
        return Reply(200, rt.wire.success(endpoint, data))
    except AstroFailure as failure:
        return Reply(*rt.wire.failure(endpoint, failure))
    except Exception:  # a sandbox bug: answer like a server error, keep the traceback
        log.exception("sandbox endpoint %s failed", endpoint)
        return failure_reply("server_error")
