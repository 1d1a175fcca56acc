"""The API's plumbing: operations that are routes and spec entries at once, input loading,
authentication, problem+json, pages with Link headers, immutable caching.

An operation is declared once, with :func:`operation`: the same declaration adds the Flask
route and the OpenAPI entry, so the spec cannot drift from what is served.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, Response, g, request, url_for
from marshmallow import Schema, ValidationError

from coop.errors import CoopError, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from coop.models import Cooperative
from coop.services import coops, tokens
from coop.services.actor import Actor
from coop.services.coops import SLUG
from coop.services.paging import Page
from webui.api import ratelimit
from webui.request_db import get_session, request_now

bp = Blueprint("api", __name__, url_prefix="/api/v1")

PROBLEM_MIME = "application/problem+json"
TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
          405: "Method Not Allowed", 409: "Conflict", 413: "Content Too Large",
          415: "Unsupported Media Type", 422: "Unprocessable Content", 429: "Too Many Requests"}
#: Access levels an operation documents: who may call it.
ACCESS = {
    "public": "Anyone, without a token, when the co-op publishes (`public_pages`); otherwise a member's token with the read scope.",
    "anyone": "Anyone, without a token.",
    "member": "A token of an active member of the co-op.",
    "secretary": "The co-op's secretary or an admin (token with the admin scope).",
    "admin": "A co-op admin (token with the admin scope).",
    "credentials": "Email and password in the body, or a token with the admin scope.",
}


@dataclass
class Operation:
    path: str  # OpenAPI form: /coops/{slug}/proposals/{proposal_id}
    method: str
    endpoint: str
    summary: str
    tag: str
    access: str
    scope: str | None = None
    description: str = ""
    query: type[Schema] | None = None
    body: type[Schema] | None = None
    body_required: bool = True
    response: type[Schema] | None = None
    status: int = 200
    errors: tuple[int, ...] = ()
    immutable: bool = False
    paginated: bool = False
    headers: dict[str, str] = field(default_factory=dict)


OPERATIONS: list[Operation] = []
_PARAM = re.compile(r"\{(\w+)\}")


def int_param(name: str) -> bool:
    return name.endswith("_id") or name == "index"


def flask_rule(path: str) -> str:
    def conv(m: re.Match[str]) -> str:
        name = m.group(1)
        return f"<coop_id:{name}>" if int_param(name) else f"<{name}>"
    return _PARAM.sub(conv, path)


def operation(path: str, method: str, summary: str, *, tag: str, access: str,
              **kwargs: Any) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        bp.add_url_rule(flask_rule(path), fn.__name__, fn, methods=[method])
        OPERATIONS.append(Operation(path, method.lower(), fn.__name__, summary, tag, access,
                                    description=inspect.cleandoc(fn.__doc__ or ""), **kwargs))
        return fn
    return register


# -- problems --------------------------------------------------------------------------------

def problem(status: int, detail: str, errors: list[dict[str, Any]] | None = None,
            title: str | None = None, headers: dict[str, str] | None = None) -> Response:
    body: dict[str, Any] = {"type": "about:blank", "title": title or TITLES.get(status, "Error"),
                            "status": status, "detail": detail}
    if errors:
        body["errors"] = errors
    response = Response(json.dumps(body), status=status, mimetype=PROBLEM_MIME)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="coop"')
    return response


def flatten(messages: Any, prefix: str = "") -> list[dict[str, Any]]:
    """marshmallow's nested message dicts as [{field: "pay_change.hourly_rate", message}]."""
    if isinstance(messages, dict):
        out = []
        for key, value in messages.items():
            name = prefix if key == "_schema" else f"{prefix}.{key}" if prefix else str(key)
            out.extend(flatten(value, name))
        return out
    if isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        return [{"field": prefix or None, "message": m} for m in messages]
    if isinstance(messages, list):
        return [e for m in messages for e in flatten(m, prefix)]
    return [{"field": prefix or None, "message": str(messages)}]


def coop_error(exc: CoopError) -> Response:
    errors = [{"field": exc.field, "message": exc.message}] if exc.field else None
    return problem(exc.http_status, exc.message, errors)


# -- input -----------------------------------------------------------------------------------

class BadRequest(InvalidInput):
    http_status = 400


