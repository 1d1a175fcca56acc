"""`coop tokens`: personal access tokens for the REST API, made by the operator."""

from __future__ import annotations

import click

from coop.cli.base import Context, cli, coop_option, handle_errors, pass_ctx, resolve_coop
from coop.cli.table import echo_table
from coop.services import members, tokens
from coop.services.actor import SCOPES, Actor


@cli.group("tokens")
def tokens_group() -> None:
    """API tokens (personal access tokens, sent as Authorization: Bearer)."""


@tokens_group.command("create")
@click.argument("member")
@click.option("--scope", "scopes", multiple=True, required=True, type=click.Choice(SCOPES),
              help="repeat for several: read, vote, propose, admin")
@click.option("--expires-days", type=click.IntRange(1, tokens.MAX_EXPIRY_DAYS),
              default=tokens.DEFAULT_EXPIRY_DAYS, show_default=True)
@click.option("--name", default="", help="what it is for, to recognise it later")
@coop_option
@pass_ctx
@handle_errors
def create(ctx: Context, member: str, scopes: tuple[str, ...], expires_days: int, name: str,
           coop_slug: str | None) -> None:
    """Make a token for MEMBER (id or email). It is printed once: only its digest is kept."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        m = members.find_member(session, coop.id, member)
        row, secret = tokens.create_token(session, Actor.operator(), coop, m, scopes, name=name,
                                          expires_days=expires_days, now=ctx.now)
        click.echo(f"token {row.id} for {m.name} ({row.scopes}), expires {row.expires_at:%Y-%m-%d}:")
        click.echo(secret)


@tokens_group.command("list")
@click.argument("member", required=False)
@coop_option
@pass_ctx
@handle_errors
def list_(ctx: Context, member: str | None, coop_slug: str | None) -> None:
    """Tokens of the co-op, or of MEMBER."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        m = members.find_member(session, coop.id, member) if member else None
        rows = tokens.list_tokens(session, Actor.operator(), coop, m)
        echo_table(("id", "member", "name", "prefix", "scopes", "expires", "status"),
                   [(t.id, t.member_id, t.name, t.prefix + "…", t.scopes,
                     f"{t.expires_at:%Y-%m-%d}" if t.expires_at else "never", tokens.status(t, now=ctx.now)) for t in rows],
                   empty="no tokens")


@tokens_group.command("revoke")
@click.argument("token_id", type=int)
@coop_option
@pass_ctx
@handle_errors
def revoke(ctx: Context, token_id: int, coop_slug: str | None) -> None:
    """Revoke token TOKEN_ID at once."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        row = tokens.revoke(session, Actor.operator(), coop, token_id, now=ctx.now)
        click.echo(f"token {row.id} revoked")
