"""The portal's plumbing: the blueprint for ``/c/<slug>/…``, who is looking, and how a
handler turns a refused action into a page that says what to fix.

Handlers translate, services decide: a view reads the form, makes one service call and
renders or redirects. A ``CoopError`` from the service becomes the same form again with the
message beside the field it names, at the error's HTTP status, so the request's transaction
is rolled back (``webui.request_db`` commits only responses below 400): a refused action
changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import Any, TypeVar

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_login import current_user
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.wrappers import Response

from coop.errors import CoopError, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from coop.models import Cooperative, Member
from coop.schemas import limits
from coop.services import coops
from coop.services.actor import Actor
from webui.converters import MAX_ID
from webui.request_db import get_session

F = TypeVar("F", bound=Callable[..., Any])

bp = Blueprint("portal", __name__, url_prefix="/c/<slug>")
root = Blueprint("portal_root", __name__)


def db():  # type: ignore[no-untyped-def]
    return get_session()


@bp.url_value_preprocessor
def _pull_slug(endpoint: str | None, values: dict[str, Any] | None) -> None:
    g.coop_slug = (values or {}).pop("slug", None)


@bp.url_defaults
def _add_slug(endpoint: str, values: dict[str, Any]) -> None:
    if "slug" not in values and g.get("coop_slug"):
        values["slug"] = g.coop_slug


@bp.before_request
def _load_coop() -> None:
    g.coop = coops.get_by_slug(db(), g.coop_slug)
    # CSRF: every state-changing portal request carries the form token. The API face uses
    # bearer tokens, not cookies, so protection is switched on here rather than app-wide.
    if request.method not in ("GET", "HEAD", "OPTIONS") and current_app.config.get("WTF_CSRF_ENABLED", True):
        current_app.extensions["csrf"].protect()
    # PostgreSQL text cannot hold NUL: refused here once, as the API's ``Str`` field does,
    # rather than by every service a form reaches (the database would answer with a 500).
    for source in (request.args, request.form):
        for name, value in source.items(multi=True):
            if "\x00" in value:
                raise InvalidInput("contains a character text cannot hold (NUL)", field=name)


def coop() -> Cooperative:
    return g.coop  # type: ignore[no-any-return]


def me() -> Member | None:
    """The logged-in member, if they belong to this co-op (a session for another co-op on
    the same installation counts as a visitor here)."""
    if not current_user.is_authenticated:
        return None
    member: Member = current_user.member
    return member if member.coop_id == coop().id else None


def actor() -> Actor:
    member = me()
    if member is None:
        raise Unauthenticated("log in to do this")
    return Actor.of(member)


def member_required(fn: F) -> F:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if me() is None:
            raise Unauthenticated("log in as a member of this co-op to see this page")
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    context.setdefault("errors", {})
    context.setdefault("form", {})
    return render_template(template, **context), status


def refused(template: str, exc: CoopError, **context: Any) -> tuple[str, int]:
    """Re-render a form with the service's message beside the field it names.

    The session is rolled back first, so the page shows the state before the attempt (the
    response status rolls back the request's transaction as well)."""
    db().rollback()
    errors = dict(context.pop("errors", {}) or {})
    errors[exc.field or "_form"] = exc.message
    status = exc.http_status if exc.http_status >= 400 else 400
    return render(template, status=status, errors=errors, **context)


#: Where a refused form's message and values wait for the page it redirects to.
REFUSAL = "refused"
#: A session cookie holds about 4 KB: form values longer than this are not kept (the
#: message still is), so a long comment cannot push the session out of the cookie.
KEEP_AT_MOST = 1500


def refused_to(to: str, exc: CoopError | None = None, form: dict[str, Any] | None = None,
               errors: dict[str, str] | None = None) -> Response:
    """Post/redirect/get for a refused form: roll back, keep the message and the values the
    member sent, and redirect to the page the form lives on, which shows them once. Reloading
    that page is then a GET of a real page, never a POST-only address (a bare 405) or a
    second submission."""
    db().rollback()
    errors = dict(errors or {})
    if exc is not None:
        errors[exc.field or "_form"] = exc.message
    kept = {k: v for k, v in (form or {}).items()
            if sum(len(x) for x in (v if isinstance(v, list) else [v])) <= KEEP_AT_MOST}
    session[REFUSAL] = {"path": to.split("#", 1)[0].split("?", 1)[0], "errors": errors, "form": kept}
    return redirect(to, 303)


def pending_refusal() -> tuple[dict[str, str], dict[str, Any]]:
    """The refusal a form left for this page (shown once), as (errors, form values)."""
    stash = session.pop(REFUSAL, None) if REFUSAL in session else None
    if not stash or stash.get("path") != request.path:
        return {}, {}
    return dict(stash.get("errors") or {}), dict(stash.get("form") or {})


def to_login() -> Response:
    return redirect(url_for("portal.login", next=request.full_path.rstrip("?")))


# -- reading form input (shape only; the services decide what is acceptable) -----------------

def text(name: str, default: str = "") -> str:
    return (request.form.get(name) or default).strip()


def line(name: str, default: str = "") -> str:
    """A single-line field (a title, a name): control characters are refused, as the API's
    ``Line`` fields refuse them. A line break in a title would become a header in the mail
    that carries it."""
    value = text(name, default)
    problem = limits.line_problem(value)
    if problem:
        raise InvalidInput(problem, field=name)
    return value


def load_form(schema: type[Schema] | Schema, data: dict[str, Any],
              rename: dict[str, str] | None = None) -> dict[str, Any]:
    """``data`` loaded by one of the API's schemas, so a form takes what the API takes, with
    the same limits. The first problem becomes an ``InvalidInput`` beside its field
    (``rename`` maps a schema field to the form's name for it)."""
    loader = schema() if isinstance(schema, type) else schema
    try:
        return loader.load(data)  # type: ignore[no-any-return]
    except ValidationError as exc:
        field, message = _first_problem(exc.messages)
        field = "_form" if field == "_schema" else (rename or {}).get(field, field)
        raise InvalidInput(message, field=field) from None


def _first_problem(messages: Any, field: str | None = None) -> tuple[str, str]:
    """The outermost field name and first message of marshmallow's nested error messages
    (``{"parameters": {"x": {"value": ["…"]}}}`` is a problem with ``parameters``)."""
    if isinstance(messages, dict):
        key, inner = next(iter(messages.items()))
        return _first_problem(inner, field if field is not None else str(key))
    if isinstance(messages, list) and messages:
        return _first_problem(messages[0], field)
    return field or "_form", str(messages)


def decimal_field(name: str, what: str = "an amount such as 23.50") -> Decimal | None:
    """An optional decimal; blank means "not given"."""
    raw = text(name)
    if not raw:
        return None
    try:
        value = Decimal(raw.replace(",", ""))
    except InvalidOperation:
        raise InvalidInput(f"'{raw}' is not {what}", field=name) from None
    if not value.is_finite():
        raise InvalidInput(f"'{raw}' is not {what}", field=name)
    # The API takes at most 9 integer digits; "1e999999" would reach int() in coop.pay as a
    # number too long to convert (a 500), so a bound is needed here as well.
    if value.adjusted() > 9:
        raise InvalidInput(f"'{raw}' is too large", field=name)
    return value


def int_field(name: str, source: Any = None) -> int | None:
    raw = ((source or request.form).get(name) or "").strip()
    if not raw:
        return None
    # isascii(): str.isdigit() also accepts digits int() refuses, such as '²'.
    if not (raw.isascii() and raw.isdigit()):
        raise InvalidInput(f"'{raw}' is not a number", field=name)
    # Every number the portal reads is an id, a page or a small count: past an integer
    # column's range it could only overflow the database driver.
    if len(raw) > len(str(MAX_ID)) or int(raw) > MAX_ID:
        raise InvalidInput(f"'{raw}' is too large", field=name)
    return int(raw)


def register_error_pages(app: Any) -> None:
    """Domain errors that escape a handler become pages, not stack traces."""
    @app.errorhandler(MethodNotAllowed)
    def _method_not_allowed(exc: MethodNotAllowed) -> Response:
        """An address that only takes a form (e.g. typed in, or an old bookmark): a page that
        says so and links to the page the form lives on, not Werkzeug's bare text. The API
        answers its own 405s (``webui.api.unknown``)."""
        page = _page_of(request.path)
        response = app.make_response((render_template(
            "portal/error.html", title="This address only takes a form",
            message="It is where a form on another page is sent, so there is nothing to show here. "
                    "Go to the page the form is on and send it from there.", back=page), 405))
        if exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response

    if bp._got_registered_once:  # a second app in one process (tests): the handlers are on bp already
        return

    @bp.errorhandler(Unauthenticated)
    def _unauthenticated(exc: Unauthenticated) -> Response:
        # Said on the login page, so a visitor knows why they are there (e.g. the co-op
        # keeps its pages for members).
        flash(exc.message[:1].upper() + exc.message[1:] + ".")
        return to_login()

    @bp.errorhandler(NotFound)
    def _not_found(exc: NotFound) -> tuple[str, int]:
        return render("portal/error.html", 404, title="Not found", message=exc.message)

    @bp.errorhandler(PermissionDenied)
    def _denied(exc: PermissionDenied) -> tuple[str, int]:
        return render("portal/error.html", 403, title="Not allowed", message=exc.message)

    @bp.errorhandler(CoopError)
    def _other(exc: CoopError) -> tuple[str, int]:
        return render("portal/error.html", exc.http_status, title="That did not work",
                      message=exc.message)


def _page_of(path: str) -> str | None:
    """The nearest page above ``path`` that answers GET: where its form lives."""
    adapter = current_app.url_map.bind("localhost")
    parts = path.rstrip("/").split("/")
    while len(parts) > 1:
        parts.pop()
        candidate = "/".join(parts) or "/"
        try:
            adapter.match(candidate, method="GET")
        except HTTPException:
            continue
        return request.script_root + candidate
    return None
