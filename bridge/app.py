"""The whole WSGI app of astro-bridge, composed of its two sides:

- bridge.web's button side at `/` (button, receipts with their rewards, builder,
  health), the app the others are mounted on;
- bridge.admin's pages mounted at `/admin`, sharing the web side's Astro clients;
- the REST proxy's routes under `/api/json` (bridge.web.restproxy).

`astro-bridge serve`, the tests and the benchmarks build the bridge here.

May import: bridge.web, bridge.admin and what they stand on; nothing imports it but
bridge.cli (and the tests and scripts).
"""
from __future__ import annotations

import bottle

from bridge.admin import mount_admin
from bridge.astro import StoreClients
from bridge.config import Config
from bridge.journal import Journal
from bridge.web import create_web_app
from bridge.web.restproxy import install_rest_proxy
from bridge.webbase.throttle import LoginThrottle


def create_app(config: Config, journal: Journal, clients: StoreClients | None = None, *,
               throttle: LoginThrottle | None = None) -> bottle.Bottle:
    """A new app serving `config`'s stores with `journal`: the button side, the admin
    pages at /admin and the REST proxy.

    `clients` is the StoreClients shared with the retry worker (made here when None);
    `throttle` the button login throttle (default policy when None; the admin login has
    its own). The button side's state is `app.config["bridge.web"]` (a BridgeWeb)."""
    app = create_web_app(config, journal, clients, throttle=throttle)
    mount_admin(app, config, journal, app.config["bridge.web"].clients)
    install_rest_proxy(app, config, journal)
    return app
