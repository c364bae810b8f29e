"""A replay stopped at any point resumes where it stopped, exactly once in Astro."""
import signal
import time

from tests.clock import wait_until
from tests.replay.conftest import (ENROLLED, astro_bridge_command, expected_punches, punches,
                                   sales_rows, write_csv)


def _once_astro_has(sandbox, proc, transactions: int) -> None:
    """Wait until the running replay `proc` got `transactions` to Astro."""
    def sent():
        assert proc.proc.poll() is None, proc.text
        return len(sandbox.state()["transactions"]) >= transactions
    wait_until(sent, "the replay to get going")


def test_killed_replay_resumes_and_every_line_is_punched_exactly_once(
        replay, sandbox, config, tmp_path, processes):
    rows = sales_rows(40, customers=6)
    path = write_csv(tmp_path / "sales.csv", rows)
    sandbox.set_faults({"endpoints": {"*": {"latency": 0.02}}})
    proc = processes([*astro_bridge_command(), "replay", path, "--store", "demo",
                      "--config", config, "--concurrency", "2"])
    _once_astro_has(sandbox, proc, 6)
    proc.stop(signal.SIGKILL)
    sent_before = len(sandbox.state()["transactions"])
    assert 6 <= sent_before < sum(r[7] in ENROLLED for r in rows)  # stopped midway

    sandbox.clear_faults()
    result = replay(path, "--concurrency", "2")
    assert result.exit_code == 0, result.output
    assert "already delivered: 0 sales" not in result.stdout
    assert punches(sandbox.state()) == expected_punches(rows)
    again = replay(path)
    assert "sent:              0 sales" in again.stdout
    assert punches(sandbox.state()) == expected_punches(rows)


def test_dropped_answers_and_rate_limits_are_retried_without_double_punches(
        sandbox, tmp_path):
    from click.testing import CliRunner

    from bridge.cli import main
    from tests.replay.conftest import write_config

    config = write_config(tmp_path, sandbox.api_url)
    with open(config, "a") as f:  # retry fast in a test
        f.write("\n[delivery]\nretry_backoff_base_seconds = 0.05\n"
                "retry_backoff_max_seconds = 0.2\n")
    rows = sales_rows(10)
    sandbox.set_faults({"next": [
        {"endpoint": "addTransactionBatch", "count": 2, "fault": "drop"},
        {"endpoint": "addTransactionBatch", "count": 1, "fault": "rate_limit",
         "retry_after": 1},
        {"endpoint": "customerStatus", "count": 2, "fault": "status", "status": 503}]})
    started = time.monotonic()
    result = CliRunner().invoke(main, ["replay", write_csv(tmp_path / "s.csv", rows),
                                       "--store", "demo", "--config", config])
    assert result.exit_code == 0, result.output
    assert "sent:              10 sales" in result.stdout
    assert punches(sandbox.state()) == expected_punches(rows)
    assert time.monotonic() - started >= 1.0  # Retry-After was honoured


def test_ctrl_c_stops_cleanly_and_says_how_to_resume_even_started_ignoring_it(
        replay, sandbox, config, tmp_path, processes):
    rows = sales_rows(30, customers=4)
    path = write_csv(tmp_path / "sales.csv", rows)
    sandbox.set_faults({"endpoints": {"*": {"latency": 0.02}}})
    # As a background job of a script starts it: SIGINT ignored. Ctrl-C still stops it.
    proc = processes([*astro_bridge_command(), "replay", path, "--store", "demo",
                      "--config", config], sigint_ignored=True)
    _once_astro_has(sandbox, proc, 3)
    assert proc.stop(signal.SIGINT, timeout=20) == 1, proc.text
    assert "stopped: interrupted" in proc.text
    assert "Run the same command again to resume" in proc.text
    assert "Traceback" not in proc.text
    sandbox.clear_faults()
    assert replay(path).exit_code == 0
    assert punches(sandbox.state()) == expected_punches(rows)
