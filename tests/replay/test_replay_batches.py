"""Replay sends a customer's sales together (merged addTransactionBatch calls) and each
sale stays a sale of its own: exactly once in Astro through kills and lost answers, a
refused line fails only its own sale's line, the report names each sale's file and line."""
import csv
import glob
import sqlite3

from bridge.journal import Journal
from tests.clock import wait_until
from tests.replay.conftest import (ENROLLED, astro_bridge_command, expected_punches, punches,
                                   sales_rows, write_config, write_csv)


def test_a_customers_sales_share_their_calls_and_stay_sales_of_their_own(
        replay, sandbox, tmp_path):
    rows = sales_rows(30, customers=3)
    result = replay(write_csv(tmp_path / "sales.csv", rows))
    assert result.exit_code == 0, result.output
    assert "sent:              30 sales" in result.stdout
    calls = sandbox.state()["calls"]
    assert calls["addTransactionBatch"] == 3          # one a customer (under 100 lines)
    assert calls["customerStatus"] == 3               # each customer resolved once
    assert sum(calls.values()) < 30                   # fewer calls than sales
    assert f"astro calls:       {sum(calls.values()) - calls['token']}" in result.stdout
    assert punches(sandbox.state()) == expected_punches(rows)
    with Journal(tmp_path / "journal.db") as journal:
        sales = journal.sales(store_id="demo", limit=100)
    assert sorted(s.sale_key for s in sales) == [f"demo-S{n:04d}" for n in range(1, 31)]
    assert all(s.status in ("delivered", "partial") for s in sales)


def test_a_run_killed_mid_batch_sends_each_line_once_when_run_again(
        replay, sandbox, config, tmp_path, processes):
    rows = sales_rows(24, customers=3)
    path = write_csv(tmp_path / "sales.csv", rows)
    # Astro does the work of the first merged batch, then the answer never comes.
    sandbox.set_faults({"next": [{"endpoint": "addTransactionBatch", "fault": "hang",
                                  "seconds": 30, "work": True}]})
    proc = processes([*astro_bridge_command(), "replay", path, "--store", "demo",
                      "--config", config])
    wait_until(lambda: sandbox.state()["handled"].get("addTransactionBatch", 0) >= 1,
               "the first batch to reach Astro")
    proc.stop(__import__("signal").SIGKILL)
    first_batch = set(sandbox.state()["transactions"])
    assert first_batch and len(first_batch) < sum(r[7] in ENROLLED for r in rows)

    sandbox.clear_faults()
    result = replay(path)
    assert result.exit_code == 0, result.output
    assert "sent:              24 sales" in result.stdout
    state = sandbox.state()
    assert len(state["transactions"]) == sum(r[7] in ENROLLED for r in rows)
    assert punches(state) == expected_punches(rows)       # no line punched twice
    with Journal(tmp_path / "journal.db") as journal:
        results = {ln["transaction_id"]: ln["result"]
                   for s in journal.sales(limit=100) for ln in s.receipt["lines"]}
    assert {results[t] for t in first_batch} == {"already"}   # Astro said: already there


def test_a_merged_batch_whose_answer_is_lost_is_reconciled_in_the_same_run(sandbox, tmp_path):
    from click.testing import CliRunner

    from bridge.cli import main

    config = write_config(tmp_path, sandbox.api_url)
    with open(config, "a") as f:  # retry fast in a test
        f.write("\n[delivery]\nretry_backoff_base_seconds = 0.05\n"
                "retry_backoff_max_seconds = 0.2\n")
    rows = sales_rows(12, customers=2)
    sandbox.set_faults({"next": [{"endpoint": "addTransactionBatch", "fault": "drop"}]})
    result = CliRunner().invoke(main, ["replay", write_csv(tmp_path / "s.csv", rows),
                                       "--store", "demo", "--config", config])
    assert result.exit_code == 0, result.output
    assert "sent:              12 sales" in result.stdout
    assert "failed:            0 sales" in result.stdout
    assert sandbox.state()["calls"]["addTransactionBatch"] == 3   # 2 customers + 1 again
    assert punches(sandbox.state()) == expected_punches(rows)


def test_a_refused_line_fails_only_its_own_sale_and_the_report_names_its_file_and_line(
        replay, sandbox, tmp_path):
    # One customer's sales in two files: all of them go in one merged batch.
    first = [["A1", "2025-01-02", "SALLY-1", "", "", "", "", "012345678905", "", "1", ""],
             ["A2", "2025-01-03", "SALLY-1", "", "", "", "", "850000000018", "bird seed", "1", ""],
             ["A2", "2025-01-03", "SALLY-1", "", "", "", "", "WASH-SELF", "", "1", ""]]
    second = [["B1", "2025-01-04", "SALLY-1", "", "", "", "", "072030001234", "", "2", ""],
              ["B2", "2025-01-05", "SALLY-1", "", "", "", "", "400000000015", "chew toy", "1", ""]]
    a, b = write_csv(tmp_path / "a.csv", first), write_csv(tmp_path / "b.csv", second)
    report = tmp_path / "report.csv"
    result = replay(a, b, "--report", report)
    assert result.exit_code == 0, result.output
    assert sandbox.state()["calls"]["addTransactionBatch"] == 1
    assert "sent:              4 sales" in result.stdout
    with open(report, newline="") as f:
        listed = [(r["file"], r["line"], r["sale_id"], r["status"], r["reason"])
                  for r in csv.DictReader(f)]
    assert sorted(listed) == [
        (a, "3", "demo-A2", "line not punched", "850000000018: No Item Found"),
        (b, "3", "demo-B2", "line not punched", "400000000015: No Item Found")]
    with Journal(tmp_path / "journal.db") as journal:
        status = {s.sale_key: s.status for s in journal.sales(limit=10)}
        # The chew toy is in no program at all: a routine line, its sale delivered.
        assert status == {"demo-A1": "delivered", "demo-A2": "partial",
                          "demo-B1": "delivered", "demo-B2": "delivered"}
        assert {(f.sale_key, f.item_code) for f in journal.failures()} == {
            ("demo-A2", "850000000018"), ("demo-B2", "400000000015")}


def test_staging_is_a_scratch_file_beside_the_journal_not_the_journal(
        replay, sandbox, config, tmp_path, processes):
    path = write_csv(tmp_path / "sales.csv", sales_rows(20, customers=4))
    sandbox.set_faults({"endpoints": {"*": {"latency": 0.05}}})
    proc = processes([*astro_bridge_command(), "replay", path, "--store", "demo",
                      "--config", config])
    wait_until(lambda: sandbox.state()["transactions"], "the replay to send")
    [scratch] = glob.glob(str(tmp_path / "journal.db.replay-*.scratch"))
    with sqlite3.connect(tmp_path / "journal.db") as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master")}
    assert not {t for t in tables if "replay" in t or "stage" in t}
    assert proc.proc.wait(60) == 0, proc.text
    assert not glob.glob(str(tmp_path / "journal.db.replay-*"))   # gone once done
