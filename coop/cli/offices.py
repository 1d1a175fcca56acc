"""`coop offices`: the offices the rules define, who holds them, past holders, candidacies."""

from __future__ import annotations

import datetime as dt

import click

from coop.cli.base import Context, cli, coop_option, handle_errors, pass_ctx, resolve_coop
from coop.cli.table import echo_table
from coop.errors import InvalidInput
from coop.models import Term
from coop.services import elections, offices, pale, rules


def _moment(text: str | None, now: dt.datetime) -> dt.datetime:
    """``--as-of``: a day means its end (who held office that day), a minute that minute.
    Parsed here so that a bad value is one readable line, like every other error."""
    if text is None:
        return now
    for fmt in ("%Y-%m-%d", "%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"):
        try:
            t = dt.datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
        return dt.datetime.combine(t.date(), dt.time.max) if fmt == "%Y-%m-%d" else t
    raise InvalidInput(f"'{text}' is not a date: use YYYY-MM-DD or YYYY-MM-DDTHH:MM (UTC)", field="--as-of")


@cli.group("offices")
def offices_() -> None:
    """Offices filled by election (each is a rule named office.<key>)."""


def _day(t: dt.datetime | None) -> str:
    return f"{t:%Y-%m-%d}" if t else ""


@offices_.command("list")
@coop_option
@pass_ctx
@handle_errors
def list_(ctx: Context, coop_slug: str | None) -> None:
    """Every office: seats, term length, requirements, and how many seats are filled now."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        rows = []
        for s in offices.holders(session, coop.id, ctx.now):
            o = s.office
            if o is None:
                continue
            rows.append((o.key, o.name, o.seats, f"{o.term_months} months",
                         "; ".join(map(str, o.requires)) or "none",
                         o.max_consecutive_terms or "", len(s.holders), s.vacancies))
        echo_table(("key", "name", "seats", "term", "requires (verified, EQF)", "max terms in a row",
                    "held", "vacant"), rows, empty="no offices: add one with a rule change (rule office.<key>)")


@offices_.command("holders")
@coop_option
@click.option("--as-of", "as_of", metavar="DATE",
              help="who held office at the end of YYYY-MM-DD, or at YYYY-MM-DDTHH:MM UTC (default: now)")
@pass_ctx
@handle_errors
def holders(ctx: Context, coop_slug: str | None, as_of: str | None) -> None:
    """Who holds each office, since when, until when, and which election decided it;
    vacant seats are listed as such."""
    when = _moment(as_of, ctx.now)
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        rows = []
        for s in offices.holders(session, coop.id, when):
            for t in s.holders:
                rows.append((s.name, t.member.name, _day(t.started_at), _day(t.ends_at), _election(t)))
            rows += [(s.name, "(vacant)", "", "", "")] * s.vacancies
        click.echo(f"office holders on {when:%Y-%m-%d %H:%M} UTC")
        echo_table(("office", "holder", "since", "term ends", "decided by"), rows, empty="no offices")


def _election(t: Term) -> str:
    return f"election #{t.election_id}" if t.election_id else "founding"


@offices_.command("history")
@click.argument("office_key", metavar="OFFICE", required=False)
@coop_option
@pass_ctx
@handle_errors
def history(ctx: Context, office_key: str | None, coop_slug: str | None) -> None:
    """Every term ever served (of one office, or all), newest first: the public record."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        names = {k: o.name for k, o in offices.defined(session, coop.id).items()}
        now = ctx.now
        rows = []
        for t in offices.history(session, coop.id, office_key):
            if t.ended_at is not None:
                end = f"{_day(t.ended_at)} ({t.end_reason}" + (f", recall #{t.recall_id})" if t.recall_id else ")")
            else:
                end = f"{_day(t.ends_at)} ({'due' if t.ends_at > now else 'expired'})"
            rows.append((names.get(t.office_key, t.office_key), t.member.name, _day(t.started_at), end,
                         _election(t)))
        echo_table(("office", "holder", "from", "to", "decided by"), rows, empty="no terms yet")


@offices_.command("candidates")
@click.argument("election_id", metavar="ELECTION", type=int)
@coop_option
@pass_ctx
@handle_errors
def candidates(ctx: Context, election_id: int, coop_slug: str | None) -> None:
    """The candidacies in one election: who stands, who declined, who was dropped and why."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        p = elections.get_election(session, coop, election_id, now=ctx.now)
        cs = elections.candidacies(session, p.id)
        click.echo(f"election #{p.id}: {p.title} ({p.details['seats']} seat(s); {p.status})")
        echo_table(("member", "status", "self-nominated", "affirmed the pale", "note"),
                   [(c.member.name, c.status, "yes" if c.nominated_by_id == c.member_id else "no",
                     c.affirmed_pale_version or "", c.dropped_reason or "") for c in cs],
                   empty="no candidacies yet")


@offices_.command("pale")
@coop_option
@pass_ctx
@handle_errors
def pale_(ctx: Context, coop_slug: str | None) -> None:
    """The pale in force: its machine-checked boundaries and the text candidates affirm."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        b = pale.boundaries(rules.parameters(session, coop.id))
        stmt = pale.statement(session, coop.id)
        click.echo(f"minimum tenure as an active member: {b.min_tenure_months} months")
        click.echo(f"offices held at once: at most {b.max_offices if b.max_offices is not None else 'any number'}")
        click.echo("incompatible offices: " + ("; ".join(f"{a}/{c}" for a, c in b.incompatible) or "none"))
        click.echo(f"\ncandidates affirm ({stmt.version}):\n")
        click.echo(click.wrap_text(stmt.text, width=88, preserve_paragraphs=True))
