"""`astro-bridge failures list|retry|hide|export` on a real configuration and journal."""
import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bridge.cli import main
from bridge.reasons import Reason

CLI = str(Path(sys.executable).with_name("astro-bridge"))


def run(*args):
    return CliRunner().invoke(main, ["failures", *map(str, args)])


def test_list_shows_the_failure_with_its_guidance(config_file, failed_sale):
    r = run("list", "--config", config_file)
    assert r.exit_code == 0, r.output
    assert f"#{failed_sale.id}" in r.output and "850000000018" in r.output
    # Astro was asked which programs list the code: one the store is not enrolled in.
    assert "demo-1001-2" in r.output and ("No Item Found: The item's program is one the "
                                          "store is not enrolled in") in r.output
    assert "Astro lists it in Buy 6 Get 1 Bird Seed (Songbird Feeds)." in r.output
    assert "Transaction Failures (1)" in r.output and "Redemption Failures (0)" in r.output
    # Neither the status code nor a message that only repeats the reason.
    assert " 410" not in r.output and r.output.count("No Item Found") == 2


def test_filters_by_reason_and_store(config_file, failed_sale):
    assert "Transaction Failures (0)" in run("list", "--config", config_file, "--reason",
                                             "TransactionID Already Exists").output
    assert "Transaction Failures (1)" in run("list", "--config", config_file, "--reason",
                                             "no item found").output
    r = run("list", "--config", config_file, "--store", "nope")
    assert r.exit_code == 2 and "no store 'nope'" in r.output


def test_an_unknown_reason_is_refused_naming_the_known_ones(config_file, failed_sale):
    r = run("list", "--config", config_file, "--reason", "Bad luck")
    assert r.exit_code == 2 and "Traceback" not in r.output
    assert "--reason" in r.output and "'Bad luck' is not a reason" in r.output
    assert '"No Item Found"' in r.output and '"Given up"' in r.output


def test_retry_exits_1_while_failing_and_0_once_fixed(config_file, failed_sale, sandbox):
    r = run("retry", failed_sale.id, "--config", config_file)
    assert r.exit_code == 1 and "FAILED: No Item Found" in r.output
    r = run("retry", failed_sale.id, "--config", config_file)
    assert r.exit_code == 2 and "not in the report" in r.output      # that line was retried
    sandbox.enrol(104)
    r = run("retry", "--all", "--config", config_file)
    assert r.exit_code == 0 and ": ok: delivered" in r.output, r.output
    assert "Transaction Failures (0)" in run("list", "--config", config_file).output
    assert sandbox.state()["transactions"]["demo-1001-2"]["item_code"] == "850000000018"


def test_hide_then_export(config_file, failed_sale):
    out = run("export", "--config", config_file)
    rows = list(csv.DictReader(io.StringIO(out.output)))
    assert [(x["id"], x["reason"]) for x in rows] == [(str(failed_sale.id), "No Item Found")]
    assert run("hide", failed_sale.id, "--config", config_file).exit_code == 0
    assert list(csv.DictReader(io.StringIO(run("export", "--config",
                                               config_file).output))) == []


def test_user_errors_are_one_line_with_exit_2(config_file, tmp_path):
    r = run("retry", "--config", config_file)
    assert r.exit_code == 2 and "give the ids" in r.output
    r = run("list", "--config", tmp_path / "missing.toml")
    assert r.exit_code == 2 and "Traceback" not in r.output
    r = CliRunner(env={"ASTRO_BRIDGE_CONFIG": ""}).invoke(main, ["failures", "list"])
    assert r.exit_code == 2 and "needs a configuration" in r.output


def test_export_to_a_missing_folder_is_one_line_naming_the_file(config_file, tmp_path):
    target = tmp_path / "nonexistent" / "x.csv"
    r = run("export", "-o", target, "--config", config_file)
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [
        f"Error: --output {target}: cannot write it: No such file or directory"]


def test_a_journal_that_is_not_a_database_is_one_line_with_exit_2(config_file, tmp_path):
    (tmp_path / "journal.db").write_text("junk\n")
    for command in ("list", "export", "hide", "retry"):
        r = run(command, "--all", "--config", config_file) if command in ("hide", "retry") \
            else run(command, "--config", config_file)
        assert r.exit_code == 2, r.output
        [line] = r.stderr.splitlines()
        assert "journal.db" in line and "not a database" in line


