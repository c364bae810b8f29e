"""The headers every page of the bridge carries, the button side's and the admin's."""
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
