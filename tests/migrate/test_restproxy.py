"""The REST proxy: calls forwarded byte for byte to the store's Astro, answers returned
unchanged, transaction and redemption failures recorded in the bridge's report."""
import dataclasses
import io
import logging
import json
from urllib.parse import urlencode

import bottle
import pytest
import requests
import webtest

from bridge.reasons import Reason
from bridge.web.restproxy import install_rest_proxy
from bridge.web.serving import BridgeServer

TOKEN_BODY = urlencode({"username": "demo", "password": "demo-password",
                        "grant_type": "password", "client_id": "demo-client"}).encode()
FORM = "application/x-www-form-urlencoded"


class RecordingAstro:
    """The sandbox's own WSGI app behind a real HTTP server that keeps, per call, what it
    received (body bytes, headers) and what it answered (status, type, body)."""

    def __init__(self, sandbox_app):
        self.inner = sandbox_app
        self.calls = []
        # BridgeServer stops waitress from its own loop thread: closing it from another
        # thread races the loop's select() (EBADF, waitress issue #468).
        self.server = BridgeServer(self.wsgi, threads=4)
        self.api_url = f"{self.server.url}/api/json"

    def wsgi(self, environ, start_response):
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)
        call = {"path": environ["PATH_INFO"], "body": body,
                "content_type": environ.get("CONTENT_TYPE"),
                "authorization": environ.get("HTTP_AUTHORIZATION")}
        self.calls.append(call)

        def keep(status, headers, exc_info=None):
            call["status"] = status
            call["answer_type"] = dict(headers).get("Content-Type")
            return start_response(status, headers, exc_info)
        answer = b"".join(self.inner(environ, keep))
        call["answer"] = answer
        return [answer]

    def __enter__(self):
        self.server.start()
        return self

    def __exit__(self, *exc):
        self.server.stop(drain=2.0)


@pytest.fixture
def astro(sandbox):
    with RecordingAstro(sandbox.app) as recording:
        yield recording


@pytest.fixture
def pos(make_config, astro, journal):
    """The bridge's proxy routes as a POS sees them, forwarding to the recording Astro."""
    config = make_config("rest")
    store = dataclasses.replace(config.stores[0],
                                astro=dataclasses.replace(config.stores[0].astro,
                                                          base_url=astro.api_url))
    app = bottle.Bottle()
    install_rest_proxy(app, dataclasses.replace(config, stores=(store,)), journal)
    return webtest.TestApp(app)


def _token(pos):
    answer = pos.post("/api/json/token/", TOKEN_BODY, headers={"Content-Type": FORM})
    return answer.json["access_token"]


def _call(pos, endpoint, payload, token, status="*"):
    body = urlencode({"jsonData": json.dumps(payload)}).encode()
    return pos.post(f"/api/json/{endpoint}/", body, status=status,
                    headers={"Content-Type": FORM, "Authorization": f"Bearer {token}"})


def test_token_call_is_forwarded_and_answered_byte_for_byte(pos, astro, sandbox):
    answer = pos.post("/api/json/token/", TOKEN_BODY, headers={"Content-Type": FORM})
    [call] = astro.calls
    assert call["path"] == "/api/json/token/"
    assert (call["body"], call["content_type"]) == (TOKEN_BODY, FORM)
    assert answer.status == call["status"]
    assert answer.headers["Content-Type"] == call["answer_type"]
    assert answer.body == call["answer"]
    direct = requests.post(sandbox.api_url + "/token/", data=TOKEN_BODY,
                           headers={"Content-Type": FORM}, timeout=5)
    assert direct.json().keys() == answer.json.keys()


def test_batch_is_forwarded_unchanged_and_its_refused_line_lands_in_the_failure_report(
        pos, astro, journal, journal_text, caplog):
    caplog.set_level(logging.DEBUG)
    token = _token(pos)
    payload = {"customerID": "SALLY-1", "saleID": "S-77", "transactions": [
        {"transactionID": "S-77-1", "item_code": "012345678905", "item_qty": 1,
         "item_transaction_date": "2026-11-01"},
        {"transactionID": "S-77-2", "item_code": "850000000018", "item_qty": 1,
         "item_transaction_date": "2026-11-01"}]}
    answer = _call(pos, "addTransactionBatch", payload, token)
    call = astro.calls[-1]
    assert call["body"] == urlencode({"jsonData": json.dumps(payload)}).encode()
    assert call["authorization"] == f"Bearer {token}"
    assert (answer.status, answer.body, answer.headers["Content-Type"]) == \
        (call["status"], call["answer"], call["answer_type"])
    lines = answer.json["returnData"]
    assert [ln["transaction_status"] for ln in lines][0] == 100

    [failure] = journal.failures(store="demo")
    assert (failure.kind, failure.endpoint, failure.customer_id, failure.transaction_id,
            failure.item_code, failure.message, failure.reason) == (
        "transaction", "addTransactionBatch", "SALLY-1", "S-77-2", "850000000018",
        "No Item Found", Reason.NO_ITEM_FOUND)
    for text in (journal_text(), caplog.text):
        assert "demo-password" not in text and token not in text


def test_refused_redemption_is_recorded_and_astro_error_answer_passes_through(
        pos, astro, journal):
    token = _token(pos)
    answer = _call(pos, "redeemPoints", {"customerID": "SALLY-1",
                                         "astro_points_reward_id": "502"}, token)
    call = astro.calls[-1]
    assert (answer.status, answer.body) == (call["status"], call["answer"])
    assert answer.json["astro_status"] != 100
    [failure] = journal.failures(store="demo")
    assert (failure.kind, failure.endpoint, failure.customer_id) == \
        ("redemption", "redeemPoints", "SALLY-1")
    assert failure.message == answer.json["astro_status_message"]


