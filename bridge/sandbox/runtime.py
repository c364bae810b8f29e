"""What one sandbox holds while it runs (the Runtime: seed, account, tokens, faults,
wire, counters), and how an answer (a Reply) goes out with the faults applied. The
routes (app, control, legacy) all stand on this module."""
from __future__ import annotations

import threading
import time
from collections import Counter, deque
from http import HTTPStatus
from typing import Any, Callable

import bottle

from bridge.sandbox.account import Account
from bridge.sandbox.endpoints import WRITE_ENDPOINTS
from bridge.sandbox.faults import Decision, Faults
from bridge.sandbox.seed import Seed
from bridge.sandbox.tokens import Tokens
from bridge.sandbox.wire import UNDOCUMENTED, Answer, Wire, dumps, error_envelope

JSON = "application/json"
CALL_LOG_SIZE = 1000


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
    """Everything one sandbox holds: the seed, the account, tokens, faults, the wire it
    speaks, counters."""

    def __init__(self, seed: Seed, account: Account, wire: Wire):
        self.seed = seed
        self.account = account
        self.wire = wire
        self.tokens = Tokens()
        self.faults = Faults(seed.faults)
        self.stopping = threading.Event()   # set on shutdown: hung calls wake up
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.handled: Counter[str] = Counter()
        # The latest calls, each with when it came in and when it was answered
        # (time.monotonic() of this process): what overlapped on the wire.
        self.call_log: deque[dict[str, Any]] = deque(maxlen=CALL_LOG_SIZE)

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
            self.call_log.clear()

    def counters(self) -> dict[str, Any]:
        with self._lock:
            return {"calls": dict(self.calls), "handled": dict(self.handled),
                    "write_calls": sum(n for e, n in self.calls.items()
                                       if e in WRITE_ENDPOINTS)}

    def logged_calls(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.call_log)

    def serve(self, endpoint: str, work: Callable[[], Reply]) -> Any:
        """Answer one call of `endpoint`, faults applied (see the package docstring),
        and log it with the times it came in and was answered."""
        received = time.monotonic()
        try:
            return self._serve(endpoint, work)
        finally:
            with self._lock:
                self.call_log.append({"endpoint": endpoint, "received": received,
                                      "answered": time.monotonic()})

    def _serve(self, endpoint: str, work: Callable[[], Reply]) -> Any:
        with self._lock:
            self.calls[endpoint] += 1
        decision = self.faults.decide(endpoint)
        self.sleep(decision.latency)
        if decision.kind == "rate_limit":
            reply = failure_reply("rate_limited")
            reply.headers["Retry-After"] = str(decision.retry_after)
            return self._send(reply)
        if decision.kind == "answer":
            html = decision.body.lstrip().startswith("<")
            return self._send(Reply(decision.status, body=decision.body.encode("utf-8"),
                                    content_type="text/html; charset=utf-8" if html
                                    else JSON))
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
