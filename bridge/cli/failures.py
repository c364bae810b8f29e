"""`astro-bridge failures list|retry|hide|decide|export`: the failure report from the
shell.

The same report as the admin pages (bridge.admin.report): Transaction and Redemption
Failures of the last days, filterable by store and reason; Retry and Hide by id (or
every listed line with --all); a person's answer for an award that may or may not have
been applied (decide, shown with the customer's points history around the sale); CSV
export.
"""
from __future__ import annotations

import json
import sys

import click

from bridge.cli import main
from bridge.cli.serve import needs_config
from bridge.reasons import Reason      # pure and small: the --reason choices

# The library is imported inside the commands: start-up cost only (see bridge.cli).


class _UsageError(click.ClickException):
    exit_code = 2


def _reason(_ctx, _param, value: str | None) -> Reason | None:
    if value is None:
        return None
    for reason in Reason:
        if reason.lower() == value.strip().lower():
            return reason
    raise click.BadParameter(f"{value!r} is not a reason; the reasons are: "
                             + ", ".join(f'"{r}"' for r in Reason))


def _filter_options(f):
    f = click.option("--days", type=click.IntRange(1, 3660), metavar="N",
                     help="Lines of the last N days (default: reports.failure_report_days, "
                          "30).")(f)
    f = click.option("--reason", metavar="REASON", callback=_reason,
                     help='Only this reason, e.g. "No Item Found" (any case; a wrong one '
                          'lists them all).')(f)
    f = click.option("--store", "store_id", help="Only this store id.")(f)
    f = click.option("--config", "config_path", envvar="ASTRO_BRIDGE_CONFIG", metavar="FILE",
                     type=click.Path(dir_okay=False),
                     help="Configuration TOML (default: $ASTRO_BRIDGE_CONFIG).")(f)
    return f


@main.group("failures")
def failures_group():
    """The failure report: Transaction and Redemption Failures, with Retry and Hide."""


def _open(config_path, store_id, reason, days):
    """(config, journal, report) for the options; user errors exit 2."""
    import datetime as dt

    from bridge.admin.report import Filters, build_report
    from bridge.config import ConfigError, load_config
    from bridge.journal import Journal, JournalError

    if not config_path:
        raise _UsageError(needs_config("failures", "failures"))
    try:
        config = load_config(config_path)
    except ConfigError as e:
        raise _UsageError(str(e)) from None
    if store_id is not None and store_id not in {s.id for s in config.stores}:
        raise _UsageError(f"--store: no store {store_id!r} in {config.source}")
    try:
        journal = Journal(config.journal_path)
    except JournalError as e:
        raise _UsageError(str(e)) from None
    filters = Filters(store=store_id, reason=reason, days=days or config.failure_report_days)
    report = build_report(journal, filters, dt.datetime.now(dt.timezone.utc),
                          stores=tuple(s.id for s in config.stores))
    return config, journal, report


def _chosen(report, ids, all_listed: bool) -> list[int]:
    listed = {r.id for r in report.rows}
    if all_listed:
        if ids:
            raise _UsageError("give failure ids or --all, not both")
        return sorted(listed, reverse=True)
    if not ids:
        raise _UsageError("give the ids of the failures (see `failures list`) or --all")
    unknown = [i for i in ids if i not in listed]
    if unknown:
        raise _UsageError(f"not in the report (hidden, retried, older or filtered "
                          f"out): {', '.join(map(str, unknown))}")
    return list(ids)


@failures_group.command("list")
@click.option("--limit", type=click.IntRange(min=0), default=50, show_default=True,
              metavar="N", help="Show at most the N newest lines of each section (0: all). "
                                "The counts are of every line.")
@click.option("--json", "as_json", is_flag=True,
              help="One JSON object: counts per reason first, then the lines.")
