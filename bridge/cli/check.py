"""`astro-bridge check`: is a configuration ready to serve? It is valid, and each store's
Astro accepts the store's own login (what /readyz says), one line per store."""

import click

from bridge.cli import main
from bridge.cli.serve import CONFIG_ENV, UsageError

# The library is imported inside the command: start-up cost only (see bridge.cli).

_WHY = {
    "AuthError": "Astro refused the username or password of [stores.{id}.astro]",
    "InvalidClientID": "Astro refused the client_id of [stores.{id}.astro]",
    "NotSent": "Astro could not be reached at {url}",
    "RateLimited": "Astro asked to slow down; try again in a minute",
}


@main.command("check")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), envvar=CONFIG_ENV,
              metavar="FILE", help=f"Configuration file (TOML). Default: ${CONFIG_ENV}.")
def check(config_path):
    """Check a configuration: it is valid and each store's Astro accepts the store's
    login. One line per store; exit status 0 when all is well, 1 otherwise."""
    from bridge.astro import StoreClients
    from bridge.config import ConfigError, load_config

    if not config_path:
        raise UsageError(f"check needs a configuration: --config FILE or ${CONFIG_ENV}")
    try:
        config = load_config(config_path)
    except ConfigError as e:
        raise click.ClickException(str(e)) from None
    click.echo(f"{config.source}: valid, {len(config.stores)} "
               f"store{'s' * (len(config.stores) != 1)}")
    clients = StoreClients(config)
    try:
        results = clients.login_problems(config.stores)
    finally:
        clients.close()
    for store, error in results:
        if error is not None:
            name = type(error).__name__
            why = _WHY.get(name, "Astro did not answer the login as expected").format(
                id=store.id, url=store.astro.base_url)
            click.echo(f"{store.id}: Astro login failed ({name}): {why}")
        elif store.astro.username and store.astro.password:
            click.echo(f"{store.id}: ok, Astro accepts the login")
        else:
            click.echo(f"{store.id}: ok, no login of its own to try (delegate: Astro "
                       f"checks each button's login)")
    if any(error is not None for _, error in results):
        raise SystemExit(1)
