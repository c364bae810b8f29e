"""Templates, the local stylesheet and the headers every page carries."""
import json
from pathlib import Path

import bottle

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
# One list for every render: bottle caches a compiled template under the identity of
# its lookup list, so a new list per call compiles (and keeps) the template again.
LOOKUP = [str(TEMPLATES)]

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


def page(name: str, **values) -> str:
    """Render templates/<name>.tpl (SimpleTemplate; `{{x}}` is HTML-escaped)."""
    values.setdefault("error", None)
    values.setdefault("static_prefix", bottle.request.script_name.rstrip("/"))
    return bottle.template(name, template_lookup=LOOKUP, **values)


def error_page(status: int, title: str, message: str, **values) -> bottle.HTTPResponse:
    """An HTML (or JSON, when asked for) error answer with `status`."""
    if wants_json():
        body = json.dumps({"error": title, "message": message,
                           **({"param": values["param"]} if values.get("param") else {})})
        return bottle.HTTPResponse(body, status, {"Content-Type": "application/json"})
    html = page("error", title=title, message=message, **values)
    return bottle.HTTPResponse(html, status, {"Content-Type": "text/html; charset=utf-8"})


def wants_json() -> bool:
    """True when the client prefers JSON (`Accept: application/json`)."""
    # From the environ as received (latin-1): bottle's get_header decodes UTF-8 and
    # raises on any other byte.
    accept = bottle.request.environ.get("HTTP_ACCEPT") or ""
    return "application/json" in accept and "text/html" not in accept


def see_other(location: str) -> bottle.HTTPResponse:
    """A 303 to `location`, a path on this site, keeping the headers already set (a
    cookie). Relative (RFC 7231): right behind any proxy, and never a host that a
    request header named (bottle.redirect would build it from X-Forwarded-Host)."""
    answer = bottle.response.copy(cls=bottle.HTTPResponse)
    answer.status = 303
    answer.body = ""
    answer.set_header("Location", location)
    return answer


def json_answer(data, status: int = 200) -> bottle.HTTPResponse:
    return bottle.HTTPResponse(json.dumps(data, indent=1, default=str), status,
                               {"Content-Type": "application/json"})