def test_read_only_calls_and_successes_record_nothing(pos, journal):
    token = _token(pos)
    _call(pos, "customerStatus", {"customerID": "NOBODY"}, token)
    _call(pos, "addTransactionBatch", {"customerID": "SALLY-1", "transactions": [
        {"transactionID": "S-78-1", "item_code": "WASH-SELF", "item_qty": 1,
         "item_transaction_date": "2026-11-01"}]}, token)
    assert journal.failures(store="demo") == []


def test_bad_token_answer_comes_back_unchanged(pos, astro):
    answer = _call(pos, "customerStatus", {"customerID": "SALLY-1"}, "not-a-token")
    call = astro.calls[-1]
    assert answer.status == call["status"] and answer.status_int != 200
    assert answer.body == call["answer"]


def test_unreachable_astro_is_503_and_path_tricks_are_refused(make_config, journal,
                                                             dead_url):
    config = make_config("rest")
    store = config.stores[0]
    dead = dataclasses.replace(store, astro=dataclasses.replace(store.astro,
                                                               base_url=dead_url))
    app = bottle.Bottle()
    install_rest_proxy(app, dataclasses.replace(config, stores=(dead,)), journal)
    pos = webtest.TestApp(app)
    answer = pos.post("/api/json/token/", TOKEN_BODY, status="*",
                      headers={"Content-Type": FORM})
    assert answer.status_int == 503
    assert pos.post("/api/json/..%2Fadmin/", b"", status="*").status_int == 404


def test_several_stores_without_a_proxy_store_forward_nothing(make_config, journal, astro):
    config = make_config("rest")
    other = dataclasses.replace(config.stores[0], id="north")
    app = bottle.Bottle()
    install_rest_proxy(app, dataclasses.replace(config, stores=(config.stores[0], other)),
                       journal)
    answer = webtest.TestApp(app).post("/api/json/token/", TOKEN_BODY, status="*",
                                       headers={"Content-Type": FORM})
    assert answer.status_int == 503
    assert "[rest_proxy] store" in answer.json["astro_status_message"]
    assert astro.calls == []


def _two_store_toml(tmp_path, main_url, north_url, proxy_section):
    path = tmp_path / "proxy.toml"
    stores = "".join(f"""
[stores.{sid}]
button_auth = "delegate"
[stores.{sid}.astro]
base_url = "{url}"
client_id = "demo-client"
""" for sid, url in (("main", main_url), ("north", north_url)))
    path.write_text(proxy_section + stores)
    return path


def test_rest_proxy_store_option_picks_the_store_among_several(tmp_path, journal, astro,
                                                               dead_url):
    from bridge.config import load_config
    config = load_config(_two_store_toml(tmp_path, dead_url, astro.api_url,
                                         '[rest_proxy]\nstore = "north"\n'))
    app = bottle.Bottle()
    install_rest_proxy(app, config, journal)
    answer = webtest.TestApp(app).post("/api/json/token/", TOKEN_BODY,
                                       headers={"Content-Type": FORM})
    assert answer.json["token_type"] == "bearer"
    assert [c["path"] for c in astro.calls] == ["/api/json/token/"]


def test_rest_proxy_store_must_be_a_configured_store(tmp_path, dead_url):
    from bridge.config import ConfigError, load_config
    with pytest.raises(ConfigError, match=r"rest_proxy.store: no store 'south'"):
        load_config(_two_store_toml(tmp_path, dead_url, dead_url,
                                    '[rest_proxy]\nstore = "south"\n'))


def test_answer_lost_after_astro_did_the_work_is_504(make_config, journal, sandbox):
    app = bottle.Bottle()
    install_rest_proxy(app, make_config("rest"), journal)
    pos = webtest.TestApp(app)
    token = _token(pos)
    sandbox.set_faults({"next": [{"endpoint": "addTransactionBatch", "count": 1,
                                  "fault": "drop"}]})
    answer = _call(pos, "addTransactionBatch", {"customerID": "SALLY-1", "transactions": [
        {"transactionID": "S-79-1", "item_code": "WASH-SELF", "item_qty": 1,
         "item_transaction_date": "2026-11-01"}]}, token)
    assert answer.status_int == 504
    assert "may have been processed" in answer.json["astro_status_message"]
    assert "S-79-1" in sandbox.state()["transactions"]     # the work did happen


def test_bridge_web_app_answers_rest_calls_through_the_proxy(make_config, journal, sandbox):
    from bridge.app import create_app
    pos = webtest.TestApp(create_app(make_config("rest"), journal))
    token = _token(pos)
    answer = _call(pos, "addTransactionBatch", {"customerID": "SALLY-1", "transactions": [
        {"transactionID": "S-80-1", "item_code": "850000000018", "item_qty": 1,
         "item_transaction_date": "2026-11-01"}]}, token)
    assert answer.status_int == 200
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.json["returnData"][0]["transaction_status_message"] == "No Item Found"
    assert [f.transaction_id for f in journal.failures(store="demo")] == ["S-80-1"]


def test_a_refusal_whose_message_is_under_astros_misspelt_key_is_recorded_with_it():
    from bridge.migrate.restproxy import _failures
    # Public clients read the message from `status_messsage` (sic) too.
    [failure] = _failures("redeemPoints", {"customerID": "SALLY-1"},
                          {"status": "800", "status_messsage": "Not enough points"})
    assert (failure["status_code"], failure["message"]) == (800, "Not enough points")
