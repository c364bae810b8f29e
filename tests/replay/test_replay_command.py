"""`astro-bridge replay` against the sandbox: formats, grouping, idempotent re-runs,
dry runs, invalid rows, exit statuses."""
import csv
import json
import random
from pathlib import Path
from urllib.parse import urlencode

from tests.replay.conftest import (ENROLLED, expected_punches, punches, sales_rows,
                                   write_csv)


def test_csv_replay_punches_every_enrolled_line_once_and_summarises(replay, sandbox, tmp_path):
    rows = sales_rows(30)
    result = replay(write_csv(tmp_path / "sales.csv", rows))
    assert result.exit_code == 0, result.output
    assert "read:              30 sales, 60 line items" in result.stdout
    assert "sent:              30 sales" in result.stdout
    assert "No Item Found" in result.stdout  # lines outside any program, as Astro said
    assert "points:            OFF" in result.stdout
    state = sandbox.state()
    assert punches(state) == expected_punches(rows)
    assert len(state["transactions"]) == sum(r[7] in ENROLLED for r in rows)
    assert state["points_transactions"] == []


def test_sales_whose_only_refused_lines_are_in_no_program_end_delivered(
        replay, sandbox, tmp_path):
    from bridge.journal import Journal

    rows = sales_rows(30)
    result = replay(write_csv(tmp_path / "sales.csv", rows))
    assert result.exit_code == 0, result.output
    codes: dict = {}
    for r in rows:
        codes.setdefault(f"demo-{r[0]}", set()).add(r[7])
    with Journal(tmp_path / "journal.db") as journal:
        status = {s.sale_key: s.status for s in journal.sales(limit=100)}
    # The toy (400000000015) is in no program at all: routine. The bird seed's program
    # is one the store is not enrolled in: a person must act on it.
    assert {key: status[key] for key in codes} == {
        key: "partial" if "850000000018" in c else "delivered" for key, c in codes.items()}
    assert any("400000000015" in c and "850000000018" not in c for c in codes.values())
    toys = sum(r[7] == "400000000015" for r in rows)
    assert f"in no program:     {toys} of those lines" in result.stdout


def test_shuffled_rows_make_the_same_sales(replay, sandbox, tmp_path):
    rows = sales_rows(20)
    shuffled = rows[:]
    random.Random(3).shuffle(shuffled)
    result = replay(write_csv(tmp_path / "shuffled.csv", shuffled))
    assert result.exit_code == 0, result.output
    assert "read:              20 sales" in result.stdout
    ids = set(sandbox.state()["transactions"])
    # line n of sale S: the n-th row of S in file order
    seen, expected = {}, set()
    for r in shuffled:
        seen[r[0]] = seen.get(r[0], 0) + 1
        if r[7] in ENROLLED:
            expected.add(f"demo-{r[0]}-{seen[r[0]]}")
    assert ids == expected


def test_running_the_same_file_again_sends_nothing(replay, sandbox, tmp_path):
    path = write_csv(tmp_path / "sales.csv", sales_rows(12))
    assert replay(path).exit_code == 0
    calls = sandbox.state()["calls"]
    again = replay(path)
    assert again.exit_code == 0, again.output
    assert "sent:              0 sales" in again.stdout
    assert "already delivered: 12 sales" in again.stdout
    assert sandbox.state()["calls"] == calls  # not even a token


def test_urls_and_jsonl_replay_like_the_button(replay, sandbox, tmp_path):
    urls = tmp_path / "buttons.txt"
    urls.write_text(
        "https://bridge.example/?" + urlencode({
            "apiusername": "demo", "apipassword": "s3cret-Pw", "CustomerID": "SALLY-1",
            "FirstName": "Sally", "LastName": "Pet Owner", "UPC1": "012345678905",
            "Qty1": "2", "Date": "2025-01-02", "SaleID": "U1"}) + "\n"
        + urlencode({"CustomerID": "SALLY-1", "UPC1": "WASH-SELF", "Date": "2025-01-03"}) + "\n")
    jsonl = tmp_path / "sales.jsonl"
    jsonl.write_text(json.dumps({
        "customer": {"id": "SALLY-1", "first_name": "Sally", "last_name": "Pet Owner"},
        "lines": [{"index": 1, "upc": "072030001234", "qty": 3}], "subtotal": "30.00",
        "sale_id": "J1", "date": "2025-01-04"}) + "\n")
    result = replay(urls, jsonl, "--report", tmp_path / "r.csv")
    assert result.exit_code == 0, result.output
    assert "sent:              3 sales" in result.stdout
    state = sandbox.state()
    sally = [c for c in state["cards"] if c["customerID"] == "SALLY-1"]
    assert sum(c["punches"] for c in sally) == 2 + 1 + 3
    assert {"demo-U1-1", "demo-J1-1"} <= set(state["transactions"])
    assert any(t.startswith("demo-h") for t in state["transactions"])
    assert "s3cret-Pw" not in result.output + (tmp_path / "r.csv").read_text()


