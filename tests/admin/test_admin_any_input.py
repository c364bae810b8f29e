"""Any input to the admin pages gets a 2xx, 3xx or 4xx, never a 5xx: the minimized cases
found by an outside fuzz, then generated inputs (hypothesis). The whole bridge app
(create_app, the admin pages mounted at /admin) under webtest, a real journal."""
import base64
import json
from urllib.parse import quote, urlencode

import pytest
import webtest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.app import create_app
from bridge.reasons import Reason
from tests.admin.conftest import ADMIN_PASSWORD

BOUNDED = settings(max_examples=60, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.too_slow,
                                          HealthCheck.function_scoped_fixture])
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture
def site(config, journal):
    """The bridge app (admin mounted at /admin), not logged in."""
    app = create_app(config, journal)
    yield webtest.TestApp(app, lint=False)
    app.config["bridge.web"].clients.close()


def log_in(site):
    page = site.get("/admin/login")
    form = page.forms[0]
    form["username"], form["password"] = "admin", ADMIN_PASSWORD
    form.submit(status=303)
    return site.get("/admin/failures").html.select_one('input[name="csrf"]')["value"]


@pytest.fixture
def admin(site, journal):
    """(the logged-in site, the session's CSRF token), with one failure listed."""
    journal.record_failure("demo", "transaction", "No Item Found", sale_key="demo-1",
                           customer_id="SALLY-1", item_code="850000000018",
                           reason=Reason.NO_ITEM_FOUND)
    return site, log_in(site)


# ---- the minimized cases ---------------------------------------------------------------

@pytest.mark.parametrize("param", ["days", "page", "open_page"])
@pytest.mark.parametrize("value", ["%B2", "9" * 5000])
def test_a_filter_that_is_no_whole_number_is_refused_naming_it(admin, param, value):
    site, _ = admin
    page = site.get(f"/admin/failures?{param}={value}", status=400)
    assert f'filter "{param}"' in page.html.select_one(".problem").get_text()
    if param == "days":
        assert "days" in site.get(f"/admin/failures.csv?days={value}", status=400).text


@pytest.mark.parametrize("value", ["%B2", "9" * 40, "9" * 5000])
def test_a_summary_count_that_is_no_whole_number_is_left_out(admin, value):
    site, _ = admin
    page = site.get(f"/admin/failures?retried={value}&hidden={value}", status=200)
    assert "retried and delivered" not in page.text and "hidden." not in page.text


@pytest.mark.parametrize("fields", [
    "ids=%B2", "ids=" + "9" * 40, "ids=" + "9" * 5000, "only=hide:%B2",
    "only=retry:" + "9" * 40])
def test_chosen_lines_that_are_no_line_numbers_change_nothing(admin, journal, fields):
    site, csrf = admin
    answer = site.post("/admin/failures/action", f"csrf={csrf}&action=hide&{fields}",
                       headers=FORM, status=303)
    assert "none=1" in answer.headers["Location"] or "missing=1" in answer.headers["Location"]
    assert len(site.get("/admin/failures").html.select("tr.failure")) == 1


def test_a_bad_days_on_the_action_form_is_refused_naming_it(admin):
    site, csrf = admin
    page = site.post("/admin/failures/action", f"csrf={csrf}&action=hide&ids=1&days=%B2",
                     headers=FORM, status=400)
    assert 'filter "days"' in page.html.select_one(".problem").get_text()


def test_a_failure_whose_item_code_has_digits_beyond_ascii_is_listed(admin, journal):
    site, _ = admin
    journal.record_failure("demo", "transaction", "No Item Found", sale_key="demo-2",
                           item_code="0" + "\u00b2" * 12, reason=Reason.NO_ITEM_FOUND)
    page = site.get("/admin/failures", status=200)
    assert len(page.html.select("tr.failure")) == 2


def _cookie(payload: dict) -> str:
    raw = json.dumps(payload).replace('"E"', "1e999").encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode() + ".x"


@pytest.mark.parametrize("expires", ["E", 1.5, True, "1"])
def test_a_session_cookie_with_an_odd_expiry_is_no_session(site, expires):
    site.set_cookie("astro_bridge_admin", _cookie({"u": "admin", "s": "x", "e": expires}))
    assert "/admin/login" in site.get("/admin/failures", status=303).headers["Location"]


def test_another_sites_cookie_next_to_the_session_keeps_it(admin):
    site, _ = admin
    session = site.cookies["astro_bridge_admin"]
    client = webtest.TestApp(site.app, lint=False)
    page = client.get("/admin/failures", status=200, headers={
        "Cookie": f'prefs={{"theme":"dark"}}; astro_bridge_admin={session}'})
    assert "Transaction Failures" in page.text


