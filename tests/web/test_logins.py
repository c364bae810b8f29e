"""Button logins: mapped and delegate stores, the Store parameter, the throttle, and
bad URLs."""
import dataclasses

import pytest
import webtest

from bridge.config import AstroLogin, ButtonUser, Secret, Store
from bridge.journal import Journal
from bridge.passwords import hash_password
from bridge.app import create_app
from bridge.webbase.throttle import LoginThrottle, ThrottlePolicy
from tests.clock import wait_until
from tests.conftest import TEST_HASH_N
from tests.web.conftest import SALLY, LiveBridge, sale_key_of


def test_password_guesses_get_401_then_the_address_is_throttled(bridge, sandbox):
    def guess(n):
        return {**SALLY, "apipassword": f"guess-{n}"}
    for n in range(3):                      # TEST_THROTTLE locks out after 3 guesses
        if n == 2:                          # inside the delay after a guess: 429 at once
            too_soon = bridge.click(guess(n))
            assert too_soon.status_code == 429 and "Too many wrong logins" in too_soon.text
            bridge.clock.advance(0.1)       # the delay (0.05 s) is over
        answer = bridge.click(guess(n))
        assert answer.status_code == 401
        assert "The button login was refused" in answer.text and "guess" not in answer.text
    refused = bridge.click(guess(3))
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert "Too many wrong logins" in refused.text
    bridge.clock.advance(59)
    assert bridge.click().status_code == 429            # even the right login, for a while
    assert sandbox.state()["write_calls"] == 0
    bridge.clock.advance(2)                             # the lockout (60 s) is over
    assert bridge.click().status_code == 303


def test_unknown_user_is_refused_like_a_wrong_password(bridge):
    answer = bridge.click({**SALLY, "apiusername": "nobody"})
    assert answer.status_code == 401
    assert "The button login was refused" in answer.text


def test_login_with_tilde_is_accepted(bridge):
    params = {k: v for k, v in SALLY.items() if k not in ("apiusername", "apipassword")}
    answer = bridge.click({**params, "login": "demo~demo-button"})
    assert answer.status_code == 303
    assert "Sent to Astro." in bridge.receipt(answer).text


@pytest.mark.parametrize("change, param", [
    ({"Qty1": "2.5"}, "Qty1"),
    ({"SubTotal": "12.345"}, "SubTotal"),
])
def test_malformed_url_gets_400_naming_the_parameter(bridge, change, param):
    answer = bridge.click({**SALLY, **change})
    assert answer.status_code == 400
    assert f"<code>{param}</code>" in answer.text
    assert "demo-button" not in answer.text


def _store(store_id, auth, api_url, *, buttons=(), login=True):
    return Store(id=store_id, name=store_id, button_auth=auth, buttons=buttons,
                 astro=AstroLogin(api_url, "demo" if login else None,
                                  Secret("demo-password") if login else None, "demo-client"))


def test_store_parameter_picks_among_stores_sharing_a_login(sandbox, tmp_path, bridge_config):
    user = (ButtonUser("front", hash_password("pw-1", n=TEST_HASH_N)),)
    config = dataclasses.replace(bridge_config, stores=(
        _store("north", "mapped", sandbox.api_url, buttons=user),
        _store("south", "mapped", sandbox.api_url, buttons=user)))
    live = LiveBridge(config, sandbox, worker=False)
    try:
        login = {**SALLY, "apiusername": "front", "apipassword": "pw-1"}
        ambiguous = live.click(login)
        assert ambiguous.status_code == 400 and "<code>Store</code>" in ambiguous.text
        answer = live.click(login, Store="SOUTH", SaleID="9")
        assert sale_key_of(answer) == "south-9"
    finally:
        live.close()


def test_delegate_store_uses_the_button_login_for_astro(sandbox, bridge_config):
    config = dataclasses.replace(bridge_config, stores=(
        _store("deleg", "delegate", sandbox.api_url, login=False),))
    live = LiveBridge(config, sandbox, worker=False)
    try:
        assert live.click({**SALLY, "apipassword": "wrong"}).status_code == 401
        answer = live.click({**SALLY, "apipassword": "demo-password"})
        assert "Sent to Astro." in live.receipt(answer).text
        # The worker of this process may deliver with that login; nothing else has one.
        assert live.clients("deleg") is not None
        assert sandbox.state()["tokens"]["issued"] == 1  # the login's token is reused
    finally:
        live.close()


