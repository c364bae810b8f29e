"""`astro-bridge journal migrate` and `astro-bridge journal copy`, as real processes:
a store's SQLite journal copied into PostgreSQL, twice, and still one of everything."""
import os
import subprocess
import sys
from pathlib import Path

from bridge.journal import MIGRATIONS, Journal
from bridge.journal.copy import KEYED, NOT_COPIED, NUMBERED, QUEUE, REDEMPTIONS, tables_of
from bridge.reasons import Reason

CLI = str(Path(sys.executable).with_name("astro-bridge"))


def run(*args, env=None):
    return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True,
                          timeout=60, env={**os.environ, **(env or {})})


def pg_config(config_file, tmp_path, url):
    """config_file's stores with the journal in PostgreSQL (its URL in a file)."""
    (tmp_path / "journal-url").write_text(url + "\n")
    text = Path(config_file).read_text().replace('path = "journal.db"',
                                                 'url_file = "journal-url"')
    path = tmp_path / "pg.toml"
    path.write_text(text)
    return path


def test_migrate_brings_the_schema_up_to_date_once(config_file, tmp_path, pg_url):
    config = pg_config(config_file, tmp_path, pg_url)
    first = run("journal", "migrate", "--config", config)
    assert first.returncode == 0, first.stderr
    assert first.stdout.strip().endswith(
        f"schema version {len(MIGRATIONS)} ({len(MIGRATIONS)} steps applied)")
    again = run("journal", "migrate", "--config", config)
    assert again.stdout.strip().endswith("(already current)")
    assert "@127.0.0.1:" in again.stdout          # the database is named ...


def test_a_store_journal_is_copied_into_postgresql_and_a_second_copy_adds_nothing(
        config_file, failed_sale, tmp_path, pg_url):
    source = tmp_path / "journal.db"
    with Journal(source) as j:
        j.begin_redemption("r-1", store="demo", customer_id="SALLY-1", sale_key=None,
                           kind="free_good", reward_id="7", item_id=None, title="Free bag",
                           when=failed_sale.at)
        failure_id = j.finish_redemption("r-1", "failed", when=failed_sale.at,
                                         reason=Reason.MISSING_EMAIL)
        sale = j.sales()[0]
    config = pg_config(config_file, tmp_path, pg_url)
    with Journal(pg_url) as target:             # the database already holds a failure
        target.record_failure("east", "points", "x", reason=Reason.GIVEN_UP)

    first = run("journal", "copy", "--from", source, "--config", config)
    assert first.returncode == 0, first.stderr
    assert "sales                    1 copied,       0 already there" in first.stdout
    again = run("journal", "copy", "--from", source, "--config", config)
    assert again.returncode == 0, again.stderr
    assert again.stdout.splitlines()[-1].startswith("0 rows copied from")
    assert "sales                    0 copied,       1 already there" in again.stdout

    with Journal(pg_url) as target:
        copied = target.get_sale(sale.sale_key)
        assert copied.status == sale.status and copied.received_at == sale.received_at
        assert copied.steps == sale.steps
        failures = target.failures(store="demo")
        assert sorted(f.reason for f in failures) == sorted(
            [failed_sale.reason, Reason.MISSING_EMAIL])
        redemption = target.redemption("r-1")
        assert redemption.state == "failed"     # renumbered, pointing at its own line:
        assert [f.id for f in failures if f.reason is Reason.MISSING_EMAIL] == [
            redemption.failure_id] != [failure_id]
        assert len(target.failures()) == 3
    listed = run("failures", "list", "--config", config)
    assert listed.returncode == 0 and "850000000018" in listed.stdout
    assert "demo-password" not in first.stdout + first.stderr


def test_copy_from_a_missing_file_says_so_in_one_line(config_file, tmp_path):
    done = run("journal", "copy", "--from", tmp_path / "nope.db", "--config", config_file)
    assert done.returncode == 2
    assert done.stderr.strip() == f"Error: --from: {tmp_path / 'nope.db'}: no such journal file"


def test_every_table_is_copied_or_left_out_on_purpose(tmp_path):
    """A table added to the schema must be added to bridge.journal.copy's lists."""
    with Journal(tmp_path / "j.db") as journal:
        tables = tables_of(journal)
    known = {t for t, _ in KEYED} | set(NUMBERED) | {REDEMPTIONS, QUEUE} | set(NOT_COPIED)
    assert tables - known == set()