@pytest.mark.parametrize("csrf", ["%C3%A9", "%E9%E9", "%B2"])
def test_a_login_form_with_a_non_ascii_csrf_token_is_refused(site, csrf):
    site.get("/admin/login")
    page = site.post("/admin/login", f"csrf={csrf}&username=admin&password=x",
                     headers=FORM, status=403)
    assert "The login form expired" in page.text


@pytest.mark.parametrize("target", ["/admin/%00", "/admin/%0D%0ASet-Cookie:x=1", "/admin/\u00e9"])
def test_a_next_page_with_control_characters_goes_to_the_failures(admin, target):
    site, _ = admin
    answer = site.get(f"/admin/login?next={quote(target, safe='%/')}", status=303)
    assert answer.headers["Location"] == "/admin/failures"


def test_a_very_long_address_sends_to_the_login_without_it(site):
    answer = site.get("/admin/failures?store=" + "x" * 70_000, status=303)
    assert answer.headers["Location"] == "/admin/login"


@pytest.mark.parametrize("customer_id", ["A/1", "Jos\u00e9", "\u212aELVIN", "\U0001F436"])
def test_a_customer_id_with_a_slash_or_beyond_ascii_has_its_page(admin, journal, config,
                                                                  client, customer_id):
    from tests.admin.conftest import send_sale
    send_sale(journal, config, client, urlencode({"CustomerID": customer_id, "SaleID": "77",
                                                  "UPC1": "012345678905"}))
    site, _ = admin
    page = site.get("/admin/customers/demo/" + quote(customer_id, safe=""), status=200)
    assert [a["href"].split("?")[0] for a in page.html.select("a.receipt-link")] == \
        ["/receipt/demo-77"]
    assert customer_id in page.html.select_one("h1").get_text()


# ---- generated input -------------------------------------------------------------------

PARAMS = ("days", "page", "open_page", "store", "reason", "retried", "still_failing",
          "hidden", "missing", "none", "next", "since", "logged_out")
odd = (st.text(max_size=20)
       | st.sampled_from(("%B2", "%00", "%C3%A9", "9" * 5000, "-1", "0", " 2 ", "1e999")))


def raw_query(params) -> str:
    """Values that start with % are sent as they are (raw bytes); others are quoted."""
    return "&".join(f"{quote(k, safe='')}={v if v.startswith('%') else quote(v, safe='')}"
                    for k, v in params)


@settings(BOUNDED, max_examples=150)
@given(path=st.sampled_from(("/admin/failures", "/admin/failures.csv", "/admin/failures",
                             "/admin/migration", "/admin/login", "/admin/", "/admin")),
       params=st.lists(st.tuples(st.sampled_from(PARAMS), odd), max_size=4),
       logged_in=st.booleans())
def test_any_admin_page_address_gets_an_answer_that_is_not_a_server_error(
        admin, path, params, logged_in):
    site, _ = admin
    client = site if logged_in else webtest.TestApp(site.app, lint=False)
    answer = client.get(f"{path}?{raw_query(params)}", expect_errors=True)
    assert answer.status_code < 500


@BOUNDED
@given(fields=st.lists(st.tuples(st.sampled_from(("ids", "only", "action", "days", "store",
                                                  "reason", "csrf")), odd), max_size=5),
       keep_csrf=st.booleans())
def test_any_action_form_gets_an_answer_that_is_not_a_server_error(admin, fields,
                                                                  keep_csrf):
    site, csrf = admin
    body = raw_query(([("csrf", csrf)] if keep_csrf else []) + fields)
    answer = site.post("/admin/failures/action", body, headers=FORM, expect_errors=True)
    assert answer.status_code < 500


@BOUNDED
@given(cookie=st.text(max_size=60) | st.builds(
           lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).decode() + ".x",
           st.dictionaries(st.sampled_from(("u", "s", "e")),
                           st.integers() | st.floats() | st.text(max_size=5) | st.none())),
       login=st.lists(st.tuples(st.sampled_from(("csrf", "username", "password", "next")),
                                odd), max_size=4))
def test_any_cookie_or_login_form_gets_an_answer_that_is_not_a_server_error(site, cookie,
                                                                            login):
    encoded = quote(cookie, safe="")
    answer = site.get("/admin/failures", headers={"Cookie": f"astro_bridge_admin={encoded}"},
                      expect_errors=True)
    assert answer.status_code < 500
    answer = site.post("/admin/login", raw_query(login), expect_errors=True, headers={
        **FORM, "Cookie": f"astro_bridge_admin_login={encoded}"})
    assert answer.status_code < 500


@BOUNDED
@given(store=st.text(max_size=10), customer=st.text(max_size=20))
def test_any_customer_page_address_gets_an_answer_that_is_not_a_server_error(admin, store,
                                                                            customer):
    site, _ = admin
    answer = site.get(f"/admin/customers/{quote(store, safe='')}/{quote(customer, safe='')}",
                      expect_errors=True)
    assert answer.status_code < 500
