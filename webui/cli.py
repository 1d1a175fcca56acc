"""The ``coop`` console script: the core's command groups plus ``coop serve``.

`serve` lives here, not in `coop/cli`, because it needs the web app and the core never
imports webui; the script's entry point is this outer layer for the same reason.
"""

from __future__ import annotations

import click

from coop.cli import cli
from coop.cli.base import Context, handle_errors, pass_ctx


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="address to listen on (0.0.0.0 for every interface)")
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option("--threads", type=click.IntRange(1, 256), default=8, show_default=True)
@pass_ctx
@handle_errors
def serve(ctx: Context, host: str, port: int, threads: int) -> None:
    """Serve the portal and the REST API (run `coop db upgrade` first)."""
    import waitress

    from webui import create_app

    app = create_app(ctx.settings)  # refuses without COOP_BASE_URL outside local mode
    click.echo(f"serving on http://{host}:{port}/ (API: /api/v1/docs); links in mail point at "
               f"{ctx.settings.links_base()}")
    waitress.serve(app, host=host, port=port, threads=threads, ident="coop")


def main() -> None:
    cli(prog_name="coop")
