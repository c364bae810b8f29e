"""Astro's wire format, and the ONE place that says what an answer means.

Request side: a payload becomes one form field ``jsonData`` holding compact JSON, with
``Decimal`` money written as a JSON number with two decimals (``12.50``, never a float).

Answer side: ``interpret`` turns (HTTP status, headers, body) into ``returnData`` or the
right ``AstroError``; ``interpret_token`` does the same for the token endpoint;
``transport_error`` maps a ``requests`` failure to NotSent or Ambiguous. The HTTP codes
and messages that ASTRO_API.md marks unknown are picks listed in the tables below, so
real traffic can correct them here and nowhere else.
"""
from __future__ import annotations

import datetime
import email.utils
import json
from decimal import Context, Decimal, ROUND_HALF_UP
from typing import Any, Iterable, Mapping

import requests
import urllib3.exceptions as u3

from bridge.astro.errors import (AstroError, Ambiguous, AuthError, BusinessError,
                                 InvalidClientID, NotSent, RateLimited)

# Astro status codes known from ASTRO_API.md.
SUCCESS = 100
NO_CUSTOMER = 310
ALREADY_LINKED = 320
NOT_ELIGIBLE = 700

INVALID_CLIENT_ID_MESSAGE = "Invalid Client ID"
NO_CUSTOMER_MESSAGE = "No Customer Found"
ALREADY_EXISTS_MESSAGE = "TransactionID Already Exists"

# HTTP statuses (not documented by Astro; these are our picks).
RATE_LIMITED_HTTP = 429
NOT_PROCESSED_HTTP = frozenset({503})             # overloaded/maintenance: did nothing
AMBIGUOUS_HTTP = frozenset({500, 502, 504})       # may have failed after doing the work
AUTH_FAILURE_HTTP = frozenset({401, 403})         # token refused: refresh and retry once
# Status messages that mean "your token is no good", whatever the HTTP status.
AUTH_FAILURE_MESSAGES = ("invalid token", "token expired", "expired token",
                         "invalid or expired token", "unauthorized", "invalid_token")

_CENT = Decimal("0.01")


# ---- request side ----------------------------------------------------------------

