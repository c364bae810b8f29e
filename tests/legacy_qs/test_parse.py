"""One example per rule of the legacy query-string specification (parse side)."""
import datetime as dt
import json
from decimal import Decimal

import pytest
from bottle import FormsDict

from legacy_qs import Customer, LegacyQSError, LegacySale, Line, parse

BASE = "CustomerID=C-1"


def error_of(query, **options) -> LegacyQSError:
    with pytest.raises(LegacyQSError) as info:
        parse(query, **options)
    return info.value


# --- Keys and encoding ---------------------------------------------------------------

def test_parameter_names_are_case_insensitive():
    sale = parse("customerid=C-1&FIRSTNAME=Sally&upc1=WASH-10&Qty1=3&subtotal=1")
    assert sale.customer.id == "C-1"
    assert sale.customer.first_name == "Sally"
    assert sale.lines == (Line(index=1, upc="WASH-10", description=None, qty=3),)
    assert sale.subtotal == Decimal("1.00")


def test_errors_name_parameters_in_canonical_casing():
    assert error_of(f"{BASE}&upc2=1&qTY2=x").param == "Qty2"
    assert error_of(f"{BASE}&subtotal=abc").param == "SubTotal"


def test_line_numbers_may_have_leading_zeros():
    sale = parse(f"{BASE}&UPC01=A&Description01=Apple&Qty001=2")
    assert sale.lines == (Line(index=1, upc="A", description="Apple", qty=2),)


def test_line_number_zero_is_an_error():
    assert str(error_of(f"{BASE}&UPC0=A")) == "UPC0: line numbers start at 1"


def test_a_line_number_of_more_than_nine_digits_is_an_error_naming_it():
    assert str(error_of(f"{BASE}&UPC1234567890=A")) == \
        "UPC1234567890: a line number has at most 9 digits"
    err = error_of(f"{BASE}&Qty{'7' * 5000}=1")      # int() of it would raise
    assert str(err) == f"Qty{'7' * 17}...: a line number has at most 9 digits"
    assert parse(f"{BASE}&UPC000000000123456789=A").lines[0].index == 123456789


@pytest.mark.parametrize("param", ["CustomerID", "SaleID", "TransactionID"])
def test_an_id_longer_than_the_bound_is_an_error_naming_it(param):
    name = "SaleID" if param == "TransactionID" else param
    query = f"CustomerID=C&{param}={'x' * 65}" if param != "CustomerID" else "CustomerID=" + "x" * 65
    assert str(error_of(query)) == (f"{name}: longer than 64 characters, the most an id may "
                                    f"have, got '{'x' * 40}...'")
    assert str(error_of(query.replace("x" * 65, "x" * 11), max_id_length=10)).startswith(
        f"{name}: longer than 10 characters")
    assert parse(query.replace("x" * 65, "x" * 64)) is not None


@pytest.mark.parametrize("value", ["0999-12-31", "9999-01-01", "0001-01-01T00:00:00+14:00",
                                   "9999-12-31T23:59:59-12:00"])
def test_a_date_outside_the_years_1000_to_9998_is_an_error_naming_date(value):
    assert str(error_of(f"{BASE}&Date={value}")).startswith(
        "Date: must be YYYY-MM-DD or an ISO 8601 date-time, in the years 1000 to 9998")


def test_lines_keep_the_order_of_n_and_gaps_are_fine():
    sale = parse(f"{BASE}&UPC10=C&UPC2=B&UPC7=X")
    assert [(ln.index, ln.upc) for ln in sale.lines] == [(2, "B"), (7, "X"), (10, "C")]


def test_name_given_twice_is_an_error():
    assert str(error_of(f"{BASE}&UPC1=A&UPC1=B")) == "UPC1: given twice"


def test_name_given_twice_in_other_casing_is_an_error():
    assert str(error_of(f"{BASE}&Email=a@b.co&EMAIL=a@b.co")) == "Email: given twice"


def test_upc1_and_upc01_are_one_name_given_twice():
    err = error_of(f"{BASE}&UPC1=A&UPC01=B")
    assert (err.param, err.problem) == ("UPC1", "given twice")


def test_unknown_parameter_given_twice_is_an_error():
    assert str(error_of(f"{BASE}&Foo=1&FOO=2")) == "Foo: given twice"


def test_values_are_percent_decoded_as_utf8():
    assert parse("CustomerID=C-1&FirstName=Ren%C3%A9e").customer.first_name == "Renée"


