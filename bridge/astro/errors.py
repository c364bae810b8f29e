"""The one exception hierarchy of the Astro client.

Callers catch what they mean:

- ``NotSent``: Astro surely did not process the call; resending is safe.
- ``Ambiguous``: the call was sent but no usable answer came back; the work may have
  happened, so a blind resend may do it twice. ``ProtocolError`` is the Ambiguous of an
  answer that came but cannot be used (not Astro's envelope, an unexpected HTTP status,
  a required field missing, an unknown shape).
- ``AuthError``: the login or token was refused (``InvalidClientID`` for a bad client id).
- ``BusinessError``: Astro answered and said no (a status code other than 100);
  ``CustomerNotFound`` when the no was ``No Customer Found`` (on any endpoint).

No exception text ever holds a password or token: messages are built here from the
endpoint, HTTP status and Astro's own status message only.
"""
from __future__ import annotations

from typing import Any


class AstroError(Exception):
    """Root of every error the Astro client raises; ``.endpoint`` names the call."""

    def __init__(self, message: str, *, endpoint: str | None = None):
        super().__init__(message)
        self.endpoint = endpoint


class NotSent(AstroError):
    """The call surely did not reach Astro, or Astro surely did not process it.
    ``.reason`` says why no connection could be made (``connection refused``, ``name
    not resolved``, ``connect timeout``...) when that was the cause, else None."""

    def __init__(self, message: str, *, endpoint: str | None = None,
                 reason: str | None = None):
        super().__init__(message, endpoint=endpoint)
        self.reason = reason


class RateLimited(NotSent):
    """Astro answered 429; ``.retry_after`` is the wait it asked for, in seconds (or None)."""

    def __init__(self, message: str, *, endpoint: str | None = None,
                 retry_after: float | None = None):
        super().__init__(message, endpoint=endpoint)
        self.retry_after = retry_after


class Ambiguous(AstroError):
    """The call was sent but the answer was lost or unusable: the work may have happened."""


class ProtocolError(Ambiguous):
    """Astro answered, but not in a form the client can use; the text names what is
    wrong (e.g. the missing field). After a write the work may have happened; after a
    read nothing changed, and asking again is harmless."""


class AuthError(AstroError):
    """Astro refused the login, or refused the token even after one refresh."""


class InvalidClientID(AuthError):
    """Astro refused the configured client id (message ``Invalid Client ID``)."""


class BusinessError(AstroError):
    """Astro processed the call and answered with an error status.

    ``.code`` is Astro's status code (None if it sent none), ``.message`` its status
    message, ``.data`` the ``returnData`` of the answer (often None).
    """

    def __init__(self, message: str, *, endpoint: str | None = None,
                 code: int | None = None, data: Any = None):
        text = f"{endpoint}: {code} {message}" if code is not None else f"{endpoint}: {message}"
        super().__init__(text, endpoint=endpoint)
        self.code = code
        self.message = message
        self.data = data


class CustomerNotFound(BusinessError):
    """Astro knows no customer linked to the ``customerID`` sent (``No Customer Found``,
    code 310), whatever the endpoint. Raised only by the client."""
