"""The bridge's web side (bottle): the legacy button endpoint, receipts, the button
URL builder and health checks. `create_app(config, journal, clients)` makes an app;
`bridge.web.serving.BridgeServer` serves one with waitress. See bridge.web.app.
"""
from bridge.web.app import create_app  # noqa: F401
