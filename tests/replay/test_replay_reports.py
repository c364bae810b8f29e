"""What a replay's report and summary say about invalid rows: the sale id, the real
cause of a broken CSV row, a missing JSON key; empty item codes and line-item counts
follow the legacy button rules in every format."""
import csv
import json
import os

from tests.replay.conftest import LIGHTSPEED, write_csv


def report_rows(path):
    with open(path, newline="") as f:
        return {int(r["line"]): r for r in csv.DictReader(f)}


def test_invalid_rows_carry_their_sale_id_in_every_format(replay, tmp_path):
    sales = write_csv(tmp_path / "sales.csv", [
        ["S1", "2025-01-02", "C1", "", "", "", "", "WASH-SELF", "", "two", ""],
        ["S1", "2025-01-02", "C1", "", "", "", "", "012345678905", "", "1", ""],
        ["", "2025-01-02", "C2", "", "", "", "", "WASH-SELF", "", "two", ""]])
    urls = tmp_path / "b.urls"
    urls.write_text("CustomerID=C3&UPC1=WASH-SELF&Qty1=x&Date=2025-01-02&SaleID=U7\n")
    jsonl = tmp_path / "s.jsonl"
    jsonl.write_text(json.dumps({"sale_id": "J9", "lines": []}) + "\n")
    report = tmp_path / "r.csv"
    result = replay(sales, urls, jsonl, "--report", report)
    assert result.exit_code == 1, result.output
    with open(report, newline="") as f:
        got = [(os.path.basename(r["file"]), int(r["line"]), r["sale_id"], r["reason"])
               for r in csv.DictReader(f)]
    assert sorted(got) == sorted([
        ("sales.csv", 2, "S1", "Qty: must be a whole number, got 'two'"),
        ("sales.csv", 3, "S1", "another row of this sale is invalid (line 2)"),
        ("sales.csv", 4, "", "Qty: must be a whole number, got 'two'"),
        ("b.urls", 1, "U7", "Qty1: must be a whole number, got 'x'"),
        ("s.jsonl", 1, "J9", "printable: missing key 'customer'"),
    ])


def test_an_unterminated_quote_is_named_not_taken_for_a_missing_date(replay, tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text(",".join(LIGHTSPEED) + "\n"
                    "S1,2025-01-02,SALLY-1,,,,,WASH-SELF,Wash,1,\n"
                    'S2,2025-01-02,SALLY-1,,,,,WASH-SELF,"Wash,1,\n'
                    "S3,2025-01-03,SALLY-1,,,,,WASH-SELF,Wash,1,\n")
    report = tmp_path / "r.csv"
    result = replay(path, "--report", report)
    assert result.exit_code == 1, result.output
    reasons = {n: r["reason"] for n, r in report_rows(report).items()}
    assert reasons == {3: "unterminated quote: the quoted field starting on line 3 runs "
                          "to the end of the file"}
    assert "sent:              1 sales" in result.stdout


def test_a_row_with_the_wrong_number_of_columns_says_so(replay, tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text(",".join(LIGHTSPEED) + "\n"
                    "S1;2025-01-02;SALLY-1,,,,,WASH-SELF,Wash,1,\n"
                    "S2,2025-01-02,SALLY-1,,,,,WASH-SELF,Wash,1\n")   # no Subtotal: fine
    report = tmp_path / "r.csv"
    result = replay(path, "--report", report)
    assert result.exit_code == 1, result.output
    reasons = {n: r["reason"] for n, r in report_rows(report).items()}
    assert reasons == {2: "row has 9 columns, header has 11"}
    assert "sent:              1 sales" in result.stdout


def test_description_and_qty_without_item_code_skip_the_line_as_in_a_url(replay, sandbox,
                                                                         tmp_path):
    path = write_csv(tmp_path / "sales.csv", [
        ["S1", "2025-01-02", "SALLY-1", "", "", "", "", "WASH-SELF", "Wash", "1", ""],
        ["S1", "2025-01-02", "SALLY-1", "", "", "", "", "", "Gift wrap", "2", ""]])
    result = replay(path)
    assert result.exit_code == 0, result.output
    assert "invalid:           0 sales" in result.stdout
    assert list(sandbox.state()["transactions"]) == ["demo-S1-1"]


def test_line_items_are_counted_the_same_in_every_format(replay, tmp_path):
    urls = tmp_path / "b.urls"
    urls.write_text("CustomerID=C1&UPC1=WASH-SELF&UPC2=012345678905&UPC3=072030001234"
                    "&Date=2025-01-02&SaleID=U1\n"
                    "CustomerID=C2&UPC1=WASH-SELF&UPC2=012345678905&Date=2025-01-02\n")
    result = replay(urls, "--dry-run")
    assert "read:              2 sales, 5 line items" in result.stdout, result.output
    jsonl = tmp_path / "s.jsonl"
    jsonl.write_text(json.dumps({"customer": {"id": "C3"}, "date": "2025-01-02", "lines": [
        {"index": 1, "upc": "WASH-SELF", "qty": 1},
        {"index": 2, "upc": "012345678905", "qty": 2}]}) + "\n")
    result = replay(jsonl, "--dry-run")
    assert "read:              1 sales, 2 line items" in result.stdout, result.output
    csv_path = write_csv(tmp_path / "sales.csv", [
        ["S1", "2025-01-02", "C1", "", "", "", "", "WASH-SELF", "", "1", ""],
        ["S1", "2025-01-02", "C1", "", "", "", "", "012345678905", "", "1", ""]])
    result = replay(csv_path, "--dry-run")
    assert "read:              1 sales, 2 line items" in result.stdout, result.output


def test_report_cells_that_start_like_a_formula_stay_text(replay, tmp_path):
    sales = write_csv(tmp_path / "sales.csv", [
        ["=HYPERLINK(\"http://evil.example/\",\"open\")", "2025-01-02", "C1", "", "", "", "",
         "WASH-SELF", "", "two", ""],
        ["@SUM(1+1)", "2025-01-02", "C2", "", "", "", "", "WASH-SELF", "", "+1+1", ""],
        ["-S3", "2025-01-02", "C3", "", "", "", "", "WASH-SELF", "", "-x", ""]])
    report = tmp_path / "r.csv"
    assert replay(sales, "--report", report).exit_code == 1
    rows = report_rows(report)
    assert [rows[n]["sale_id"] for n in (2, 3, 4)] == [
        "'=HYPERLINK(\"http://evil.example/\",\"open\")", "'@SUM(1+1)", "'-S3"]
    assert all(not cell.startswith(("=", "+", "-", "@", "\t", "\r"))
               for r in rows.values() for cell in r.values())
