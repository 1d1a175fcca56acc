"""`coop accounts`: invitations, password resets and passwords set by the operator."""

from __future__ import annotations

import sys

import click

from coop.cli.base import Context, cli, coop_option, handle_errors, pass_ctx, resolve_coop
from coop.config import ConfigError
from coop.errors import InvalidInput
from coop.services import accounts as account_service
from coop.services import members as member_service
from coop.services.actor import Actor

OPERATOR = Actor.operator()


@cli.group()
def accounts() -> None:
    """Member accounts for the portal. MEMBER is a member's id or email."""


def _issue(ctx: Context, member_ref: str, coop_slug: str | None, purpose: str) -> None:
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        m = member_service.find_member(session, coop.id, member_ref)
        issue = account_service.create_invitation if purpose == "invite" else account_service.create_reset
        token = issue(session, OPERATOR, coop, m, now=ctx.now)
        lifetime = account_service.LIFETIME[purpose]
        what = "invitation" if purpose == "invite" else "password reset"
        click.echo(f"{what} for {m.name} <{m.email}>, valid for {_human(lifetime.total_seconds())}")
        click.echo(f"token: {token}")
        # The portal's own page for each purpose (a reset link reads "choose a new password").
        path = f"/c/{coop.slug}/{'accept' if purpose == 'invite' else 'reset'}/{token}"
        click.echo(f"portal: {_links_base(ctx)}{path}")


def _links_base(ctx: Context) -> str:
    """The configured address, or nothing (the path alone) when there is none: the operator
    who sends the link knows where their portal is."""
    try:
        return ctx.settings.links_base()
    except ConfigError:
        return ""


def _human(seconds: float) -> str:
    hours = int(seconds // 3600)
    return f"{hours // 24} days" if hours % 24 == 0 and hours >= 48 else f"{hours} hours"


@accounts.command("invite")
@click.argument("member_ref", metavar="MEMBER")
@coop_option
@pass_ctx
@handle_errors
def invite(ctx: Context, member_ref: str, coop_slug: str | None) -> None:
    """Issue a one-time invitation link (7 days) with which the member sets a password.
    The token is shown only now: send it to the member."""
    _issue(ctx, member_ref, coop_slug, "invite")


@accounts.command("reset")
@click.argument("member_ref", metavar="MEMBER")
@coop_option
@pass_ctx
@handle_errors
def reset(ctx: Context, member_ref: str, coop_slug: str | None) -> None:
    """Issue a one-time password-reset link (24 hours). Earlier unused links stop working."""
    _issue(ctx, member_ref, coop_slug, "reset")


@accounts.command("set-password")
@click.argument("member_ref", metavar="MEMBER")
@coop_option
@click.option("--password-stdin", is_flag=True,
              help="read the password from the first line of standard input (for scripts)")
@pass_ctx
@handle_errors
def set_password(ctx: Context, member_ref: str, coop_slug: str | None, password_stdin: bool) -> None:
    """Set a member's password (asked twice, not echoed)."""
    # Read before the transaction opens: SQLite's write lock must not wait on a person typing.
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = click.prompt(f"new password for {member_ref}", hide_input=True,
                                confirmation_prompt=True, default="", show_default=False)
    if not password:
        raise InvalidInput("no password given", field="password")
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        m = member_service.find_member(session, coop.id, member_ref)
        replaced = m.password_hash is not None
        account_service.set_password(session, OPERATOR, m, password, now=ctx.now)
        click.echo(f"password set for {m.name} <{m.email}>")
        if replaced:
            click.echo("their portal sessions are logged out and their API tokens revoked")
