"""Any input to the button URL, the receipt, its forms, the builder and the REST proxy
gets a 2xx, 3xx or 4xx from the real app, never a 5xx: the minimized cases found by an
outside fuzz first, then generated inputs (hypothesis). webtest on create_app, the
sandbox Astro over real HTTP, a real journal."""
import dataclasses
from decimal import Decimal
from urllib.parse import quote, urlencode

import pytest
import webtest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.app import create_app
from bridge.journal import Journal
from bridge.webbase.throttle import LoginThrottle, ThrottlePolicy
from tests.conftest import demo_config_for_tests

BOUNDED = settings(max_examples=100, deadline=None, database=None,
                   suppress_health_check=[HealthCheck.too_slow,
                                          HealthCheck.function_scoped_fixture])
LOGIN = [("apiusername", "demo"), ("apipassword", "demo-button")]
SALE = LOGIN + [("CustomerID", "SALLY-1"), ("UPC1", "012345678905"), ("Qty1", "1")]
# No throttling: these tests are about answers to odd input, not about wrong logins.
NO_THROTTLE = ThrottlePolicy(free_failures=10**9, lockout_after=10**9)


@pytest.fixture
def app(sandbox, tmp_path):
    config = dataclasses.replace(
        demo_config_for_tests(sandbox.api_url, str(tmp_path / "journal.db")),
        request_deadline=3.0)
    journal = Journal(config.journal_path)
    web_app = create_app(config, journal, throttle=LoginThrottle(journal, NO_THROTTLE))
    yield webtest.TestApp(web_app, lint=False)
    web_app.config["bridge.web"].clients.close()
    journal.close()


def click(app, pairs, **kw):
    return app.get("/?" + urlencode(pairs), expect_errors=True, **kw)


def problem(answer) -> str:
    return answer.html.select_one(".problem").get_text(" ", strip=True)


def receipt_form(app):
    """(receipt path, t, csrf) of a delivered sale (no SaleID: it can be sent again)."""
    answer = click(app, SALE + [("SubTotal", "12.00")])
    assert answer.status_code == 303
    location = answer.headers["Location"]
    page = app.get(location, {"repeat": "1"})
    csrf = page.html.select_one('input[name="csrf"]')["value"]
    return location.split("?")[0], location.split("t=", 1)[1], csrf


# ---- the minimized cases ---------------------------------------------------------------

@pytest.mark.parametrize("date", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00",
                                  "0001-01-01", "9999-12-31"])
def test_a_date_at_the_ends_of_the_calendar_is_refused_naming_date(app, date, sandbox):
    answer = click(app, SALE + [("Date", date)])
    assert answer.status_code == 400
    assert problem(answer).startswith("Date:")
    assert sandbox.state()["write_calls"] == 0


def test_a_line_number_of_thousands_of_digits_is_refused_naming_the_line(app, sandbox):
    answer = click(app, SALE + [("UPC" + "1" * 5000, "012345678905")])
    assert answer.status_code == 400
    assert problem(answer).startswith("UPC111") and "line number" in problem(answer)
    assert sandbox.state()["write_calls"] == 0


def test_a_huge_subtotal_a_store_allows_reaches_astro_as_written(sandbox, tmp_path):
    base = demo_config_for_tests(sandbox.api_url, str(tmp_path / "big.db"))
    store = dataclasses.replace(base.stores[0], max_subtotal=Decimal("1e50"))
    config = dataclasses.replace(base, stores=(store,))
    with Journal(config.journal_path) as journal:
        app = webtest.TestApp(create_app(config, journal), lint=False)
        amount = "9" * 40 + ".99"
        answer = click(app, SALE + [("SubTotal", amount), ("SaleID", "BIG-1")])
        assert answer.status_code == 303
        receipt = app.get(answer.headers["Location"], headers={"Accept": "application/json"})
        assert receipt.json["points"]["dollar_amount"] == amount
        # Written and sent (the encoder used to raise before the call was made).
        assert sandbox.state()["calls"].get("addPointsByDollar", 0) >= 1
        app.app.config["bridge.web"].clients.close()


