"""The phases through the bridge's real web app (bridge.web.create_app): the button URL
of a passthrough/shadow store is answered with the legacy redirect; rest is WEB's path."""
import dataclasses
import logging
import threading
from urllib.parse import urlsplit

import requests
import webtest

from bridge.config import ButtonUser
from bridge.passwords import hash_password
from bridge.app import create_app
from bridge.astro import StoreClients
from tests.conftest import TEST_HASH_N
from tests.hooks import HookedClient


def _app(config, journal):
    app = create_app(config, journal)
    return app, webtest.TestApp(app)


def test_passthrough_button_redirects_once_applied_by_legacy_and_keeps_no_password(
        make_config, journal, sandbox, sale_query, journal_text):
    _, web = _app(make_config("passthrough"), journal)
    answer = web.get("/?" + sale_query, status=302)
    assert answer.location == sandbox.legacy_url + "?" + sale_query
    assert requests.get(answer.location, timeout=5).status_code == 200
    state = sandbox.state()
    assert state["calls"].get("legacy") == 1
    assert state["write_calls"] == 0                      # the REST API was never used
    assert [t["item_code"] for t in state["transactions"].values()] == ["012345678905"]
    [row] = journal.migration_sales()
    assert (row["store"], row["phase"]) == ("demo", "passthrough")
    assert "demo-password" not in journal_text()


def test_crafted_button_query_cannot_redirect_elsewhere(make_config, journal, sandbox):
    _, web = _app(make_config("passthrough"), journal)
    for crafted in ("CustomerID=1&x=//evil.example/", "@evil.example",
                    "CustomerID=1%0d%0aLocation:%20http://evil.example/"):
        answer = web.get("/?" + crafted, status=302)
        parts = urlsplit(answer.location)
        assert (parts.scheme, parts.netloc, parts.path) == urlsplit(sandbox.legacy_url)[:3]


def test_shadow_redirect_does_not_wait_for_astro(make_config, journal, sandbox, sale_query):
    # The dry run's first call to Astro is held until the test lets it go: the redirect
    # must come back while the dry run has nothing yet.
    astro_may_answer = threading.Event()
    config = make_config("shadow")
    clients = StoreClients(config, factory=lambda *args, **kw: HookedClient(
        *args, before={"customerStatus": lambda: astro_may_answer.wait(15)}, **kw))
    app = create_app(config, journal, clients)
    try:
        answer = webtest.TestApp(app).get("/?" + sale_query, status=302)
        assert answer.location == sandbox.legacy_url + "?" + sale_query
        [row] = journal.migration_sales()
        assert row["outcome"] is None and "customerStatus" not in sandbox.state()["calls"]
        astro_may_answer.set()
        assert app.config["bridge.web"].shadow.drain(10)
        [row] = journal.migration_sales()
        assert row["outcome"]["customer"] == "found"
        assert sandbox.state()["write_calls"] == 0
    finally:
        astro_may_answer.set()
        app.config["bridge.web"].close()
        clients.close()


def test_store_switched_to_rest_does_not_resend_its_passthrough_sale(
        make_config, journal, sandbox, sale_query):
    _, web = _app(make_config("passthrough"), journal)
    web.get("/?" + sale_query, status=302)
    before = sandbox.state()

    _, rest = _app(make_config("rest"), journal)
    # Sally's POS clicks the same sale (same SaleID) again, now on REST.
    answer = rest.get("/?" + sale_query.replace("apipassword=demo-password",
                                                "apipassword=demo-button"), status=303)
    assert "/receipt/demo-1001" in answer.location       # the sale already recorded
    after = sandbox.state()
    assert after["write_calls"] == before["write_calls"] == 0
    assert _account(after) == _account(before)


def test_passthrough_sale_opened_as_a_receipt_after_the_switch_says_it_went_by_legacy(
        make_config, journal, sandbox, sale_query):
    for phase in ("passthrough", "shadow"):
        query = sale_query.replace("SaleID=1001", f"SaleID={phase}")
        _, web = _app(make_config(phase), journal)
        web.get("/?" + query, status=302)
        _, rest = _app(make_config("rest"), journal)
        answer = rest.get("/?" + query.replace("apipassword=demo-password",
                                               "apipassword=demo-button"), status=303)
        page = answer.follow()
        text = " ".join(page.html.get_text(" ").split())
        assert ("This sale went to Astro the old way, through Astro's own page, when the "
                "store still sent its sales there. Nothing more to do: the bridge does not "
                "send it again.") in text
        assert f"phase {phase}" not in text and "Not sent yet" not in text
        assert "Sent with the sale through Astro's own page, not by the bridge." in text
        doc = rest.get(answer.location, headers={"Accept": "application/json"}).json
        assert (doc["status"], doc["pending"]) == (phase, False)
    assert sandbox.state()["write_calls"] == 0


