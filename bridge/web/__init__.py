"""The bridge's button side (bottle): the legacy button endpoint, receipts with their
rewards, the button URL builder, health checks and the REST proxy's routes.
`create_web_app(config, journal, clients)` makes the app (bridge.app.create_app mounts
the admin pages on it); `bridge.web.serving.BridgeServer` serves one with waitress.

May import: bridge.webbase and everything below it (legacy_qs, config, translate,
astro, intake, journal, delivery, redeem, reasons, migrate, passwords, salelog), bottle and
waitress. Never bridge.admin (a sibling) nor bridge.app / bridge.cli (above).
"""
from bridge.web.app import create_web_app  # noqa: F401
