"""The REST proxy's routes, `POST /api/json/<endpoint>/`, for POSes that already speak
Astro's REST API: the request's body, Content-Type and Authorization go to
bridge.migrate.restproxy, which forwards them and records the failures; its answer goes
back to the POS byte for byte.
"""
from __future__ import annotations

import bottle

from bridge.migrate import restproxy
from bridge.migrate.restproxy import API_PREFIX, RestProxy, proxy_store


def install_rest_proxy(app: bottle.Bottle, config, journal) -> RestProxy | None:
    """Add the proxy routes to `app`; the RestProxy, or None when no store is chosen
    (then the routes answer 503 naming the missing option)."""
    store = proxy_store(config)
    proxy = RestProxy(store, journal) if store is not None else None

    @app.route(API_PREFIX + "/<endpoint>/", method="POST")
    def rest_proxy(endpoint: str):
        req = bottle.request
        # The headers as received (the Latin-1 text of their bytes), so they go on
        # unchanged; bottle's get_header decodes UTF-8 (and raises on other bytes).
        headers = {name: req.environ[key] for name, key in (
            ("Content-Type", "CONTENT_TYPE"), ("Authorization", "HTTP_AUTHORIZATION"))
            if req.environ.get(key)}
        # A body over the limit is not read at all (None), so nothing of it is forwarded.
        limit = restproxy.MAX_BODY
        body = req.body.read(limit + 1) if req.content_length <= limit else None
        answer = restproxy.answer(proxy, endpoint, body, headers)
        status = f"{answer.status} {answer.reason}" if answer.reason else answer.status
        response = bottle.HTTPResponse(body=answer.body, status=status)
        if answer.content_type is not None:
            response.set_header("Content-Type", answer.content_type)
        else:
            del response.headers["Content-Type"]
        return response

    return proxy
