"""`astro-bridge serve` (the button bridge over waitress, with its retry worker) and
`astro-bridge worker` (the retry worker alone)."""
import errno
import os
import signal
import threading
from pathlib import Path
from urllib.parse import urlencode

import click

from bridge.cli import main

# The library is imported inside the commands: start-up cost only (see bridge.cli).

CONFIG_ENV = "ASTRO_BRIDGE_CONFIG"
DEMO_JOURNAL = "astro-bridge.db"
DEMO_PORT = 8080

# The demo button: Sally Pet Owner buys two bags of kibble.
DEMO_SALE = (
    ("apiusername", "demo"), ("apipassword", "demo-button"),
    ("CustomerID", "SALLY-1"), ("FirstName", "Sally"), ("LastName", "Pet Owner"),
    ("Email", "sally@example.com"),
    ("UPC1", "012345678905"), ("Description1", "Acme Adult Dog Kibble 30 lb"), ("Qty1", "1"),
    ("UPC2", "072030001234"), ("Description2", "Acme Puppy Kibble 15 lb"), ("Qty2", "1"),
    ("SubTotal", "74.98"),
)
_LOGIN = DEMO_SALE[:6]
# Sally buys twelve bags: her card fills and the receipt offers the free bag (Redeem).
DEMO_REWARD = _LOGIN + (
    ("UPC1", "012345678905"), ("Description1", "Acme Adult Dog Kibble 30 lb"), ("Qty1", "12"),
    ("SubTotal", "539.88"),
)
# Bird seed, whose program the demo store is not enrolled in: a No Item Found failure
# for the admin pages, fixed by enrolling the store on the sandbox's page, then Retry.
DEMO_FAILURE = _LOGIN + (
    ("UPC1", "850000000018"), ("Description1", "Songbird Seed 5 lb"), ("Qty1", "1"),
    ("SubTotal", "12.99"),
)


def needs_config(command: str, what: str) -> str:
    """The one-line error of a command run without a configuration; it points at the
    demo's admin pages when the demo's journal is in the current directory."""
    message = f"{command} needs a configuration: --config FILE or ${CONFIG_ENV}"
    if Path(DEMO_JOURNAL).is_file():
        message += (f" (the demo that `astro-bridge serve` runs without one keeps its "
                    f"{what} in ./{DEMO_JOURNAL}: see them at "
                    f"http://127.0.0.1:{DEMO_PORT}/admin/ while it runs)")
    return message


class UsageError(click.ClickException):
    """A mistake of the person starting the bridge: one line, exit 2."""
    exit_code = 2


def _load(config_path: str | None):
    """The configuration from --config / ASTRO_BRIDGE_CONFIG, or None for the demo."""
    from bridge.config import ConfigError, load_config

    if not config_path:
        return None
    try:
        return load_config(config_path)
    except ConfigError as e:
        raise UsageError(str(e)) from None


def _open_journal(location):
    """The journal (its schema brought up to date), or a one-line error."""
    from bridge.journal import Journal, JournalError

    try:
        return Journal(location)
    except JournalError as e:
        raise UsageError(str(e)) from None


def _journal_name(journal) -> str:
    """How a journal is named in messages: a file's name, a database's redacted URL."""
    return os.path.basename(journal.path) if journal.path else journal.name


def _wait_for_signal() -> str:
    """Block until SIGTERM or SIGINT; returns the signal's name."""
    got: list[str] = []
    stop = threading.Event()

    def handler(signum, _frame):
        got.append(signal.Signals(signum).name)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, handler)
    while not stop.wait(0.5):
        pass
    return got[0]


def _close(app, clients, journal, sandbox) -> None:
    app.config["bridge.web"].close()
    clients.close()
    journal.close()
    if sandbox:
        sandbox.stop()


config_option = click.option(
    "--config", "config_path", type=click.Path(dir_okay=False), envvar=CONFIG_ENV,
    help=f"Configuration file (TOML). Default: ${CONFIG_ENV}; without either, the demo.")


@main.command("serve")
@config_option
@click.option("--host", help="Address to listen on (default: the configuration's).")
@click.option("--port", type=click.IntRange(0, 65535),
              help="Port to listen on; 0 picks a free one (default: the configuration's).")