def test_value_not_valid_utf8_is_decoded_as_latin1():
    assert parse("CustomerID=C-1&FirstName=Ren%E9e").customer.first_name == "Renée"
    assert parse(b"CustomerID=C-1&FirstName=Ren\xe9e").customer.first_name == "Renée"


def test_utf8_and_latin1_values_mix_in_one_query():
    sale = parse("CustomerID=C-1&FirstName=Ren%C3%A9e&LastName=M%FCller")
    assert (sale.customer.first_name, sale.customer.last_name) == ("Renée", "Müller")


def test_plus_is_a_space():
    assert parse("CustomerID=C-1&LastName=Pet+Owner").customer.last_name == "Pet Owner"


def test_surrounding_whitespace_is_trimmed():
    sale = parse("CustomerID=+%20C-1%20&FirstName=%09Sally+")
    assert (sale.customer.id, sale.customer.first_name) == ("C-1", "Sally")


def test_control_characters_are_removed():
    sale = parse("CustomerID=C%00-1&Description1=Dog%0A%07Food&UPC1=A")
    assert sale.customer.id == "C-1"
    assert sale.lines[0].description == "DogFood"


def test_names_are_trimmed_and_cleaned_too():
    assert parse("+CustomerID%00+=C-1").customer.id == "C-1"


QUERY = "CustomerID=C-1&LastName=Pet+Owner&FirstName=Ren%C3%A9e&UPC1=0012345678905&Qty1=2"
EXPECTED = parse(QUERY)


@pytest.mark.parametrize(
    "given",
    [
        pytest.param("https://astro.example/query.php?" + QUERY, id="full URL"),
        pytest.param("https://astro.example/q?" + QUERY + "#top", id="URL with fragment"),
        pytest.param("?" + QUERY, id="leading question mark"),
        pytest.param(QUERY.encode(), id="POST body bytes"),
        pytest.param(
            {"CustomerID": "C-1", "LastName": "Pet Owner", "FirstName": "Renée",
             "UPC1": "0012345678905", "Qty1": "2"}, id="form dict"),
        pytest.param(
            [("CustomerID", "C-1"), ("LastName", "Pet Owner"), ("FirstName", "Renée"),
             ("UPC1", "0012345678905"), ("Qty1", "2")], id="list of pairs"),
    ],
)
def test_get_query_and_post_form_are_accepted_the_same_way(given):
    assert parse(given) == EXPECTED
    assert parse(given).customer.first_name == "Renée"


def test_bottle_formsdict_values_are_recoded_from_wsgi_latin1():
    # bottle keeps raw bytes as Latin-1 text; "Renée" in UTF-8 arrives as "RenÃ©e".
    form = FormsDict()
    form["CustomerID"] = "C-1"
    form["FirstName"] = "Renée".encode().decode("latin-1")
    form["LastName"] = "M\xfcller"  # a Latin-1 byte: stays Müller
    sale = parse(form)
    assert (sale.customer.first_name, sale.customer.last_name) == ("Renée", "Müller")


def test_bottle_formsdict_repeated_name_is_given_twice():
    form = FormsDict()
    form.append("CustomerID", "C-1")
    form.append("customerid", "C-2")
    assert str(error_of(form)) == "CustomerID: given twice"


def test_form_list_value_with_two_elements_is_given_twice():
    assert str(error_of({"CustomerID": ["C-1", "C-2"]})) == "CustomerID: given twice"


def test_form_values_are_not_percent_decoded_again():
    assert parse({"CustomerID": "C-1", "FirstName": "50%25+off"}).customer.first_name == "50%25+off"


def test_url_with_equals_sign_in_its_path_is_still_a_url():
    assert parse("https://astro.example/a=b/q?CustomerID=C-1").customer.id == "C-1"


def test_question_mark_inside_a_bare_query_string_is_data():
    sale = parse(f"{BASE}&UPC1=A&Description1=Why%20not?")
    assert sale.lines[0].description == "Why not?"


def test_form_value_none_is_an_empty_value():
    assert parse({"CustomerID": "C-1", "Email": None}).customer.email is None


def test_url_without_query_has_no_customer():
    assert str(error_of("https://astro.example/query.php")) == "CustomerID: is required"


def test_parameter_without_name_is_ignored_with_warning():
    sale = parse(f"{BASE}&=x&&")
    assert sale.warnings == ("1 parameter(s) without a name ignored",)