@pytest.mark.parametrize("command", ["list", "export", "hide", "retry"])
def test_without_config_next_to_the_demo_journal_points_at_the_demo_admin(
        tmp_path, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner(env={"ASTRO_BRIDGE_CONFIG": ""})
    plain = runner.invoke(main, ["failures", command])
    assert plain.exit_code == 2
    assert plain.stderr == ("Error: failures needs a configuration: --config FILE or "
                            "$ASTRO_BRIDGE_CONFIG\n")
    (tmp_path / "astro-bridge.db").write_bytes(b"")
    demo = runner.invoke(main, ["failures", command])
    assert demo.exit_code == 2
    assert demo.stderr == (
        "Error: failures needs a configuration: --config FILE or $ASTRO_BRIDGE_CONFIG (the "
        "demo that `astro-bridge serve` runs without one keeps its failures in "
        "./astro-bridge.db: see them at http://127.0.0.1:8080/admin/ while it runs)\n")


LEASH, TOY, BAGS = "400000000002", "400000000001", "400000000003"   # in no program


@pytest.fixture
def many_failures(config_file):
    """Failures in config_file's journal: four No Item Found of an item whose program
    the store is not enrolled in, one SaleID reused (the newest to act on), and four
    routine No Item Found (items in no program: two leashes, a toy, bags)."""
    from bridge.config import load_config
    from bridge.journal import Journal

    with Journal(load_config(config_file).journal_path) as journal:
        for code, n in ((LEASH, 1), (TOY, 2), (LEASH, 3), (BAGS, 4)):
            journal.record_failure("demo", "transaction", "No Item Found",
                                   reason=Reason.NO_ITEM_FOUND, item_code=code,
                                   transaction_id=f"demo-r{n}-1", customer_id="SALLY-1")
        for n in range(4):
            journal.record_failure("demo", "transaction", "No Item Found",
                                   reason=Reason.NO_ITEM_FOUND, item_code="850000000018",
                                   transaction_id=f"demo-{n}-1", customer_id="SALLY-1")
        journal.record_failure("demo", "transaction", "SaleID 7 was already used for a "
                               "different sale; this sale was NOT sent",
                               reason=Reason.SALE_ID_REUSED)


def test_list_counts_each_reason_first_and_limits_the_lines(config_file, many_failures,
                                                           tmp_path):
    done = subprocess.run([CLI, "failures", "list", "--limit", "2", "--config",
                           str(config_file)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[:6] == [
        "Failures by reason (5)", "       4  No Item Found", "       1  SaleID reused",
        "In no program, nothing to do (4 lines, 3 item codes; the 2 most frequent shown, "
        "--limit 0 for all; every line is in the export)",
        f"       2  {LEASH}", f"       1  {TOY}"]
    assert lines[6] == "Transaction Failures (5; the newest 2 shown, --limit 0 for all)"
    assert len([ln for ln in lines if ln.startswith("  #")]) == 2
    assert "Redemption Failures (0)" in lines
    everything = run("list", "--limit", "0", "--config", config_file).output
    assert everything.count("  #") == 5 and f"       1  {BAGS}" in everything


def test_list_as_json_has_the_counts_first(config_file, many_failures):
    done = subprocess.run([CLI, "failures", "list", "--json", "--limit", "3",
                           "--reason", "No Item Found", "--config", str(config_file)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert list(data)[0] == "counts" and data["counts"] == {"No Item Found": 4}
    assert data["totals"]["transaction_failures"] == 4
    assert data["totals"]["routine_lines"] == 4
    assert [(i["item_code"], i["lines"]) for i in data["routine"]["item_codes"]] == [
        (LEASH, 2), (TOY, 1), (BAGS, 1)]
    rows = data["transaction_failures"]
    assert [r["transaction_or_reward_id"] for r in rows] == ["demo-3-1", "demo-2-1",
                                                             "demo-1-1"]
    assert rows[0]["reason"] == "No Item Found" and rows[0]["customer"] == "SALLY-1"
    assert (rows[0]["routine"], rows[0]["cause"]) == (False, "program not enrolled")
    assert rows[0]["guidance"] == "The item's program is one the store is not enrolled in"


def test_list_with_astro_down_says_so_in_one_line_and_nothing_else_on_stderr(
        config_file, many_failures, sandbox):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        nobody = f"http://127.0.0.1:{s.getsockname()[1]}/api/json"
    config_file.write_text(config_file.read_text().replace(sandbox.api_url, nobody))
    done = subprocess.run([CLI, "failures", "list", "--config", str(config_file)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    [line] = done.stderr.splitlines()
    assert line.startswith("note: Astro could not say which programs list some refused "
                           "items (demo: ")
    assert done.stdout.splitlines()[:2] == ["Failures by reason (9)", "       8  No Item Found"]


def test_list_says_so_when_astro_cannot_tell_which_programs_list_the_items(
        config_file, many_failures, sandbox):
    sandbox.set_faults({"endpoints": {"eligiblePurchaseItems": {"error_rate": 1.0,
                                                                "error_status": 503}}})
    done = subprocess.run([CLI, "failures", "list", "--config", str(config_file)],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith("note: Astro could not say which programs list some "
                                  "refused items (demo: ") and "Traceback" not in done.stderr
    # Not known: every line stays one to act on, none is taken for routine.
    assert done.stdout.splitlines()[:2] == ["Failures by reason (9)", "       8  No Item Found"]
    assert "In no program" not in done.stdout
