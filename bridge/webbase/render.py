"""The headers every page of the bridge carries, the button side's and the admin's, and
the one way both redirect (`see_other`)."""
import bottle

# Every answer of the bridge: nothing cached (receipts hold customer data), no Referer
# leaking a receipt token to another site, nothing loaded from anywhere but here.
SECURITY_HEADERS = {
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'none'; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}


def set_security_headers() -> None:
    """The after_request hook: put SECURITY_HEADERS on the current response."""
    for name, value in SECURITY_HEADERS.items():
        bottle.response.set_header(name, value)


def see_other(location: str) -> bottle.HTTPResponse:
    """A 303 to `location`, a path on this site, keeping the headers already set (a
    cookie). Relative (RFC 7231): right behind any proxy, and never a host that a
    request header named (bottle.redirect would build it from X-Forwarded-Host)."""
    answer = bottle.response.copy(cls=bottle.HTTPResponse)
    answer.status = 303
    answer.body = ""
    answer.set_header("Location", location)
    return answer
