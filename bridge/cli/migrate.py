"""`astro-bridge migrate report`: can a store switch from the legacy URL to REST?"""
from __future__ import annotations

import datetime
import json
import sys

import click

from bridge.cli import main
from bridge.cli.serve import needs_config

# The library is imported inside the commands: start-up cost only (see bridge.cli).


class _UsageError(click.ClickException):
    exit_code = 2


@main.group("migrate")
def migrate_group():
    """Phased migration from the legacy Astro URL (passthrough, shadow, rest)."""


@migrate_group.command("report")
@click.option("--config", "config_path", envvar="ASTRO_BRIDGE_CONFIG", metavar="FILE",
              type=click.Path(dir_okay=False),
              help="Configuration TOML (default: $ASTRO_BRIDGE_CONFIG): the stores and "
                   "the journal holding their passthrough/shadow sales.")
@click.option("--store", "store_id", metavar="ID", help="Only this store (default: all).")
@click.option("--since", metavar="YYYY-MM-DD",
              help="Only sales received on or after this day (from 00:00 UTC).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--min-share", default=95, show_default=True, type=click.IntRange(0, 100),
              metavar="PERCENT",
              help="Share of evaluated sales that must fully succeed to be ready.")
@click.option("--min-sales", default=20, show_default=True, type=click.IntRange(1),
              help="Evaluated sales needed before a verdict of ready.")
def report_command(config_path, store_id, since, as_json, min_share, min_sales):
    """Per store: sales seen under passthrough/shadow, the share that would fully
    succeed under REST, the item codes that would fail (and which are EANs of listed
    UPCs), the customers REST would create, and a verdict with its reasons.

    Exit status: 0 every reported store is ready; 1 some store is not ready;
    2 unusable options or configuration.
    """
    from bridge.config import ConfigError, load_config
    from bridge.journal import Journal, JournalError
    from bridge.migrate.report import readiness

    if not config_path:
        raise _UsageError(needs_config("migrate report", "sales and failures"))
    day = None
    if since:
        try:
            day = datetime.date.fromisoformat(since)
        except ValueError:
            raise _UsageError(f"--since: {since!r} is not a date YYYY-MM-DD") from None
    try:
        config = load_config(config_path)
    except ConfigError as e:
        raise _UsageError(str(e)) from None
    if store_id:
        try:
            config.store(store_id)
        except KeyError:
            known = ", ".join(s.id for s in config.stores)
            raise _UsageError(f"--store: no store {store_id!r} (known: {known})") from None
    try:
        journal = Journal(config.journal_path)
    except JournalError as e:
        raise _UsageError(str(e)) from None
    try:
        report = readiness(config, journal, store=store_id, since=day,
                           min_share=min_share / 100, min_sales=min_sales)
    finally:
        journal.close()
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(report.to_text(), nl=False)
    sys.exit(0 if all(s.ready for s in report.stores) else 1)
