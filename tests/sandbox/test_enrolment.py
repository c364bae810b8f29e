"""Enrolling the store in a program at run time (POST /_sandbox/programs/<id>)."""
import requests
import pytest

from bridge.sandbox.server import SandboxServer

BIRD_SEED = "850000000018"        # program 104, not enrolled in the seed
KIBBLE = "012345678905"           # program 101, enrolled in the seed


def _result(api, tid, code):
    return api.buy("SALLY-1", (tid, code, 1))[0]["transaction_status_message"]


def test_enrolling_makes_the_programs_items_count_from_the_next_call(sandbox, api):
    assert _result(api, "T-1", BIRD_SEED) == "No Item Found"
    sandbox.enrol(104)
    assert _result(api, "T-2", BIRD_SEED) == "Transaction Added"
    offers = api.ok("listOffers", {})["program_list"]
    assert "104" in {o["astro_program_id"] for o in offers}
    assert {"astro_program_id": 104, "enrolled": True}.items() <= next(
        p for p in sandbox.state()["programs"] if p["astro_program_id"] == 104).items()


def test_ending_an_enrolment_makes_its_items_no_item_found(sandbox, api):
    sandbox.enrol(101, enrolled=False)
    assert _result(api, "T-1", KIBBLE) == "No Item Found"
    sandbox.reset()                                        # back to the seed's enrolment
    api.token = api.get_token()
    assert _result(api, "T-2", KIBBLE) == "Transaction Added"


def test_enrolment_is_kept_in_the_state_file(tmp_path):
    db = tmp_path / "sandbox.db"
    with SandboxServer(state_path=db) as sb:
        sb.enrol(104)
    with SandboxServer(state_path=db) as sb:
        assert [p["enrolled"] for p in sb.state()["programs"]
                if p["astro_program_id"] == 104] == [True]


def test_bad_enrolment_requests_are_refused_and_change_nothing(sandbox):
    url = sandbox.base_url + "/_sandbox/programs/"
    assert requests.post(url + "999", json={"enrolled": True}, timeout=5).status_code == 404
    assert requests.post(url + "104", json={"enrolled": "yes"}, timeout=5).status_code == 400
    assert requests.post(url + "104", data=b"{", timeout=5).status_code == 400
    with pytest.raises(ValueError):
        sandbox.enrol(104, enrolled="yes")
    assert not any(p["enrolled"] for p in sandbox.state()["programs"]
                   if p["astro_program_id"] == 104)


def test_the_state_page_enrols_with_a_button(sandbox, api):
    page = requests.get(sandbox.base_url + "/_sandbox/", timeout=5).text
    assert "Bird Seed" in page and "Enrol the store" in page
    answer = requests.post(sandbox.base_url + "/_sandbox/programs/104",
                           data={"enrolled": "1"}, allow_redirects=False, timeout=5)
    assert answer.status_code == 303 and answer.headers["Location"] == "/_sandbox/"
    assert _result(api, "T-1", BIRD_SEED) == "Transaction Added"
    page = requests.get(sandbox.base_url + "/_sandbox/", timeout=5).text
    assert "End enrolment" in page
