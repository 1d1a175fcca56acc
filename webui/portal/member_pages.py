"""Pages for members: the directory, my profile (password, notification preferences), my
notifications and my API tokens."""

from __future__ import annotations

import functools
from typing import Any

from flask import flash, redirect, request, url_for

from coop.errors import CoopError, InvalidInput
from coop.models import NotificationKind
from coop.services import accounts, dashboard, notifications, qualification_pages, tokens
from coop.services.actor import SCOPES
from webui.links import local_target
from webui.portal.auth import start_session
from webui.portal.web import (
    actor,
    bp,
    coop,
    db,
    int_field,
    line,
    me,
    member_required,
    pending_refusal,
    render,
    text,
)
from webui.request_db import request_now


@bp.route("/members")
@member_required
def directory() -> Any:
    return render("portal/directory.html", people=dashboard.people(db(), coop().id))


def _profile(status: int = 200, errors: dict[str, str] | None = None,
             form: dict[str, str] | None = None) -> Any:
    member = me()
    assert member is not None
    return render("portal/profile.html", status, member=member, errors=errors or {},
                  prefs=notifications.preferences(db(), member.id),
                  kinds=notifications.KIND_LABELS, form=form or {},
                  qualifications=qualification_pages.of_member(db(), coop().id, member.id),
                  levels=qualification_pages.EQF_LEVELS)


@bp.route("/me")
@member_required
def profile() -> Any:
    errors, form = pending_refusal()  # a refused qualification form (post/redirect/get)
    return _profile(errors=errors, form=form)


@bp.route("/me/password", methods=["POST"])
@member_required
def change_password() -> Any:
    member = me()
    assert member is not None
    new = request.form.get("password", "")
    try:
        accounts.authenticate(db(), coop(), member.email, request.form.get("current_password", ""))
        if new != request.form.get("password_again", ""):
            raise InvalidInput("the two new passwords differ; type the same one twice", field="password_again")
        accounts.set_password(db(), actor(), member, new, now=request_now())
    except CoopError as exc:
        if exc.http_status == 401:
            exc = InvalidInput("that is not your current password", field="current_password")
        db().rollback()
        return _profile(exc.http_status, {exc.field or "_form": exc.message})
    # Every session and API token of the member ended with the old password; this session
    # starts again on the new one.
    start_session(member)
    flash("Your password is changed. Your other sessions are logged out and your API tokens revoked.")
    return redirect(url_for("portal.profile"))


@bp.route("/me/notifications", methods=["POST"])
@member_required
def set_preferences() -> Any:
    member = me()
    assert member is not None
    chosen = {k.value: {"portal": f"{k.value}-portal" in request.form,
                        "email": f"{k.value}-email" in request.form} for k in NotificationKind}
    try:
        notifications.set_preferences(db(), actor(), member, chosen, now=request_now())
    except CoopError as exc:
        db().rollback()
        return _profile(exc.http_status, {exc.field or "_form": exc.message})
    flash("Your notification choices are saved.")
    return redirect(url_for("portal.profile") + "#notifications")


@bp.route("/notifications")
@member_required
def notification_list() -> Any:
    member = me()
    assert member is not None
    try:
        page = notifications.page(db(), member.id, cursor=request.args.get("after") or None)
    except CoopError as exc:
        return render("portal/notifications.html", exc.http_status, items=[], next_cursor=None,
                      error=exc.message)
    return render("portal/notifications.html", items=page.items, next_cursor=page.next_cursor)


@bp.route("/notifications/read", methods=["POST"])
@member_required
def notifications_read() -> Any:
    member = me()
    assert member is not None
    which = int_field("notification_id")
    notifications.mark_read(db(), actor(), member, which, now=request_now())
    back = url_for("portal.notification_list")
    target = local_target(request.form.get("next"), back) if which is not None else back
    if target == back:
        flash("Marked as read.")
    return redirect(target)


# -- personal API tokens -------------------------------------------------------------------

def _tokens_page(status: int = 200, errors: dict[str, str] | None = None, created: str | None = None,
                 form: dict[str, Any] | None = None) -> Any:
    return render("portal/tokens.html", status, items=tokens.list_tokens(db(), actor(), coop()),
                  scopes=SCOPES, errors=errors or {}, created=created, form=form or {},
                  token_status=functools.partial(tokens.status, now=request_now()),
                  default_days=tokens.DEFAULT_EXPIRY_DAYS)


@bp.route("/me/tokens")
@member_required
def my_tokens() -> Any:
    return _tokens_page()


@bp.route("/me/tokens", methods=["POST"])
@member_required
def create_token() -> Any:
    member = me()
    assert member is not None
    form = {"name": text("name"), "scopes": request.form.getlist("scopes"),
            "expires_days": text("expires_days")}
    try:
        line("name")  # one line, as the API's token name
        days = int_field("expires_days")
        _, secret = tokens.create_token(
            db(), actor(), coop(), member, form["scopes"], name=form["name"],
            expires_days=tokens.DEFAULT_EXPIRY_DAYS if days is None else days, now=request_now())
    except CoopError as exc:
        db().rollback()
        return _tokens_page(exc.http_status, {exc.field or "_form": exc.message}, form=form)
    # Shown once, on this response only: it is never stored, and not put in a redirect URL.
    return _tokens_page(created=secret)


@bp.route("/me/tokens/<coop_id:token_id>/revoke", methods=["POST"])
@member_required
def revoke_token(token_id: int) -> Any:
    try:
        tokens.revoke(db(), actor(), coop(), token_id, now=request_now())
    except CoopError as exc:
        db().rollback()
        return _tokens_page(exc.http_status, {"_form": exc.message})
    flash("The token is revoked; requests using it are now refused.")
    return redirect(url_for("portal.my_tokens"))
