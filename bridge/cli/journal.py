"""`astro-bridge journal migrate` (bring the configured journal's schema up to date) and
`astro-bridge journal copy` (a store's SQLite journal into the configured one)."""
from __future__ import annotations

import os

import click

from bridge.cli import main
from bridge.cli.serve import UsageError, config_option, needs_config

# The library is imported inside the commands: start-up cost only (see bridge.cli).


def _journal_of(config_path: str | None, command: str):
    """The configuration's journal, opened (so migrated), or a one-line error."""
    from bridge.cli.serve import _load, _open_journal

    if not config_path:
        raise UsageError(needs_config(f"journal {command}", "sales"))
    config = _load(config_path)
    return _open_journal(config.journal_location)


@main.group("journal")
def journal_group():
    """The journal: every sale and its delivery, shared by the bridges using it."""


@journal_group.command("migrate")
@config_option
def migrate_command(config_path):
    """Bring the journal's schema up to date (serve and worker do it when they start;
    bridges starting together migrate one after the other)."""
    journal = _journal_of(config_path, "migrate")
    try:
        from bridge.journal import MIGRATIONS

        done = journal.migrated
        click.echo(f"{journal.name}: schema version {len(MIGRATIONS)}"
                   + (f" ({done} step{'s' if done != 1 else ''} applied)" if done
                      else " (already current)"))
    finally:
        journal.close()


@journal_group.command("copy")
@click.option("--from", "source", required=True, metavar="FILE",
              type=click.Path(dir_okay=False),
              help="The SQLite journal file to copy from (e.g. a store's astro-bridge.db).")
@config_option
def copy_command(source, config_path):
    """Copy a SQLite journal into the configured journal (e.g. PostgreSQL), for a store
    moving onto bridges that share one journal. Stop the store's bridge first. Rows
    already copied are left alone: running it again copies nothing twice."""
    from bridge.journal import Journal, JournalError
    from bridge.journal.copy import copy_journal

    if not os.path.isfile(source):
        raise UsageError(f"--from: {source}: no such journal file")
    target = _journal_of(config_path, "copy")
    try:
        if target.path and os.path.realpath(target.path) == os.path.realpath(source):
            raise UsageError(f"--from: {source} is the configured journal itself")
        try:
            origin = Journal(source)
        except JournalError as e:
            raise UsageError(f"--from: {e}") from None
        try:
            count = copy_journal(origin, target)
        except JournalError as e:
            raise click.ClickException(f"copy stopped, run it again to go on: {e}") \
                from None
        finally:
            origin.close()
    finally:
        target.close()
    for table in count.copied:
        click.echo(f"{table:<18} {count.copied[table]:>7} copied, "
                   f"{count.present[table]:>7} already there")
    click.echo(f"{count.total_copied} rows copied from {source} to {target.name}")