def test_input_of_unsupported_type_is_a_type_error():
    with pytest.raises(TypeError):
        parse(12345)


# --- Customer ------------------------------------------------------------------------

@pytest.mark.parametrize("query", ["FirstName=Sally", "CustomerID=", "CustomerID=+%20+"])
def test_customer_id_is_required(query):
    err = error_of(query)
    assert (err.param, err.problem, str(err)) == ("CustomerID", "is required", "CustomerID: is required")


def test_phone_keeps_digits_only():
    assert parse(f"{BASE}&Phone=(555)+123-4567").customer.phone == "5551234567"


def test_phone_keeps_a_leading_plus():
    assert parse(f"{BASE}&Phone=%2B1+555.123.4567").customer.phone == "+15551234567"


def test_phone_without_digits_is_dropped_with_warning():
    sale = parse(f"{BASE}&Phone=none")
    assert sale.customer.phone is None
    assert sale.warnings == ("Phone: no digits, dropped",)


@pytest.mark.parametrize("email", ["sally", "sally@example", "sally@@example.com",
                                   "sal ly@example.com", "@example.com", "sally@example.c"])
def test_email_not_like_local_at_domain_tld_is_dropped_with_warning(email):
    sale = parse({"CustomerID": "C-1", "Email": email})
    assert sale.customer.email is None
    assert sale.warnings == ("Email: not an address like name@example.com, dropped",)


def test_valid_email_is_kept():
    sale = parse(f"{BASE}&Email=sally%40mail.example.com")
    assert sale.customer.email == "sally@mail.example.com"
    assert sale.warnings == ()


def test_empty_optional_values_are_none():
    sale = parse(f"{BASE}&FirstName=&LastName=+&Email=&Phone=&SubTotal=&Store=&SaleID=&Date=")
    assert sale == LegacySale(customer=Customer(id="C-1"))
    assert sale.warnings == ()


# --- Lines ---------------------------------------------------------------------------

@pytest.mark.parametrize("qty", ["", None])
def test_qty_absent_or_empty_means_one(qty):
    query = f"{BASE}&UPC1=A" + ("" if qty is None else f"&Qty1={qty}")
    assert parse(query).lines[0].qty == 1


@pytest.mark.parametrize("qty", ["2", "%2B2", "02", "2.0", "2.00"])
def test_qty_whole_number_forms_are_accepted(qty):
    assert parse(f"{BASE}&UPC1=A&Qty1={qty}").lines[0].qty == 2


@pytest.mark.parametrize("qty", ["2.5", "abc", "1e2", "2,0", "-", "0x10"])
def test_qty_that_is_not_a_whole_number_is_an_error_naming_qty(qty):
    err = error_of(f"{BASE}&UPC2=A&Qty2={qty}")
    assert str(err) == f"Qty2: must be a whole number, got '{qty}'"


def test_qty_error_message_example_from_the_brief():
    assert str(error_of(f"{BASE}&UPC2=A&Qty2=2.5")) == "Qty2: must be a whole number, got '2.5'"


@pytest.mark.parametrize("qty,ok", [("9999", True), ("-9999", True), ("10000", False),
                                    ("-10000", False), ("0" * 50 + "9999", True),
                                    ("9" * 5000, False)])
def test_qty_magnitude_is_at_most_9999(qty, ok):
    query = f"{BASE}&UPC1=A&Qty1={qty}"
    if ok:
        assert abs(parse(query).lines[0].qty) == 9999
    else:
        assert error_of(query).problem.startswith("must be between -9999 and 9999")


@pytest.mark.parametrize("qty", ["1000", "-1000", "9999"])
def test_a_store_s_max_qty_bounds_quantities_either_way_naming_the_limit(qty):
    assert parse(f"{BASE}&UPC1=A&Qty1=-999", max_qty=999).lines[0].qty == -999
    err = error_of(f"{BASE}&UPC1=A&Qty1={qty}", max_qty=999)
    assert (err.param, err.limit) == ("Qty1", "max_qty")
    assert str(err) == f"Qty1: must be between -999 and 999 (the store's max_qty), got '{qty}'"


