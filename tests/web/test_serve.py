"""`astro-bridge serve` as a process: the demo, configuration errors, SIGTERM and
SIGKILL in the middle of a delivery."""
import os
import signal
import subprocess
import sys
import threading

import pytest
import requests

from bridge.journal import Journal
from bridge.passwords import hash_password
from tests.clock import wait_until
from tests.conftest import TEST_HASH_N
from tests.web.conftest import SALLY

CLI = [sys.executable, "-c", "from bridge.cli import main; main()"]


def serve(processes, *args, cwd):
    """`astro-bridge serve --port 0 ARGS` as a process (tests.processes.CommandProcess)."""
    env = {k: v for k, v in os.environ.items() if k != "ASTRO_BRIDGE_CONFIG"}
    return processes(CLI + ["serve", "--port", "0", *args], cwd=cwd, env=env)


def url_of(bridge) -> str:
    return bridge.wait_line("astro-bridge listening on ")


def write_config(tmp_path, sandbox) -> str:
    path = tmp_path / "bridge.toml"
    path.write_text(f"""
[server]
request_deadline_seconds = 1
[journal]
path = "journal.db"
[delivery]
retry_backoff_base_seconds = 0.1
retry_backoff_max_seconds = 0.5
[stores.demo]
name = "Demo Pet Supply"
[stores.demo.astro]
base_url = "{sandbox.api_url}"
username = "demo"
password_env = "TEST_ASTRO_PASSWORD"
client_id = "demo-client"
[[stores.demo.buttons]]
username = "demo"
password_hash = "{hash_password('demo-button', n=TEST_HASH_N)}"
""")
    os.environ["TEST_ASTRO_PASSWORD"] = "demo-password"
    return str(path)


def click_in_background(url, params) -> dict:
    result: dict = {}

    def run():
        try:
            result["answer"] = requests.get(url + "/", params=params, allow_redirects=False,
                                            timeout=10)
        except requests.RequestException as e:
            result["error"] = e

    result["thread"] = threading.Thread(target=run, daemon=True)
    result["thread"].start()
    return result


def test_serve_without_config_runs_the_demo_and_prints_its_button(tmp_path, processes):
    bridge = serve(processes, cwd=tmp_path)
    try:
        sandbox_url = bridge.wait_line("Astro sandbox: ")
        button = bridge.wait_line("Demo button: ")
        assert sandbox_url.startswith("http://127.0.0.1:") and sandbox_url.endswith("/api/json")
        for part in ("apiusername=demo", "apipassword=demo-button", "CustomerID=SALLY-1",
                     "Email=sally%40example.com", "UPC1=012345678905", "UPC2=072030001234",
                     "SubTotal="):
            assert part in button
        reward = bridge.wait_line("Demo reward: ")
        failure = bridge.wait_line("Demo failure: ")
        account = bridge.wait_line("Sandbox account: ").split()[0]
        answer = requests.get(button, timeout=10)
        assert answer.status_code == 200 and "Sent to Astro." in answer.text
        assert "Sally Pet Owner" in answer.text and "Buy 12 Get 1 Dog Kibble" in answer.text
        # The reward button fills Sally's card: the receipt offers the free bag (once
        # Astro has confirmed it, when the round's read raced the sale).
        answer = requests.get(reward, timeout=10)
        assert "12/12, complete; next card 2/12" in answer.text
        receipt = answer.url
        wait_until(lambda: ">Redeem<" in requests.get(receipt, timeout=10).text,
                   "the free bag offered")
        # The failure button: bird seed is in no program the store is enrolled in, and
        # the sandbox's page is where a person enrols the store (then Retry in /admin/).
        answer = requests.get(failure, timeout=10)
        assert "Not in any program this store is enrolled in" in answer.text
        page = requests.get(account, timeout=10).text
        assert "Bird Seed" in page and "Enrol the store" in page
    finally:
        assert bridge.stop() == 0
    assert (tmp_path / "astro-bridge.db").exists()


