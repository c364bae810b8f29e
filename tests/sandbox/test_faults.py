"""Every fault kind, observed with plain requests over real HTTP. Time is only ever
checked from below (a slowed call took at least its latency); which calls a setting
slows, and by how much at most, is read from the sandbox's own decision instead."""
import time

import pytest
import requests

from bridge.sandbox.faults import Faults
from bridge.sandbox.server import SandboxServer

POINTS = {"customerID": "SALLY-1", "dollarAmount": "10.00"}


def _points(sandbox):
    return [t["pointsQty"] for t in sandbox.state()["points_transactions"]]


def _next(sandbox, endpoint, fault, **options):
    sandbox.set_faults({"next": [{"endpoint": endpoint, "fault": fault, **options}]})


def test_fixed_latency_slows_the_endpoint_only(sandbox, api):
    sandbox.set_faults({"endpoints": {"customerStatus": {"latency": 0.3}}})
    started = time.monotonic()
    api.status()
    assert time.monotonic() - started >= 0.3
    faults = Faults({"endpoints": {"customerStatus": {"latency": 0.3}}})
    assert faults.decide("customerStatus").latency == 0.3
    assert faults.decide("customerPointsStatus").latency == 0


def test_latency_range_stays_within_its_bounds(sandbox, api):
    sandbox.set_faults({"endpoints": {"*": {"latency": [0.1, 0.2]}}})
    started = time.monotonic()
    api.status()
    assert time.monotonic() - started >= 0.1
    faults = Faults({"seed": 3, "endpoints": {"*": {"latency": [0.1, 0.2]}}})
    assert all(0.1 <= faults.decide("customerStatus").latency <= 0.2 for _ in range(200))


def test_error_share_is_reproducible_with_the_same_seed(sandbox, api):
    def run():
        sandbox.set_faults({"seed": 7, "endpoints": {"customerStatus": {
            "error_rate": 0.5, "error_status": [500, 503]}}})
        return [api.post("customerStatus", {"customerID": "SALLY-1"}).status_code
                for _ in range(16)]
    first = run()
    assert run() == first
    assert {200, 500, 503} <= set(first)


def test_error_share_of_one_answers_every_call_with_the_status(sandbox, api):
    sandbox.set_faults({"endpoints": {"addPointsByDollar": {"error_rate": 1,
                                                            "error_status": 503}}})
    answer = api.post("addPointsByDollar", POINTS)
    assert answer.status_code == 503 and answer.json()["astro_status"] == 503
    assert _points(sandbox) == []


def test_next_status_without_work_changes_nothing(sandbox, api):
    _next(sandbox, "addPointsByDollar", "status", status=500, count=2)
    assert [api.post("addPointsByDollar", POINTS).status_code for _ in range(3)] == [
        500, 500, 200]
    assert _points(sandbox) == [10]
    state = sandbox.state()
    assert state["calls"]["addPointsByDollar"] == 3
    assert state["handled"]["addPointsByDollar"] == 1


def test_next_status_with_work_does_it_and_still_answers_500(sandbox, api):
    _next(sandbox, "addPointsByDollar", "status", status=500, work=True)
    assert api.post("addPointsByDollar", POINTS).status_code == 500
    assert _points(sandbox) == [10]


def test_hang_past_the_client_timeout_after_doing_the_work(sandbox, api):
    _next(sandbox, "addPointsByDollar", "hang", seconds=1.5)
    with pytest.raises(requests.exceptions.ReadTimeout):   # the answer would come at 1.5 s
        api.post("addPointsByDollar", POINTS, timeout=0.5)
    assert _points(sandbox) == [10]


def test_hang_without_work_leaves_the_account_alone(sandbox, api):
    _next(sandbox, "addPointsByDollar", "hang", seconds=1.5, work=False)
    with pytest.raises(requests.exceptions.ReadTimeout):
        api.post("addPointsByDollar", POINTS, timeout=0.5)
    assert _points(sandbox) == []


def test_hang_shorter_than_the_timeout_answers_late(sandbox, api):
    _next(sandbox, "customerStatus", "hang", seconds=0.3)
    started = time.monotonic()
    assert api.post("customerStatus", {"customerID": "SALLY-1"}).status_code == 200
    assert time.monotonic() - started >= 0.3


def test_drop_does_the_work_then_cuts_the_answer(sandbox, api):
    _next(sandbox, "addPointsByDollar", "drop")
    with pytest.raises((requests.exceptions.ChunkedEncodingError,
                        requests.exceptions.ConnectionError)):
        api.post("addPointsByDollar", POINTS)
    assert _points(sandbox) == [10]
    assert api.post("addPointsByDollar", POINTS).status_code == 200  # only the next call


def test_rate_limit_answers_429_with_retry_after_and_does_nothing(sandbox, api):
    _next(sandbox, "addPointsByDollar", "rate_limit", retry_after=2)
    answer = api.post("addPointsByDollar", POINTS)
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "2"
    assert _points(sandbox) == []


def test_rate_limit_share_applies_to_the_token_endpoint(sandbox, api):
    sandbox.set_faults({"endpoints": {"token": {"rate_limit_rate": 1, "retry_after": 3}}})
    answer = requests.post(sandbox.api_url + "/token/", data={}, timeout=5)
    assert answer.status_code == 429 and answer.headers["Retry-After"] == "3"


