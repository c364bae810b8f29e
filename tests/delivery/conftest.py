"""Delivery against the sandbox Astro over real HTTP, on real SQLite journals: the
fixtures and helpers the delivery tests share."""
import datetime as dt

import pytest

from bridge.astro import AstroClient
from bridge.config import RetryPolicy, demo_config
from bridge.delivery import deliver_sale
from bridge.journal import Journal, utcnow
from bridge.translate import fingerprint, original_sale_key, plan_sale, sale_key_for
from legacy_qs import parse

KIBBLE, PUPPY, BIRD_SEED = "012345678905", "072030001234", "850000000018"
FAST = RetryPolicy(backoff_base=0.01, backoff_max=0.05, give_up_after=72 * 3600)


@pytest.fixture
def store(sandbox, tmp_path):
    return demo_config(sandbox.api_url, str(tmp_path / "j.db")).store("demo")


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
    sale = parse(query, convert_upc=store.convert_upc)
    key = sale_key_for(store, sale) or journal.new_sale_key(store.id)
    original = None
    if original_sale_key(store, sale):
        found = journal.get_sale(original_sale_key(store, sale))
        original = found.plan if found else None
    plan = plan_sale(sale, store, key, today=dt.date(2026, 3, 14), original=original)
    return journal.record_sale(store.id, sale, plan, fingerprint(sale, store),
                               received_at or utcnow()).sale_key


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
