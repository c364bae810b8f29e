"""`astro-bridge parse`: show what the bridge reads from a legacy button URL."""
from __future__ import annotations

import json
import os
import sys
from decimal import Decimal, InvalidOperation

import click

from bridge.cli import main
from legacy_qs import LegacyQSError, LegacySale, parse


class InvalidSaleURL(click.ClickException):
    """A URL the parser refuses: one line on stderr, exit status 2."""

    exit_code = 2

    def show(self, file=None) -> None:
        click.echo(f"error: {self.format_message()}", err=True)


@main.command("parse")
@click.argument("url_or_query")
@click.option("--json", "as_json", is_flag=True, help="Print the printable form as JSON.")
@click.option("--max-lines", type=click.IntRange(min=1),
              help="Refuse sales with more lines than this (default 500, or the "
                   "configuration's).")
@click.option("--no-upc-conversion", is_flag=True,
              help="Keep EAN-13/GTIN-14 codes as given instead of converting them to UPC-A.")
@click.option("--max-qty", type=click.IntRange(1, 9999), metavar="N",
              help="Refuse a line whose quantity is beyond N either way (a store's max_qty).")
@click.option("--max-subtotal", metavar="AMOUNT",
              help="Refuse a SubTotal beyond AMOUNT either way, e.g. 10000.00 (a store's "
                   "max_subtotal).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), metavar="FILE",
              help="Read the URL as a store of this configuration does: its limits, "
                   "item-code rule and walk-in rule.")
@click.option("--store", "store_id", help="The store of --config (needed when it has "
                                          "several).")
def parse_command(url_or_query: str, as_json: bool, max_lines: int | None,
                  no_upc_conversion: bool, max_qty: int | None, max_subtotal: str | None,
                  config_path: str | None, store_id: str | None) -> None:
    """Parse URL_OR_QUERY (a button URL or query string; `-` reads standard input)
    and print the sale. The password is never printed."""
    options = _store_options(config_path, store_id)
    if max_lines is not None:
        options["max_lines"] = max_lines
    if no_upc_conversion:
        options["convert_upc"] = False
    if max_qty is not None:
        options["max_qty"] = max_qty
    if max_subtotal is not None:
        options["max_subtotal"] = _amount(max_subtotal)
    if url_or_query == "-":
        raw = sys.stdin.buffer.read()
    else:
        # The bytes as typed: a Latin-1 byte in the shell must reach the parser as such.
        raw = os.fsencode(url_or_query)
    try:
        sale = parse(raw, **options)
    except LegacyQSError as e:
        raise InvalidSaleURL(str(e)) from None
    if as_json:
        click.echo(json.dumps(sale.to_printable()))
    else:
        click.echo(summary(sale))


def _store_options(config_path: str | None, store_id: str | None) -> dict:
    """legacy_qs.parse's options of the store of --config / --store ({} without)."""
    if config_path is None:
        if store_id is not None:
            raise click.UsageError("--store needs --config FILE")
        return {}
    from bridge.config import ConfigError, load_config

    try:
        config = load_config(config_path)
    except ConfigError as e:
        raise click.UsageError(str(e)) from None
    ids = [s.id for s in config.stores]
    if store_id is None and len(ids) > 1:
        raise click.UsageError(f"--store: {config.source} has several stores: "
                               f"{', '.join(ids)}")
    try:
        store = config.store(store_id or ids[0])
    except KeyError:
        raise click.UsageError(f"--store: no store {store_id!r} in {config.source}") from None
    return config.parse_options(store)


def _amount(text: str) -> Decimal:
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount <= 0:
        raise click.UsageError(f"--max-subtotal: must be an amount like 10000.00, "
                               f"not {text!r}")
    return amount


def summary(sale: LegacySale) -> str:
    """A few readable lines describing `sale` (no password)."""
    c = sale.customer
    name = " ".join(part for part in (c.first_name, c.last_name) if part)
    who = "  ".join(part for part in (c.id, name, c.email and f"<{c.email}>", c.phone) if part)
    out = [f"customer: {who}"]
    if sale.username:
        out.append(f"username: {sale.username}")
    out.append(f"lines:    {len(sale.lines)}")
    for line in sale.lines:
        out.append(f"  {line.index:>3}  {line.upc:<14} x{line.qty:<5} "
                   f"{line.description or ''}".rstrip())
    out.append(f"subtotal: {sale.subtotal if sale.subtotal is not None else '-'}")
    flags = [
        f"sale id {sale.sale_id}" if sale.sale_id else None,
        f"date {sale.date.isoformat()}" if sale.date else None,
        "REFUND" if sale.refund else None,
        f"store {sale.store}" if sale.store else None,
    ]
    out.append(f"flags:    {', '.join(f for f in flags if f) or '-'}")
    out.append(f"warnings: {len(sale.warnings) or 'none'}")
    out.extend(f"  - {w}" for w in sale.warnings)
    return "\n".join(out)
