"""`astro-bridge sandbox` prints its URL, serves, and stops cleanly."""
import json
import signal
import subprocess
import sys
from pathlib import Path

import requests

CLI = str(Path(sys.executable).with_name("astro-bridge"))


def test_cli_prints_its_url_serves_and_stops_on_ctrl_c_even_started_ignoring_it(processes):
    # As a background job of a script starts it: SIGINT ignored. Ctrl-C still stops it.
    proc = processes([CLI, "sandbox", "--port", "0"], sigint_ignored=True)
    api_url = proc.wait_line("Astro sandbox: ")
    assert api_url.startswith("http://127.0.0.1:") and api_url.endswith("/api/json")
    token = requests.post(api_url + "/token/", timeout=5, data={
        "username": "demo", "password": "demo-password", "grant_type": "password",
        "client_id": "demo-client"}).json()
    assert token["token_type"] == "bearer"
    assert proc.stop(signal.SIGINT) == 0
    assert "Traceback" not in proc.text and "Astro sandbox stopped." in proc.text


def _base_and_output(processes, *args):
    """Whether /_sandbox/state answers, and everything the sandbox printed."""
    proc = processes([CLI, "sandbox", "--port", "0", *args])
    base = proc.wait_line("Astro sandbox: ").rsplit("/api/json", 1)[0]
    status = requests.get(base + "/_sandbox/state", timeout=5).status_code
    assert proc.stop() == 0
    return status, proc.text


def test_cli_without_control_serves_no_control_routes(processes):
    status, out = _base_and_output(processes, "--no-control")
    assert status == 404 and "Control:" not in out


def test_cli_serves_no_control_routes_unless_asked_for(processes):
    status, out = _base_and_output(processes)
    assert status == 404 and "Control:" not in out


def test_cli_with_control_serves_the_control_routes(processes):
    status, out = _base_and_output(processes, "--control")
    assert status == 200 and "/_sandbox/" in out


def test_cli_bad_seed_file_is_one_line_and_exit_2(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[[programs]\n")
    proc = subprocess.run([CLI, "sandbox", "--port", "0", "--config", str(bad)],
                          capture_output=True, text=True, timeout=20)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1


def test_cli_bad_host_is_one_line_naming_host_and_exit_2():
    proc = subprocess.run([CLI, "sandbox", "--port", "0", "--host", "256.1.1.1"],
                          capture_output=True, text=True, timeout=20)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "Error: --host '256.1.1.1': not an address or host name this machine can listen on"]


def test_cli_wire_and_strict_options_shape_answers_and_refuse_unknown_fields(processes):
    proc = processes([CLI, "sandbox", "--port", "0", "--wire", "public-variants", "--strict",
                      "--remove-count-field", "item_qty"])
    api_url = proc.wait_line("Astro sandbox: ")
    login = {"username": "demo", "password": "demo-password", "grant_type": "password",
             "client_id": "demo-client"}
    token = requests.post(api_url + "/token/", data=login, timeout=5).json()
    assert isinstance(token["expires"], int)            # public-variants token times

    def call(endpoint, payload):
        return requests.post(f"{api_url}/{endpoint}/", timeout=5,
                             data={"jsonData": json.dumps(payload)},
                             headers={"Authorization": "Bearer " + token["access_token"]})

    answer = call("removeTransaction", {"customerID": "SALLY-1", "transactionID": "T-1",
                                        "qty": 1})
    assert answer.status_code == 400
    assert answer.json()["astro_status_message"] == "Unknown Field: qty"
    call("addTransactionBatch", {"customerID": "SALLY-1", "transactions": [
        {"transactionID": "T-1", "item_code": "012345678905", "item_qty": 3}]})
    call("removeTransaction", {"customerID": "SALLY-1", "transactionID": "T-1",
                               "item_qty": 1})
    card, = call("customerStatus", {"customerID": "SALLY-1"}).json()[
        "returnData"]["astroCardData"]
    assert len(card["cardPurchases"]) == 2              # item_qty was read
    assert proc.stop(signal.SIGINT) == 0 and "Traceback" not in proc.text


def test_cli_unknown_wire_is_a_usage_error_naming_the_option():
    proc = subprocess.run([CLI, "sandbox", "--port", "0", "--wire", "private"],
                          capture_output=True, text=True, timeout=20)
    assert proc.returncode == 2
    assert "--wire" in proc.stderr and "Traceback" not in proc.stderr