def test_dry_run_contacts_nothing_and_says_what_would_be_sent(replay, sandbox, tmp_path):
    rows = sales_rows(8)
    rows.append(["S9999", "2025-13-01", "C1", "", "", "", "", "WASH-SELF", "", "1", "1"])
    result = replay(write_csv(tmp_path / "sales.csv", rows), "--dry-run")
    assert result.exit_code == 1  # one invalid row
    assert "would send:        8 sales, 17 line items (dry run: nothing was contacted)" in result.stdout
    assert "invalid:           1 sales (1 rows)" in result.stdout
    assert "invalid  " + str(tmp_path / "sales.csv") + ":19: Date: date '2025-13-01'" in result.stdout
    assert sandbox.state()["calls"] == {}
    assert not (tmp_path / "journal.db").exists()
    clean = replay(write_csv(tmp_path / "clean.csv", sales_rows(8)), "--dry-run")
    assert clean.exit_code == 0, clean.output


def test_invalid_rows_are_reported_with_file_line_and_reason(replay, sandbox, tmp_path):
    rows = sales_rows(6)
    rows.insert(2, ["S0002", "2025-01-03", "C3", "", "", "", "", "WASH-SELF", "", "two", ""])
    rows.append(["", "", "C4", "", "", "", "", "WASH-SELF", "", "1", ""])
    path = write_csv(tmp_path / "sales.csv", rows)
    report = tmp_path / "report.csv"
    result = replay(path, "--report", report)
    assert result.exit_code == 1
    assert "invalid:           2 sales" in result.stdout
    assert "sent:              5 sales" in result.stdout  # the other sales still went
    assert f"invalid  {path}:4: Qty: must be a whole number, got 'two'" in result.stdout
    assert f"invalid  {path}:{len(rows) + 1}: no date" in result.stdout
    with open(report, newline="") as f:
        lines = [r for r in csv.DictReader(f) if r["status"] == "invalid"]
    s2 = [i + 2 for i, r in enumerate(rows) if r[0] == "S0002"]
    assert {(r["file"], int(r["line"])) for r in lines} == {(path, n) for n in s2} | {(path, len(rows) + 1)}
    reasons = {int(r["line"]): r["reason"] for r in lines}
    assert reasons[4] == "Qty: must be a whole number, got 'two'"
    assert reasons[len(rows) + 1] == "no date (a replayed sale needs its own date)"
    assert "S0002" not in json.dumps(sandbox.state()["transactions"])


def test_points_only_with_the_option(replay, sandbox, tmp_path):
    result = replay(write_csv(tmp_path / "sales.csv", sales_rows(3)), "--points")
    assert result.exit_code == 0, result.output
    assert "points:            ON" in result.stdout
    assert len(sandbox.state()["points_transactions"]) == 3


def test_concurrent_delivery_gives_the_same_account(replay, sandbox, tmp_path):
    rows = sales_rows(40, customers=9)
    result = replay(write_csv(tmp_path / "sales.csv", rows), "--concurrency", "4",
                    "--rate", "500")
    assert result.exit_code == 0, result.output
    assert punches(sandbox.state()) == expected_punches(rows)


def test_unusable_input_exits_2_with_one_line(replay, config, tmp_path):
    good = write_csv(tmp_path / "sales.csv", sales_rows(1))
    cases = [
        ((tmp_path / "missing.csv",), "missing.csv: no such file"),
        ((good, "--map", "colour=Red"), "unknown field 'colour'"),
        ((good, "--map", "qty=Units"), "no column 'Units'"),
    ]
    for args, message in cases:
        result = replay(*args)
        assert result.exit_code == 2 and message in result.stderr, result.output
        assert "Traceback" not in result.output
    unknown = replay(good, store="nope")
    assert unknown.exit_code == 2 and "unknown store 'nope'" in unknown.stderr


def test_replay_without_configuration_exits_2(tmp_path, monkeypatch):
    from click.testing import CliRunner

    from bridge.cli import main

    monkeypatch.delenv("ASTRO_BRIDGE_CONFIG", raising=False)
    path = write_csv(tmp_path / "sales.csv", sales_rows(1))
    result = CliRunner().invoke(main, ["replay", path, "--store", "demo"])
    assert result.exit_code == 2
    assert "replay needs a configuration: --config FILE or ASTRO_BRIDGE_CONFIG" in result.stderr