@_filter_options
def list_command(limit, as_json, config_path, store_id, reason, days):
    """List the failures: first how many there are per reason, then the lines, newest
    first, with the guidance for each reason, and the deliveries still pending or
    uncertain."""
    from bridge.admin.report import reason_counts

    _config, journal, report = _open(config_path, store_id, reason, days)
    journal.close()
    if as_json:
        click.echo(json.dumps(_as_json(report, limit), indent=1))
        return
    click.echo(f"Failures by reason ({len(report.rows)})")
    for name, n in reason_counts(report.rows).items():
        click.echo(f"  {n:>6}  {name}")
    for title, rows, text in (
            ("Transaction Failures", report.transaction_failures, _failure_text),
            ("Redemption Failures", report.redemption_failures, _failure_text),
            ("Pending and uncertain deliveries", report.open_deliveries, _delivery_text)):
        shown = _newest(rows, limit)
        more = (f"; the newest {len(shown)} shown, --limit 0 for all" if len(shown) < len(rows)
                else "")
        click.echo(f"{title} ({len(rows)}{more})")
        for r in shown:
            click.echo(text(r))


def _newest(rows, limit: int):
    return rows[:limit] if limit else rows


def _as_json(report, limit: int) -> dict:
    """The report as `failures list --json` prints it: counts per reason first."""
    from bridge.admin.report import failure_fields, reason_counts

    def delivery(d) -> dict:
        return {"sale_key": d.sale_key, "store": d.store_id, "customer": d.customer_id,
                "state": d.state, "steps": list(d.steps), "attempts": d.attempts,
                "next_attempt_at": d.next_attempt_at.isoformat() if d.next_attempt_at
                else None, "last_error": d.last_error}

    return {
        "counts": reason_counts(report.rows),
        "totals": {"transaction_failures": len(report.transaction_failures),
                   "redemption_failures": len(report.redemption_failures),
                   "open_deliveries": len(report.open_deliveries)},
        "limit": limit or None,
        "transaction_failures": [{**failure_fields(r), "guidance": r.guidance.title,
                                  **_question_json(r.question)}
                                 for r in _newest(report.transaction_failures, limit)],
        "redemption_failures": [{**failure_fields(r), "guidance": r.guidance.title}
                                for r in _newest(report.redemption_failures, limit)],
        "open_deliveries": [delivery(d) for d in _newest(report.open_deliveries, limit)],
    }


def _failure_text(r) -> str:
    return (f"  #{r.id}  {r.at:%Y-%m-%d %H:%M}  {r.store_id}  customer "
            f"{r.customer_id or '-'}  item {r.item_code or '-'}"
            f"  {r.description or ''}".rstrip() + "\n"
            f"      id {r.ref_id or '-'}  {r.endpoint or '-'} "
            f"{'' if r.status_code is None else r.status_code}  {r.message}\n"
            f"      {r.reason}: {r.guidance.title}"
            + ("\n" + _question_text(r.question) if r.question else ""))


def _question_text(q) -> str:
    """An undecided award as the shell shows it: the question and the customer's points
    history around the sale."""
    lines = [f"      were the points of {q.sale_key} ({q.dollar_amount} dollars, "
             f"{q.received_at:%Y-%m-%d %H:%M} UTC) awarded? Answer with `failures decide "
             f"{q.failure_id} --awarded` or `--not-awarded`. Points history around the "
             f"sale:"]
    for t in q.evidence:
        points = "" if t.get("points") is None else f"{t['points']:+d}"
        whose = f"bridge, {t['sale']}" if t.get("sale") else "not the bridge"
        lines.append(f"        {'after ' if t.get('new') else 'before'} #{t.get('id')}  "
                     f"{t.get('date') or '-'}  {points:>6}  {t.get('description') or ''}  "
                     f"({whose})")
    if not q.evidence:
        lines.append("        (no points history was read)")
    return "\n".join(lines)


def _question_json(q) -> dict:
    if q is None:
        return {}
    return {"points_question": {"sale_key": q.sale_key, "dollar_amount": q.dollar_amount,
                                "received_at": q.received_at.isoformat(),
                                "history": list(q.evidence)}}


def _delivery_text(d) -> str:
    when = (f"{d.next_attempt_at:%Y-%m-%d %H:%M:%S}" if d.next_attempt_at
            else "check in Astro first" if d.state == "uncertain" else "now")
    return (f"  {d.sale_key}  {d.state}  steps {', '.join(d.steps)}  "
            f"attempts {d.attempts}  next {when}")


