"""`coop db`: schema management. Migrations are the only way the schema is made."""

from __future__ import annotations

import click

from coop import migrate
from coop.cli.base import Context, cli, handle_errors, pass_ctx


@cli.group()
def db() -> None:
    """Database schema."""


@db.command()
@click.option("--revision", default="heads", show_default=True)
@pass_ctx
@handle_errors
def upgrade(ctx: Context, revision: str) -> None:
    """Apply migrations up to REVISION."""
    if ctx.settings.database_url.startswith("sqlite"):
        ctx.settings.instance_dir.mkdir(parents=True, exist_ok=True)
    migrate.upgrade(ctx.settings.database_url, revision)
    click.echo(f"database at {revision}")


@db.command()
@click.argument("revision")
@pass_ctx
@handle_errors
def downgrade(ctx: Context, revision: str) -> None:
    """Revert migrations down to REVISION (e.g. -1, base)."""
    migrate.downgrade(ctx.settings.database_url, revision)
    click.echo(f"database at {revision}")
