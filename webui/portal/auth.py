"""Logging in and out, accepting an invitation, resetting a forgotten password.

Sessions are Flask-Login's; passwords and one-time tokens are the accounts service's
(argon2, single-use digests). The session cookie is signed, not stored, so it names a
fingerprint of the member's session generation and password hash, checked on every request:
logging out and changing or resetting a password raise the generation on the server
(``accounts.end_sessions``), and every cookie signed before, copies included, stops working.
Logging in starts a new session (cleared, with a new CSRF token), so nothing a visitor's
session held before — one planted by someone else included — carries over.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from flask import current_app, flash, g, redirect, request, session, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from werkzeug.wrappers import Response

from coop.errors import CoopError, InvalidInput
from coop.models import Member
from coop.services import accounts, outbox
from webui import limiter
from webui.links import external_url, local_target
from webui.portal.web import bp, coop, db, me, refused, render, text
from webui.request_db import request_now


class PortalUser(UserMixin):
    def __init__(self, member: Member):
        self.member = member

    def get_id(self) -> str:
        return f"{self.member.id}:{fingerprint(self.member)}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.member.is_active


def fingerprint(member: Member) -> str:
    key = str(current_app.config["SECRET_KEY"]).encode()
    state = f"{member.session_generation}:{member.password_hash or ''}"
    return hmac.new(key, state.encode(), hashlib.sha256).hexdigest()[:20]


def start_session(member: Member) -> None:
    """Log ``member`` in on a fresh session: the old one's contents (and its CSRF token) are
    dropped first, so the signed cookie and the form token both change at login."""
    session.clear()
    g.pop("csrf_token", None)  # Flask-WTF caches the request's token here
    login_user(PortalUser(member))


def init_login(app: Any) -> None:
    manager = LoginManager(app)

    @manager.user_loader
    def _load(user_id: str) -> PortalUser | None:
        member_id, _, print_ = user_id.partition(":")
        if not member_id.isdigit():
            return None
        member = db().get(Member, int(member_id))
        if member is None or not member.is_active or not hmac.compare_digest(print_, fingerprint(member)):
            return None
        return PortalUser(member)

    @manager.unauthorized_handler
    def _unauthorized() -> Response:
        return redirect(url_for("portal_root.index"))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return render("portal/login.html", form={"next": request.args.get("next", "")})
    form = {"email": text("email"), "next": request.form.get("next", "")}
    try:
        with limiter.password_attempt(coop(), form["email"]):  # 429 while locked out
            member = accounts.authenticate(db(), coop(), form["email"], request.form.get("password", ""))
    except CoopError as exc:
        # One message under the form for every failure, so it names no field to probe.
        exc.field = "_form"
        return refused("portal/login.html", exc, form=form)
    start_session(member)
    flash(f"Welcome, {member.name}.")
    return redirect(local_target(form["next"], url_for("portal.dashboard")))


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    if current_user.is_authenticated:
        # Server-side: a copy of this cookie (or the member's cookie elsewhere) is worthless now.
        accounts.end_sessions(db(), current_user.member)
    logout_user()
    session.clear()
    flash("You are logged out.")
    return redirect(url_for("portal.home"))


def _set_password_page(token: str, purpose: str) -> Any:
    template = "portal/set_password.html"
    if request.method == "GET":
        return render(template, token=token, purpose=purpose, form={})
    password = request.form.get("password", "")
    try:
        if password != request.form.get("password_again", ""):
            raise InvalidInput("the two passwords differ; type the same password twice",
                               field="password_again")
        member = accounts.redeem(db(), coop(), token, password, now=request_now())
    except CoopError as exc:
        if exc.field == "token":
            exc.field = "_form"  # the token is in the link, not a field the reader can fix
        return refused(template, exc, token=token, purpose=purpose, form={})
    if member.is_active:
        start_session(member)
        flash("Your password is set and you are logged in.")
        return redirect(url_for("portal.dashboard"))
    flash("Your password is set. You can log in once the secretary has admitted you.")
    return redirect(url_for("portal.login"))


@bp.route("/accept/<token>", methods=["GET", "POST"])
def accept(token: str) -> Any:
    return _set_password_page(token, "invite")


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset(token: str) -> Any:
    return _set_password_page(token, "reset")


@bp.route("/forgot", methods=["GET", "POST"])
def forgot() -> Any:
    if request.method == "GET":
        return render("portal/forgot.html", form={}, sent=False)
    email = text("email")
    if "@" not in email:
        return refused("portal/forgot.html", InvalidInput("type the email address you log in with",
                                                          field="email"), form={"email": email}, sent=False)
    try:
        limiter.reset_requested(coop(), email)  # counted whether or not the email is a member's
    except CoopError as exc:
        return refused("portal/forgot.html", exc, form={"email": email}, sent=False)
    outbox.request_password_reset(
        db(), coop(), email, lambda token: external_url("portal.reset", token=token), now=request_now())
    # The same answer whether or not the address is a member's: the form reveals nobody.
    return render("portal/forgot.html", form={"email": email}, sent=True)


def logged_in() -> bool:
    return me() is not None