def money(amount: Decimal) -> str:
    """``amount`` as JSON number text with exactly two decimals (half up)."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise TypeError(f"money must be a finite Decimal, not {amount!r}")
    # Precision for every digit: the default 28 makes quantize raise InvalidOperation
    # for a larger amount (Astro, not the encoder, is where such an amount is refused).
    digits = max(28, amount.adjusted() + 4)
    return format(amount.quantize(_CENT, rounding=ROUND_HALF_UP,
                                  context=Context(prec=digits)), "f")


def encode_json(value: Any) -> str:
    """Compact JSON; Decimal as a two-decimal number, dates as ``YYYY-MM-DD``.

    Floats are refused: money in this project is Decimal, and a float would put binary
    noise on the wire.
    """
    if isinstance(value, Decimal):
        return money(value)
    if isinstance(value, float):
        raise TypeError(f"floats are not sent to Astro (use Decimal): {value!r}")
    if isinstance(value, Mapping):
        return "{" + ",".join(json.dumps(str(k)) + ":" + encode_json(v)
                              for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(encode_json(v) for v in value) + "]"
    if isinstance(value, datetime.datetime):
        return json.dumps(value.isoformat())
    if isinstance(value, datetime.date):
        return json.dumps(value.strftime("%Y-%m-%d"))
    return json.dumps(value, ensure_ascii=False)


def form_body(payload: Mapping) -> dict[str, str]:
    """The form body of a call: the single field ``jsonData``."""
    return {"jsonData": encode_json(payload)}


# ---- answer side -------------------------------------------------------------------

def retry_after_seconds(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delta seconds or an HTTP date); None if absent."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=datetime.timezone.utc)
    return max(0.0, (when - datetime.datetime.now(datetime.timezone.utc)).total_seconds())


def _json(body: bytes) -> Any:
    try:
        return json.loads(body.decode("utf-8"), parse_float=Decimal)
    except (UnicodeDecodeError, ValueError):
        return None


def _status(envelope: Mapping) -> tuple[int | None, str]:
    code = envelope.get("astro_status", envelope.get("status"))
    message = envelope.get("astro_status_message", envelope.get("status_message"))
    if message is None:  # token errors and odd answers: OAuth-style or plain keys
        message = (envelope.get("error_description") or envelope.get("message")
                   or envelope.get("error") or "")
    try:
        code = int(code) if code is not None else None
    except (TypeError, ValueError):
        code = None
    return code, str(message)


def _redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _is_auth_message(message: str) -> bool:
    low = message.lower()
    return any(word in low for word in AUTH_FAILURE_MESSAGES)


def _http_error(endpoint: str, status: int, headers: Mapping) -> AstroError | None:
    if status == RATE_LIMITED_HTTP:
        wait = retry_after_seconds(headers.get("Retry-After"))
        return RateLimited(f"{endpoint}: rate limited (HTTP 429, retry after {wait} s)",
                           endpoint=endpoint, retry_after=wait)
    if status in NOT_PROCESSED_HTTP:
        return NotSent(f"{endpoint}: not processed (HTTP {status})", endpoint=endpoint)
    if status in AMBIGUOUS_HTTP:
        return Ambiguous(f"{endpoint}: HTTP {status}; the call may have been processed",
                         endpoint=endpoint)
    return None


def interpret(endpoint: str, status: int, headers: Mapping, body: bytes,
              secrets: Iterable[str] = ()) -> Any:
    """``returnData`` of a successful call, or raise the AstroError the answer means."""
    error = _http_error(endpoint, status, headers)
    if error is not None:
        raise error
    envelope = _json(body)
    if isinstance(envelope, Mapping):
        code, message = _status(envelope)
        message = _redact(message, secrets)
    else:
        code, message = None, ""
    if INVALID_CLIENT_ID_MESSAGE.lower() in message.lower():
        raise InvalidClientID(f"{endpoint}: {INVALID_CLIENT_ID_MESSAGE}", endpoint=endpoint)
    if status in AUTH_FAILURE_HTTP or (code != SUCCESS and _is_auth_message(message)):
        raise AuthError(f"{endpoint}: token refused (HTTP {status}"
                        + (f": {message})" if message else ")"), endpoint=endpoint)
    if not isinstance(envelope, Mapping) or (code is None and "returnData" not in envelope):
        if 200 <= status < 300:
            raise Ambiguous(f"{endpoint}: unusable answer (HTTP {status})", endpoint=endpoint)
        raise AstroError(f"{endpoint}: unexpected answer (HTTP {status})", endpoint=endpoint)
    if code is None or code == SUCCESS:
        if 200 <= status < 300:
            return envelope.get("returnData")
        raise AstroError(f"{endpoint}: unexpected answer (HTTP {status})", endpoint=endpoint)
    raise BusinessError(message, endpoint=endpoint, code=code,
                        data=envelope.get("returnData"))


def interpret_token(status: int, headers: Mapping, body: bytes,
                    secrets: Iterable[str] = ()) -> tuple[str, float, float | None]:
    """(access_token, expires seconds, created unix seconds or None), or raise.

    The business call is not sent until a token is in hand, so every transport or
    server trouble here is NotSent.
    """
    error = _http_error("token", status, headers)
    if isinstance(error, RateLimited):
        raise error
    if error is not None:
        raise NotSent(f"token: login not answered (HTTP {status})", endpoint="token")
    answer = _json(body)
    if not isinstance(answer, Mapping):
        if 200 <= status < 300:
            raise NotSent("token: unusable login answer", endpoint="token")
        answer = {}
    token = answer.get("access_token")
    if token and 200 <= status < 300:
        expires = float(answer.get("expires") or answer.get("expires_in") or 0)
        try:
            created = float(answer["created"]) if answer.get("created") else None
        except (TypeError, ValueError):
            created = None
        return str(token), expires, created
    _, message = _status(answer)
    message = _redact(message, secrets)
    if INVALID_CLIENT_ID_MESSAGE.lower() in message.lower():
        raise InvalidClientID(f"token: {INVALID_CLIENT_ID_MESSAGE}", endpoint="token")
    raise AuthError(f"token: login refused (HTTP {status}" + (f": {message})" if message else ")"),
                    endpoint="token")


def _causes(exc: BaseException) -> list[BaseException]:
    """The exception and everything it wraps (args, .reason, __cause__, __context__)."""
    seen: list[BaseException] = []
    todo = [exc]
    while todo:
        e = todo.pop()
        if any(e is s for s in seen):
            continue
        seen.append(e)
        todo.extend(a for a in getattr(e, "args", ()) if isinstance(a, BaseException))
        for attr in ("reason", "__cause__", "__context__"):
            inner = getattr(e, attr, None)
            if isinstance(inner, BaseException):
                todo.append(inner)
    return seen


def transport_error(endpoint: str, exc: requests.RequestException) -> AstroError:
    """NotSent when the request surely never left; Ambiguous when it may have been read.

    requests' ConnectionError wraps both kinds, so the urllib3 error inside decides:
    no connection made (NewConnectionError, ConnectTimeoutError) is NotSent; a dropped
    or silent connection after sending (ProtocolError, ReadTimeoutError) is Ambiguous.
    """
    kind = type(exc).__name__
    if isinstance(exc, requests.ConnectTimeout):
        return NotSent(f"{endpoint}: connect timeout", endpoint=endpoint)
    if isinstance(exc, (requests.ReadTimeout, requests.exceptions.ChunkedEncodingError)):
        return Ambiguous(f"{endpoint}: no complete answer ({kind}); the call may have been "
                         "processed", endpoint=endpoint)
    inner = _causes(exc)
    if any(isinstance(e, (u3.ProtocolError, u3.ReadTimeoutError, ConnectionResetError))
           for e in inner):
        return Ambiguous(f"{endpoint}: connection dropped after sending; the call may have "
                         "been processed", endpoint=endpoint)
    if any(isinstance(e, (u3.NewConnectionError, u3.ConnectTimeoutError, u3.SSLError,
                          u3.ProxyError, ConnectionRefusedError)) for e in inner):
        return NotSent(f"{endpoint}: could not connect", endpoint=endpoint)
    if isinstance(exc, (requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
                        requests.exceptions.InvalidSchema)):
        return AstroError(f"{endpoint}: bad Astro URL ({kind})", endpoint=endpoint)
    # Anything else may have happened after the request was written: assume the worst.
    return Ambiguous(f"{endpoint}: transport error ({kind}); the call may have been "
                     "processed", endpoint=endpoint)
