"""Protections that hold for every response of the web app, portal and API alike: which
Host names it answers to, and the browser security headers.

One after-request hook rather than Flask-Talisman: the headers are five constants and a
condition, each tested; Talisman would add HTTPS redirects and cookie settings that the
reverse proxy and ``create_app`` already own, and a dependency for twenty lines.
"""

from __future__ import annotations

from flask import Flask, Response, request
from werkzeug.exceptions import SecurityError

from coop.config import Settings

#: The portal is server-rendered and works without JavaScript: its own stylesheet, its own
#: images, forms posting to itself, nothing else; no page may be framed (clickjacking).
#: Charts are inline SVG, part of the document, so they need no source of their own. The API
#: docs page, which has a script, sets its own policy (webui.api.docs).
CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                           "base-uri 'none'; frame-ancestors 'none'")
#: The full address only to this site, nothing to others (a reset page's URL holds its
#: token). Not ``no-referrer``: Flask-WTF's CSRF check needs a same-origin Referer over HTTPS.
REFERRER_POLICY = "same-origin"
#: A year, the usual minimum; without includeSubDomains, which is the operator's call for
#: their own domain, not ours.
STRICT_TRANSPORT_SECURITY = "max-age=31536000"


def init_app(app: Flask, settings: Settings) -> None:
    # Werkzeug refuses any other Host header with a SecurityError (400), before routing.
    # allowed_hosts() raises ConfigError without COOP_BASE_URL outside local mode.
    hosts = settings.allowed_hosts()
    if app.config.get("TRUSTED_HOSTS") is None:  # unless the caller chose its own
        app.config["TRUSTED_HOSTS"] = hosts
    secure = settings.secure_cookies

    @app.after_request
    def _security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", REFERRER_POLICY)
        if secure:
            # Only where the site is served over HTTPS: local plain-HTTP use would be locked out.
            headers.setdefault("Strict-Transport-Security", STRICT_TRANSPORT_SECURITY)
        return response

    @app.errorhandler(SecurityError)
    def _untrusted_host(exc: SecurityError) -> Response:
        # No URL can be built for a host we refuse (so no portal page with its links): a
        # plain answer, or problem+json under the API.
        detail = "this server does not answer to that host name (Host header)"
        if request.path.startswith("/api/"):
            from webui.api.core import problem

            return problem(400, detail)
        return Response(f"Bad Request: {detail}\n", status=400, mimetype="text/plain")
