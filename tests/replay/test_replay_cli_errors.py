"""`astro-bridge replay` refuses unusable output and journal files in one line, exit 2,
before anything is sent."""
from click.testing import CliRunner

from bridge.cli import main
from tests.replay.conftest import sales_rows, write_csv


def test_a_report_in_a_missing_folder_is_refused_before_anything_is_sent(
        replay, sandbox, tmp_path):
    sales = write_csv(tmp_path / "sales.csv", sales_rows(3))
    report = tmp_path / "nonexistent" / "r.csv"
    result = replay(sales, "--report", report)
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"Error: --report {report}: no such folder {tmp_path / 'nonexistent'}"]
    assert "Traceback" not in result.output
    assert sandbox.state()["transactions"] == {}


def test_a_journal_that_is_not_a_database_is_one_line_and_exit_2(config, sandbox, tmp_path):
    (tmp_path / "journal.db").write_text("junk\n")
    sales = write_csv(tmp_path / "sales.csv", sales_rows(3))
    for extra in ([], ["--dry-run"]):
        result = CliRunner().invoke(main, ["replay", sales, "--store", "demo",
                                           "--config", config, *extra])
        assert result.exit_code == 2, result.output
        lines = result.stderr.splitlines()
        assert len(lines) == 1 and "journal" in lines[0] and "journal.db" in lines[0]
        assert "not a database" in lines[0]
    assert sandbox.state()["transactions"] == {}