def test_serve_with_a_bad_config_says_why_in_one_line_and_exits_2(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[stores.demo]\nphase = \"later\"\n")
    done = subprocess.run(CLI + ["serve", "--config", str(config)], capture_output=True,
                          text=True, timeout=30)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "Error: bad.toml: stores.demo.phase: must be one of passthrough, shadow, rest, "
        "not 'later'"]


def test_sigterm_lets_the_sale_in_flight_finish(tmp_path, sandbox, processes):
    bridge = serve(processes, "--config", write_config(tmp_path, sandbox), cwd=tmp_path)
    url = url_of(bridge)
    sandbox.set_faults({"endpoints": {"addTransactionBatch": {"latency": 0.6}}})
    click = click_in_background(url, {**SALLY, "SaleID": "T-1"})
    wait_until(lambda: sandbox.state()["calls"].get("addTransactionBatch"), "the batch")
    assert bridge.stop(signal.SIGTERM) == 0
    click["thread"].join(10)
    assert click["answer"].status_code == 303
    with Journal(str(tmp_path / "journal.db")) as journal:
        assert journal.get_sale("demo-T-1").steps[1].state == "done"
    with pytest.raises(requests.ConnectionError):
        requests.get(url + "/healthz", timeout=2)


def test_bridge_killed_mid_delivery_delivers_the_rest_exactly_once_after_restart(
        tmp_path, sandbox, processes):
    config = write_config(tmp_path, sandbox)
    bridge = serve(processes, "--config", config, cwd=tmp_path)
    url = url_of(bridge)
    # The batch reaches Astro and is done there, but its answer never comes back.
    sandbox.set_faults({"endpoints": {"addTransactionBatch": {"latency": 0.8}}})
    click_in_background(url, {**SALLY, "SaleID": "K-1"})
    wait_until(lambda: sandbox.state()["calls"].get("addTransactionBatch"), "the batch")
    bridge.stop(signal.SIGKILL)
    wait_until(lambda: sandbox.state()["handled"].get("addTransactionBatch"), "Astro's work")
    sandbox.clear_faults()
    assert sandbox.state()["calls"].get("addPointsByDollar") is None

    restarted = serve(processes, "--config", config, cwd=tmp_path)
    try:
        url_of(restarted)
        with Journal(str(tmp_path / "journal.db")) as journal:
            # The killed request's lease on the sale runs out first (15 s after
            # its last renewal).
            wait_until(lambda: journal.get_sale("demo-K-1").status == "delivered",
                       "the worker to finish the sale", 60)
    finally:
        assert restarted.stop() == 0
    state = sandbox.state()
    assert len(state["transactions"]) == 2
    assert state["handled"]["addPointsByDollar"] == 1
    assert len(state["points_transactions"]) == 1
    assert "demo-password" not in "".join(bridge.output + restarted.output)


@pytest.mark.parametrize("host", ["256.1.1.1", "nosuchhost.invalid"])
def test_serve_with_a_bad_host_says_so_in_one_line_and_exits_2(tmp_path, host):
    env = {k: v for k, v in os.environ.items() if k != "ASTRO_BRIDGE_CONFIG"}
    done = subprocess.run(CLI + ["serve", "--host", host], capture_output=True, text=True,
                          timeout=30, cwd=tmp_path, env=env)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"Error: --host '{host}': not an address or host name this machine can listen on"]


def test_demo_with_a_busy_explicit_port_says_so_and_exits_2(tmp_path):
    import socket
    env = {k: v for k, v in os.environ.items() if k != "ASTRO_BRIDGE_CONFIG"}
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(CLI + ["serve", "--host", "127.0.0.1", "--port", str(port)],
                              capture_output=True, text=True, timeout=30, cwd=tmp_path, env=env)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        f"Error: --port: cannot listen on 127.0.0.1:{port}: Address already in use"]