@failures_group.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "all_listed", is_flag=True, help="Retry every listed failure.")
@_filter_options
def retry_command(ids, all_listed, config_path, store_id, reason, days):
    """Retry failures by id: re-send with the same ids (transactions) or redeem again
    (redemptions). Exit status 0 when all went through, 1 when some still fail."""
    from bridge.admin import actions

    config, journal, report = _open(config_path, store_id, reason, days)
    chosen = _chosen(report, ids, all_listed)
    client_for, clients = _store_clients(config)

    with journal:
        try:
            results = actions.retry(journal, config, client_for, chosen)
        finally:
            for c in clients.values():
                c.close()
    for r in results:
        click.echo(f"#{r.failure_id}: {'ok' if r.ok else 'FAILED'}: {r.message}")
    sys.exit(0 if all(r.ok for r in results) else 1)


def _store_clients(config):
    """client_for(store id) with each store's own Astro login; a store without one is a
    usage error (exit 2)."""
    from bridge.astro import AstroClient

    clients: dict = {}

    def client_for(sid):
        if sid not in clients:
            a = config.store(sid).astro
            if a.username is None or a.password is None:
                raise _UsageError(f"store {sid}: no Astro login in the configuration "
                                  f"(needed to send to Astro)")
            clients[sid] = AstroClient(a.base_url, a.username, a.password.reveal(),
                                       a.client_id)
        return clients[sid]

    return client_for, clients


@failures_group.command("decide")
@click.argument("failure_id", type=int)
@click.option("--awarded", "answer", flag_value="awarded",
              help="The points were awarded (found in Astro): nothing is sent.")
@click.option("--not-awarded", "answer", flag_value="not_awarded",
              help="The points were not awarded: they are sent once, now.")
@_filter_options
def decide_command(failure_id, answer, config_path, store_id, reason, days):
    """Answer for a "Points uncertain" line: were this sale's points awarded? Shows the
    customer's points history around the sale. Exit status 0 when the answer was
    recorded (and, for --not-awarded, the points sent), 1 otherwise."""
    from bridge.admin import actions

    config, journal, report = _open(config_path, store_id, reason, days)
    row = next((r for r in report.rows if r.id == failure_id), None)
    if row is None or row.question is None:
        raise _UsageError(f"#{failure_id} is not a points line waiting for an answer (see "
                          f"`failures list`)")
    if answer is None:
        raise _UsageError("say --awarded or --not-awarded")
    click.echo(_question_text(row.question))
    client_for, clients = _store_clients(config)
    with journal:
        try:
            result = actions.decide_points(journal, client_for, failure_id, answer,
                                           by="astro-bridge failures decide")
        finally:
            for c in clients.values():
                c.close()
    click.echo(f"#{result.failure_id}: {'ok' if result.ok else 'FAILED'}: {result.message}")
    sys.exit(0 if result.ok else 1)


@failures_group.command("hide")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "all_listed", is_flag=True, help="Hide every listed failure.")
@_filter_options
def hide_command(ids, all_listed, config_path, store_id, reason, days):
    """Hide failures by id: kept in the journal, out of the report."""
    from bridge.admin import actions

    _config, journal, report = _open(config_path, store_id, reason, days)
    with journal:
        results = actions.hide(journal, _chosen(report, ids, all_listed))
    for r in results:
        click.echo(f"#{r.failure_id}: {r.message}")


@failures_group.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
              help="Write the CSV to this file (default: standard output).")
@_filter_options
def export_command(output, config_path, store_id, reason, days):
    """The listed failures as CSV (the same columns as the admin page's export)."""
    from bridge.admin.report import report_csv

    _config, journal, report = _open(config_path, store_id, reason, days)
    journal.close()
    text = report_csv(report)
    if output:
        try:
            with open(output, "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        except OSError as e:
            raise _UsageError(f"--output {output}: cannot write it: {e.strerror or e}") from None
    else:
        click.echo(text, nl=False)
