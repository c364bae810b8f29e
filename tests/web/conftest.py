"""A running bridge (waitress on a free port) in front of the sandbox Astro, with the
retry worker, for the web tests. Real HTTP, real SQLite; nothing mocked."""
import dataclasses
import logging
from urllib.parse import urlencode

import pytest
import requests

from bridge.config import RetryPolicy
from bridge.delivery import Worker
from bridge.journal import Journal
from bridge.app import create_app
from bridge.astro import AstroClient, StoreClients
from bridge.web.serving import BridgeServer
from bridge.webbase.throttle import LoginThrottle, ThrottlePolicy
from tests.clock import ManualClock, wait_until
from tests.conftest import demo_config_for_tests

SALLY = {
    "apiusername": "demo", "apipassword": "demo-button",
    "CustomerID": "SALLY-1", "FirstName": "Sally", "LastName": "Pet Owner",
    "Email": "sally@example.com",
    "UPC1": "012345678905", "Description1": "Acme Adult Dog Kibble 30 lb", "Qty1": "2",
    "UPC2": "072030001234", "Description2": "Acme Puppy Kibble 15 lb", "Qty2": "1",
    "SubTotal": "45.98",
}
FAST_RETRY = RetryPolicy(backoff_base=0.05, backoff_max=0.2, give_up_after=3600)
TEST_THROTTLE = ThrottlePolicy(free_failures=1, base_delay=0.05, max_delay=0.1,
                               lockout_after=3, lockout_seconds=60)


class LiveBridge:
    """The bridge under test: `.click(params)` is a button click over HTTP. Its login
    throttle runs on `.clock`, which moves only when the test advances it."""

    def __init__(self, config, sandbox, *, worker: bool = True, client_factory=AstroClient):
        self.config = config
        self.sandbox = sandbox
        self.journal = Journal(config.journal_path)
        self.clients = StoreClients(config, factory=client_factory)
        self.clock = ManualClock()
        self.app = create_app(config, self.journal, self.clients,
                              throttle=LoginThrottle(self.journal, TEST_THROTTLE, clock=self.clock))
        self.server = BridgeServer(self.app).start()
        self.url = self.server.url
        self.worker = Worker(self.journal, self.clients, retry=config.retry,
                             poll_interval=0.05) if worker else None
        if self.worker:
            self.worker.start()
        self.http = requests.Session()

    def click(self, params=None, *, method="GET", **more):
        params = {**(SALLY if params is None else params), **more}
        query = urlencode(params)
        if method == "POST":
            return self.http.post(self.url + "/", data=query, allow_redirects=False,
                                  headers={"Content-Type": "application/x-www-form-urlencoded"})
        return self.http.get(f"{self.url}/?{query}", allow_redirects=False)

    def receipt(self, answer, *, json=False):
        assert answer.status_code == 303, answer.text
        headers = {"Accept": "application/json"} if json else {}
        return self.http.get(self.url + answer.headers["Location"], headers=headers)

    def wait_status(self, sale_key, wanted=("delivered", "partial"), timeout=15.0):
        """The sale once its status is one of `wanted` (bounded wait)."""
        def reached():
            sale = self.journal.get_sale(sale_key)
            return sale if sale.status in wanted else None
        return wait_until(reached, f"{sale_key} to be {' or '.join(wanted)}", timeout)

    def close(self):
        self.server.stop(drain=2)
        if self.worker:
            self.worker.stop()
        self.app.config["bridge.web"].close()
        self.clients.close()
        self.journal.close()


def sale_key_of(answer) -> str:
    """The sale key in a 303 to a receipt."""
    return answer.headers["Location"].split("/receipt/", 1)[1].split("?", 1)[0]


def settled(bridge, answer):
    """The click, once a background read it may have asked for has come in (the round's
    customerStatus answered before the writes landed: the receipt reloads when it is)."""
    key = sale_key_of(answer)
    wait_until(lambda: not (bridge.journal.get_sale(key).receipt or {}).get("checking"),
               "the click's background read")
    return answer


@pytest.fixture
def bridge_config(sandbox, tmp_path):
    return dataclasses.replace(demo_config_for_tests(sandbox.api_url, str(tmp_path / "journal.db")),
                               request_deadline=3.0, retry=FAST_RETRY)


@pytest.fixture
def bridge(bridge_config, sandbox, caplog):
    caplog.set_level(logging.INFO)
    live = LiveBridge(bridge_config, sandbox)
    yield live
    live.close()