def test_a_second_file_reusing_sale_ids_for_other_sales_is_reported_not_dropped(
        replay, sandbox, tmp_path):
    first = sales_rows(4)
    assert replay(write_csv(tmp_path / "first.csv", first)).exit_code == 0
    sent = sandbox.state()["transactions"]
    # The same sale ids, other customers and items (another day's export, another POS).
    second = [[r[0], "2025-06-01", "C9", "Ninth", "Customer", "c9@example.com",
               "5550109999", "072030001234", "kibble", "3", "27.49"] for r in first]
    path = write_csv(tmp_path / "second.csv", second)
    report = tmp_path / "report.csv"
    result = replay(path, "--report", report)
    assert result.exit_code == 1, result.output
    assert "failed:            4 sales" in result.stdout
    assert "already delivered: 0 sales" in result.stdout
    assert f"failed   {path}:2: sale id already used by a different sale" in result.stdout
    with open(report, newline="") as f:
        rows = list(csv.DictReader(f))
    assert {(r["file"], int(r["line"]), r["status"], r["reason"]) for r in rows} == {
        (path, n, "failed", "sale id already used by a different sale")
        for n in range(2, len(second) + 2)}
    assert sandbox.state()["transactions"] == sent          # nothing of the second file


def test_generated_files_of_other_seeds_or_years_share_no_sale_id(tmp_path):
    import runpy
    gen = runpy.run_path(str(Path(__file__).parents[2] / "scripts" / "gen_sales.py"))
    ids = {}
    for year, seed in ((2025, 1), (2025, 2), (2024, 1)):
        path = tmp_path / f"{year}-{seed}.csv"
        gen["main"](["--sales", "50", "--year", str(year), "--seed", str(seed), "-o", str(path)])
        with open(path, newline="") as f:
            ids[year, seed] = {r["Sale ID"] for r in csv.DictReader(f)}
    assert all(len(found) == 50 for found in ids.values())
    assert not ids[2025, 1] & ids[2025, 2] and not ids[2025, 1] & ids[2024, 1]
    assert not ids[2025, 2] & ids[2024, 1]


def test_a_return_with_points_off_is_skipped_not_invalid(replay, sandbox, tmp_path):
    rows = sales_rows(3)
    rows.append(["R0001", "2025-03-01", "C1", "First1", "Last1", "c1@example.com",
                 "5550100001", "012345678905", "returned kibble", "-1", "-10.00"])
    report = tmp_path / "report.csv"
    result = replay(write_csv(tmp_path / "sales.csv", rows), "--report", report)
    assert result.exit_code == 0, result.output        # nothing invalid, nothing failed
    assert "invalid:           0 sales" in result.stdout
    assert "skipped:           1 sales with nothing to send" in result.stdout
    assert "a return: its items are taken off cards by hand, and points are off" in result.stdout
    listed = list(csv.DictReader(report.open()))
    assert [(r["line"], r["sale_id"], r["status"]) for r in listed if r["status"] == "skipped"] \
        == [(str(len(rows) + 1), "R0001", "skipped")]      # line 1 is the header
    assert sandbox.state()["points_transactions"] == []


def test_a_return_with_points_on_deducts_its_points(replay, sandbox, tmp_path):
    rows = [["R0002", "2025-03-01", "C1", "First1", "Last1", "c1@example.com",
             "5550100001", "012345678905", "returned kibble", "-1", "-10.00"]]
    result = replay(write_csv(tmp_path / "sales.csv", rows), "--points")
    assert result.exit_code == 0, result.output
    assert "sent:              1 sales" in result.stdout
    assert [p["pointsQty"] for p in sandbox.state()["points_transactions"]] == [-10]


def test_replayed_refund_takes_its_original_sales_items_off_the_cards(
        replay, sandbox, config, tmp_path):
    # As the button does with refund_remove_items: the refund names its original sale
    # (its own SaleID here) and that sale is in the journal, recorded earlier in the run.
    with open(config) as f:
        text = f.read()
    with open(config, "w") as f:
        f.write(text.replace('button_auth = "delegate"\n',
                             'button_auth = "delegate"\nrefund_remove_items = true\n'))
    urls = tmp_path / "buttons.txt"
    sale = {"CustomerID": "SALLY-1", "SaleID": "R77", "Date": "2025-02-03",
            "UPC1": "012345678905", "Qty1": "2", "UPC2": "WASH-SELF", "Qty2": "1"}
    refund = {"CustomerID": "SALLY-1", "SaleID": "R77", "Date": "2025-02-03", "Refund": "1",
              "UPC1": "012345678905", "Qty1": "2"}
    urls.write_text("".join(f"https://bridge.example/?{urlencode(q)}\n" for q in (sale, refund)))
    result = replay(urls)
    assert result.exit_code == 0, result.output
    assert "sent:              2 sales" in result.stdout
    state = sandbox.state()
    punched = {c["astro_program_title"]: c["punches"] for c in state["cards"]
               if c["customerID"] == "SALLY-1"}
    assert punched.get("Buy 12 Get 1 Dog Kibble", 0) == 0     # the refunded punches are off
    assert punched["Buy 10 Get 1 Self-Wash"] == 1
    lines = state["transactions"]
    assert (lines["demo-R77-1"]["deleted"], lines["demo-R77-2"]["deleted"]) == (True, False)