@click.option("--log-json", is_flag=True, help="Log JSON lines instead of text.")
def serve(config_path, host, port, log_json):
    """Serve the button bridge (and its retry worker) until SIGTERM or Ctrl-C.

    Without a configuration it runs the demo: a sandbox Astro in this process, a demo
    store, a journal ./astro-bridge.db, and it prints a demo button URL to click.
    """
    from bridge.config import demo_config
    from bridge.delivery import Worker
    from bridge.app import create_app
    from bridge.astro import StoreClients
    from bridge.salelog import configure_logging
    from bridge.web.serving import BridgeServer, tune_gc

    config = _load(config_path)
    sandbox = None
    if config is None:
        from bridge.sandbox.server import SandboxServer

        # Control on: the demo's people enrol the store in a program on its page. It
        # listens on 127.0.0.1 only, whatever --host the bridge has.
        sandbox = SandboxServer(control=True, port=0).start()
        config = demo_config(sandbox.api_url, str(Path(DEMO_JOURNAL).resolve()))
    configure_logging(log_json or config.log_json)
    journal = _open_journal(config.journal_location)
    clients = StoreClients(config)
    app = create_app(config, journal, clients)
    host_source = "--host" if host else f"host in {config_path}" if config_path else "--host"
    port_source = "--port" if port is not None else (
        f"port in {config_path}" if config_path else "--port")
    host = host or config.host
    port_given = port is not None
    if port is None:
        port = DEMO_PORT if sandbox else config.port
    try:
        try:
            server = BridgeServer(app, host, port, threads=config.threads)
        except OSError as e:
            if not sandbox or port_given:
                source = port_source if e.errno == errno.EADDRINUSE else host_source
                raise UsageError(f"{source}: cannot listen on {host}:{port}: "
                                 f"{e.strerror or e}") from None
            # the demo's default port is busy: any will do
            server = BridgeServer(app, host, 0, threads=config.threads)
    except ValueError:   # waitress: the host is not an address nor a known name
        _close(app, clients, journal, sandbox)
        raise UsageError(f"{host_source} {host!r}: not an address or host name this "
                         f"machine can listen on") from None
    except UsageError:
        _close(app, clients, journal, sandbox)
        raise
    worker = Worker(journal, clients, retry=config.retry,
                    report_days=config.failure_report_days)
    tune_gc()
    worker.start()
    server.start()
    if sandbox:
        shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        base = server.url.replace(server.host, shown, 1)
        click.echo(f"Astro sandbox: {sandbox.api_url}")
        click.echo(f"Demo button: {base}/?{urlencode(DEMO_SALE)}")
        click.echo(f"Demo reward: {base}/?{urlencode(DEMO_REWARD)}")
        click.echo(f"Demo failure: {base}/?{urlencode(DEMO_FAILURE)}")
        click.echo(f"Admin: {base}/admin/ (user admin, password demo-admin)")
        click.echo(f"Sandbox account: {sandbox.base_url}/_sandbox/ (what Astro holds; "
                   "enrol the store in a program)")
    click.echo(f"astro-bridge listening on {server.url}")
    # Print lines must reach a pipe at once (tests and scripts read them).
    click.get_text_stream("stdout").flush()
    name = _wait_for_signal()
    click.echo(f"{name}: stopping (requests in flight may finish)", err=True)
    finished = server.stop(drain=config.request_deadline + 2.0)
    worker.stop(timeout=config.request_deadline + 2.0)
    _close(app, clients, journal, sandbox)
    click.echo("stopped" + ("" if finished else "; unfinished sales stay pending in the "
                            "journal and are sent by the next worker"), err=True)


@main.command("worker")
@config_option
@click.option("--log-json", is_flag=True, help="Log JSON lines instead of text.")
def worker(config_path, log_json):
    """Run only the background retry worker (sends the journal's pending sales)."""
    from bridge.delivery import Worker
    from bridge.astro import StoreClients
    from bridge.salelog import configure_logging

    config = _load(config_path)
    if config is None:
        raise UsageError(f"the worker needs a configuration: --config FILE or ${CONFIG_ENV}")
    configure_logging(log_json or config.log_json)
    journal = _open_journal(config.journal_location)
    clients = StoreClients(config)
    retry_worker = Worker(journal, clients, retry=config.retry,
                          report_days=config.failure_report_days)
    retry_worker.start()
    click.echo(f"astro-bridge worker running on {_journal_name(journal)}")
    click.get_text_stream("stdout").flush()
    name = _wait_for_signal()
    click.echo(f"{name}: stopping", err=True)
    retry_worker.stop(timeout=config.request_deadline + 2.0)
    clients.close()
    journal.close()
