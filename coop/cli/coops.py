"""`coop coops`: the co-ops hosted on this installation."""

from __future__ import annotations

import click
from sqlalchemy import func, select

from coop.cli.base import Context, cli, handle_errors, pass_ctx
from coop.cli.table import echo_table
from coop.models import Member, MemberStatus
from coop.services import coops as coop_service
from coop.services.actor import Actor


@cli.group()
def coops() -> None:
    """Co-ops on this installation (a federation may host several)."""


@coops.command("create")
@click.option("--slug", required=True, help="short URL name: lowercase letters, digits, dashes")
@click.option("--name", required=True, help="the co-op's full name")
@click.option("--currency", default="EUR", show_default=True, help="ISO 4217 code of its pay")
@pass_ctx
@handle_errors
def create(ctx: Context, slug: str, name: str, currency: str) -> None:
    """Found a co-op with the default constitution, an empty ledger and a signing key."""
    with ctx.session() as session:
        coop = coop_service.create_coop(session, Actor.operator(), ctx.keys, slug, name, currency, now=ctx.now)
        click.echo(f"founded {coop.name} ({coop.slug}), currency {coop.currency}")
        click.echo(f"checkpoint key: {ctx.keys.path(coop.slug)} (public key {coop.public_key.hex()})")


@coops.command("list")
@pass_ctx
@handle_errors
def list_(ctx: Context) -> None:
    """Every co-op with its number of active members."""
    with ctx.session() as session:
        all_coops = coop_service.list_coops(session)
        active = dict(session.execute(
            select(Member.coop_id, func.count()).where(Member.status == MemberStatus.ACTIVE.value)
            .group_by(Member.coop_id)
        ).all())
        echo_table(
            ("slug", "name", "currency", "active members", "founded"),
            [(c.slug, c.name, c.currency, active.get(c.id, 0), f"{c.created_at:%Y-%m-%d}")
             for c in all_coops],
            empty="no co-ops yet: `coop coops create --slug S --name N` or `coop seed-demo`",
        )
