"""Templates and the local stylesheet of the button side's pages (the headers every
page carries are bridge.webbase.render's)."""
import json
from pathlib import Path

import bottle

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
# One list for every render: bottle caches a compiled template under the id of its
# lookup list, so a new list per call compiled every page again (the receipt's cost).
LOOKUP = [str(TEMPLATES)]


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


def notice_page(title: str, message: str) -> bottle.HTTPResponse:
    """A 200 answer that is neither a receipt nor an error (or JSON, when asked for)."""
    if wants_json():
        return json_answer({"notice": title, "message": message})
    return bottle.HTTPResponse(page("notice", title=title, message=message), 200,
                               {"Content-Type": "text/html; charset=utf-8"})


def wants_json() -> bool:
    """True when the client prefers JSON (`Accept: application/json`)."""
    accept = bottle.request.get_header("Accept", "") or ""
    return "application/json" in accept and "text/html" not in accept


def json_answer(data, status: int = 200) -> bottle.HTTPResponse:
    return bottle.HTTPResponse(json.dumps(data, indent=1, default=str), status,
                               {"Content-Type": "application/json"})