@pytest.mark.parametrize("subtotal", ["99999999999999999999999", "10000.01", "-10000.01"])
def test_a_store_s_max_subtotal_bounds_the_subtotal_either_way(subtotal):
    limit = Decimal("10000.00")
    assert parse(f"{BASE}&SubTotal=-10000.00", max_subtotal=limit).subtotal == -limit
    err = error_of(f"{BASE}&SubTotal={subtotal}", max_subtotal=limit)
    assert (err.param, err.limit) == ("SubTotal", "max_subtotal")
    assert err.problem.startswith("must be between -10000.00 and 10000.00 (the store's "
                                  "max_subtotal)")
    assert parse(f"{BASE}&SubTotal={subtotal}").subtotal == Decimal(subtotal)   # no store


@pytest.mark.parametrize("query", ["UPC1=A", "CustomerID=&UPC1=A"])
def test_a_walk_in_parses_only_when_asked_for(query):
    assert str(error_of(query)) == "CustomerID: is required"
    sale = parse(query, walk_in=True)
    assert sale.walk_in and sale.customer.id == "" and sale.lines[0].upc == "A"
    assert not parse(f"{BASE}&UPC1=A", walk_in=True).walk_in


def test_qty_zero_skips_the_line_with_warning():
    sale = parse(f"{BASE}&UPC1=A&Qty1=0&UPC2=B")
    assert [ln.upc for ln in sale.lines] == ["B"]
    assert sale.warnings == ("Qty1: 0, line 1 skipped",)


def test_negative_qty_is_a_returned_item():
    assert parse(f"{BASE}&UPC1=A&Qty1=-2").lines[0].qty == -2


def test_empty_upc_skips_the_line_silently_when_nothing_else_is_set():
    sale = parse(f"{BASE}&UPC1=&UPC2=B")
    assert [ln.index for ln in sale.lines] == [2]
    assert sale.warnings == ()


@pytest.mark.parametrize("other", ["Description1=Dog+food", "Qty1=2"])
def test_empty_upc_skips_the_line_with_warning_when_description_or_qty_is_set(other):
    sale = parse(f"{BASE}&UPC1=+&{other}")
    assert sale.lines == ()
    assert sale.warnings == ("UPC1: empty, line 1 skipped",)


@pytest.mark.parametrize("param", ["Description3", "Qty3"])
def test_description_or_qty_without_upc_is_an_error(param):
    assert str(error_of(f"{BASE}&UPC1=A&{param}=1")) == f"{param}: given without UPC3"


def test_description_over_200_characters_is_cut_with_warning():
    sale = parse({"CustomerID": "C-1", "UPC1": "A", "Description1": "x" * 250})
    assert sale.lines[0].description == "x" * 200
    assert sale.warnings == ("Description1: cut to 200 characters",)


def test_description_of_exactly_200_characters_is_kept():
    sale = parse({"CustomerID": "C-1", "UPC1": "A", "Description1": "é" * 200})
    assert sale.lines[0].description == "é" * 200
    assert sale.warnings == ()


def lines_query(count: int) -> str:
    return BASE + "".join(f"&UPC{n}=I{n}" for n in range(1, count + 1))


def test_at_most_500_lines_by_default():
    assert len(parse(lines_query(500)).lines) == 500
    assert str(error_of(lines_query(501))) == "UPC501: more than 500 lines (the limit is 500)"


def test_line_limit_is_configurable():
    assert len(parse(lines_query(3), max_lines=3).lines) == 3
    assert error_of(lines_query(4), max_lines=3).param == "UPC4"


# --- Item codes through parse (the rules themselves: test_itemcodes.py) -------------------

def test_ean13_with_leading_zero_becomes_upc_a_in_the_sale():
    assert parse(f"{BASE}&UPC1=0012345678905").lines[0].upc == "012345678905"


def test_upc_conversion_can_be_switched_off():
    sale = parse(f"{BASE}&UPC1=0012345678905", convert_upc=False)
    assert sale.lines[0].upc == "0012345678905"


def test_wrong_check_digit_is_kept_with_a_warning_naming_the_line():
    sale = parse(f"{BASE}&UPC1=0012345678906")
    assert sale.lines[0].upc == "0012345678906"
    assert sale.warnings == ("UPC1: wrong check digit, kept as given",)


def test_store_item_number_is_kept_exactly():
    assert parse(f"{BASE}&UPC1=+wash-Self+").lines[0].upc == "wash-Self"


# --- Money through parse (the rules themselves: test_money.py) -------------------------

def test_subtotal_becomes_decimal_with_two_decimals():
    assert parse(f"{BASE}&SubTotal=%241%2C234.5").subtotal == Decimal("1234.50")