def test_passthrough_store_found_by_the_gate_gets_its_redirect_not_a_501(
        make_config, journal, sandbox, sale_query):
    # A REST store (button user `front`, Astro login `demo`) and a passthrough delegate
    # store naming no user, which takes any login no other store claims: the legacy
    # button's real Astro login `demo` is such a login.
    config = make_config("rest")
    rest = dataclasses.replace(config.stores[0], buttons=(
        ButtonUser("front", hash_password("front-pw", n=TEST_HASH_N)),))
    old = dataclasses.replace(
        rest, id="old", phase="passthrough", legacy_url=sandbox.legacy_url,
        button_auth="delegate", buttons=(),
        astro=dataclasses.replace(rest.astro, username=None, password=None))
    _, web = _app(dataclasses.replace(config, stores=(rest, old)), journal)
    answer = web.get("/?" + sale_query, status=302)
    assert answer.location == sandbox.legacy_url + "?" + sale_query
    [row] = journal.migration_sales()
    assert (row["store"], row["phase"]) == ("old", "passthrough")
    assert sandbox.state()["write_calls"] == 0


def _account(state):
    return {k: state[k] for k in ("customers", "cards", "transactions",
                                  "points_transactions")}


def test_passthrough_and_shadow_log_no_password(make_config, journal, sandbox, sale_query,
                                                caplog):
    caplog.set_level(logging.DEBUG)
    for phase in ("passthrough", "shadow"):
        app, web = _app(make_config(phase), journal)
        web.get("/?" + sale_query.replace("SaleID=1001", f"SaleID={phase}"), status=302)
        if app.config["bridge.web"].shadow is not None:
            assert app.config["bridge.web"].shadow.drain(10)
    assert caplog.records                      # the path does log (e.g. Astro calls)...
    assert "demo-password" not in caplog.text  # ...but never the password


def _wrong_login(sale_query, sale_id):
    return (sale_query.replace("apiusername=demo&apipassword=demo-password",
                               "apiusername=evil&apipassword=x")
            .replace("SaleID=1001", f"SaleID={sale_id}"))


def test_wrong_login_on_passthrough_store_redirects_but_is_neither_recorded_nor_counted(
        make_config, journal, sandbox, sale_query):
    from bridge.migrate.report import readiness
    config = make_config("passthrough")
    app, web = _app(config, journal)
    wrong = _wrong_login(sale_query, "bad-1")
    answer = web.get("/?" + wrong, status=302)
    assert answer.location == sandbox.legacy_url + "?" + wrong   # the legacy URL decides
    # the demo button user with a wrong password, and the Astro login with a wrong one
    for query in (wrong.replace("apiusername=evil", "apiusername=demo"),
                  wrong.replace("apipassword=x", "apipassword=demo-passwordX")
                  .replace("apiusername=evil", "apiusername=demo")):
        web.get("/?" + query, status=302)
    assert journal.migration_sales() == []
    assert readiness(config, journal).stores[0].sales_seen == 0
    # the wrong logins counted against this address like refused rest clicks
    assert len(app.config["bridge.web"].throttle) == 1

    # A right login (the Astro login, or the mapped button user) is recorded and counted.
    _, web = _app(config, journal)
    web.get("/?" + sale_query, status=302)
    web.get("/?" + sale_query.replace("apipassword=demo-password", "apipassword=demo-button")
            .replace("SaleID=1001", "SaleID=1002"), status=302)
    assert len(journal.migration_sales()) == 2
    assert readiness(config, journal).stores[0].sales_seen == 2


def test_wrong_login_on_shadow_store_is_not_shadowed(make_config, journal, sandbox, sale_query):
    app, web = _app(make_config("shadow"), journal)
    web.get("/?" + _wrong_login(sale_query, "bad-2"), status=302)
    assert app.config["bridge.web"].shadow.drain(10)
    assert journal.migration_sales() == []
    assert sandbox.state()["calls"].get("customerStatus", 0) == 0


def test_unchecked_delegate_login_is_recorded_but_never_shadowed(make_config, journal,
                                                                 sandbox, sale_query):
    config = make_config("shadow", button_auth="delegate", buttons=())
    app, web = _app(config, journal)
    # another login than the store's own Astro login: only Astro could check it
    web.get("/?" + _wrong_login(sale_query, "d-1"), status=302)
    # the store's own Astro login with a wrong password: refused, not recorded
    web.get("/?" + sale_query.replace("demo-password", "nope")
            .replace("SaleID=1001", "SaleID=d-2"), status=302)
    assert app.config["bridge.web"].shadow.drain(10)
    [row] = journal.migration_sales()
    assert row["outcome"]["error"] == "not evaluated: button login not checked"
    assert sandbox.state()["calls"].get("customerStatus", 0) == 0