def test_forwarded_address_counts_only_behind_a_trusted_proxy(sandbox, bridge_config):
    from ipaddress import ip_network

    config = dataclasses.replace(bridge_config, trusted_proxies=(ip_network("10.0.0.1/32"),))
    journal = Journal(config.journal_path)
    no_delay = ThrottlePolicy(free_failures=3, lockout_after=3, lockout_seconds=60)
    app = webtest.TestApp(create_app(config, journal, throttle=LoginThrottle(journal, no_delay)))
    wrong = "/?apiusername=demo&CustomerID=C1&apipassword=nope-"
    via_proxy = {"REMOTE_ADDR": "10.0.0.1"}
    for n in range(3):
        app.get(wrong + str(n), headers={"X-Forwarded-For": "198.51.100.7"},
                extra_environ=via_proxy, status=401)
    app.get(wrong + "3", headers={"X-Forwarded-For": "198.51.100.7"},
            extra_environ=via_proxy, status=429)
    # Another client behind the same proxy is not throttled...
    app.get(wrong + "4", headers={"X-Forwarded-For": "198.51.100.8"},
            extra_environ=via_proxy, status=401)
    # ...and a client that is not a trusted proxy cannot pick its address.
    for n in range(3):
        app.get(wrong + str(n), headers={"X-Forwarded-For": f"203.0.113.{n}"},
                extra_environ={"REMOTE_ADDR": "192.0.2.50"}, status=401)
    app.get(wrong + "3", extra_environ={"REMOTE_ADDR": "192.0.2.50"}, status=429)
    journal.close()


def test_delegate_sales_wait_after_a_restart_until_the_button_logs_in_again(
        sandbox, bridge_config):
    config = dataclasses.replace(bridge_config, stores=(
        _store("deleg", "delegate", sandbox.api_url, login=False),))
    login = {**SALLY, "apipassword": "demo-password"}
    before = LiveBridge(config, sandbox, worker=False)
    # Astro is unavailable for the whole click (the client's retries included).
    sandbox.set_faults({"next": [{"endpoint": "addTransactionBatch", "count": 5,
                                  "fault": "status", "status": 503}]})
    waiting = sale_key_of(before.click(login, SaleID="W-1"))
    before.close()                                   # the password is gone with it
    sandbox.clear_faults()

    after = LiveBridge(config, sandbox)              # a restart, with its worker
    try:
        # The worker looks at the sale and has no login to deliver it with.
        wait_until(lambda: after.journal.get_sale(waiting).last_error
                   == "no Astro login for this store in the worker", "the worker's pass")
        assert after.journal.get_sale(waiting).status == "pending"
        assert sandbox.state()["handled"].get("addTransactionBatch") is None
        after.click(login, SaleID="W-2")             # the button logs in again
        assert after.wait_status(waiting).status == "delivered"
        assert sandbox.state()["handled"]["addTransactionBatch"] == 2
    finally:
        after.close()


def test_delegate_login_astro_cannot_check_records_nothing(sandbox, bridge_config):
    config = dataclasses.replace(bridge_config, stores=(
        _store("deleg", "delegate", sandbox.api_url, login=False),))
    live = LiveBridge(config, sandbox, worker=False)
    try:
        sandbox.set_faults({"next": [{"endpoint": "token", "count": 4, "fault": "status",
                                      "status": 503}]})
        answer = live.click({**SALLY, "apipassword": "demo-password"})
        assert answer.status_code == 503
        assert "Nothing was recorded" in answer.text
        assert live.journal.sales() == []
    finally:
        live.close()


def test_a_huge_post_body_is_refused(bridge):
    answer = bridge.http.post(bridge.url + "/", data=b"CustomerID=1&x=" + b"a" * 300_000,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 413
