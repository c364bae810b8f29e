"""Astro's wire format, and the ONE place that says what an answer means.

Request side: a payload becomes one form field ``jsonData`` holding compact JSON, with
``Decimal`` money written as a JSON number with two decimals (``12.50``, never a float).

Answer side: ``interpret`` turns (HTTP status, headers, body) into ``returnData`` or the
right ``AstroError``; ``interpret_token`` does the same for the token endpoint;
``transport_error`` maps a urllib3 failure to NotSent or Ambiguous. The HTTP codes
and messages that ASTRO_API.md marks unknown are picks listed in the tables below, so
real traffic can correct them here and nowhere else.
"""
from __future__ import annotations

import datetime
import email.utils
import json
import math
import socket
from decimal import Context, Decimal, ROUND_HALF_UP
from typing import Any, Iterable, Mapping

import urllib3.exceptions as u3

from bridge.astro.errors import (AstroError, Ambiguous, AuthError, BusinessError,
                                 CustomerNotFound, InvalidClientID, NotSent, ProtocolError,
                                 RateLimited)

# Astro status codes known from ASTRO_API.md.
SUCCESS = 100
NO_CUSTOMER = 310
ALREADY_LINKED = 320
NOT_ELIGIBLE = 700

# Where the envelope's status and message may be (public clients read all of these;
# `status_messsage` is misspelt in Astro's answers as they read them).
STATUS_KEYS = ("astro_status", "status")
MESSAGE_KEYS = ("astro_status_message", "status_message", "status_messsage")

INVALID_CLIENT_ID_MESSAGE = "Invalid Client ID"
NO_CUSTOMER_MESSAGE = "No Customer Found"
ALREADY_EXISTS_MESSAGE = "TransactionID Already Exists"
NO_ITEM_MESSAGE = "No Item Found"

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
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None


def _first(envelope: Mapping, keys: Iterable[str]) -> Any:
    return next((envelope[k] for k in keys if envelope.get(k) is not None), None)


def envelope_status(envelope: Mapping) -> tuple[int | None, str]:
    """An answer's (status code, message), from whichever keys it uses (code None when
    there is none or it is not a number)."""
    code = _first(envelope, STATUS_KEYS)
    message = _first(envelope, MESSAGE_KEYS)
    if message is None:  # token errors and odd answers: OAuth-style or plain keys
        message = (envelope.get("error_description") or envelope.get("message")
                   or envelope.get("error") or "")
    try:
        code = int(code) if code is not None else None
    except (TypeError, ValueError, ArithmeticError):
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
    """``returnData`` of a successful call (None when the answer has none), or raise the
    AstroError the answer means. An answer that is not Astro's envelope, or a success
    under an error HTTP status, is ProtocolError: the call was sent and may have been
    processed."""
    error = _http_error(endpoint, status, headers)
    if error is not None:
        raise error
    envelope = _json(body)
    if isinstance(envelope, Mapping):
        code, message = envelope_status(envelope)
        message = _redact(message, secrets)
    else:
        code, message = None, ""
    if INVALID_CLIENT_ID_MESSAGE.lower() in message.lower():
        raise InvalidClientID(f"{endpoint}: {INVALID_CLIENT_ID_MESSAGE}", endpoint=endpoint)
    if status in AUTH_FAILURE_HTTP or (code != SUCCESS and _is_auth_message(message)):
        raise AuthError(f"{endpoint}: token refused (HTTP {status}"
                        + (f": {message})" if message else ")"), endpoint=endpoint)
    usable = isinstance(envelope, Mapping) and (code is not None or "returnData" in envelope)
    if not usable or code in (None, SUCCESS):
        if usable and 200 <= status < 300:
            return envelope.get("returnData")
        raise ProtocolError(f"{endpoint}: unusable answer (HTTP {status}); the call may "
                            "have been processed", endpoint=endpoint)
    refusal = (CustomerNotFound if code == NO_CUSTOMER or message == NO_CUSTOMER_MESSAGE
               else BusinessError)
    raise refusal(message, endpoint=endpoint, code=code, data=envelope.get("returnData"))


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
        # Seconds as strings ("1800") or as numbers: public clients have seen both.
        expires = _seconds(answer.get("expires") or answer.get("expires_in") or 0)
        if expires is None:
            raise NotSent("token: unusable login answer (expires)", endpoint="token")
        created = _seconds(answer.get("created")) if answer.get("created") else None
        return str(token), expires, created
    _, message = envelope_status(answer)
    message = _redact(message, secrets)
    if INVALID_CLIENT_ID_MESSAGE.lower() in message.lower():
        raise InvalidClientID(f"token: {INVALID_CLIENT_ID_MESSAGE}", endpoint="token")
    raise AuthError(f"token: login refused (HTTP {status}" + (f": {message})" if message else ")"),
                    endpoint="token")


def _seconds(value: Any) -> float | None:
    """A count of seconds sent as a number or as text; None when it is not one."""
    try:
        seconds = float(value)
    except (TypeError, ValueError, ArithmeticError):
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


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


def _connect_failure(errors) -> str:
    """Why no connection was made, in a few words (never the URL: it may hold a login).
    Through a proxy, the proxy is named: "proxy: connection refused"."""
    def found(*kinds, unless=()):
        return any(isinstance(e, kinds) and not isinstance(e, unless) for e in errors)

    def why() -> str:
        if found(ConnectionRefusedError):
            return "connection refused"
        if found(socket.gaierror):
            return "name not resolved"
        if found(u3.SSLError):
            return "TLS handshake failed"
        # urllib3's NewConnectionError is a ConnectTimeoutError too: not a timeout by
        # itself.
        if found(u3.ConnectTimeoutError, TimeoutError, unless=u3.NewConnectionError):
            return "connect timeout"
        for e in errors:
            if isinstance(e, OSError) and e.strerror:
                return e.strerror.lower()
        return "no connection"

    return f"proxy: {why()}" if found(u3.ProxyError) else why()


def transport_error(endpoint: str, exc: Exception) -> AstroError:
    """NotSent when the request surely never left; Ambiguous when it may have been read.

    `exc` is what urllib3 raised (with retries off, the error itself): no connection made
    (NewConnectionError, a connect timeout, a TLS handshake or proxy failure) is NotSent;
    a dropped or silent connection after sending (ProtocolError, ReadTimeoutError) is
    Ambiguous, as is anything else.
    """
    kind = type(exc).__name__
    if isinstance(exc, (u3.LocationValueError, u3.URLSchemeUnknown, u3.ProxySchemeUnknown)):
        return AstroError(f"{endpoint}: bad Astro URL ({kind})", endpoint=endpoint)
    inner = _causes(exc)
    if any(isinstance(e, u3.ReadTimeoutError) for e in inner):
        return Ambiguous(f"{endpoint}: no complete answer (read timeout); the call may "
                         "have been processed", endpoint=endpoint)
    if any(isinstance(e, (u3.ProtocolError, ConnectionResetError)) for e in inner):
        return Ambiguous(f"{endpoint}: connection dropped after sending; the call may have "
                         "been processed", endpoint=endpoint)
    if any(isinstance(e, (u3.NewConnectionError, u3.ConnectTimeoutError, u3.SSLError,
                          u3.ProxyError, ConnectionRefusedError)) for e in inner):
        reason = _connect_failure(inner)
        return NotSent(f"{endpoint}: could not connect ({reason})", endpoint=endpoint,
                       reason=reason)
    # Anything else may have happened after the request was written: assume the worst.
    return Ambiguous(f"{endpoint}: transport error ({kind}); the call may have been "
                     "processed", endpoint=endpoint)
