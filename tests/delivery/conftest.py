"""Delivery against the sandbox Astro over real HTTP, on real SQLite journals: the
fixtures and helpers the delivery tests share."""
import datetime as dt

import pytest

from bridge import intake
from bridge.astro import AstroClient
from bridge.config import RetryPolicy
from bridge.delivery import deliver_sale
from bridge.journal import Journal, utcnow
from legacy_qs import parse
from tests.conftest import demo_config_for_tests

KIBBLE, PUPPY, BIRD_SEED = "012345678905", "072030001234", "850000000018"
FAST = RetryPolicy(backoff_base=0.01, backoff_max=0.05, give_up_after=72 * 3600)


@pytest.fixture
def store(sandbox, tmp_path):
    return demo_config_for_tests(sandbox.api_url, str(tmp_path / "j.db")).store("demo")


@pytest.fixture
def journal(tmp_path):
    with Journal(tmp_path / "journal.db") as j:
        yield j


@pytest.fixture
def client(sandbox):
    # No retries inside the client: each fault reaches delivery as it happened.
    with AstroClient(sandbox.api_url, "demo", "demo-password", "demo-client",
                     connect_timeout=1.0, read_timeout=2.0, max_retries=0, backoff=0.01) as c:
        yield c


def record(journal, store, query, received_at=None):
    """Take a button sale in (bridge.intake), as the button does; its sale key."""
    sale = parse(query, convert_upc=store.convert_upc)
    prepared = intake.prepare(journal, store, sale, today=dt.date(2026, 3, 14))
    return intake.record(journal, prepared, received_at or utcnow()).sale_key


def deliver(journal, client, key, **kw):
    return deliver_sale(journal, client, key, retry=FAST, **kw)


def customer(sandbox, customer_id):
    return next(c for c in sandbox.state()["customers"] if c["customerID"] == customer_id)


def points_transactions(sandbox, astro_id):
    return [t for t in sandbox.state()["points_transactions"] if t["astro_customer_id"] == astro_id]


def later(seconds: float = 60.0):
    """A clock `seconds` ahead: Astro has settled since an award whose answer was lost,
    without the test waiting for it."""
    return lambda: utcnow() + dt.timedelta(seconds=seconds)