def test_bad_subtotal_is_an_error_naming_subtotal():
    err = error_of(f"{BASE}&SubTotal=12.345")
    assert err.param == "SubTotal"
    assert str(err) == "SubTotal: must be an amount like 12.34 (at most two decimals), got '12.345'"


# --- Extensions ----------------------------------------------------------------------

def test_sale_id_is_kept():
    assert parse(f"{BASE}&SaleID=S-42").sale_id == "S-42"


def test_transaction_id_is_an_alias_of_sale_id():
    assert parse(f"{BASE}&transactionid=S-42").sale_id == "S-42"


def test_sale_id_and_transaction_id_together_are_given_twice():
    assert str(error_of(f"{BASE}&SaleID=1&TransactionID=1")) == "SaleID: given twice"


def test_date_as_yyyy_mm_dd_is_a_date():
    assert parse(f"{BASE}&Date=2024-05-01").date == dt.date(2024, 5, 1)


def test_date_time_with_offset_keeps_its_time_zone():
    date = parse(f"{BASE}&Date=2024-05-01T10:30:00%2B02:00").date
    assert date == dt.datetime(2024, 5, 1, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert date.utcoffset() == dt.timedelta(hours=2)


def test_date_time_with_unencoded_plus_offset_reads_the_space_as_plus():
    date = parse(f"{BASE}&Date=2024-05-01T10:30:00+02:00").date
    assert date.utcoffset() == dt.timedelta(hours=2)


def test_date_time_in_utc_with_z():
    assert parse(f"{BASE}&Date=2024-05-01T10:30Z").date.utcoffset() == dt.timedelta(0)


def test_date_time_without_zone_stays_naive_for_the_store_zone():
    assert parse(f"{BASE}&Date=2024-05-01T10:30:00").date.tzinfo is None


@pytest.mark.parametrize("value", ["2024-02-30", "01/05/2024", "2024-5-1", "today", "2024-05-01T25:00"])
def test_bad_date_is_an_error_naming_date(value):
    err = error_of({"CustomerID": "C-1", "Date": value})
    assert str(err) == (f"Date: must be YYYY-MM-DD or an ISO 8601 date-time, in the years "
                        f"1000 to 9998, got '{value}'")


def test_date_absent_is_none():
    assert parse(BASE).date is None


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "yes", "Yes"])
def test_refund_1_true_or_yes_marks_a_refund(value):
    assert parse(f"{BASE}&Refund={value}").refund is True


@pytest.mark.parametrize("value", ["0", "false", "no", ""])
def test_refund_0_false_no_or_empty_is_a_sale(value):
    assert parse(f"{BASE}&Refund={value}").refund is False


def test_refund_absent_is_a_sale():
    assert parse(BASE).refund is False


def test_refund_with_other_value_is_an_error():
    assert error_of(f"{BASE}&Refund=maybe").param == "Refund"


def test_store_picks_a_store():
    assert parse(f"{BASE}&store=Downtown").store == "Downtown"


def test_apiusername_and_apipassword_give_the_login():
    sale = parse(f"{BASE}&apiusername=demo&apipassword=s3cret")
    assert (sale.username, sale.password) == ("demo", "s3cret")


def test_login_parameter_gives_username_and_password():
    sale = parse(f"{BASE}&Login=demo~s3cr~et")
    assert (sale.username, sale.password) == ("demo", "s3cr~et")


def test_login_parameter_name_is_configurable():
    sale = parse(f"{BASE}&auth=demo~s3cret", login_param="auth")
    assert (sale.username, sale.password) == ("demo", "s3cret")
    assert sale.extra == ()
    assert parse(f"{BASE}&login=demo~s3cret", login_param="auth").extra == (("login", "demo~s3cret"),)


def test_login_without_tilde_is_an_error_that_does_not_show_the_value():
    err = error_of(f"{BASE}&login=hunter2")
    assert str(err) == "login: must be username~password"


def test_login_with_apiusername_is_an_error():
    assert error_of(f"{BASE}&login=a~b&apiusername=a").param == "login"


def test_unknown_parameters_are_kept_as_given_and_warned_about():
    sale = parse(f"{BASE}&Color=Red&x-pos=Caf%E9")
    assert sale.extra == (("Color", "Red"), ("x-pos", "Café"))
    assert sale.warnings == ("unknown parameter: Color", "unknown parameter: x-pos")


