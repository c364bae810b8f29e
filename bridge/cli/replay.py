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
@click.option("--batch-lines", default=100, show_default=True, type=click.IntRange(1, 1000),
              metavar="N",
              help="Lines of a customer's sales sent to Astro in one addTransactionBatch, "
                   "at most (a sale is never split; a bigger sale goes alone).")
@click.option("--give-up-after", default=20, show_default=True, type=click.IntRange(1),
              metavar="N",
              help="Stop (exit 2, resumable) after N calls in a row Astro did not take.")
@click.option("--progress/--no-progress", default=None,
              help="Progress bar (default: on a terminal; plain lines otherwise).")
@click.option("-q", "--quiet", is_flag=True,
              help="No progress, no list of problem rows, only errors: the summary stays.")
@click.option("-v", "--verbose", is_flag=True,
              help="Also what happens on the way: every Astro call, retries.")
@click.option("--json", "as_json", is_flag=True,
              help="The summary as one JSON object on stdout (for scripts).")
def replay_command(files, store_id, config_path, fmt, preset, mapping, points, dry_run,
                   concurrency, rate, report_path, batch_lines, give_up_after, progress,
                   quiet, verbose, as_json):
    """Replay past sales from FILE... (POS line-item CSV, button URLs, JSON lines).

    Each sale goes through the same translation, journal and delivery as the button:
    sales are keyed from the input (`<store>-<sale id>`, else a hash of customer, date
    and content), so running a file again sends nothing new, and a run stopped at any
    point resumes where it stopped when run again.

    Customers go in parallel (--concurrency), each customer's sales in order: the
    customer is resolved once, and the lines of its sales go to Astro together, in
    calls of up to --batch-lines lines; each sale is still its own sale in the journal.
    Progress and messages go to stderr, the summary to stdout.

    Exit status: 0 everything valid was delivered (dry run: everything is valid);
    1 some rows were invalid or some sales failed or are not sent yet; 2 unusable
    input or options, or Astro could not be reached (--give-up-after).
    """
    from bridge.config import ConfigError, load_config
    from bridge.journal import JournalError
    from bridge.replay.errors import UnusableInput
    from bridge.replay.presets import parse_map_options
    from bridge.replay.run import ReplayOptions, replay

    # Ctrl-C stops the run where it is (resumable), also when the command was started
    # with SIGINT ignored (a background job of a script): its own handler, as `serve`.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    if quiet and verbose:
        raise _UsageError("--quiet and --verbose: choose one")
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
            progress=progress, batch_lines=batch_lines, give_up_after=give_up_after,
            quiet=quiet, verbose=verbose, json=as_json)
        tally = replay(config, options, out=sys.stdout, err=sys.stderr)
    except (ConfigError, UnusableInput, JournalError) as e:
        raise _UsageError(str(e)) from None
    sys.exit(tally.exit_status())
