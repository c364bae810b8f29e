"""Admin test fixtures: a configuration on the sandbox Astro (tests/conftest.py), a real
journal in tmp_path, the admin app under webtest, and helpers to make failures by
sending real sales."""
import dataclasses
import datetime as dt
import time

import pytest
import webtest

from bridge.astro import AstroClient
from bridge.config import AdminUser
from bridge.journal import Journal
from bridge.passwords import hash_password
from bridge.webbase.throttle import LoginThrottle, ThrottlePolicy
from tests.clock import ManualClock
from tests.conftest import TEST_HASH_N, demo_config_for_tests

ADMIN_USER = "admin"
ADMIN_PASSWORD = "correct horse battery"
# Cheap scrypt parameters keep each login check fast in tests.
ADMIN_HASH = hash_password(ADMIN_PASSWORD, n=TEST_HASH_N)


@pytest.fixture
def config(sandbox, tmp_path):
    base = demo_config_for_tests(sandbox.api_url, str(tmp_path / "journal.db"))
    return dataclasses.replace(base, admins=(AdminUser(ADMIN_USER, ADMIN_HASH),))


@pytest.fixture
def journal(config):
    with Journal(config.journal_path) as j:
        yield j


@pytest.fixture
def client(config):
    a = config.stores[0].astro
    with AstroClient(a.base_url, a.username, a.password.reveal(), a.client_id,
                     read_timeout=5, max_retries=0) as c:
        yield c


def fast_throttle(clock=time.monotonic):
    return LoginThrottle(ThrottlePolicy(free_failures=1, base_delay=0.1, max_delay=0.2,
                                        lockout_after=5, lockout_seconds=60), clock=clock)


@pytest.fixture
def clock():
    """The clock of the admin login throttle of `make_app`: moves when the test says."""
    return ManualClock()


@pytest.fixture
def make_app(config, journal, client, clock):
    from bridge.admin import create_admin_app

    def make(**options):
        options.setdefault("throttle", fast_throttle(clock))
        return create_admin_app(config, journal, {"demo": client}, **options)
    return make


@pytest.fixture
def app(make_app):
    """The admin app under webtest, as if mounted at /admin."""
    return webtest.TestApp(make_app(), extra_environ={"SCRIPT_NAME": "/admin"})


def log_in(app, user=ADMIN_USER, password=ADMIN_PASSWORD, status=303):
    page = app.get("/login")
    form = page.forms[0]
    form["username"] = user
    form["password"] = password
    return form.submit(status=status)


def now():
    return dt.datetime.now(dt.timezone.utc)


def record_sale(journal, config, query: str) -> str:
    """Record a button sale of the first store in the journal (nothing sent yet), the
    way the button request does (bridge.intake); returns its sale key."""
    from bridge import intake
    from legacy_qs import parse

    return intake.take_in(journal, config.stores[0], parse(query), now=now()).sale_key


def send_sale(journal, config, client, query: str):
    """Record a button sale in the journal and deliver it to the sandbox, the way the
    button request does; returns the DeliveryOutcome."""
    from bridge import delivery

    return delivery.deliver_sale(journal, client, record_sale(journal, config, query))


# A sale with one enrolled item and one item of a program the store is NOT enrolled in.
NOT_ENROLLED_SALE = ("CustomerID=SALLY-1&FirstName=Sally&LastName=Pet%20Owner"
                     "&Email=sally@example.com&SaleID=1001"
                     "&UPC1=012345678905&Description1=Acme%20Adult%20Kibble&Qty1=1"
                     "&UPC2=850000000018&Description2=Songbird%20Seed&Qty2=1")