def test_non_ascii_name_that_lowercases_to_a_known_one_is_unknown():
    # U+212A KELVIN SIGN lower-cases to "k"; no foreign name may pose as a known one.
    sale = parse({"CustomerID": "C-1", "UPC1": "A", "Qty\u212a1": "2"})
    assert sale.lines[0].qty == 1
    assert sale.extra == (("Qty\u212a1", "2"),)


# --- Secrets -------------------------------------------------------------------------

def test_password_is_never_in_repr_str_or_printable_form():
    sale = parse(f"{BASE}&apiusername=demo&apipassword=Hunter-2-secret")
    assert sale.password == "Hunter-2-secret"
    for text in (repr(sale), str(sale), json.dumps(sale.to_printable())):
        assert "Hunter-2-secret" not in text
    assert sale.to_printable()["username"] == "demo"


def test_password_is_redacted_from_an_error_that_quotes_a_value():
    err = error_of(f"{BASE}&login=demo~Hunter-2&UPC1=A&Qty1=Hunter-2")
    assert "Hunter-2" not in str(err)
    assert str(err) == "Qty1: must be a whole number, got '***'"


@pytest.mark.parametrize("login", ["apipassword=e", "login=demo~u", "login=demo~be", "apipassword=number"])
def test_a_short_or_common_word_password_leaves_the_message_words_alone(login):
    err = error_of(f"{BASE}&{login}&UPC1=1&Qty1=x")
    assert str(err) == "Qty1: must be a whole number, got 'x'"


@pytest.mark.parametrize("password", ["e", "be", "whole"])
def test_a_short_or_common_word_password_in_a_quoted_value_hides_that_value(password):
    err = error_of(f"{BASE}&apipassword={password}&UPC1=1&Qty1=a-whole-number")
    assert str(err) == "Qty1: must be a whole number, got '***'"


def test_an_unknown_name_holding_the_password_is_hidden_whole():
    err = error_of(f"{BASE}&apipassword=e&xey=1&xey=2")
    assert str(err) == "***: given twice"
    assert error_of(f"{BASE}&apipassword=e&UPC1=1&upc01=2").param == "UPC1"


def test_password_is_redacted_before_a_long_value_is_cut():
    err = error_of(f"{BASE}&apipassword=LongSecretValue&UPC1=A&Qty1={'9' * 30}LongSecretValue")
    assert "LongSe" not in str(err)


# --- Error and printable form ----------------------------------------------------------

def test_error_is_a_value_error_with_param_and_problem():
    err = error_of("FirstName=x")
    assert isinstance(err, ValueError)
    assert str(err) == f"{err.param}: {err.problem}"


def test_very_long_value_is_shortened_in_the_error():
    err = error_of({"CustomerID": "C-1", "UPC1": "A", "Qty1": "x" * 100_000})
    assert len(str(err)) < 120


SPEC_URL = (
    "https://astro.example/query?apiusername=demo&apipassword=pw-not-shown"
    "&CustomerID=C-1&FirstName=Sally&LastName=Pet+Owner&Email=sally%40example.com"
    "&Phone=%28555%29+123-4567&UPC1=0012345678905&Description1=Dog+Food+30lb&Qty1=2"
    "&SubTotal=45.98"
)


def test_printable_form_is_the_documented_example():
    assert parse(SPEC_URL).to_printable() == {
        "username": "demo",
        "customer": {"id": "C-1", "first_name": "Sally", "last_name": "Pet Owner",
                     "email": "sally@example.com", "phone": "5551234567"},
        "lines": [{"index": 1, "upc": "012345678905", "description": "Dog Food 30lb", "qty": 2}],
        "subtotal": "45.98", "sale_id": None, "date": None, "refund": False, "store": None,
        "warnings": [],
    }


def test_printable_form_keys_are_in_documented_order():
    printable = parse(SPEC_URL).to_printable()
    assert list(printable) == ["username", "customer", "lines", "subtotal", "sale_id", "date",
                               "refund", "store", "warnings"]
    assert list(printable["customer"]) == ["id", "first_name", "last_name", "email", "phone"]
    assert list(printable["lines"][0]) == ["index", "upc", "description", "qty"]


def test_printable_date_is_yyyy_mm_dd_for_a_date():
    assert parse(f"{BASE}&Date=2024-05-01").to_printable()["date"] == "2024-05-01"


def test_sale_is_frozen():
    sale = parse(BASE)
    with pytest.raises(AttributeError):
        sale.refund = True
