"""A REST proxy for POSes that already speak Astro's REST API.

`POST /api/json/token/` and `POST /api/json/<endpoint>/` are forwarded unchanged (body
bytes, Content-Type, Authorization) to the proxy store's Astro base URL, and Astro's
answer comes back unchanged (status, body, Content-Type). So a POS that moved to REST
points its API host at the bridge and still gets the bridge's failure report: the
transaction and redemption failures in the answers (addTransactionBatch lines whose
transaction_status is not 100, addTransaction, addRedemption and redeemPoints errors)
are recorded with `Journal.record_failure`, like the bridge's own.

Which store (the decision): the store named by `[rest_proxy] store = "<id>"` in the
configuration, else the only store when there is one. With several stores and no such
option the routes answer 503 saying so, and forward nothing.

Why this module speaks HTTP to Astro itself (the one exception to "only bridge.astro
speaks HTTP to Astro"): a proxy must pass bytes through, not meanings. AstroClient
re-encodes payloads, owns the token and retries; here the POS owns the token and the
retries, and any re-encoding would change what Astro receives.

Tokens and passwords pass through and are never stored or logged: the token call's body
is never parsed, and only item codes, ids and Astro's status messages are recorded.
"""
from __future__ import annotations

import json
import logging
import re
from typing import Any
from urllib.parse import parse_qs

import bottle
import requests

from bridge.astro import NotSent, protocol

log = logging.getLogger(__name__)

API_PREFIX = "/api/json"
_ENDPOINT = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,63}$")
SUCCESS = 100
# Endpoints whose refusals belong to the failure report.
TRANSACTION_ENDPOINTS = ("addTransactionBatch", "addTransaction")
REDEMPTION_ENDPOINTS = ("addRedemption", "redeemPoints")
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 30.0
MAX_BODY = 256 * 1024          # the button's limit (bridge.web.app passes its own)


def proxy_store(config) -> Any | None:
    """The store whose Astro the proxy forwards to (see the module docstring), or None."""
    wanted = getattr(config, "rest_proxy_store", None)
    if wanted:
        return config.store(wanted)
    return config.stores[0] if len(config.stores) == 1 else None


class RestProxy:
    """Forwards REST calls to one store's Astro and records the failures they carry."""

    def __init__(self, store, journal, *, session: requests.Session | None = None,
                 timeout: tuple[float, float] = (CONNECT_TIMEOUT, READ_TIMEOUT)):
        self.store = store
        self.journal = journal
        self.session = session or requests.Session()
        self.timeout = timeout

    def forward(self, endpoint: str, body: bytes, headers: dict[str, str]) -> bottle.HTTPResponse:
        """Send `body` with the given headers to `<base>/<endpoint>/`; Astro's answer as
        a bottle response. Unreachable Astro: 503 (not sent) or 504 (sent, no answer)."""
        url = f"{self.store.astro.base_url}/{endpoint}/"
        # Ask for the body as Astro has it: requests would otherwise decompress a gzip
        # answer and the POS would get other bytes than Astro sent.
        headers = {**headers, "Accept-Encoding": "identity"}
        try:
            upstream = self.session.post(url, data=body, headers=headers,
                                         timeout=self.timeout, allow_redirects=False)
        except requests.RequestException as e:
            # The client's own reading of transport errors: surely not sent, or maybe.
            not_sent = isinstance(protocol.transport_error(endpoint, e), NotSent)
            log.warning("rest proxy %s: Astro %s (%s)", endpoint,
                        "unreachable" if not_sent else "gave no answer", type(e).__name__)
            return _gateway_error(503 if not_sent else 504)
        content = upstream.content
        if upstream.status_code == 200 and endpoint != "token":
            self._record_failures(endpoint, body, content)
        reason = upstream.reason or ""
        response = bottle.HTTPResponse(body=content,
                                       status=f"{upstream.status_code} {reason}".strip())
        if upstream.headers.get("Content-Type") is not None:
            response.set_header("Content-Type", upstream.headers["Content-Type"])
        else:
            del response.headers["Content-Type"]
        return response

    # ---- failure records -------------------------------------------------------------

    def _record_failures(self, endpoint: str, body: bytes, content: bytes) -> None:
        if endpoint not in TRANSACTION_ENDPOINTS + REDEMPTION_ENDPOINTS:
            return
        try:
            payload = _payload(body)
            answer = json.loads(content)
        except ValueError:
            return          # not Astro's envelope: nothing we can read, nothing to record
        if not isinstance(answer, dict) or not isinstance(payload, dict):
            return
        try:
            for failure in _failures(endpoint, payload, answer):
                self.journal.record_failure(self.store.id, **failure)
        except Exception as e:   # the POS's answer must not depend on our bookkeeping
            log.error("rest proxy %s: failure not recorded (%s)", endpoint, type(e).__name__)


