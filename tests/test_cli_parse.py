"""`astro-bridge parse`: a legacy button URL shown as a sale, errors on one line."""
import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from bridge.cli import main
from legacy_qs import parse

SPEC_URL = (
    "https://astro.example/query?apiusername=demo&apipassword=Pw-NotShown-42"
    "&CustomerID=C-1&FirstName=Sally&LastName=Pet+Owner&Email=sally%40example.com"
    "&Phone=%28555%29+123-4567&UPC1=0012345678905&Description1=Dog+Food+30lb&Qty1=2"
    "&SubTotal=45.98"
)
ASTRO_BRIDGE = Path(sys.executable).parent / "astro-bridge"
needs_script = pytest.mark.skipif(not ASTRO_BRIDGE.exists(), reason="console script not installed")


def run(*args, input=None):
    return CliRunner().invoke(main, ["parse", *args], input=input)


def test_json_prints_the_printable_form_of_the_sale():
    # The form itself is pinned in tests/legacy_qs/test_parse.py (the spec example).
    result = run("--json", SPEC_URL)
    assert result.exit_code == 0
    printable = json.loads(result.stdout)
    assert printable == parse(SPEC_URL).to_printable()
    assert printable["lines"] == [
        {"index": 1, "upc": "012345678905", "description": "Dog Food 30lb", "qty": 2}
    ]
    assert list(printable)[0] == "username" and printable["subtotal"] == "45.98"


def test_summary_shows_customer_lines_subtotal_flags_and_warnings():
    result = run(SPEC_URL + "&UPC2=WASH-SELF&Qty2=-1&Refund=yes&Store=Downtown&Color=red")
    assert result.exit_code == 0
    out = result.stdout
    assert "C-1  Sally Pet Owner  <sally@example.com>  5551234567" in out
    assert "012345678905" in out and "x2" in out and "Dog Food 30lb" in out
    assert "WASH-SELF" in out and "x-1" in out
    assert "subtotal: 45.98" in out
    assert "REFUND" in out and "store Downtown" in out
    assert "unknown parameter: Color" in out


def test_json_date_is_the_day_as_given():
    result = run("--json", "CustomerID=C-1&Date=2024-02-03T10:00:00Z")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["date"] == "2024-02-03"
    late = run("--json", "CustomerID=C-1&Date=2024-02-03T23:30:00-05:00")
    assert json.loads(late.stdout)["date"] == "2024-02-03"


def test_dash_reads_the_url_from_stdin():
    result = run("--json", "-", input=SPEC_URL + "\n")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["customer"]["id"] == "C-1"


def test_latin1_bytes_on_stdin_are_decoded():
    result = CliRunner().invoke(main, ["parse", "--json", "-"], input=b"CustomerID=C-1&FirstName=Ren\xe9e")
    assert json.loads(result.stdout)["customer"]["first_name"] == "Renée"


def test_password_never_appears_in_any_output():
    for args in (["--json", SPEC_URL], [SPEC_URL]):
        result = run(*args)
        assert "Pw-NotShown-42" not in result.output


def test_invalid_input_prints_one_line_naming_the_parameter_and_exits_2():
    result = run("CustomerID=C-1&UPC2=A&Qty2=2.5")
    assert result.exit_code == 2
    assert result.stderr == "error: Qty2: must be a whole number, got '2.5'\n"
    assert result.stdout == ""


def test_error_on_input_holding_the_password_does_not_show_it():
    result = run("CustomerID=C-1&login=demo~Pw-NotShown-42&UPC1=A&Qty1=Pw-NotShown-42")
    assert result.exit_code == 2
    assert "Pw-NotShown-42" not in result.output
    assert result.stderr == "error: Qty1: must be a whole number, got '***'\n"


@pytest.mark.parametrize("login", ["apipassword=e", "login=demo~u"])
def test_error_with_a_one_letter_password_keeps_its_words(login):
    result = run(f"{login}&CustomerID=C&UPC1=1&Qty1=x")
    assert result.exit_code == 2
    assert result.stderr == "error: Qty1: must be a whole number, got 'x'\n"


def test_max_lines_option_limits_the_lines():
    query = "CustomerID=C-1&UPC1=A&UPC2=B&UPC3=C"
    assert run("--max-lines", "3", query).exit_code == 0
    result = run("--max-lines", "2", query)
    assert result.exit_code == 2
    assert result.stderr == "error: UPC3: more than 2 lines (the limit is 2)\n"


def test_no_upc_conversion_keeps_ean13_codes():
    query = "CustomerID=C-1&UPC1=0012345678905"
    assert json.loads(run("--json", query).stdout)["lines"][0]["upc"] == "012345678905"
    converted_off = run("--json", "--no-upc-conversion", query)
    assert json.loads(converted_off.stdout)["lines"][0]["upc"] == "0012345678905"


@needs_script
def test_installed_command_exits_2_with_one_stderr_line_and_no_traceback():
    proc = subprocess.run(
        [str(ASTRO_BRIDGE), "parse", "CustomerID=C-1&apipassword=Pw-NotShown-42&SubTotal=1e3"],
        capture_output=True, text=True, timeout=30,
    )
    assert proc.returncode == 2
    assert proc.stderr == "error: SubTotal: must be an amount like 12.34 (at most two decimals), got '1e3'\n"
    assert proc.stdout == ""


@needs_script
def test_installed_command_reads_stdin_and_prints_json():
    proc = subprocess.run(
        [str(ASTRO_BRIDGE), "parse", "--json", "-"], input=SPEC_URL.encode(),
        capture_output=True, timeout=30,
    )
    assert proc.returncode == 0
    printable = json.loads(proc.stdout)
    assert printable["lines"][0]["upc"] == "012345678905"
    assert b"Pw-NotShown-42" not in proc.stdout + proc.stderr


@needs_script
def test_installed_command_decodes_latin1_bytes_given_as_argument():
    proc = subprocess.run(
        [str(ASTRO_BRIDGE), "parse", "--json", b"CustomerID=C-1&FirstName=Ren\xe9e"],
        capture_output=True, timeout=30,
    )
    assert proc.returncode == 0
    assert json.loads(proc.stdout)["customer"]["first_name"] == "Renée"


@needs_script
def test_installed_command_applies_a_store_s_limits(config_file, tmp_path):
    config_file.write_text(config_file.read_text().replace("[stores.demo]\n", (
        '[stores.demo]\nmax_subtotal = "500.00"\nmax_qty = 20\nwalk_in = "refuse"\n')))
    huge = "CustomerID=C-1&UPC1=A&Qty1=21&SubTotal=99999999999999999999999"

    def parse_cli(*args):
        return subprocess.run([str(ASTRO_BRIDGE), "parse", *args], cwd=tmp_path,
                              capture_output=True, text=True, timeout=30)

    assert parse_cli(huge).returncode == 0                   # no store: the format's bounds
    by_option = parse_cli("--max-subtotal", "10000.00", huge)
    assert (by_option.returncode, by_option.stderr) == (2, (
        "error: SubTotal: must be between -10000.00 and 10000.00 (the store's max_subtotal), "
        "got '99999999999999999999999'\n"))
    by_store = parse_cli("--config", "bridge.toml", "--store", "demo", huge)
    assert (by_store.returncode, by_store.stderr) == (
        2, "error: Qty1: must be between -20 and 20 (the store's max_qty), got '21'\n")
    assert parse_cli("--config", "bridge.toml", "UPC1=A").stderr == \
        "error: CustomerID: is required\n"