class UnsupportedMediaType(InvalidInput):
    http_status = 415


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def load_body(schema: type[Schema] | Schema, required: bool = True) -> dict[str, Any]:
    """The JSON body loaded by ``schema`` (a class, or an instance a busy view keeps):
    415 if not JSON, 400 if unreadable, 422 if wrong."""
    loader = schema() if isinstance(schema, type) else schema
    raw = request.get_data(cache=True)
    if not raw.strip() and not required:
        return loader.load({})  # type: ignore[no-any-return]
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        raise UnsupportedMediaType("send the body as application/json", field="Content-Type")
    try:
        data = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"the body is not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(data, dict):
        raise InvalidInput("the body must be a JSON object")
    return loader.load(data)  # type: ignore[no-any-return]


class QueryError(ValidationError):
    """A malformed query parameter: answered 400, not 422."""


def load_query(schema: type[Schema]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for key in request.args:
        values = request.args.getlist(key)
        data[key] = values[0] if len(values) == 1 else values
    try:
        return schema().load(data)  # type: ignore[no-any-return]
    except ValidationError as exc:
        raise QueryError(exc.messages) from None


# -- who is calling --------------------------------------------------------------------------

def current_actor() -> Actor | None:
    """The token's actor, or None without a token. A bad token is refused, not ignored."""
    if "api_actor" in g:
        return g.api_actor  # type: ignore[no-any-return]
    header = request.headers.get("Authorization")
    actor = None
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise Unauthenticated("use Authorization: Bearer <token>")
        try:
            actor, row = tokens.authenticate(get_session(), value.strip(), now=request_now())
        except Unauthenticated:
            ratelimit.bad_token()  # 429 instead, once this address has sent too many
            raise
        ratelimit.token_request(row.id)
        g.api_token = row
    g.api_actor = actor
    return actor


def require_actor() -> Actor:
    actor = current_actor()
    if actor is None:
        raise Unauthenticated("this needs a token: Authorization: Bearer <token>")
    return actor


def load_coop(slug: str) -> Cooperative:
    """The co-op the URL names; read once per request (``authorize_coop`` reads it first)."""
    found: Cooperative | None = g.get("api_coop")
    if found is not None and g.get("api_coop_slug") == slug:
        return found
    if not SLUG.match(slug):
        raise NotFound(f"no co-op with slug '{slug[:64]}'", field="coop")
    found = coops.get_by_slug(get_session(), slug)
    g.api_coop, g.api_coop_slug = found, slug
    return found


@bp.before_request
def authorize_coop() -> None:
    """Before any handler: count a request without a token, and refuse a token on another
    co-op's routes.

    A token acts only in its own co-op. Refusing it here, the same 403 on every route under
    ``/coops/{slug}``, means no handler or service runs for it: nothing of that co-op is read,
    locked or written, and no answer can differ with what the co-op holds (a 409 "an
    election is already under way", a 422 naming a member). What a co-op publishes is read
    without a token."""
    ratelimit.anonymous_request()
    slug = (request.view_args or {}).get("slug")
    if slug is None:
        return
    actor = current_actor()
    if actor is None or actor.member is None:
        return
    if actor.member.coop_id != load_coop(slug).id:
        raise PermissionDenied("this token belongs to another co-op and acts only there; "
                               "read what this co-op publishes without a token")


# -- output ----------------------------------------------------------------------------------

def json_response(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, separators=(",", ":")), status=status, mimetype="application/json")


def dump(schema: type[Schema], obj: Any, status: int = 200) -> Response:
    return json_response(schema().dump(obj), status)


def page_response(item: type[Schema], page: Page[Any], each: Callable[[Any], Any] | None = None) -> Response:
    """``page`` as ``{items, next_cursor}`` with a Link to the next page; ``each`` shapes a
    row for ``item`` first, where the service's row is not the schema's object."""
    items = page.items if each is None else [each(x) for x in page.items]
    response = json_response({"items": item(many=True).dump(items), "next_cursor": page.next_cursor})
    if page.next_cursor:
        args = {**request.args.to_dict(), "cursor": page.next_cursor}
        target = url_for(request.endpoint or "", **(request.view_args or {}), **args)
        response.headers["Link"] = f'<{target}>; rel="next"'
    return response


def immutable(response: Response, etag: str, public: bool) -> Response:
    """Ledger entries and checkpoints never change: cache them for good, answer 304 to a
    client that has them."""
    response.set_etag(etag)
    scope = "public" if public else "private"
    response.headers["Cache-Control"] = f"{scope}, max-age=31536000, immutable"
    return response.make_conditional(request)
