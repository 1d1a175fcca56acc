"""`coop seed-demo`: a demo co-op to explore the portal, the API and the ledger with."""

from __future__ import annotations

import click

from coop.cli.base import Context, cli, handle_errors, pass_ctx
from coop.services import autosign, demo
from coop.services.demo_data import DOMAIN, LOGINS, NAME, PASSWORD


@cli.command("seed-demo")
@click.option("--slug", default="demo", show_default=True, help="the demo co-op's slug")
@pass_ctx
@handle_errors
def seed_demo(ctx: Context, slug: str) -> None:
    """Create the demo co-op "Riverside Makers Co-operative": 13 members, founding pay in the
    ledger, qualifications, decided proposals and votes still open, offices with their
    requirements, past elections and an open one, and learning records. Running it again
    changes nothing."""
    with ctx.session() as session:
        seeded = demo.seed_demo(session, ctx.keys, slug, now=ctx.now)
        if seeded is None:
            click.echo(f"a co-op with slug '{slug}' already exists; nothing changed")
            return
        autosign.sign_appended(session, ctx.keys, now=ctx.now)
        click.echo(f"seeded {NAME} ({slug}): {seeded.members} members, {seeded.proposals} proposals "
                   f"({seeded.open_votes} open for voting), {seeded.ledger_size} ledger entries")
        o = seeded.offices
        if o is not None:
            click.echo(f"offices: {o.offices} ({o.terms} term(s) served or running), {o.elections} elections "
                       f"(election #{o.open_election_id} open for voting), {o.learning_records} learning records")
    click.echo(f"portal: /c/{slug}/    password for every demo member: {PASSWORD}")
    for role, login in LOGINS:
        click.echo(f"  {role:<10} {login}@{DOMAIN}")
