"""The bridge against a sandbox answering in the other public shapes (`astro-bridge
sandbox --wire public-variants`, a real process): the demo's button click reaches a
receipt, new and found customers are added and linked through the `status` envelope,
and a replay delivers every sale."""
import dataclasses
import signal
import subprocess

import pytest
import requests

from tests.conftest import demo_config_for_tests
from tests.replay.conftest import (astro_bridge_command, expected_punches, punches,
                                   sales_rows, write_config, write_csv)
from tests.web.conftest import FAST_RETRY, SALLY, LiveBridge


@pytest.fixture
def variants_sandbox(processes):
    """(api_url, base_url) of `astro-bridge sandbox --wire public-variants --control`."""
    proc = processes(astro_bridge_command() + [
        "sandbox", "--port", "0", "--wire", "public-variants", "--control"])
    api_url = proc.wait_line("Astro sandbox: ")
    yield api_url, api_url.rsplit("/api/json", 1)[0]
    assert proc.stop(signal.SIGINT) == 0


def test_demo_clicks_reach_receipts_against_the_public_variants(variants_sandbox, tmp_path):
    api_url, _ = variants_sandbox
    config = dataclasses.replace(demo_config_for_tests(api_url, str(tmp_path / "journal.db")),
                                 request_deadline=3.0, retry=FAST_RETRY)
    bridge = LiveBridge(config, None)
    try:
        page = bridge.receipt(bridge.click())
        assert "Sent to Astro." in page.text and "3/12" in page.text
        assert "Points earned: 45" in page.text
        page = bridge.receipt(bridge.click({**SALLY, "CustomerID": "POS-NEW",
                                            "FirstName": "Nina", "LastName": "New",
                                            "Email": "nina@example.com"}))
        assert "New Astro customer created." in page.text and "3/12" in page.text
        page = bridge.receipt(bridge.click({**SALLY, "CustomerID": "POS-PAT",
                                            "FirstName": "Pat", "Email": "pat@example.com"}))
        assert "Found in Astro by email or phone and linked" in page.text
    finally:
        bridge.close()


def test_replay_delivers_every_sale_against_the_public_variants(variants_sandbox, tmp_path):
    api_url, base_url = variants_sandbox
    rows = sales_rows(20)
    result = subprocess.run(astro_bridge_command() + [
        "replay", write_csv(tmp_path / "sales.csv", rows), "--store", "demo",
        "--config", write_config(tmp_path, api_url)],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "sent:              20 sales" in result.stdout
    state = requests.get(base_url + "/_sandbox/state", timeout=5).json()
    assert punches(state) == expected_punches(rows)
