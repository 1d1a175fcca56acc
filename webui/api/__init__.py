"""The REST API face: ``/api/v1``, OpenAPI 3.1 at ``/api/v1/openapi.json``, a reference
page at ``/api/v1/docs``.

Every error the API answers is RFC 9457 problem+json, including unknown paths and methods
under ``/api/v1`` (a catch-all route, so the portal's HTML error pages stay the portal's).
The request's single commit is ``webui.request_db``'s: it commits below 400 and rolls back
otherwise, so a refused request changes nothing.
"""

from __future__ import annotations

import logging

from flask import Flask, Response, current_app, request
from marshmallow import ValidationError
from sqlalchemy.exc import DataError, IntegrityError
from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound

from coop.errors import CoopError
from coop.services import webhooks
from webui.api import (  # noqa: F401  (register routes)
    views_access,
    views_governance,
    views_ledger,
    views_offices,  # noqa: F401  (register routes)
)
from webui.api.core import QueryError, bp, coop_error, flatten, json_response, problem
from webui.api.openapi import docs_html, spec_dict
from webui.api.ratelimit import TooManyRequests

log = logging.getLogger(__name__)
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


@bp.get("/openapi.json")
def openapi_json() -> Response:
    response = json_response(spec_dict())
    response.headers["Access-Control-Allow-Origin"] = "*"
    return response


@bp.get("/docs")
def docs() -> Response:
    response = Response(docs_html(), mimetype="text/html")
    # The page runs only its own script file; the "try it" forms talk to this origin only.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; "
        "form-action 'none'; base-uri 'none'; frame-ancestors 'none'")
    return response


@bp.get("/docs.js")
def docs_js() -> Response:
    from webui.api.docs_template import SCRIPT

    return Response(SCRIPT, mimetype="text/javascript")


@bp.route("/", defaults={"rest": ""}, methods=METHODS)
@bp.route("/<path:rest>", methods=METHODS)
def unknown(rest: str) -> Response:
    """No operation here: 405 if the path exists with other methods, else 404."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in METHODS:
        try:
            endpoint, _ = adapter.match(method=method)
        except HTTPException:
            continue
        if endpoint != "api.unknown":
            allowed.append(method)
    if allowed:
        return problem(405, f"{request.method} is not allowed here; use {', '.join(allowed)}",
                       headers={"Allow": ", ".join(allowed)})
    return problem(404, f"no such resource: {request.path}")


@bp.errorhandler(CoopError)
def _coop_error(exc: CoopError) -> Response:
    response = coop_error(exc)
    if isinstance(exc, TooManyRequests):
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


@bp.errorhandler(QueryError)
def _query_error(exc: QueryError) -> Response:
    return problem(400, "a query parameter is not acceptable", flatten(exc.messages))


@bp.errorhandler(ValidationError)
def _validation_error(exc: ValidationError) -> Response:
    return problem(422, "the body does not match the schema", flatten(exc.messages))


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    headers = {}
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = ", ".join(exc.valid_methods)
    if isinstance(exc, NotFound):
        return problem(404, f"no such resource: {request.path}")
    return problem(status, exc.description or exc.name, headers=headers)


@bp.errorhandler(IntegrityError)
def _integrity(exc: IntegrityError) -> Response:
    # A race the services' checks could not see (two first ballots…): the database refused.
    log.info("integrity error answered 409: %s", exc.orig)
    return problem(409, "the request conflicts with a concurrent change; read again and retry")


@bp.errorhandler(DataError)
def _data_error(exc: DataError) -> Response:
    log.warning("data error answered 422: %s", exc.orig)
    return problem(422, "a value is out of the range the database can store")


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    # Events from this process's requests go to the webhook outbox in the same transaction.
    webhooks.install()
