"""`coop pay`: the public pay table, one member's pay history, statistics, founding import."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from coop.cli.base import Context, cli, coop_option, fail, handle_errors, pass_ctx, read_csv_text, resolve_coop
from coop.cli.table import echo_table
from coop.pay import PayStatistics, format_ratio
from coop.services import pay_import, pay_reports
from coop.services.actor import Actor
from coop.services.members import ImportRejected

OPERATOR = Actor.operator()
DATE = click.DateTime(formats=["%Y-%m-%d"])


@cli.group()
def pay() -> None:
    """Members' pay, as the public ledger records it. MEMBER is a member's id or email."""


def _supplements(line: pay_reports.PayLine) -> str:
    return "; ".join(f"{s.kind} {s.amount} ({s.reason.value})" for s in line.pay.supplements)


@pay.command("show")
@coop_option
@click.option("--as-of", type=DATE, help="the table in force on YYYY-MM-DD (default: today)")
@pass_ctx
@handle_errors
def show(ctx: Context, coop_slug: str | None, as_of: dt.datetime | None) -> None:
    """The pay table: each paid member's pay in force."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        lines = pay_reports.pay_table(session, coop, as_of.date() if as_of else None)
        echo_table(
            ("member", "name", "hourly rate", "supplements", "total/h", "hours/week",
             f"annual ({coop.currency})", "since", "entry", "authority"),
            [(ln.member_id, ln.member_name, ln.pay.hourly_rate, _supplements(ln), ln.total_hourly,
              ln.pay.weekly_hours, ln.annualised, ln.effective_date, ln.entry_index,
              ln.authority if ln.proposal_id is None else f"proposal {ln.proposal_id}")
             for ln in lines],
            empty="nobody is paid" + (f" on {as_of:%Y-%m-%d}" if as_of else ""))


@pay.command("history")
@click.argument("member_ref", metavar="MEMBER")
@coop_option
@pass_ctx
@handle_errors
def history(ctx: Context, member_ref: str, coop_slug: str | None) -> None:
    """Every pay change of one member, with the decision behind it."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        member, lines = pay_reports.member_history(session, coop, member_ref)
        click.echo(f"{member.name} (member {member.id}, {member.status})")
        echo_table(
            ("entry", "effective", "total/h", "was", "hours/week", "authority", "decision"),
            [(h.line.entry_index, h.line.effective_date, h.line.total_hourly,
              h.previous_total if h.previous_total is not None else "",
              h.line.pay.weekly_hours, h.line.authority,
              (f"#{h.decision.proposal_id} {h.decision.title!r}: {h.decision.outcome}, {h.decision.tally}"
               if h.decision else "")) for h in lines],
            empty="no pay records")


def _stats_row(s: PayStatistics) -> tuple[object, ...]:
    return (s.count, s.minimum or "", s.median or "", s.mean or "", s.maximum or "",
            f"{format_ratio(s.ratio)}:1" if s.ratio is not None else "", s.total_payroll)


STATS_HEADERS = ("paid", "min/h", "median/h", "mean/h", "max/h", "ratio", "payroll/year")


@pay.command("stats")
@coop_option
@click.option("--as-of", type=DATE, help="figures on YYYY-MM-DD (default: today)")
@click.option("--by", type=click.Choice(["month", "entry"]),
              help="a series: at each month end, or after each pay entry")
@pass_ctx
@handle_errors
def stats(ctx: Context, coop_slug: str | None, as_of: dt.datetime | None, by: str | None) -> None:
    """Count, minimum, median, mean, maximum, ratio and total payroll."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        if by is None:
            echo_table(STATS_HEADERS, [_stats_row(pay_reports.statistics(session, coop, as_of.date() if as_of else None))])
            return
        if by == "month":
            points = pay_reports.statistics_by_month(session, coop, (as_of or ctx.now).date())
        else:
            points = pay_reports.statistics_by_entry(session, coop)
        echo_table(("on", "entry", *STATS_HEADERS),
                   [(p.on, "" if p.entry_index is None else p.entry_index, *_stats_row(p.stats)) for p in points],
                   empty="no pay records yet")


@pay.command("import")
@click.argument("csv_file", metavar="CSV", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@coop_option
@pass_ctx
@handle_errors
def import_(ctx: Context, csv_file: Path, coop_slug: str | None) -> None:
    """Founding salaries from a CSV with columns email, hourly_rate, weekly_hours and
    optionally effective_date (YYYY-MM-DD) and supplements ("first aid:0.75:skills; …").
    Each row becomes a founding pay record on the ledger. All or nothing; refused if the
    table would break the co-op's pay policy."""
    text = read_csv_text(csv_file)
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        try:
            records = pay_import.import_founding_pay(session, OPERATOR, coop, text, now=ctx.now)
        except ImportRejected as exc:
            for error in exc.errors:
                click.echo(f"{csv_file.name}: {error}", err=True)
            fail(f"{len(exc.errors)} error(s) in {csv_file.name}; nothing was imported")
            return
        first, last = records[0].entry_index, records[-1].entry_index
        click.echo(f"imported founding pay of {len(records)} member(s) into {coop.slug}: "
                   f"ledger entries {first}–{last}")
