"""`coop education`: learning records, the yearly report, CSV import, verification, reminders."""

from __future__ import annotations

import sys
from decimal import Decimal
from pathlib import Path

import click

from coop.cli.base import Context, cli, coop_option, fail, handle_errors, pass_ctx, read_csv_text, resolve_coop
from coop.cli.table import echo_table
from coop.errors import InvalidInput
from coop.services import education as education_service
from coop.services import members as member_service
from coop.services.actor import Actor
from coop.services.education_import import import_records
from coop.spreadsheet import SafeWriter

OPERATOR = Actor.operator()


@cli.group()
def education() -> None:
    """Lifelong education: learning records and hours against the co-op's policy."""


def _year(text: str | None) -> int | None:
    """Parsed here so that a bad --year is one readable line, like every other error."""
    if text is None:
        return None
    if not text.strip().isdigit() or not 1900 <= int(text) <= 9998:
        raise InvalidInput(f"'{text}' is not a year such as 2026", field="--year")
    return int(text)


@education.command("report")
@coop_option
@click.option("--year", "year_text", metavar="YEAR", help="the calendar year (default: this year)")
@click.option("--format", "fmt", type=click.Choice(["table", "csv"]), default="table", show_default=True)
@pass_ctx
@handle_errors
def report(ctx: Context, coop_slug: str | None, year_text: str | None, fmt: str) -> None:
    """Each member's completed hours in the year against the expectation, and the co-op's
    totals per year. The expectation is pro rata for members active for part of the year;
    "due to date" is what it asks for by today (or by the year's end, for a past year)."""
    year = _year(year_text)
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        rep = education_service.report(session, coop, year, now=ctx.now)
        rows = [(r.member_id, r.name, r.status, r.completed, r.expected, r.due_to_date,
                 "behind" if r.status == "active" and r.behind else "") for r in rep.members]
        headers = ("member_id", "name", "status", "completed_hours", "expected_hours", "due_to_date", "note")
        if fmt == "csv":
            out = SafeWriter(sys.stdout, lineterminator="\n")  # names are people's text
            out.writerow(headers)
            out.writerows(rows)
            return
        p = rep.policy
        click.echo(f"{coop.name}: education in {rep.year} (as of {rep.as_of:%Y-%m-%d}); the rules expect "
                   f"{p.expected_hours_per_year} hours a year, of which {p.paid_hours_per_year} are paid")
        echo_table(("id", "member", "status", "completed", "expected", "due to date", ""), rows,
                   empty="no members")
        click.echo(f"\ncompleted hours this year: {rep.total_hours}")
        click.echo("\nthe co-op's completed hours per year:")
        echo_table(("year", "hours", "records", "members"),
                   [(y.year, y.hours, y.records, y.members) for y in rep.years], empty="none yet")


@education.command("import")
@click.argument("csv_file", metavar="CSV", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@coop_option
@pass_ctx
@handle_errors
def import_(ctx: Context, csv_file: Path, coop_slug: str | None) -> None:
    """Import learning records from CSV with columns email, title, kind, hours, started_on,
    status and optionally provider, ended_on, qualification_field, qualification_level.
    All or nothing: one bad row and nothing is imported."""
    text = read_csv_text(csv_file)
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        try:
            added = import_records(session, OPERATOR, coop, text, now=ctx.now)
        except member_service.ImportRejected as exc:
            for error in exc.errors:
                click.echo(f"{csv_file.name}: {error}", err=True)
            fail(f"{len(exc.errors)} error(s) in {csv_file.name}; nothing was imported")
            return
        total = sum((r.hours for r in added), start=Decimal("0.00"))
        click.echo(f"imported {len(added)} learning record(s), {total} hours, into {coop.slug}")


@education.command("records")
@click.argument("member_ref", metavar="MEMBER", required=False)
@coop_option
@pass_ctx
@handle_errors
def records(ctx: Context, member_ref: str | None, coop_slug: str | None) -> None:
    """Learning records, newest first (of one member: id or email)."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        member_id = member_service.find_member(session, coop.id, member_ref).id if member_ref else None
        names = {m.id: m.name for m in member_service.list_members(session, coop.id)}
        rows = [(r.id, names.get(r.member_id, r.member_id), r.title, r.kind, r.hours, r.status,
                 r.ended_on or "", f"{r.qualification_field} EQF {r.qualification_level}"
                 + (" (verified)" if r.qualification_id else "") if r.qualification_field else "")
                for r in education_service.records(session, coop.id, member_id)]
        echo_table(("id", "member", "title", "kind", "hours", "status", "ended", "qualification gained"),
                   rows, empty="no learning records")


@education.command("verify")
@click.argument("record_id", metavar="RECORD", type=int)
@coop_option
@click.option("--by", "verifier", metavar="MEMBER",
              help="who verifies (id or email): a secretary, or a member verified in the same field at "
                   "the same EQF level or higher (default: the operator)")
@pass_ctx
@handle_errors
def verify(ctx: Context, record_id: int, coop_slug: str | None, verifier: str | None) -> None:
    """Verify the qualification a completed record gained: it becomes a verified
    qualification of the member, and counts towards offices' requirements from then on."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        actor = OPERATOR if verifier is None else Actor.of(member_service.find_member(session, coop.id, verifier))
        q = education_service.verify_record(session, actor, coop, record_id, now=ctx.now)
        click.echo(f"verified: qualification {q.id}, {q.field} at EQF level {q.level}"
                   + (f", by {actor.member.name}" if actor.member is not None else ""))


@education.command("remind")
@coop_option
@pass_ctx
@handle_errors
def remind(ctx: Context, coop_slug: str | None) -> None:
    """Remind members behind this year's pace who chose to be reminded (run it on a
    schedule, e.g. monthly)."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        behind = education_service.remind_behind(session, coop, now=ctx.now)
        chose = education_service.chose_reminders(session, [r.member_id for r in behind])
        for r in behind:
            click.echo(f"  {r.name}: {r.completed} of {r.due_to_date} hours due so far"
                       + ("  (reminded)" if r.member_id in chose else ""))
        click.echo(f"{len(behind)} member(s) behind this year's pace; reminded the {len(chose)} who chose "
                   "education reminders in their notification settings")
