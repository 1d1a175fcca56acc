"""`coop members`: adding, importing (with founding pay), listing, status changes, qualifications."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from coop.cli.base import Context, cli, coop_option, fail, handle_errors, pass_ctx, read_csv_text, resolve_coop
from coop.cli.table import echo_table
from coop.errors import NotFound
from coop.models import MemberStatus, Qualification, Role
from coop.services import member_import, membership
from coop.services import members as member_service
from coop.services.actor import Actor

OPERATOR = Actor.operator()


@cli.group()
def members() -> None:
    """Members of a co-op. MEMBER is a member's id or email."""


@members.command("add")
@coop_option
@click.option("--name", required=True)
@click.option("--email", required=True)
@click.option("--role", type=click.Choice([r.value for r in Role]), default=Role.MEMBER.value,
              show_default=True)
@click.option("--status", type=click.Choice([MemberStatus.APPLICANT.value, MemberStatus.ACTIVE.value]),
              default=MemberStatus.APPLICANT.value, show_default=True,
              help="applicants become active when admitted")
@pass_ctx
@handle_errors
def add(ctx: Context, coop_slug: str | None, name: str, email: str, role: str, status: str) -> None:
    """Add one member."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        m = member_service.add_member(session, OPERATOR, coop, name, email, role=role, status=status, now=ctx.now)
        click.echo(f"added member {m.id}: {m.name} <{m.email}>, {m.status}, {m.role}")


@members.command("import")
@click.argument("csv_file", metavar="CSV", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@coop_option
@click.option("--dry-run", is_flag=True, help="check the file and say what importing would do; write nothing")
@pass_ctx
@handle_errors
def import_(ctx: Context, csv_file: Path, coop_slug: str | None, dry_run: bool) -> None:
    """Import members, and the founding pay of those with an hourly rate, from a CSV file
    with columns name, email and optionally role, status (default active), hourly_rate,
    weekly_hours, supplements, effective_date. All or nothing: every problem of every row
    is listed, and one bad row means nothing is imported."""
    text = read_csv_text(csv_file)
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        try:
            result = member_import.import_csv(session, OPERATOR, coop, text, dry_run=dry_run, now=ctx.now)
            errors = result.errors
        except member_service.ImportRejected as exc:
            errors = exc.errors
        if errors:
            for error in errors:
                click.echo(f"{csv_file.name}: {error}", err=True)
            fail(f"{len(errors)} error(s) in {csv_file.name}; nothing was imported")
            return
        verb = "would import" if dry_run else "imported"
        click.echo(f"{verb} {result.members} member(s) and {result.paid} founding pay record(s) "
                   f"into {coop.slug}")


def _qualifications(ms: list) -> dict[int, str]:  # type: ignore[type-arg]
    return {
        m.id: ", ".join(f"{q.field} EQF {q.level}{' (verified)' if q.verified else ''}"
                        for q in m.qualifications)
        for m in ms
    }


@members.command("list")
@coop_option
@click.option("--status", type=click.Choice([s.value for s in MemberStatus]))
@pass_ctx
@handle_errors
def list_(ctx: Context, coop_slug: str | None, status: str | None) -> None:
    """Members with their status, role and qualifications."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        ms = member_service.list_members(session, coop.id, status)
        quals = _qualifications(ms)
        echo_table(("id", "name", "email", "status", "role", "qualifications"),
                   [(m.id, m.name, m.email, m.status, m.role, quals[m.id]) for m in ms],
                   empty="no members")


def _status_command(verb: str, help_text: str) -> None:
    @members.command(verb, help=help_text)
    @click.argument("member_ref", metavar="MEMBER")
    @coop_option
    @pass_ctx
    @handle_errors
    def command(ctx: Context, member_ref: str, coop_slug: str | None) -> None:
        with ctx.session() as session:
            coop = resolve_coop(session, coop_slug)
            m = member_service.find_member(session, coop.id, member_ref)
            membership.apply_verb(session, OPERATOR, coop, m, verb, now=ctx.now)
            click.echo(f"{m.name} is now {m.status}")


_status_command("admit", "Admit an applicant: they become an active member.")
_status_command("suspend", "Suspend an active member.")
_status_command("reinstate", "Reinstate a suspended member.")
_status_command("depart", "Record a member's departure (their pay ends with a ledger entry).")


@members.command("qualify")
@click.argument("member_ref", metavar="MEMBER")
@coop_option
@click.option("--field", "field_", required=True, help="e.g. accounting")
@click.option("--level", type=click.IntRange(1, 8), required=True, help="EQF level 1-8")
@click.option("--issuer", required=True, help="who awarded it")
@click.option("--awarded-on", type=click.DateTime(formats=["%Y-%m-%d"]), required=True,
              help="YYYY-MM-DD")
@click.option("--title", default="", help="e.g. BSc Accounting")
@pass_ctx
@handle_errors
def qualify(ctx: Context, member_ref: str, coop_slug: str | None, field_: str, level: int,
            issuer: str, awarded_on: dt.datetime, title: str) -> None:
    """Record a qualification (unverified until someone verifies it)."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        m = member_service.find_member(session, coop.id, member_ref)
        q = member_service.add_qualification(session, OPERATOR, coop, m, field_, level, issuer,
                                             awarded_on.date(), title=title, now=ctx.now)
        click.echo(f"qualification {q.id}: {m.name}, {q.field} EQF {q.level} ({q.issuer}), unverified")


@members.command("verify-qualification")
@click.argument("qualification_id", metavar="QID", type=int)
@coop_option
@pass_ctx
@handle_errors
def verify_qualification(ctx: Context, qualification_id: int, coop_slug: str | None) -> None:
    """Verify a qualification, as the co-op's secretary."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        q = session.get(Qualification, qualification_id)
        if q is None or q.coop_id != coop.id:
            raise NotFound(f"no qualification {qualification_id} in this co-op", field="qualification")
        member_service.verify_qualification(session, OPERATOR, coop, q, now=ctx.now)
        click.echo(f"qualification {q.id} ({q.field} EQF {q.level}) verified")