def test_next_rules_on_star_match_any_endpoint_in_order(sandbox, api):
    sandbox.set_faults({"next": [{"endpoint": "*", "fault": "status", "status": 503},
                                 {"endpoint": "customerStatus", "fault": "status",
                                  "status": 500}]})
    assert api.post("customerPointsStatus", {"customerID": "SALLY-1"}).status_code == 503
    assert api.post("customerPointsStatus", {"customerID": "SALLY-1"}).status_code == 200
    assert api.post("customerStatus", {"customerID": "SALLY-1"}).status_code == 500
    assert sandbox.state()["faults"]["next"] == []


def test_bad_fault_document_is_refused_and_changes_nothing(sandbox):
    with pytest.raises(ValueError, match="fault must be one of"):
        sandbox.set_faults({"next": [{"endpoint": "customerStatus", "fault": "explode"}]})
    with pytest.raises(ValueError, match="unknown key"):
        sandbox.set_faults({"endpoints": {"customerStatus": {"latnecy": 1}}})
    assert sandbox.state()["faults"]["next"] == []
    answer = requests.post(sandbox.base_url + "/_sandbox/faults", data="not json", timeout=5)
    assert answer.status_code == 400


def test_set_faults_merges_and_clear_faults_removes_all(sandbox, api):
    sandbox.set_faults({"endpoints": {"customerStatus": {"latency": 0.2}}})
    merged = sandbox.set_faults({"endpoints": {"customerStatus": {"error_rate": 0}},
                                 "token_ttl": 60})
    assert merged["endpoints"]["customerStatus"] == {"latency": 0.2, "error_rate": 0}
    assert merged["token_ttl"] == 60
    sandbox.clear_faults()
    assert sandbox.state()["faults"]["endpoints"] == {}
    assert sandbox.app.sandbox.faults.decide("customerStatus").latency == 0


def test_reset_restores_seed_state_and_counters(sandbox, api):
    api.buy("SALLY-1", ("S1-1", "012345678905", 2))
    _next(sandbox, "customerStatus", "status", status=500)
    sandbox.reset()
    state = sandbox.state()
    assert state["cards"] == [] and state["transactions"] == {}
    assert state["calls"] == {} and state["faults"]["next"] == []


def test_state_counts_calls_and_writes(sandbox, api):
    api.status()
    api.status()
    state = sandbox.state()
    assert state["calls"] == {"token": 1, "customerStatus": 2}
    assert state["write_calls"] == 0
    api.buy("SALLY-1", ("S1-1", "012345678905", 2))
    state = sandbox.state()
    assert state["write_calls"] == 1
    [card] = state["cards"]
    assert (card["customerID"], card["punches"]) == ("SALLY-1", 2)
    assert state["transactions"]["S1-1"]["item_qty"] == 2


def test_html_view_shows_customers_and_cards(sandbox, api):
    api.buy("SALLY-1", ("S1-1", "WASH-SELF", 3))
    page = requests.get(sandbox.base_url + "/_sandbox/", timeout=5)
    assert page.headers["Content-Type"].startswith("text/html")
    assert "SALLY-1" in page.text and "Buy 10 Get 1 Self-Wash" in page.text


def test_control_routes_are_off_unless_asked_for():
    with SandboxServer(control=False) as sb:
        assert requests.get(sb.base_url + "/_sandbox/state", timeout=5).status_code == 404
        assert requests.post(sb.base_url + "/_sandbox/reset", timeout=5).status_code == 404
        with pytest.raises(RuntimeError):
            sb.state()


def test_next_status_may_be_any_http_error(sandbox, api):
    _next(sandbox, "customerStatus", "status", status=502)
    answer = api.post("customerStatus", {"customerID": "SALLY-1"})
    assert answer.status_code == 502 and answer.json()["astro_status"] == 502


def test_state_and_html_view_show_no_password_or_token(sandbox, api):
    api.status()
    shown = requests.get(sandbox.base_url + "/_sandbox/state", timeout=5).text + \
        requests.get(sandbox.base_url + "/_sandbox/", timeout=5).text
    assert "demo-password" not in shown and api.token not in shown


def test_answer_fault_sends_a_web_page_instead_of_astros_answer(sandbox, api):
    _next(sandbox, "addPointsByDollar", "answer", status=404)
    answer = api.post("addPointsByDollar", POINTS)
    assert answer.status_code == 404
    assert answer.headers["Content-Type"].startswith("text/html")
    assert "Not Found" in answer.text
    assert _points(sandbox) == []


def test_answer_fault_with_a_json_body_sends_that_body(sandbox, api):
    _next(sandbox, "customerStatus", "answer", status=200,
          body='{"astro_status": 100, "returnData": "not a customer"}')
    doc = api.post("customerStatus", {"customerID": "SALLY-1"}).json()
    assert doc["returnData"] == "not a customer"


def test_work_error_share_answers_500_after_doing_the_work(sandbox, api):
    sandbox.set_faults({"endpoints": {"addPointsByDollar": {"work_error_rate": 1}}})
    answer = api.post("addPointsByDollar", POINTS)
    assert answer.status_code == 500
    assert _points(sandbox) == [10]
