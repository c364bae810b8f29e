"""The `astro-bridge` command. Each command lives in its own module of this package
and is registered below; commands parse options and call library code, nothing more.

May import anything of the bridge (it only wires); nothing imports it. The command
modules import the library inside the commands, for start-up cost only: `astro-bridge
--help` or `parse` does not load the web app, the journal or the sandbox.
"""
import logging

import click

# A command that cannot reach Astro says so in its own line; the client's log lines are
# shown only where a command sets up logging (serve, worker, replay).
logging.getLogger("bridge.astro").addHandler(logging.NullHandler())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="astro-bridge")
def main():
    """astro-bridge: the legacy Astro Loyalty button URL in, Astro REST calls out."""


# Command modules (each adds its commands to `main` when imported).
from bridge.cli import hash_password  # noqa: E402,F401
from bridge.cli import parse  # noqa: E402,F401
from bridge.cli import sandbox  # noqa: E402,F401
from bridge.cli import replay  # noqa: E402,F401
from bridge.cli import failures  # noqa: E402,F401
from bridge.cli import migrate  # noqa: E402,F401
from bridge.cli import serve  # noqa: E402,F401
from bridge.cli import check  # noqa: E402,F401
from bridge.cli import journal  # noqa: E402,F401
