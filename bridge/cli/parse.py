"""`astro-bridge parse`: show what the bridge reads from a legacy button URL."""
from __future__ import annotations

import json
import os
import sys

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
@click.option("--max-lines", type=click.IntRange(min=1), default=500, show_default=True,
              help="Refuse sales with more lines than this.")
@click.option("--no-upc-conversion", is_flag=True,
              help="Keep EAN-13/GTIN-14 codes as given instead of converting them to UPC-A.")
def parse_command(url_or_query: str, as_json: bool, max_lines: int, no_upc_conversion: bool) -> None:
    """Parse URL_OR_QUERY (a button URL or query string; `-` reads standard input)
    and print the sale. The password is never printed."""
    if url_or_query == "-":
        raw = sys.stdin.buffer.read()
    else:
        # The bytes as typed: a Latin-1 byte in the shell must reach the parser as such.
        raw = os.fsencode(url_or_query)
    try:
        sale = parse(raw, max_lines=max_lines, convert_upc=not no_upc_conversion)
    except LegacyQSError as e:
        raise InvalidSaleURL(str(e)) from None
    if as_json:
        click.echo(json.dumps(sale.to_printable()))
    else:
        click.echo(summary(sale))


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
        out.append(f"  {line.index:>3}  {line.upc:<14} x{line.qty:<5} {line.description or ''}".rstrip())
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
