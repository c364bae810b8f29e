"""`astro-bridge sandbox`: serve the fake Astro (REST API, legacy URL, faults)."""
from __future__ import annotations

import signal
import sqlite3

import click

from bridge.cli import main

# The library is imported inside the commands: start-up cost only (see bridge.cli).


class SandboxStartError(click.ClickException):
    exit_code = 2


@main.command("sandbox")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8765, show_default=True, type=click.IntRange(0, 65535),
              help="Port to listen on (0: any free port).")
@click.option("--config", "config_path", type=click.Path(exists=True, dir_okay=False),
              help="Seed TOML file (default: the packaged seed, as config/sandbox.toml).")
@click.option("--state", "state_path", type=click.Path(dir_okay=False),
              help="SQLite file keeping the account across restarts (default: memory).")
@click.option("--control/--no-control", default=False, show_default=True,
              help="Serve the /_sandbox/ control routes (faults, reset, state view); "
                   "off unless asked for: anyone who can reach them can change the "
                   "account.")
@click.option("--wire", "variants", type=click.Choice(["default", "public-variants"]),
              default="default", show_default=True,
              help="Answer shapes: those of the public fixtures, or the other forms "
                   "public clients have seen (the `status` envelope for link/add "
                   "customer, not eligible as 100, bare-list listOffers, ...).")
@click.option("--strict", is_flag=True,
              help="Refuse a request carrying a field the sandbox does not read "
                   "(HTTP 400 naming it), so a misspelt field cannot pass silently.")
@click.option("--remove-count-field", type=click.Choice(["quantity", "item_qty"]),
              default="quantity", show_default=True,
              help="The name read for a partial removeTransaction's count; the other "
                   "name is ignored (which one real Astro reads is unknown).")
def sandbox(host, port, config_path, state_path, control, variants, strict,
            remove_count_field):
    """Serve a sandbox Astro: its REST API under /api/json, the legacy URL, and (only
    with --control) fault injection and a state view under /_sandbox/. Ctrl-C stops it."""
    from bridge.sandbox.seed import SeedError
    from bridge.sandbox.server import SandboxServer
    from bridge.sandbox.wire import Wire

    wire = Wire(variants=variants, strict=strict, remove_count_field=remove_count_field)
    try:
        server = SandboxServer(config_path=config_path, state_path=state_path,
                               control=control, host=host, port=port, wire=wire)
    except OSError as error:
        raise SandboxStartError(f"cannot serve on {host}:{port}: {error.strerror}") from None
    except sqlite3.Error as error:
        raise SandboxStartError(f"cannot open state file {state_path}: {error}") from None
    except SeedError as error:
        raise SandboxStartError(f"bad seed file {config_path}: {error!s}") from None
    except ValueError:  # waitress: the host is not an address nor a known name
        raise SandboxStartError(f"--host {host!r}: not an address or host name this "
                                f"machine can listen on") from None
    # Ctrl-C and SIGTERM stop it cleanly, also when it was started with SIGINT ignored
    # (a background job of a script), as `serve` does.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: server.stop())
    click.echo(f"Astro sandbox: {server.api_url}")
    click.echo(f"Legacy URL: {server.legacy_url}")
    if control:
        click.echo(f"Control: {server.base_url}/_sandbox/")
    server.serve_forever()
    click.echo("Astro sandbox stopped.")
