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

This module decides and forwards; `answer(proxy, endpoint, body, headers)` gives a
`ProxyAnswer` that the routes of bridge.web.restproxy send back to the POS.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

import requests

from bridge.astro import NotSent, protocol
from bridge.reasons import astro_reason

log = logging.getLogger(__name__)

API_PREFIX = "/api/json"
_ENDPOINT = re.compile(r"^[A-Za-z][A-Za-z0-9]{0,63}$")
SUCCESS = 100
# Endpoints whose refusals belong to the failure report.
TRANSACTION_ENDPOINTS = ("addTransactionBatch", "addTransaction")
REDEMPTION_ENDPOINTS = ("addRedemption", "redeemPoints")
CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 30.0
MAX_BODY = 256 * 1024          # the most a call may send (the button's limit too)


@dataclass(frozen=True)
class ProxyAnswer:
    """What goes back to the POS: the status and its reason phrase ("" for the usual
    one), the body bytes as Astro sent them and their Content-Type (None: Astro sent
    none, so neither does the bridge)."""

    status: int
    reason: str
    body: bytes
    content_type: str | None


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

    def forward(self, endpoint: str, body: bytes, headers: dict[str, str]) -> ProxyAnswer:
        """Send `body` with the given headers to `<base>/<endpoint>/`; Astro's answer as
        it came. Unreachable Astro: 503 (not sent) or 504 (sent, no answer)."""
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
        return ProxyAnswer(upstream.status_code, upstream.reason or "", content,
                           upstream.headers.get("Content-Type"))

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
    status, message = protocol.envelope_status(answer)
    customer = _text(payload.get("customerID"))
    kind = "transaction" if endpoint in TRANSACTION_ENDPOINTS else "redemption"
    if status != SUCCESS:
        return [dict(kind=kind, endpoint=endpoint, customer_id=customer,
                     transaction_id=_text(payload.get("transactionID")),
                     item_code=_text(payload.get("item_code")
                                     or payload.get("astro_item_id")
                                     or payload.get("astro_points_reward_id")),
                     status_code=status, message=message or "error",
                     reason=astro_reason(message))]
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
        message = str(line.get("transaction_status_message") or "error")
        result.append(dict(kind=kind, endpoint=endpoint, customer_id=customer,
                           transaction_id=tid,
                           item_code=_text(sent.get(str(tid), {}).get("item_code")),
                           status_code=line_status, message=message,
                           reason=astro_reason(message)))
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


def _json_answer(status: int, message: str) -> ProxyAnswer:
    body = json.dumps({"astro_status": status, "astro_status_message": message,
                       "returnData": None})
    return ProxyAnswer(status, "", body.encode("utf-8"), "application/json")


def _gateway_error(status: int) -> ProxyAnswer:
    return _json_answer(status, "Astro unreachable: not sent" if status == 503
                        else "Astro gave no answer: the call may have been processed")


def answer(proxy: RestProxy | None, endpoint: str, body: bytes | None,
           headers: dict[str, str]) -> ProxyAnswer:
    """The answer to a POS's `POST /api/json/<endpoint>/`: Astro's, forwarded by `proxy`;
    404 for a name that is no endpoint; 503 naming the missing option when no store is
    chosen (`proxy` None); 413 for a body over MAX_BODY (`body` None: one that was not
    even read); 400 for a header that cannot be sent on (a line break in it). Those
    forward nothing."""
    if not _ENDPOINT.match(endpoint):
        return _json_answer(404, "Unknown endpoint")
    if proxy is None:
        return _json_answer(503, "REST proxy off: several stores and no [rest_proxy] store")
    if body is None or len(body) > MAX_BODY:
        return _json_answer(413, f"Request too large: at most {MAX_BODY} bytes")
    for name, value in headers.items():
        try:
            requests.utils.check_header_validity((name, value))
        except requests.exceptions.InvalidHeader:
            # A line break or leading space in a forwarded header: not sent (the value
            # may be a credential, so it is not repeated).
            return _json_answer(400, f"Header {name} is not valid: nothing was sent")
    return proxy.forward(endpoint, body, headers)