def _failures(endpoint: str, payload: dict, answer: dict) -> list[dict[str, Any]]:
    """The failure records an Astro answer to `endpoint` carries (maybe none)."""
    status = _int(answer.get("astro_status", answer.get("status")))
    message = str(answer.get("astro_status_message", answer.get("status_message")) or "")
    customer = _text(payload.get("customerID"))
    kind = "transaction" if endpoint in TRANSACTION_ENDPOINTS else "redemption"
    if status != SUCCESS:
        return [dict(kind=kind, endpoint=endpoint, customer_id=customer,
                     transaction_id=_text(payload.get("transactionID")),
                     item_code=_text(payload.get("item_code")
                                     or payload.get("astro_item_id")
                                     or payload.get("astro_points_reward_id")),
                     status_code=status, message=message or "error")]
    if endpoint != "addTransactionBatch":
        return []
    sent = {str(t.get("transactionID")): t for t in payload.get("transactions") or []
            if isinstance(t, dict)}
    result = []
    for line in answer.get("returnData") or []:
        if not isinstance(line, dict):
            continue
        line_status = _int(line.get("transaction_status"))
        if line_status == SUCCESS:
            continue
        tid = _text(line.get("transactionID"))
        result.append(dict(kind=kind, endpoint=endpoint, customer_id=customer,
                           transaction_id=tid,
                           item_code=_text(sent.get(str(tid), {}).get("item_code")),
                           status_code=line_status,
                           message=str(line.get("transaction_status_message") or "error")))
    return result


def _payload(body: bytes) -> Any:
    """The jsonData payload of a form body (ValueError when there is none)."""
    form = parse_qs(body.decode("utf-8", "replace"))
    values = form.get("jsonData")
    if not values:
        raise ValueError("no jsonData")
    return json.loads(values[0])


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _gateway_error(status: int) -> bottle.HTTPResponse:
    return _answer(status, "Astro unreachable: not sent" if status == 503
                   else "Astro gave no answer: the call may have been processed")


def _answer(status: int, message: str) -> bottle.HTTPResponse:
    """The proxy's own answer, in Astro's envelope."""
    body = json.dumps({"astro_status": status, "astro_status_message": message,
                       "returnData": None})
    return bottle.HTTPResponse(body=body, status=status,
                               headers={"Content-Type": "application/json"})


def install_rest_proxy(app: bottle.Bottle, config, journal, *,
                       session: requests.Session | None = None,
                       max_body: int = MAX_BODY) -> RestProxy | None:
    """Add the proxy routes to `app`; the RestProxy, or None when no store is chosen
    (then the routes answer 503 naming the missing option). A body of more than
    `max_body` bytes is answered 413 and nothing is forwarded."""
    store = proxy_store(config)
    proxy = RestProxy(store, journal, session=session) if store is not None else None

    @app.route(API_PREFIX + "/<endpoint>/", method="POST")
    def rest_proxy(endpoint: str):
        if not _ENDPOINT.match(endpoint):
            return _not_found()
        if proxy is None:
            return _answer(503, "REST proxy off: several stores and no [rest_proxy] store")
        body = bottle.request.body.read(max_body + 1) \
            if bottle.request.content_length <= max_body else b""
        if bottle.request.content_length > max_body or len(body) > max_body:
            return _answer(413, f"Request too large: at most {max_body} bytes")
        # The headers as received (latin-1 text of their bytes), so they go on unchanged;
        # bottle's get_header would decode them as UTF-8 (and fail on other bytes).
        environ = bottle.request.environ
        headers = {name: environ[key] for name, key in (
            ("Content-Type", "CONTENT_TYPE"), ("Authorization", "HTTP_AUTHORIZATION"))
            if environ.get(key)}
        return proxy.forward(endpoint, body, headers)

    return proxy


def _not_found() -> bottle.HTTPResponse:
    return _answer(404, "Unknown endpoint")
