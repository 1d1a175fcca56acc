"""`coop audit`: trace every pay change to the vote that authorised it."""

from __future__ import annotations

import sys

import click

from coop.cli.base import Context, cli, coop_option, handle_errors, pass_ctx, resolve_coop
from coop.cli.table import echo_table
from coop.services import audit_report


@cli.group()
def audit() -> None:
    """Audits of the public record."""


@audit.command("report")
@coop_option
@pass_ctx
@handle_errors
def report(ctx: Context, coop_slug: str | None) -> None:
    """Every pay change with its decision and tally; pay entries no vote stands behind;
    anomalies. Exit 1 if there is any anomaly. (The hashes are `coop ledger verify`'s job.)"""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        r = audit_report.report(session, coop)
    click.echo(f"Pay changes decided by vote ({len(r.traces)}):")
    echo_table(
        ("entry", "effective", "member", "total/h", "proposal", "outcome", "yes", "no", "abstain", "electorate"),
        [(t.entry_index, t.effective_date, t.member_name, t.total_hourly,
          f"#{t.decision.proposal_id} {t.decision.title}" if t.decision else "(none)",
          t.decision.outcome if t.decision else "", *(
              (t.decision.yes, t.decision.no, t.decision.abstain, t.decision.electorate_size)
              if t.decision else ("", "", "", "")))
         for t in r.traces], empty="  (none)")
    click.echo(f"\nPay entries with no vote behind them ({len(r.without_vote)}):")
    echo_table(("entry", "effective", "member", "total/h", "authority"),
               [(t.entry_index, t.effective_date, t.member_name, t.total_hourly, t.authority)
                for t in r.without_vote], empty="  (none)")
    if r.ok:
        click.echo("\nok: no anomalies")
        return
    click.echo(f"\n{len(r.anomalies)} anomaly(ies):")
    for anomaly in r.anomalies:
        click.echo(f"  {anomaly}")
    sys.exit(1)