@pytest.mark.parametrize("token", ["%C3%A9", "%E2%80%AE", "%00"])
def test_a_receipt_token_with_non_ascii_characters_is_not_found(app, token):
    answer = app.get(f"/receipt/demo-1?t={token}", expect_errors=True)
    assert answer.status_code == 404 and "No such receipt" in answer.text


# Raw form bodies: bottle reads form values as latin-1, so %B2 is "²" (a digit to
# str.isdigit, not to int) and %C3%A9 two non-ASCII characters.
@pytest.mark.parametrize("csrf", ["%B2.abc", "9" * 5000 + ".abc", "{issued}.%C3%A9%C3%A9",
                                  "{issued}.%E9"])
@pytest.mark.parametrize("action", ["again", "redeem"])
def test_a_form_with_an_odd_csrf_token_is_refused_and_sends_nothing(app, sandbox, csrf,
                                                                     action):
    path, token, real = receipt_form(app)
    before = sandbox.state()["write_calls"]
    body = f"t={token}&kind=free_good&reward_id=1&csrf=" + csrf.format(
        issued=real.split(".")[0])
    answer = app.post(f"{path}/{action}", body.encode("ascii"), expect_errors=True,
                      headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 403 and "out of date" in answer.text
    assert sandbox.state()["write_calls"] == before


def test_the_builder_names_host_when_it_is_no_web_address(app):
    answer = app.get("/button?build=1&username=demo&host=http://%5Bx")
    assert answer.status_code == 200
    assert "host: is not a web address" in answer.text


@pytest.mark.parametrize("sale_id, quoted", [("A/1", "A%2F1"), ("A/1/again", "A%2F1%2Fagain"),
                                             ("a b", "a%20b")])
def test_a_sale_id_with_a_slash_opens_its_receipt(app, sale_id, quoted):
    answer = click(app, SALE + [("SaleID", sale_id)])
    assert answer.status_code == 303
    assert answer.headers["Location"].startswith(f"/receipt/demo-{quoted}?t=")
    receipt = answer.follow()
    assert receipt.status_code == 200 and "Sent to Astro." in receipt.text


@pytest.mark.parametrize("param", ["CustomerID", "SaleID"])
def test_an_id_longer_than_astro_takes_is_refused_naming_it(app, sandbox, param):
    answer = click(app, [p for p in SALE if p[0] != param] + [(param, "x" * 65)])
    assert answer.status_code == 400
    assert problem(answer).startswith(f"{param}: longer than 64 characters")
    assert sandbox.state()["write_calls"] == 0
    assert click(app, [p for p in SALE if p[0] != param]
                 + [(param, "x" * 64)]).status_code == 303


def test_the_rest_proxy_passes_a_non_latin_authorization_header_as_received(app):
    answer = app.post("/api/json/customerStatus/", b"jsonData={}", expect_errors=True,
                      headers={"Authorization": "Bearer \u212a".encode().decode("latin-1"),
                               "Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code < 500


@pytest.mark.parametrize("header", ["Content-Type", "Authorization"])
def test_a_rest_proxy_header_with_a_line_break_is_refused_naming_it(app, sandbox, header):
    before = sandbox.state()["calls"]
    headers = {"Content-Type": "application/x-www-form-urlencoded", header: "\r"}
    answer = app.post("/api/json/customerStatus/", b"jsonData={}", expect_errors=True,
                      headers=headers)
    assert answer.status_code == 400 and f"Header {header} is not valid" in answer.text
    assert sandbox.state()["calls"] == before                      # nothing forwarded


# ---- generated input -------------------------------------------------------------------

NAMES = ("CustomerID", "FirstName", "LastName", "Email", "Phone", "SubTotal", "SaleID",
         "TransactionID", "Date", "Refund", "Store", "login", "apiusername", "apipassword",
         "UPC1", "Qty1", "Description1", "UPC2", "Qty0", "customerid", "subtotal")
LINE_FIELDS = st.sampled_from(("UPC", "Qty", "Description", "upc", "QTY"))
names = (st.sampled_from(NAMES)
         | st.builds(lambda f, n: f + n, LINE_FIELDS, st.from_regex(r"[0-9]{1,40}",
                                                                       fullmatch=True))
         | st.builds(lambda f, n: f + "1" * n, LINE_FIELDS, st.integers(4000, 6000))
         | st.text(max_size=12))
dates = (st.dates().map(str)
         | st.builds(lambda d, h: f"{d.isoformat()}T12:00:00{h:+03d}:00",
                     st.dates(), st.integers(-14, 14))
         | st.datetimes().map(lambda d: d.isoformat()))
values = (st.text(max_size=30)
          | st.from_regex(r"-?[0-9]{1,60}(\.[0-9]{0,4})?", fullmatch=True)
          | st.sampled_from(("", "1e999", "NaN", "\u00b2", "A/1", "x" * 300, "-0", "1,234.56"))
          | dates)
pairs = st.lists(st.tuples(names, values), max_size=6)


def encoded(base, extra, style):
    every = base + extra
    if style == "utf-8":
        return urlencode(every)
    if style == "latin-1":
        return urlencode(every, encoding="latin-1", errors="replace")
    return "&".join(f"{quote(n, safe='%')}={quote(v, safe='%')}" for n, v in every)


@BOUNDED
@given(extra=pairs, keep_login=st.booleans(), style=st.sampled_from(
    ("utf-8", "latin-1", "raw")), post=st.booleans(), json=st.booleans())
def test_any_button_url_gets_an_answer_that_is_not_a_server_error(app, extra, keep_login,
                                                                  style, post, json):
    base = SALE if keep_login else SALE[2:]
    query = encoded(base, extra, style)
    headers = {"Accept": "application/json"} if json else {}
    if post:
        answer = app.post("/", query.encode("latin-1", "replace"), headers={
            **headers, "Content-Type": "application/x-www-form-urlencoded"},
            expect_errors=True)
    else:
        answer = app.get("/?" + query, headers=headers, expect_errors=True)
    assert answer.status_code < 500, answer.text[:500]


@BOUNDED
@given(key=st.text(max_size=40), token=st.text(max_size=60),
       form=st.dictionaries(st.sampled_from(("t", "csrf", "kind", "reward_id", "email")),
                            st.text(max_size=40)),
       action=st.sampled_from(("again", "redeem")))
def test_any_receipt_or_form_gets_an_answer_that_is_not_a_server_error(app, key, token,
                                                                       form, action):
    path = "/receipt/" + quote(key, safe="")
    answer = app.get(f"{path}?t={quote(token, safe='')}", expect_errors=True)
    assert answer.status_code < 500
    answer = app.post(f"{path}/{action}", form, expect_errors=True)
    assert answer.status_code < 500


@BOUNDED
@given(host=st.text(max_size=30) | st.sampled_from(("http://[x", "https://a b", "ftp://x")),
       username=st.text(max_size=10), lines=st.text(max_size=8) | st.just("9" * 5000),
       style=st.text(max_size=6), field=st.text(max_size=10))
def test_any_builder_form_gets_an_answer_that_is_not_a_server_error(app, host, username,
                                                                    lines, style, field):
    answer = app.get("/button?" + urlencode({
        "build": "1", "host": host, "username": username, "lines": lines,
        "login_style": style, "field": field}), expect_errors=True)
    assert answer.status_code < 500


@BOUNDED
@given(endpoint=st.text(max_size=20), body=st.binary(max_size=200),
       auth=st.text(max_size=20), content_type=st.text(max_size=20))
def test_any_rest_proxy_call_gets_an_answer_that_is_not_a_server_error(
        app, endpoint, body, auth, content_type):
    answer = app.post(f"/api/json/{quote(endpoint, safe='')}/", body, expect_errors=True,
                      headers={"Authorization": auth.encode().decode("latin-1"),
                               "Content-Type": content_type.encode().decode("latin-1")})
    assert answer.status_code < 500
