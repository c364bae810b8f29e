"""Grouping through replay's scratch store: the rows of a sale come back together,
whatever their order in the files, a customer's sales together and oldest first, and
sales get keys derived from the input."""
import random

from bridge.replay.grouping import InvalidSale, ReplaySale, assemble_sales
from bridge.replay.readers import read_inputs
from bridge.replay.stage import Stage

HEADER = "sale_id,date,customer_id,item_code,qty,subtotal\n"


def grouped(tmp_path, *paths):
    with Stage(tmp_path / "stage.scratch") as stage:
        stage.add(read_inputs([str(p) for p in paths], "demo"))
        return list(assemble_sales(stage.groups()))


def test_shuffled_rows_are_grouped_into_their_sales_by_customer_oldest_first(tmp_path):
    rows = []
    for n in range(1, 41):
        day = f"2025-01-{n % 28 + 1:02d}"
        for k in range(1, n % 3 + 2):
            rows.append(f"S{n},{day},C{n % 7},CODE-{k},{k},1.00\n")
    random.Random(5).shuffle(rows)
    path = tmp_path / "sales.csv"
    path.write_text(HEADER + "".join(rows))
    sales = grouped(tmp_path, path)
    assert len(sales) == 40 and all(isinstance(s, ReplaySale) for s in sales)
    for sale in sales:
        n = int(sale.key_id[1:])
        assert sorted(line.upc for line in sale.sale.lines) == [f"CODE-{k}" for k in range(1, n % 3 + 2)]
        assert sale.sale.subtotal == n % 3 + 1  # the lines' amounts add up
    order = [(sale.customer_id, sale.sale.date) for sale in sales]
    assert order == sorted(order)


def test_rows_without_sale_id_make_one_sale_per_customer_and_day_with_a_stable_key(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text("date,customer_id,item_code\n2025-02-01,C1,A\n2025-02-02,C1,B\n"
                    "2025-02-01,C2,A\n2025-02-01,C1,C\n")
    first = grouped(tmp_path, path)
    assert [[line.upc for line in s.sale.lines] for s in first] == [["A", "C"], ["B"], ["A"]]
    assert all(s.key_id.startswith("h") for s in first)
    again = grouped(tmp_path, path)
    assert [s.key_id for s in again] == [s.key_id for s in first]


def test_the_same_url_twice_is_two_sales_with_distinct_keys(tmp_path):
    path = tmp_path / "u.txt"
    line = "CustomerID=C1&UPC1=012345678905&Date=2025-01-01\n"
    path.write_text(line * 2)
    a, b = grouped(tmp_path, path)
    assert b.key_id == a.key_id + "-2"


def test_one_invalid_row_makes_its_sale_invalid_with_every_line_number(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(HEADER + "S1,2025-01-01,C1,A,1,1\nS2,2025-01-01,C1,A,1,1\n"
                             "S1,2025-01-01,C1,B,lots,1\n")
    sales = grouped(tmp_path, path)
    [bad] = [s for s in sales if isinstance(s, InvalidSale)]
    assert [(src.line, reason) for src, reason in bad.problems] == [
        (2, "another row of this sale is invalid (line 4)"),
        (4, "qty: must be a whole number, got 'lots'")]


def test_rows_of_one_sale_that_disagree_on_the_customer_are_invalid(tmp_path):
    path = tmp_path / "s.csv"
    path.write_text(HEADER + "S1,2025-01-01,C1,A,1,1\nS1,2025-01-01,C2,B,1,1\n")
    [bad] = grouped(tmp_path, path)
    assert bad.problems[0][1] == "rows of sale S1 disagree on the customer id (lines 2, 3)"


def test_the_scratch_file_is_gone_once_the_stage_is_closed(tmp_path):
    path = tmp_path / "sales.csv"
    path.write_text(HEADER + "S1,2025-01-01,C1,A,1,1\n")
    (tmp_path / "stage.scratch").write_text("left by a killed run")
    with Stage(tmp_path / "stage.scratch") as stage:   # replaces what a killed run left
        assert stage.add(read_inputs([str(path)], "demo")) == 1
        assert stage.count() == 1
    assert list(tmp_path.iterdir()) == [path]
