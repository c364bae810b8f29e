"""Every `astro-bridge` command as a real process: its --help, and one real run each.

In-process CliRunner tests share one interpreter, so a module another test imported
earlier can hide an import error that a user's fresh process meets (as `failures list`
crashed). Here each run is `.venv/bin/astro-bridge ...`, the executable next to
sys.executable, started fresh.
"""
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
import requests

from bridge.cli import main
from bridge.config import load_config
from bridge.journal import Journal
from tests.admin.conftest import NOT_ENROLLED_SALE, record_sale
from tests.clock import wait_until

CLI = str(Path(sys.executable).with_name("astro-bridge"))
ENV = {k: v for k, v in os.environ.items() if k != "ASTRO_BRIDGE_CONFIG"}


def _commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        yield prefix + (name,), isinstance(command, click.Group)
        if isinstance(command, click.Group):
            yield from _commands(command, prefix + (name,))


COMMANDS = [path for path, _ in _commands(main)]
LEAF_COMMANDS = {" ".join(path) for path, is_group in _commands(main) if not is_group}
# The commands with a real run below: a new command needs one.
REAL_RUNS = {"parse", "hash-password", "sandbox", "replay", "failures list",
             "failures retry", "failures hide", "failures decide", "failures export",
             "migrate report", "serve", "worker", "check"}


def run(*args, cwd, stdin=None) -> subprocess.CompletedProcess:
    return subprocess.run([CLI, *map(str, args)], cwd=cwd, env=ENV, input=stdin,
                          capture_output=True, text=True, timeout=60)




def test_every_command_has_a_real_run_here():
    assert LEAF_COMMANDS == REAL_RUNS


