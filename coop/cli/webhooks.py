"""`coop webhooks`: send the webhook outbox (run it from cron or a timer, e.g. every minute)."""

from __future__ import annotations

from functools import partial

import click

from coop.cli.base import Context, cli, handle_errors, pass_ctx
from coop.services import webhooks

# Events this process causes (closing proposals, appends) reach the outbox too.
webhooks.install()


@cli.group("webhooks")
def webhooks_group() -> None:
    """Webhook deliveries."""


@webhooks_group.command("deliver")
@click.option("--batches", type=click.IntRange(1, 1000), default=20, show_default=True,
              help="stop after this many batches of up to --batch-size")
@click.option("--batch-size", type=click.IntRange(1, 500), default=50, show_default=True)
@pass_ctx
@handle_errors
def deliver(ctx: Context, batches: int, batch_size: int) -> None:
    """Send every due delivery; failures are retried later with exponential backoff."""
    sent = failed = 0
    sender = partial(webhooks.send, targets=ctx.settings.webhook_targets)
    for _ in range(batches):
        results = webhooks.deliver_due(ctx.session, sender=sender, limit=batch_size, now=ctx.now)
        for out, result in results:
            if result.ok:
                sent += 1
            else:
                failed += 1
                click.echo(f"delivery {out.delivery_id} to {out.url}: {result.error or result.status_code}", err=True)
        if len(results) < batch_size:
            break
    click.echo(f"{sent} delivered, {failed} failed" + (" (retried later, or given up after the last attempt)" if failed else ""))
