"""The ``coop`` console script: the core's command groups plus ``coop serve``.

`serve` lives here, not in `coop/cli`, because it needs the web app and the core never
imports webui; the script's entry point is this outer layer for the same reason.
"""

from __future__ import annotations

import click

from coop.cli import cli
from coop.cli.base import Context, fail, handle_errors, pass_ctx


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True,
              help="address to listen on (0.0.0.0 for every interface)")
@click.option("--port", type=click.IntRange(1, 65535), default=5000, show_default=True)
@click.option("--threads", type=click.IntRange(1, 256), default=8, show_default=True)
@click.option("--trusted-proxy", envvar="COOP_TRUSTED_PROXY", default=None, metavar="ADDRESS",
              help="the reverse proxy's address: the client address is then read from its "
                   "X-Forwarded-For (env COOP_TRUSTED_PROXY)")
@pass_ctx
@handle_errors
def serve(ctx: Context, host: str, port: int, threads: int, trusted_proxy: str | None) -> None:
    """Serve the portal and the REST API (run `coop db upgrade` first)."""
    import waitress

    from webui import create_app

    app = create_app(ctx.settings)  # refuses without COOP_BASE_URL outside local mode
    # Rate limits count per client address: behind a proxy every request would otherwise
    # come from the proxy, and one guesser would lock everybody out. waitress takes the
    # address from the one proxy named, and drops the header from anyone else.
    proxy = {"trusted_proxy": trusted_proxy, "trusted_proxy_count": 1,
             "trusted_proxy_headers": {"x-forwarded-for"}, "clear_untrusted_proxy_headers": True} \
        if trusted_proxy else {}
    # create_server binds the socket, so a busy port or a bad address is refused here, in one
    # line, before anything claims to be served.
    try:
        server = waitress.create_server(app, host=host, port=port, threads=threads, ident="coop", **proxy)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}")
    click.echo(f"serving on http://{host}:{port}/ (API: /api/v1/docs); links in mail point at "
               f"{ctx.settings.links_base()}")
    try:
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()


def main() -> None:
    cli(prog_name="coop")