@pytest.mark.parametrize("command", [()] + COMMANDS, ids=lambda c: " ".join(c) or "main")
def test_help_of_every_command_is_shown_by_a_fresh_process(command, tmp_path):
    done = run(*command, "--help", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Usage: astro-bridge {' '.join(command)}".rstrip())
    assert done.stderr == ""


def test_parse_prints_the_sale(tmp_path):
    done = run("parse", "CustomerID=C-1&UPC1=012345678905&Qty1=2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "customer: C-1" in done.stdout and "012345678905" in done.stdout


def test_hash_password_prints_a_salted_hash_and_never_the_password(tmp_path):
    done = run("hash-password", "--stdin", cwd=tmp_path, stdin="the-password\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("scrypt$") and "the-password" not in done.stdout


def test_sandbox_serves_the_api_until_sigterm(tmp_path, processes):
    with processes([CLI, "sandbox", "--port", "0"], cwd=tmp_path, env=ENV) as sandbox:
        api = sandbox.wait_line("Astro sandbox: ")
        token = requests.post(api + "/token/", timeout=5, data={
            "username": "demo", "password": "demo-password", "grant_type": "password",
            "client_id": "demo-client"})
        assert token.json()["token_type"] == "bearer"
        assert sandbox.stop() == 0
    assert "Astro sandbox stopped." in "".join(sandbox.output)


def test_replay_sends_a_past_sale(config_file, sandbox, tmp_path):
    urls = tmp_path / "buttons.txt"
    urls.write_text(f"https://bridge.example/?{NOT_ENROLLED_SALE}&Date=2025-01-15\n")
    done = run("replay", urls, "--store", "demo", "--config", config_file, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "sent:              1 sales" in done.stdout
    assert sandbox.state()["transactions"]["demo-1001-1"]["item_code"] == "012345678905"


def test_failures_list_shows_an_empty_report_of_a_new_journal(config_file, tmp_path):
    done = run("failures", "list", "--config", config_file, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Transaction Failures (0)" in done.stdout
    assert "Redemption Failures (0)" in done.stdout


def test_failures_retry_sends_the_line_again_and_says_it_still_fails(
        config_file, failed_sale, tmp_path):
    done = run("failures", "retry", failed_sale.id, "--config", config_file, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert f"#{failed_sale.id}: FAILED: No Item Found" in done.stdout


def test_failures_hide_takes_the_line_out_of_the_report(config_file, failed_sale, tmp_path):
    done = run("failures", "hide", failed_sale.id, "--config", config_file, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout == f"#{failed_sale.id}: hidden\n"


def test_failures_decide_says_a_line_without_a_points_question_has_nothing_to_decide(
        config_file, failed_sale, tmp_path):
    done = run("failures", "decide", failed_sale.id, "--awarded", "--config", config_file,
               cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == (f"Error: #{failed_sale.id} is not a points line waiting for an "
                           f"answer (see `failures list`)\n")


def test_failures_export_writes_the_csv(config_file, failed_sale, tmp_path):
    out = tmp_path / "failures.csv"
    done = run("failures", "export", "--config", config_file, "-o", out, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    header, line = out.read_text().splitlines()
    assert header.startswith("id,type,store") and "850000000018" in line


def test_migrate_report_says_a_store_without_sales_is_not_ready(config_file, tmp_path):
    done = run("migrate", "report", "--config", config_file, cwd=tmp_path)
    assert done.returncode == 1, done.stderr
    assert "demo (Demo Pet Supply), phase rest: not ready" in done.stdout


def test_serve_answers_the_button_side_and_the_admin_pages_until_sigterm(
        config_file, tmp_path, processes):
    with processes([CLI, "serve", "--config", config_file, "--port", "0"], cwd=tmp_path,
                   env=ENV) as bridge:
        url = bridge.wait_line("astro-bridge listening on ")
        assert requests.get(url + "/healthz", timeout=5).json() == {"status": "ok"}
        login = requests.get(url + "/admin/login", timeout=5)
        assert login.status_code == 200 and "No admin users are configured" in login.text
        assert bridge.stop() == 0
    assert "Traceback" not in "".join(bridge.output)


def test_check_says_per_store_whether_astro_accepts_its_login(tmp_path, processes):
    with processes([CLI, "sandbox", "--port", "0"], cwd=tmp_path, env=ENV) as sandbox:
        api = sandbox.wait_line("Astro sandbox: ")
        store = ('[stores.{id}]\nbutton_auth = "delegate"\n[stores.{id}.astro]\n'
                 'base_url = "' + api + '"\nusername = "demo"\npassword = "{pw}"\n'
                 'client_id = "demo-client"\n')
        good = store.format(id="good", pw="demo-password")
        (tmp_path / "good.toml").write_text(good)
        (tmp_path / "both.toml").write_text(good + store.format(id="bad", pw="not-it"))
        ok = run("check", "--config", "good.toml", cwd=tmp_path)
        assert (ok.returncode, ok.stdout, ok.stderr) == (
            0, "good.toml: valid, 1 store\ngood: ok, Astro accepts the login\n", "")
        bad = run("check", "--config", "both.toml", cwd=tmp_path)
        assert bad.returncode == 1 and bad.stderr == ""
        assert bad.stdout.splitlines() == [
            "both.toml: valid, 2 stores", "good: ok, Astro accepts the login",
            "bad: Astro login failed (AuthError): Astro refused the username or password "
            "of [stores.bad.astro]"]
        assert "not-it" not in bad.stdout
    (tmp_path / "broken.toml").write_text(good.replace('"delegate"', '"sso"'))
    broken = run("check", "--config", "broken.toml", cwd=tmp_path)
    assert (broken.returncode, broken.stdout) == (1, "")
    assert broken.stderr == ("Error: broken.toml: stores.good.button_auth: must be one of "
                             "mapped, delegate, not 'sso'\n")


def test_worker_delivers_a_pending_sale_until_sigterm(config_file, sandbox, tmp_path,
                                                      processes):
    config = load_config(config_file)
    with Journal(config.journal_path) as journal:
        key = record_sale(journal, config, NOT_ENROLLED_SALE)
    with processes([CLI, "worker", "--config", config_file], cwd=tmp_path,
                   env=ENV) as worker:
        worker.wait_line("astro-bridge worker running on ")
        with Journal(config.journal_path) as journal:
            wait_until(lambda: journal.get_sale(key).status != "pending", "the worker")
            assert journal.get_sale(key).status == "partial"
        assert worker.stop() == 0
    assert "demo-1001-1" in sandbox.state()["transactions"]
