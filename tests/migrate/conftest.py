"""Fixtures for the migration tests: a store on the sandbox in a chosen phase, a real
journal in tmp_path, and a shadow evaluator that uses a real AstroClient."""
import dataclasses
import socket
import sqlite3

import pytest

from bridge.astro import AstroClient
from bridge.journal import Journal
from bridge.migrate.phases import ShadowEvaluator
from tests.conftest import demo_config_for_tests

# A button sale of the seeded customer Sally, with a SaleID and the real Astro login.
SALE = ("apiusername=demo&apipassword=demo-password&CustomerID=SALLY-1&FirstName=Sally"
        "&LastName=Pet+Owner&Email=sally%40example.com&UPC1=012345678905&Qty1=2"
        "&Description1=Dog+Food&SubTotal=45.98&SaleID=1001")


@pytest.fixture
def sale_query():
    return SALE


@pytest.fixture
def journal(tmp_path):
    with Journal(tmp_path / "bridge.db") as j:
        yield j


@pytest.fixture
def make_config(sandbox, tmp_path):
    """make_config(phase, **store_options) -> a Config whose one store `demo` is on the
    sandbox, with the sandbox's /legacy as its legacy URL."""
    def make(phase="passthrough", **options):
        config = demo_config_for_tests(sandbox.api_url, str(tmp_path / "bridge.db"))
        store = dataclasses.replace(config.stores[0], phase=phase,
                                    legacy_url=sandbox.legacy_url, **options)
        return dataclasses.replace(config, stores=(store,))
    return make


@pytest.fixture
def client_for():
    """client_for(store) -> a real AstroClient for the store's login (closed at the end)."""
    clients = {}

    def make(store):
        if store.id not in clients:
            clients[store.id] = AstroClient(store.astro.base_url, store.astro.username,
                                            store.astro.password.reveal(),
                                            store.astro.client_id, read_timeout=3.0)
        return clients[store.id]
    yield make
    for c in clients.values():
        c.close()


@pytest.fixture
def shadow(journal, client_for):
    """A running shadow evaluator on `journal`."""
    evaluator = ShadowEvaluator(journal, client_for)
    yield evaluator
    evaluator.close()


@pytest.fixture
def journal_text(journal):
    """journal_text() -> every row of every table of the journal's file, as text (to
    check that no password or token was stored anywhere)."""
    def dump() -> str:
        conn = sqlite3.connect(journal.path)
        try:
            return "\n".join(repr(row) for (table,) in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")
                for row in conn.execute(f"SELECT * FROM {table}"))
        finally:
            conn.close()
    return dump


@pytest.fixture
def dead_url():
    """An http URL on 127.0.0.1 where nothing listens."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/json"
