"""`coop notifications`: the scheduled run (close overdue votes, warn of votes closing
soon), sending the mail outbox, and listing it when there is no SMTP server."""

from __future__ import annotations

import click

from coop.cli.base import Context, cli, coop_option, handle_errors, pass_ctx, resolve_coop
from coop.config import parse_base_url
from coop.services import notifications as _notifications  # noqa: F401  (subscribes the listener)
from coop.services import outbox, proposals


@cli.group()
def notifications() -> None:
    """Member notifications and the mail outbox."""


@notifications.command()
@coop_option
@pass_ctx
@handle_errors
def due(ctx: Context, coop_slug: str | None) -> None:
    """Close overdue votes and notify members of votes closing within 24 hours.

    Run it from cron every few minutes; it is idempotent."""
    with ctx.session() as session:
        coop_id = resolve_coop(session, coop_slug).id if coop_slug else None
        closed = proposals.close_due(session, coop_id=coop_id, now=ctx.now)
        warned = _notifications.due(session, coop_id=coop_id, now=ctx.now)
    click.echo(f"closed {len(closed)} vote(s); {warned} closing-soon notification(s)")


@notifications.command()
@click.option("--base-url", default=None,
              help="the portal's address, put before links in mails (default: COOP_BASE_URL)")
@pass_ctx
@handle_errors
def send(ctx: Context, base_url: str | None) -> None:
    """Send pending mail through COOP_SMTP_HOST.

    Each mail is recorded as sent as soon as the server accepts it, so a failure later in
    the run never sends it twice. A mail that cannot be sent as written is given up with
    the reason (see `coop notifications list --all`) and the run goes on. Without an SMTP
    server, mail stays in the outbox and the command says so and succeeds: a cron job that
    runs it before SMTP is set up does not fail. Exit 1 if a mail failed this run."""
    with ctx.session() as session:
        if not ctx.settings.smtp_host:
            click.echo(f"no SMTP server configured (set COOP_SMTP_HOST): {outbox.waiting(session)} "
                       "message(s) stay in the outbox; see `coop notifications list`")
            return
        # Links in mail start with the configured address; without one (outside local mode)
        # this refuses rather than mail links that lead nowhere.
        base_url = (parse_base_url(base_url) or "") if base_url is not None else ctx.settings.links_base()
        report = outbox.send_pending(session, ctx.settings, base_url=base_url, now=ctx.now,
                                     settle=session.commit)
    click.echo(f"sent {report.sent} message(s); {report.failed} failed (retried on the next run); "
               f"{report.unsendable} cannot be sent (given up, see `coop notifications list --all`)"
               + ("; the mail server went away, the rest wait for the next run" if report.interrupted else ""))
    if not report.ok:
        raise SystemExit(1)


def _shown(text: str) -> str:
    """One line whatever the text holds: control characters (a line break in a subject
    written before such titles were refused) are shown escaped, not acted on."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


@notifications.command("list")
@coop_option
@click.option("--all", "include_sent", is_flag=True, help="include messages already sent")
@click.option("--body", "show_body", is_flag=True, help="print each message in full")
@pass_ctx
@handle_errors
def list_(ctx: Context, coop_slug: str | None, include_sent: bool, show_body: bool) -> None:
    """Show the outbox (pending mail, or all of it with --all)."""
    with ctx.session() as session:
        coop_id = resolve_coop(session, coop_slug).id if coop_slug else None
        messages = outbox.pending(session, coop_id=coop_id, include_sent=include_sent, limit=10_000)
        for m in messages:
            state = f"sent {m.sent_at:%Y-%m-%d %H:%M}" if m.sent_at else \
                "given up" if m.attempts >= outbox.MAX_ATTEMPTS else "pending"
            if m.last_error:
                state += f" (attempt {m.attempts} failed: {m.last_error})"
            click.echo(f"#{m.id} {m.created_at:%Y-%m-%d %H:%M} {state} to {_shown(m.to_address)}: "
                       f"{_shown(m.subject)}")
            if show_body:
                click.echo(f"    {m.body}".replace("\n", "\n    "))
                if m.link:
                    click.echo(f"    {m.link}")
    if not messages:
        click.echo("the outbox is empty")
