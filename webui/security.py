"""Protections that hold for every response of the web app, portal and API alike: which
Host names it answers to."""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.exceptions import SecurityError

from coop.config import Settings


def init_app(app: Flask, settings: Settings) -> None:
    # Werkzeug refuses any other Host header with a SecurityError (400), before routing.
    # allowed_hosts() raises ConfigError without COOP_BASE_URL outside local mode.
    hosts = settings.allowed_hosts()
    if app.config.get("TRUSTED_HOSTS") is None:  # unless the caller chose its own
        app.config["TRUSTED_HOSTS"] = hosts

    @app.errorhandler(SecurityError)
    def _untrusted_host(exc: SecurityError) -> Response:
        # No URL can be built for a host we refuse (so no portal page with its links): a
        # plain answer, or problem+json under the API.
        detail = "this server does not answer to that host name (Host header)"
        if request.path.startswith("/api/"):
            from webui.api.core import problem

            return problem(400, detail)
        return Response(f"Bad Request: {detail}\n", status=400, mimetype="text/plain")
