"""What the client puts on the wire and how it reads answers: pure functions, no server."""
import datetime
import json
from decimal import Decimal

import pytest

from bridge.astro import Ambiguous, AuthError, BusinessError, InvalidClientID, NotSent, \
    ProtocolError, RateLimited
from bridge.astro.protocol import encode_json, form_body, interpret, interpret_token, \
    retry_after_seconds


def test_money_is_a_json_number_with_two_decimals():
    text = encode_json({"dollarAmount": Decimal("12.5"), "b": Decimal("-3"),
                        "c": Decimal("0.105")})
    assert text == '{"dollarAmount":12.50,"b":-3.00,"c":0.11}'
    assert json.loads(text, parse_float=Decimal)["dollarAmount"] == Decimal("12.50")


def test_huge_and_tiny_amounts_never_use_exponent_notation():
    assert encode_json(Decimal("1E+3")) == "1000.00"
    assert encode_json(Decimal("1E-7")) == "0.00"


def test_an_amount_beyond_28_digits_is_written_exactly_not_refused():
    assert encode_json(Decimal("9" * 40 + ".995")) == "1" + "0" * 40 + ".00"
    assert encode_json(Decimal("-" + "9" * 40 + ".99")) == "-" + "9" * 40 + ".99"


def test_floats_are_refused_so_no_binary_noise_reaches_astro():
    with pytest.raises(TypeError):
        encode_json({"dollarAmount": 0.1 + 0.2})


def test_payload_is_one_compact_jsondata_field_with_dates_as_iso_days():
    body = form_body({"customerID": "C-1", "transactions": [
        {"item_qty": 2, "item_transaction_date": datetime.date(2024, 3, 5), "n": None,
         "name": "Café"}]})
    assert list(body) == ["jsonData"]
    assert body["jsonData"] == ('{"customerID":"C-1","transactions":[{"item_qty":2,'
                                '"item_transaction_date":"2024-03-05","n":null,"name":"Café"}]}')


def _answer(doc, status=200, headers=None, endpoint="customerStatus"):
    return interpret(endpoint, status, headers or {}, json.dumps(doc).encode())


def test_every_spelling_of_the_status_fields_is_understood():
    assert _answer({"astro_status": 100, "astro_status_message": "Success",
                    "returnData": {"a": 1}}) == {"a": 1}
    assert _answer({"status": "100", "status_message": "Success", "returnData": [1]}) == [1]
    assert _answer({"status": 100, "returnData": {"astro_customer_id": "7"}}) == \
        {"astro_customer_id": "7"}
    assert _answer({"astro_status": 100, "astro_status_message": "Success"}) is None
    for message_key in ("astro_status_message", "status_message", "status_messsage"):
        with pytest.raises(BusinessError) as info:
            _answer({"status": 320, message_key: "Customer Already Linked"},
                    endpoint="linkCustomer")
        assert (info.value.code, info.value.message, info.value.endpoint) == \
            (320, "Customer Already Linked", "linkCustomer")


def test_answer_amounts_are_read_as_decimal():
    data = _answer({"astro_status": 100, "returnData": {"reward_value": 5.10}})
    assert data["reward_value"] == Decimal("5.10")


@pytest.mark.parametrize("status,error", [
    (503, NotSent), (429, RateLimited), (500, Ambiguous), (502, Ambiguous),
    (504, Ambiguous), (401, AuthError)])
def test_http_status_decides_whether_the_call_may_have_happened(status, error):
    with pytest.raises(error) as info:
        _answer({"astro_status": 1, "astro_status_message": "x"}, status=status)
    assert type(info.value) is error
    assert info.value.endpoint == "customerStatus"


def test_retry_after_is_read_as_seconds_or_http_date():
    with pytest.raises(RateLimited) as info:
        _answer({}, status=429, headers={"Retry-After": "2"})
    assert info.value.retry_after == 2.0
    assert retry_after_seconds(None) is None
    later = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=30)
    seconds = retry_after_seconds(later.strftime("%a, %d %b %Y %H:%M:%S GMT"))
    assert 25 <= seconds <= 31


def test_unparsable_success_answer_is_ambiguous():
    with pytest.raises(Ambiguous):
        interpret("addPointsByDollar", 200, {}, b"<html>proxy says hi</html>")


@pytest.mark.parametrize("expires,created", [("1800", "1700000000"), (1800, 1700000000)])
def test_token_times_are_read_as_strings_or_as_numbers(expires, created):
    body = json.dumps({"access_token": "abc", "token_type": "bearer", "expires": expires,
                       "created": created}).encode()
    assert interpret_token(200, {}, body) == ("abc", 1800.0, 1700000000.0)


@pytest.mark.parametrize("expires", ["soon", [1800], "NaN", -5])
def test_token_with_unusable_expiry_is_not_sent_never_a_python_error(expires):
    body = json.dumps({"access_token": "abc", "expires": expires}).encode()
    with pytest.raises(NotSent, match="expires"):
        interpret_token(200, {}, body)


def test_token_refusals_are_auth_errors_and_bad_client_id_is_its_own():
    bad_client = json.dumps({"error": "invalid_client", "astro_status": 110,
                             "astro_status_message": "Invalid Client ID"}).encode()
    with pytest.raises(InvalidClientID):
        interpret_token(400, {}, bad_client)
    refused = json.dumps({"astro_status": 120, "astro_status_message":
                          "Invalid password hunter2 for demo"}).encode()
    with pytest.raises(AuthError) as info:
        interpret_token(400, {}, refused, secrets=("hunter2",))
    assert type(info.value) is AuthError
    assert "hunter2" not in str(info.value)


def test_token_endpoint_trouble_is_not_sent_because_the_call_never_left():
    with pytest.raises(NotSent):
        interpret_token(500, {}, b"")
    with pytest.raises(RateLimited):
        interpret_token(429, {"Retry-After": "1"}, b"")


def test_token_refusal_in_a_200_envelope_is_an_auth_error():
    with pytest.raises(AuthError):
        _answer({"astro_status": 130, "astro_status_message": "Invalid or Expired Token"})


@pytest.mark.parametrize("status,body", [
    (404, b"<html>Not Found</html>"),                      # a wrong base_url
    (302, b""),                                            # a login page in the way
    (400, b'{"astro_status": 100, "returnData": {}}'),     # success under an error status
    (200, b'{"unexpected": "shape"}'),
    (200, b"[" * 100000)])                                 # JSON nested too deep to read
def test_an_answer_that_is_not_astros_is_a_protocol_error_and_ambiguous(status, body):
    with pytest.raises(ProtocolError) as info:
        interpret("addPointsByDollar", status, {}, body)
    assert isinstance(info.value, Ambiguous)       # the call was sent: it may have happened
    assert f"HTTP {status}" in str(info.value)
