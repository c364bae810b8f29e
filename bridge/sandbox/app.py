"""The sandbox's bottle app: Astro's REST wire format in front of an Account, with the
fault injection applied to every call, plus the control routes when asked for."""
from __future__ import annotations

import json
import logging
import threading
from collections import Counter
from decimal import Decimal
from http import HTTPStatus
from pathlib import Path
from typing import Any, Callable

import bottle

from bridge.sandbox.account import Account
from bridge.sandbox.endpoints import ENDPOINTS, WRITE_ENDPOINTS
from bridge.sandbox.faults import Decision, Faults
from bridge.sandbox.seed import Seed, load_seed
from bridge.sandbox.state_store import SQLiteStore
from bridge.sandbox.tokens import Tokens
from bridge.sandbox.wire import (UNDOCUMENTED, Answer, AstroFailure, dumps, envelope,
                                 error_envelope)

log = logging.getLogger("bridge.sandbox")

API_PREFIX = "/api/json"
JSON = "application/json"


class Reply:
    """An HTTP answer before faults touch it."""

    def __init__(self, status: int, doc: Any = None, headers: dict[str, str] | None = None,
                 body: bytes | None = None, content_type: str = JSON):
        self.status = status
        self.body = body if body is not None else dumps(doc)
        self.headers = dict(headers or {})
        self.content_type = content_type


def failure_reply(key: str, message: str | None = None) -> Reply:
    answer = UNDOCUMENTED[key]
    return Reply(answer.http, error_envelope(answer, message))


class Runtime:
    """Everything one sandbox holds: the seed, the account, tokens, faults, counters."""

    def __init__(self, seed: Seed, account: Account):
        self.seed = seed
        self.account = account
        self.tokens = Tokens()
        self.faults = Faults(seed.faults)
        self.stopping = threading.Event()   # set on shutdown: hung calls wake up
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.handled: Counter[str] = Counter()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.stopping.wait(seconds)

    def token_ttl(self) -> float:
        ttl = self.faults.token_ttl()
        return self.seed.token_ttl if ttl is None else ttl

    def reset(self) -> None:
        """Seed state, seed faults, no tokens, counters at zero."""
        self.account.reset()
        self.faults.reset()
        self.tokens.expire_all()
        with self._lock:
            self.calls.clear()
            self.handled.clear()

    def counters(self) -> dict[str, Any]:
        with self._lock:
            return {"calls": dict(self.calls), "handled": dict(self.handled),
                    "write_calls": sum(n for e, n in self.calls.items()
                                       if e in WRITE_ENDPOINTS)}

    def serve(self, endpoint: str, work: Callable[[], Reply]) -> Any:
        """Answer one call of `endpoint`, faults applied (see the package docstring)."""
        with self._lock:
            self.calls[endpoint] += 1
        decision = self.faults.decide(endpoint)
        self.sleep(decision.latency)
        if decision.kind == "rate_limit":
            reply = failure_reply("rate_limited")
            reply.headers["Retry-After"] = str(decision.retry_after)
            return self._send(reply)
        if decision.kind in ("status", "hang", "drop") and not decision.work:
            if decision.kind == "hang":
                self.sleep(decision.seconds)
                return self._send(failure_reply("unavailable"))
            if decision.kind == "drop":
                return self._send(failure_reply("unavailable"), drop=True)
            return self._send(self._status_reply(decision))
        reply = work()
        with self._lock:
            self.handled[endpoint] += 1
        if decision.kind == "status":   # the work happened, the answer is an error
            return self._send(self._status_reply(decision))
        if decision.kind == "hang":
            self.sleep(decision.seconds)
        return self._send(reply, drop=decision.kind == "drop")

    @staticmethod
    def _status_reply(decision: Decision) -> Reply:
        key = {500: "server_error", 503: "unavailable", 429: "rate_limited"}.get(
            decision.status)
        if key:
            answer = UNDOCUMENTED[key]
        else:
            try:
                phrase = HTTPStatus(decision.status).phrase
            except ValueError:
                phrase = "Error"
            answer = Answer(decision.status, phrase, decision.status)
        return Reply(decision.status, error_envelope(answer))

    @staticmethod
    def _send(reply: Reply, drop: bool = False) -> bytes:
        bottle.response.status = reply.status
        bottle.response.content_type = reply.content_type
        for name, value in reply.headers.items():
            bottle.response.set_header(name, value)
        if drop:
            # Promise more bytes than are sent: the server closes the connection after
            # the short body, and the client sees an incomplete read.
            bottle.response.set_header("Content-Length", str(len(reply.body) + 64))
            return reply.body[: len(reply.body) // 2]
        return reply.body


def _make_account(seed: Seed, state: Account | str | Path | None) -> Account:
    if isinstance(state, Account):
        return state
    if state is None:
        return Account(seed)
    return Account(seed, SQLiteStore(state))


def create_app(config: Seed | str | Path | None = None,
               state: Account | str | Path | None = None,
               control: bool = False) -> bottle.Bottle:
    """A new sandbox Astro as a WSGI app.

    config: a Seed, the path of a seed TOML file, or None for the packaged default.
    state: an Account, the path of a SQLite state file (kept across restarts), or None
    for state in memory. control: also serve the /_sandbox/ control routes.
    The Runtime is reachable as `app.sandbox`."""
    seed = config if isinstance(config, Seed) else load_seed(config)
    rt = Runtime(seed, _make_account(seed, state))
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

    from bridge.sandbox import legacy
    legacy.install(app, rt)
    if control:
        from bridge.sandbox import control as control_routes
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


def token_reply(rt: Runtime) -> Reply:
    form = _form()
    username = form.getunicode("username") or ""
    password = form.getunicode("password") or ""
    client_id = form.getunicode("client_id") or ""
    grant_type = form.getunicode("grant_type") or ""

    def refuse(key: str, error: str) -> Reply:
        answer = UNDOCUMENTED[key]
        return Reply(answer.http, {"error": error, "error_description": answer.message,
                                   "astro_status": answer.code,
                                   "astro_status_message": answer.message})

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
    return Reply(200, {"access_token": token.value, "token_type": "bearer",
                       "expires": str(token.expires_in), "created": str(token.created)})


def call_reply(rt: Runtime, endpoint: str) -> Reply:
    # As received: bottle's get_header decodes UTF-8 and raises on other bytes.
    auth = bottle.request.environ.get("HTTP_AUTHORIZATION") or ""
    scheme, _, value = auth.partition(" ")
    if scheme.lower() != "bearer" or rt.tokens.check(value.strip()) is None:
        return failure_reply("invalid_token")
    raw = _form().getunicode("jsonData")
    try:
        if raw is None:
            raise AstroFailure("incomplete_request")
        try:
            payload = json.loads(raw, parse_float=Decimal)   # money stays exact
        except ValueError:
            raise AstroFailure("incomplete_request") from None
        if not isinstance(payload, dict):
            raise AstroFailure("incomplete_request")
        return Reply(200, envelope(ENDPOINTS[endpoint](rt.account, payload)))
    except AstroFailure as failure:
        return Reply(failure.answer.http, error_envelope(failure.answer, failure.message))
    except Exception:  # a sandbox bug: answer like a server error, keep the traceback
        log.exception("sandbox endpoint %s failed", endpoint)
        return failure_reply("server_error")
