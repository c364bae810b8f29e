"""`astro-bridge replay`: send past purchases through the bridge (see bridge.replay)."""
from __future__ import annotations

import os
import signal
import sys

import click

from bridge.cli import main

# The library is imported inside the commands: start-up cost only (see bridge.cli).
from bridge.replay.presets import FIELDS, PRESETS
from bridge.replay.readers import FORMATS


class _UsageError(click.ClickException):
    exit_code = 2


def _check_writable(path: str, option: str) -> None:
    """A file the command will write at the end: its folder must exist and be writable."""
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise _UsageError(f"{option} {path}: no such folder {folder}")
    if not os.access(path if os.path.exists(path) else folder, os.W_OK):
        raise _UsageError(f"{option} {path}: cannot write it (permission denied)")


@main.command("replay")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option("--store", "store_id", required=True, help="Store id of the configuration.")
@click.option("--config", "config_path", envvar="ASTRO_BRIDGE_CONFIG", metavar="FILE",
              type=click.Path(dir_okay=False),
              help="Configuration TOML (default: $ASTRO_BRIDGE_CONFIG). Required: replay "
                   "sends to the store's Astro account and uses its journal.")
@click.option("--format", "fmt", type=click.Choice(FORMATS),
              help="Input format (default: detected per file).")
@click.option("--preset", type=click.Choice(tuple(PRESETS)),
              help="CSV layout (default: detected from the header).")
@click.option("--map", "mapping", multiple=True, metavar="FIELD=COLUMN",
              help=f"CSV column of a field, repeatable. Fields: {', '.join(FIELDS)}.")
@click.option("--points", is_flag=True,
              help="Award points for the sales' subtotals (off by default: past sales "
                   "may have earned their points already).")
@click.option("--dry-run", is_flag=True,
              help="Check and translate everything, contact nothing, report what would "
                   "be sent.")
@click.option("--concurrency", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Delivery threads; each customer's sales stay on one thread, in date "
                   "order.")
@click.option("--rate", type=click.FloatRange(min=0, min_open=True), metavar="R",
              help="At most R Astro calls per second overall.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False), metavar="FILE.csv",
              help="Write every invalid or failed row (file, line, reason) to this CSV.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar (default: on a terminal; plain lines otherwise).")
def replay_command(files, store_id, config_path, fmt, preset, mapping, points, dry_run,
                   concurrency, rate, report_path, progress):
    """Replay past sales from FILE... (POS line-item CSV, button URLs, JSON lines).

    Each sale goes through the same translation, journal and delivery as the button:
    sales are keyed from the input (`<store>-<sale id>`, else a hash of customer, date
    and content), so running a file again sends nothing new, and a run stopped at any
    point resumes where it stopped when run again.

    Exit status: 0 everything valid was delivered (dry run: everything is valid);
    1 some rows were invalid or some sales failed; 2 unusable input or options.
    """
    from bridge.config import ConfigError, load_config
    from bridge.journal import JournalError
    from bridge.replay.errors import UnusableInput
    from bridge.replay.presets import parse_map_options
    from bridge.replay.run import ReplayOptions, replay

    # Ctrl-C stops the run where it is (resumable), also when the command was started
    # with SIGINT ignored (a background job of a script): its own handler, as `serve`.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if not config_path:
        raise _UsageError("replay needs a configuration: --config FILE or "
                          "ASTRO_BRIDGE_CONFIG (the store's Astro login and journal)")
    if report_path:
        _check_writable(report_path, "--report")   # before anything is sent
    try:
        config = load_config(config_path)
        options = ReplayOptions(
            files=tuple(files), store_id=store_id, fmt=fmt, preset=preset,
            mapping=parse_map_options(mapping), points=points, dry_run=dry_run,
            concurrency=concurrency, rate=rate, report_path=report_path,
            progress=progress)
        tally = replay(config, options, out=sys.stdout, err=sys.stderr)
    except (ConfigError, UnusableInput, JournalError) as e:
        raise _UsageError(str(e)) from None
    sys.exit(0 if tally.ok() else 1)
