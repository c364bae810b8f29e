"""What `astro-bridge replay` writes, as a real process: one clear line and exit 2 when
Astro cannot be reached, messages above the progress bar on a terminal, --quiet,
--verbose, --json, and the warnings of the input in the dry run and the report."""
import csv
import json
import os
import pty
import select
import subprocess
import time

from tests.conftest import free_port
from tests.replay.conftest import (astro_bridge_command, expected_punches, punches,
                                   sales_rows, write_config, write_csv)


def run(*args, timeout=120):
    return subprocess.run([*astro_bridge_command(), "replay", *map(str, args)],
                          capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def on_a_terminal(*args, timeout=120) -> tuple[int, str]:
    """(exit status, what the terminal showed) of a replay whose stderr is a terminal."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen([*astro_bridge_command(), "replay", *map(str, args)],
                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                            stderr=follower)
    os.close(follower)
    screen = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:          # the process closed the terminal
                    break
                if not chunk:
                    break
                screen += chunk
            elif proc.poll() is not None:
                break
        # The terminal turns each "\n" into "\r\n": shown as the program wrote it.
        return proc.wait(timeout=10), screen.decode().replace("\r\n", "\n")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(leader)


def test_astro_unreachable_is_one_clear_line_then_exit_2_and_the_same_command_resumes(
        sandbox, tmp_path):
    closed = f"http://127.0.0.1:{free_port()}/api/json"
    config = write_config(tmp_path, closed)
    rows = sales_rows(30, customers=10)
    sales = write_csv(tmp_path / "sales.csv", rows)
    result = run(sales, "--store", "demo", "--config", config, "--concurrency", "4")
    assert result.returncode == 2, result.stdout + result.stderr
    said = [line for line in result.stderr.splitlines() if not line.startswith(
        ("staging:", "replay:"))]
    assert said == [f"error: cannot reach Astro at {closed}: connection refused"]
    assert "sent:              0 sales" in result.stdout
    [stopped] = [line for line in result.stdout.splitlines() if line.startswith("stopped:")]
    assert stopped.startswith(f"stopped: cannot reach Astro at {closed}: connection refused "
                              f"(20 calls in a row not sent); ")
    assert stopped.endswith("Run the same command again to resume once Astro answers.")

    with open(config) as f:                 # Astro is back
        text = f.read().replace(closed, sandbox.api_url)
    with open(config, "w") as f:
        f.write(text)
    again = run(sales, "--store", "demo", "--config", config, "--concurrency", "4")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "sent:              30 sales" in again.stdout
    assert punches(sandbox.state()) == expected_punches(rows)


def test_on_a_terminal_messages_go_above_the_progress_bar(tmp_path):
    closed = f"http://127.0.0.1:{free_port()}/api/json"
    config = write_config(tmp_path, closed)
    sales = write_csv(tmp_path / "sales.csv", sales_rows(10))
    status, screen = on_a_terminal(sales, "--store", "demo", "--config", config,
                                   "--give-up-after", "3")
    assert status == 2, screen
    message = f"error: cannot reach Astro at {closed}: connection refused"
    assert screen.count(message) == 1
    # The bar's line is cleared first, the message has a line of its own, and the bar
    # is drawn again below it.
    before, after = screen.split(message)
    assert before.endswith("\r\033[K")
    assert after.startswith("\n\rreplay  [")
    assert "Traceback" not in screen


def test_json_is_one_object_on_stdout(sandbox, tmp_path):
    config = write_config(tmp_path, sandbox.api_url)
    rows = sales_rows(6, customers=2)
    rows.append(["S9999", "", "C1", "", "", "", "", "WASH-SELF", "", "1", ""])
    result = run(write_csv(tmp_path / "sales.csv", rows), "--store", "demo",
                 "--config", config, "--json")
    assert result.returncode == 1, result.stderr
    summary = json.loads(result.stdout)
    assert summary["read"] == {"sales": 7, "line_items": 13}
    assert summary["sent"] == 6 and summary["not_sent_yet"] == 0
    assert summary["invalid"] == {"sales": 1, "rows": 1}
    assert summary["astro_calls"] == sum(sandbox.state()["calls"].values()) - 1  # - token
    assert summary["exit_status"] == 1 and summary["stopped"] is None
    [listed] = summary["listed"]["rows"]
    assert (listed["status"], listed["line"], listed["sale_id"]) == ("invalid", 14, "S9999")


def test_quiet_writes_nothing_but_the_summary_and_verbose_shows_each_astro_call(
        sandbox, tmp_path):
    config = write_config(tmp_path, sandbox.api_url)
    rows = sales_rows(4, customers=2)
    rows.append(["S9999", "", "C1", "", "", "", "", "WASH-SELF", "", "1", ""])
    quiet = run(write_csv(tmp_path / "a.csv", rows), "--store", "demo", "--config", config,
                "--quiet")
    assert quiet.returncode == 1
    assert quiet.stderr == ""
    assert quiet.stdout.splitlines()[0].startswith("read:")        # no row listing
    assert "invalid:           1 sales (1 rows)" in quiet.stdout
    others = [["V" + r[0], *r[1:]] for r in sales_rows(4, customers=2)]
    verbose = run(write_csv(tmp_path / "b.csv", others), "--store", "demo", "--config",
                  config, "--verbose")
    assert verbose.returncode == 0, verbose.stdout + verbose.stderr
    assert "astro addTransactionBatch -> HTTP 200 in " in verbose.stderr
    both = run(write_csv(tmp_path / "c.csv", rows), "--store", "demo", "--config", config,
               "--quiet", "--verbose")
    assert both.returncode == 2 and "--quiet and --verbose" in both.stderr


def test_a_wrong_check_digit_is_a_warning_in_the_dry_run_and_the_report(sandbox, tmp_path):
    config = write_config(tmp_path, sandbox.api_url)
    rows = [["S1", "2025-01-02", "SALLY-1", "", "", "", "", "012345678905", "", "1", ""],
            ["S1", "2025-01-02", "SALLY-1", "", "", "", "", "012345678906", "", "1", ""],
            ["S2", "2025-01-03", "SALLY-1", "", "", "", "", "WASH-SELF", "", "1", ""]]
    sales = write_csv(tmp_path / "sales.csv", rows)
    warning = "UPC: wrong check digit, kept as given (012345678906)"
    dry = run(sales, "--store", "demo", "--config", config, "--dry-run")
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert f"warning  {sales}:3: {warning}" in dry.stdout.splitlines()
    assert "warnings:          1 rows" in dry.stdout
    report = tmp_path / "report.csv"
    live = run(sales, "--store", "demo", "--config", config, "--report", report)
    assert live.returncode == 0, live.stdout + live.stderr
    assert "warnings:          1 rows" in live.stdout
    with open(report, newline="") as f:
        listed = [(r["line"], r["sale_id"], r["status"], r["reason"])
                  for r in csv.DictReader(f)]
    # Listed as a warning, and sent as given (Astro knows no such item).
    assert listed == [("3", "S1", "warning", warning),
                      ("3", "demo-S1", "line not punched", "012345678906: No Item Found")]
