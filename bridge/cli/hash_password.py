"""`astro-bridge hash-password`: make a salted hash for a button or admin user."""
import sys

import click

from bridge.cli import main
from bridge.passwords import hash_password


class _UsageError(click.ClickException):
    exit_code = 2


@main.command("hash-password")
@click.option("--stdin", "from_stdin", is_flag=True,
              help="Read the password from the first line of standard input instead of prompting.")
def hash_password_command(from_stdin: bool) -> None:
    """Print a salted hash of a password, for `password_hash` in the configuration.

    Without --stdin it asks twice, without echoing what you type.
    """
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    if not password:
        raise _UsageError("the password must not be empty")
    click.echo(hash_password(password))
