"""`astro-bridge migrate report`: its output and exit codes on a journal of shadowed sales."""
import json

import pytest
from click.testing import CliRunner

from bridge.cli import main
from bridge.config import load_config
from bridge.journal import Journal
from bridge.migrate.phases import ShadowEvaluator, answer_legacy

GOOD = ("apiusername=demo&apipassword=demo-password&CustomerID=SALLY-1"
        "&UPC1=012345678905&SaleID={n}")
NOT_ENROLLED = "apiusername=demo&apipassword=demo-password&CustomerID=SALLY-1&UPC1=850000000018"


@pytest.fixture
def config_file(tmp_path, sandbox):
    path = tmp_path / "bridge.toml"
    path.write_text(f"""
[journal]
path = "bridge.db"

[stores.main]
name = "Main Street Pets"
phase = "shadow"
legacy_url = "{sandbox.legacy_url}"
button_auth = "delegate"

[stores.main.astro]
base_url = "{sandbox.api_url}"
username = "demo"
password = "demo-password"
client_id = "demo-client"
""")
    return path


def _shadow_sales(config_file, client_for, queries):
    """Click the button in shadow for each query and wait for the dry runs."""
    config = load_config(config_file)
    with Journal(config.journal_path) as journal:
        evaluator = ShadowEvaluator(journal, client_for)
        for q in queries:
            answer_legacy(config.stores[0], q, journal, shadow=evaluator)
        evaluator.close()


def test_report_prints_the_verdict_and_exits_1_when_not_ready(config_file, client_for):
    _shadow_sales(config_file, client_for,
                  [GOOD.format(n=n) for n in range(3)] + [NOT_ENROLLED])
    result = CliRunner().invoke(main, ["migrate", "report", "--config", str(config_file)])
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    assert lines[0] == "main (Main Street Pets), phase shadow: not ready"
    assert lines[1] == ("  not ready: only 4 sales evaluated (need 20); 75% of 4 sales "
                        "would fully succeed; the 25% are one item code not in any program")
    assert "    850000000018   x1     not in any program the store is enrolled in" in lines
    assert "demo-password" not in result.output


def test_report_exits_0_when_ready_and_json_has_the_figures(config_file, client_for):
    _shadow_sales(config_file, client_for, [GOOD.format(n=n) for n in range(3)])
    result = CliRunner().invoke(main, ["migrate", "report", "--config", str(config_file),
                                       "--store", "main", "--min-sales", "3", "--json"])
    assert result.exit_code == 0, result.output
    [store] = json.loads(result.output)["stores"]
    assert (store["sales_seen"], store["evaluated"], store["would_succeed"]) == (3, 3, 3)
    assert store["verdict"] == "ready"
    assert store["reasons"] == ["ready: 100% of 3 sales would fully succeed"]


def test_since_after_the_sales_leaves_nothing_to_judge(config_file, client_for):
    _shadow_sales(config_file, client_for, [GOOD.format(n=1)])
    result = CliRunner().invoke(main, ["migrate", "report", "--config", str(config_file),
                                       "--since", "2999-01-01", "--json"])
    assert result.exit_code == 1
    assert json.loads(result.output)["stores"][0]["sales_seen"] == 0


@pytest.mark.parametrize("args, message", [
    (["--store", "nope"], "--store: no store 'nope' (known: main)"),
    (["--since", "yesterday"], "--since: 'yesterday' is not a date YYYY-MM-DD"),
])
def test_user_errors_are_one_line_and_exit_2(config_file, args, message):
    result = CliRunner().invoke(main, ["migrate", "report", "--config", str(config_file),
                                       *args])
    assert result.exit_code == 2
    assert result.output.strip() == f"Error: {message}"


def test_missing_configuration_exits_2(tmp_path):
    result = CliRunner(env={"ASTRO_BRIDGE_CONFIG": None}).invoke(main, ["migrate", "report"])
    assert result.exit_code == 2
    assert "needs a configuration" in result.output
    bad = CliRunner().invoke(main, ["migrate", "report", "--config",
                                    str(tmp_path / "missing.toml")])
    assert bad.exit_code == 2 and "cannot read the file" in bad.output


def test_a_journal_that_is_not_a_database_is_one_line_and_exit_2(config_file, tmp_path):
    (tmp_path / "bridge.db").write_text("junk\n")
    result = CliRunner().invoke(main, ["migrate", "report", "--config", str(config_file)])
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert "bridge.db" in line and "not a database" in line
    assert "Traceback" not in result.output


def test_without_config_next_to_the_demo_journal_points_at_the_demo_admin(tmp_path,
                                                                          monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "astro-bridge.db").write_bytes(b"")
    result = CliRunner(env={"ASTRO_BRIDGE_CONFIG": None}).invoke(main, ["migrate", "report"])
    assert result.exit_code == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("Error: migrate report needs a configuration: --config FILE")
    assert "./astro-bridge.db" in line and "http://127.0.0.1:8080/admin/" in line
