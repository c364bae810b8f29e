"""The admin login over real HTTP (waitress on a free port, requests as the browser)."""
import dataclasses
import ipaddress
import re

import pytest
import requests

from bridge.app import create_app
from bridge.web.serving import BridgeServer
from tests.admin.conftest import ADMIN_PASSWORD


def _serve(config, journal):
    app = create_app(config, journal)
    return app, BridgeServer(app, "127.0.0.1", 0).start()


@pytest.mark.parametrize("trusted, secure", [(True, True), (False, False)])
def test_cookie_is_secure_when_a_trusted_proxy_says_https(config, journal, trusted, secure):
    if trusted:
        config = dataclasses.replace(config, trusted_proxies=(
            ipaddress.ip_network("127.0.0.1/32"),))
    app, server = _serve(config, journal)
    try:
        # Plain requests (no cookie jar): a Secure cookie is sent back by hand, as the
        # browser does over the https the proxy terminates.
        headers = {"X-Forwarded-Proto": "https"}
        page = requests.get(f"{server.url}/admin/login", headers=headers, timeout=5)
        nonce_cookie = page.headers["Set-Cookie"]
        assert nonce_cookie.startswith("astro_bridge_admin_login=")
        assert ("Secure" in nonce_cookie) is secure and "HttpOnly" in nonce_cookie
        token = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        r = requests.post(f"{server.url}/admin/login", allow_redirects=False, timeout=5,
                          headers={**headers, "Cookie": nonce_cookie.split(";")[0]},
                          data={"csrf": token, "username": "admin",
                                "password": ADMIN_PASSWORD, "next": "/admin/failures"})
        assert r.status_code == 303 and r.headers["Location"].endswith("/admin/failures")
        cookie = r.headers["Set-Cookie"]
        assert cookie.startswith("astro_bridge_admin=")
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert ("Secure" in cookie) is secure
        assert r.headers["Cache-Control"] == "no-store"
        assert "script-src 'none'" in r.headers["Content-Security-Policy"]
        session = {"Cookie": cookie.split(";")[0]}
        # Without the CSRF token nothing happens, whatever the cookie.
        assert requests.post(f"{server.url}/admin/logout", headers=session, timeout=5,
                             allow_redirects=False).status_code == 403
        assert requests.get(f"{server.url}/admin/failures", headers=session, timeout=5,
                            allow_redirects=False).status_code == 200
    finally:
        server.stop(drain=1)
        app.config["bridge.web"].clients.close()
