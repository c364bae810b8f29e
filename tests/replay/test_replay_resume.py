"""A replay stopped at any point resumes where it stopped, exactly once in Astro."""
import signal
import subprocess
import time

from tests.replay.conftest import (ENROLLED, astro_bridge_command, expected_punches, punches,
                                   sales_rows, write_csv)


def test_killed_replay_resumes_and_every_line_is_punched_exactly_once(
        replay, sandbox, config, tmp_path):
    rows = sales_rows(40, customers=6)
    path = write_csv(tmp_path / "sales.csv", rows)
    sandbox.set_faults({"endpoints": {"*": {"latency": 0.02}}})
    proc = subprocess.Popen(
        [*astro_bridge_command(), "replay", path, "--store", "demo", "--config", config,
         "--concurrency", "2"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 20
        while len(sandbox.state()["transactions"]) < 6:
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the replay did not get going"
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=10)
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


def test_ctrl_c_stops_cleanly_and_says_how_to_resume(replay, sandbox, config, tmp_path):
    rows = sales_rows(30, customers=4)
    path = write_csv(tmp_path / "sales.csv", rows)
    sandbox.set_faults({"endpoints": {"*": {"latency": 0.02}}})
    proc = subprocess.Popen(
        [*astro_bridge_command(), "replay", path, "--store", "demo", "--config", config],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 20
    while len(sandbox.state()["transactions"]) < 3:
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 1, out + err
    assert "stopped: interrupted" in out and "Run the same command again to resume" in out
    assert "Traceback" not in err
    sandbox.clear_faults()
    assert replay(path).exit_code == 0
    assert punches(sandbox.state()) == expected_punches(rows)
