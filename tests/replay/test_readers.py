"""Input readers and CSV presets: what each record of a file becomes."""
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from bridge.replay.errors import UnusableInput
from bridge.replay.presets import detect_preset, parse_map_options, resolve_columns
from bridge.replay.readers import check_inputs, detect_format, normalize_date, read_inputs
from bridge.replay.rows import unpack

LIGHTSPEED = ("Sale ID,Date,Customer ID,First Name,Last Name,Email,Phone,UPC,Description,"
              "Qty,Subtotal\n")


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_lightspeed_rows_become_one_line_sales_with_their_line_numbers(tmp_path):
    path = write(tmp_path, "ls.csv", LIGHTSPEED
                 + "S1,2025-03-01,C1,Sally,Owner,sally@example.com,(555) 010-0100,"
                   "0012345678905,Kibble,2,$45.98\n"
                 + "S1,3/1/2025 2:30 PM,C1,Sally,Owner,,,WASH-SELF,Wash,1,12\n")
    rows = list(read_inputs([path], "demo"))
    assert [(r.line, r.group, r.day, r.error) for r in rows] == [
        (2, "s:S1", "2025-03-01", None), (3, "s:S1", "2025-03-01", None)]
    sale = unpack(rows[0].payload).sale
    assert sale.lines[0].upc == "012345678905"  # EAN-13 with leading 0 -> UPC-A
    assert sale.customer.phone == "5550100100"
    assert sale.subtotal == Decimal("45.98")


def test_square_item_details_split_the_customer_name(tmp_path):
    path = write(tmp_path, "sq.csv",
                 "Date,Time,Category,Item,Qty,SKU,Gross Sales,Net Sales,Transaction ID,"
                 "Customer ID,Customer Name\n"
                 "2025-04-02,10:00,Dog,Kibble,1,012345678905,45.99,45.99,T-9,SQ1,Mary Ann Lee\n")
    assert detect_preset(Path(path).read_text().splitlines()[0].strip().split(",")) == "square"
    [row] = read_inputs([path], "demo")
    assert row.group == "s:T-9" and row.error is None
    customer = unpack(row.payload).sale.customer
    assert (customer.first_name, customer.last_name) == ("Mary Ann", "Lee")


def test_a_bad_row_names_its_column_and_problem(tmp_path):
    path = write(tmp_path, "bad.csv", LIGHTSPEED
                 + "S1,2025-03-01,C1,,,,,012345678905,,two,1\n"
                 + "S2,2025-02-30,C1,,,,,012345678905,,1,1\n"
                 + "S3,,C1,,,,,012345678905,,1,1\n")
    rows = list(read_inputs([path], "demo"))
    assert [(r.line, r.error) for r in rows] == [
        (2, "Qty: must be a whole number, got 'two'"),
        (3, "Date: date '2025-02-30' is not a real date"),
        (4, "no date (a replayed sale needs its own date)")]


def test_rows_without_sale_id_group_by_customer_and_date(tmp_path):
    path = write(tmp_path, "g.csv", "customer_id,date,item_code,qty\n"
                 "C1,2025-01-05,012345678905,1\nC1,2025-01-05T09:30:00,WASH-SELF,1\n")
    rows = list(read_inputs([path], "demo"))
    assert {r.group for r in rows} == {"c:C1|2025-01-05"}


def test_map_option_points_a_field_at_any_column(tmp_path):
    path = write(tmp_path, "m.csv", "Client,When,Code,Units\nC1,2025-01-05,WASH-SELF,3\n")
    with pytest.raises(UnusableInput, match="no column for customer_id"):
        check_inputs([path])
    mapping = parse_map_options(["customer_id=Client", "date=When", "item_code=Code",
                                 "qty=Units"])
    [row] = read_inputs([path], "demo", overrides=mapping)
    assert row.error is None and unpack(row.payload).sale.lines[0].qty == 3


@pytest.mark.parametrize("option, message", [
    ("qty", "expected field=Column"), ("colour=Red", "unknown field 'colour'")])
def test_bad_map_option_is_unusable(option, message):
    with pytest.raises(UnusableInput, match=message):
        parse_map_options([option])


def test_map_to_a_missing_column_is_unusable(tmp_path):
    path = write(tmp_path, "x.csv", LIGHTSPEED)
    with pytest.raises(UnusableInput, match="no column 'Units'"):
        resolve_columns(Path(path).read_text().splitlines()[0].strip().split(","), None, {"qty": "Units"})


def test_url_lines_are_whole_sales_and_never_keep_the_password(tmp_path):
    path = write(tmp_path, "b.txt",
                 "# exported from the POS log\n"
                 "https://astro.example/q?apiusername=demo&apipassword=HUNTER2&CustomerID=C9"
                 "&UPC1=012345678905&Qty1=2&Date=2025-01-01&SaleID=77\n\n"
                 "CustomerID=C9&UPC1=012345678905&Qty1=x&Date=2025-01-01&apipassword=HUNTER2\n"
                 "CustomerID=C9&UPC1=012345678905&Store=other&Date=2025-01-01\n"
                 "CustomerID=C9&UPC1=012345678905\n")
    assert detect_format(path) == "urls"
    rows = list(read_inputs([path], "demo"))
    assert [(r.line, r.group[:2], r.error) for r in rows] == [
        (2, "s:", None),
        (4, "x:", "Qty1: must be a whole number, got 'x'"),
        (5, "x:", "Store: sale is for store 'other', not 'demo'"),
        (6, "x:", "no date (a replayed sale needs its own date)")]
    assert all("HUNTER2" not in (r.payload or "") + (r.error or "") for r in rows)


def test_jsonl_lines_use_the_printable_form(tmp_path):
    path = write(tmp_path, "s.jsonl",
                 '{"customer": {"id": "C1"}, "lines": [{"index": 1, "upc": "WASH-SELF", '
                 '"qty": 1}], "subtotal": "12.00", "date": "2025-02-03"}\n'
                 '{"customer": {"id": "C1"}, "lines": [{"index": 1, "upc": 5, "qty": 1}]}\n'
                 'not json\n')
    rows = list(read_inputs([path], "demo"))
    assert rows[0].error is None and rows[0].day == "2025-02-03"
    assert rows[1].error == "lines.upc: must be a string"
    assert rows[2].error.startswith("not JSON")


def test_missing_file_is_unusable(tmp_path):
    with pytest.raises(UnusableInput, match="no such file"):
        check_inputs([str(tmp_path / "nope.csv")])


def test_a_url_date_time_reaches_the_plan_whole(tmp_path):
    # The printable form shows only the day; the staged sale keeps the time and offset,
    # so the plan converts it to the store's zone as a live sale's would be.
    path = write(tmp_path, "b.txt",
                 "CustomerID=C9&UPC1=012345678905&Date=2025-03-01T23:59:00-05:00\n")
    [row] = read_inputs([path], "demo")
    assert row.error is None and row.day == "2025-03-01"
    staged = unpack(row.payload).sale.date
    assert staged == dt.datetime(2025, 3, 1, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=-5)))


@pytest.mark.parametrize("text, day", [("2025-03-01", "2025-03-01"),
                                       ("2025-03-01T23:59:00-05:00", "2025-03-01"),
                                       ("3/1/2025", "2025-03-01"),
                                       ("12/31/2024 11:59 PM", "2024-12-31")])
def test_dates_in_common_export_forms(text, day):
    assert normalize_date(text) == day
