"""The secretary's pages: admitting and inviting members, importing members and founding
salaries from CSV, membership changes, and the co-op's settings (admins)."""

from __future__ import annotations

from functools import wraps
from typing import Any

from flask import flash, redirect, request, url_for

from coop.errors import CoopError
from coop.models import MemberStatus, Role
from coop.services import accounts, coops, dashboard, member_import, members, membership
from coop.services.members import ImportRejected
from webui.links import external_url
from webui.portal.web import actor, bp, coop, db, member_required, refused, render, text
from webui.request_db import request_now


def secretary_required(fn: Any) -> Any:
    @wraps(fn)
    @member_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        actor().require_secretary(coop().id)  # PermissionDenied → the 403 page
        return fn(*args, **kwargs)

    return wrapper


def _members_page(status: int = 200, errors: dict[str, str] | None = None,
                  link: tuple[str, str] | None = None) -> Any:
    return render("portal/admin_members.html", status, people=dashboard.people(db(), coop().id),
                  verbs=membership.VERBS, errors=errors or {}, link=link)


@bp.route("/admin/members")
@secretary_required
def admin_members() -> Any:
    return _members_page()


@bp.route("/admin/members/<coop_id:member_id>/<any(admit, suspend, reinstate, depart):verb>", methods=["POST"])
@secretary_required
def member_status(member_id: int, verb: str) -> Any:
    try:
        member = members.get_member(db(), coop().id, member_id)
        membership.apply_verb(db(), actor(), coop(), member, verb, now=request_now())
    except CoopError as exc:
        db().rollback()
        return _members_page(exc.http_status, {"_form": exc.message})
    flash(f"{member.name} is now {member.status}.")
    return redirect(url_for("portal.admin_members"))


def _invitation_for(member: Any) -> tuple[str, str]:
    """A one-time invitation link, shown to the secretary to pass on: only for a member who
    has never set a password (the service refuses it for anyone else)."""
    token = accounts.create_invitation(db(), actor(), coop(), member, now=request_now())
    return "invitation", external_url("portal.accept", token=token)


@bp.route("/admin/members/<coop_id:member_id>/link", methods=["POST"])
@secretary_required
def member_link(member_id: int) -> Any:
    """An invitation link for a member without a password; for one with a password, a reset
    link sent to their own email (never shown here: it would let the secretary log in as them)."""
    try:
        member = members.get_member(db(), coop().id, member_id)
        if member.password_hash is None:
            kind, url = _invitation_for(member)
        else:
            # A portal path: the outbox's sender puts the site's configured address before it.
            accounts.mail_reset(db(), actor(), coop(), member, lambda token: url_for("portal.reset", token=token),
                                now=request_now())
    except CoopError as exc:
        db().rollback()
        return _members_page(exc.http_status, {"_form": exc.message})
    if member.password_hash is not None:
        flash(f"A password reset link was sent to their email ({member.email}). It works once, for 24 hours.")
        return redirect(url_for("portal.admin_members"))
    # Shown on this response only; the token itself is never stored.
    return _members_page(link=(f"One-time {kind} link for {member.name} (send it to them)", url))


@bp.route("/admin/members/new", methods=["GET", "POST"])
@secretary_required
def admit() -> Any:
    template = "portal/admin_new_member.html"
    # Only the roles this secretary may give (the admin role is an admin's to give).
    context = {"role_options": [(r.value, r.value) for r in Role if members.may_grant(actor(), r.value)],
               "statuses": [MemberStatus.ACTIVE.value, MemberStatus.APPLICANT.value]}
    if request.method == "GET":
        return render(template, form={"role": "member", "status": "active"}, errors={}, link=None, **context)
    form = request.form.to_dict()
    try:
        member = members.add_member(db(), actor(), coop(), text("name"), text("email"),
                                    role=text("role", "member"), status=text("status", "active"), now=request_now())
        kind, url = _invitation_for(member)
    except CoopError as exc:
        return refused(template, exc, form=form, link=None, **context)
    return render(template, form={"role": "member", "status": "active"}, errors={},
                  link=(f"{member.name} is added as {member.status}. Their one-time {kind} link", url),
                  **context)


@bp.route("/admin/import", methods=["GET", "POST"])
@secretary_required
def import_csv() -> Any:
    template = "portal/admin_import.html"
    if request.method == "GET":
        return render(template, form={}, errors={}, result=None)
    upload = request.files.get("file")
    csv_text = upload.read().decode("utf-8-sig", errors="replace") if upload and upload.filename \
        else request.form.get("csv", "")
    form = {"csv": csv_text}
    confirm = request.form.get("step") == "import"
    try:
        result = member_import.import_csv(db(), actor(), coop(), csv_text, dry_run=not confirm, now=request_now())
    except ImportRejected as exc:
        db().rollback()
        result = member_import.ImportResult([], errors=exc.errors)
        return render(template, 422, form=form, errors={"csv": exc.message}, result=result)
    except CoopError as exc:
        return refused(template, exc, form=form, result=None)
    if not result.ok:
        # A preview with errors: shown at 422, so nothing about this request is committed.
        return render(template, 422, form=form, errors={"csv": f"{len(result.errors)} error(s): "
                                                         "fix them and preview again"}, result=result)
    if confirm:
        flash(f"Imported {result.members} member(s) and {result.paid} founding pay record(s).")
        return redirect(url_for("portal.admin_members"))
    return render(template, form=form, errors={}, result=result)


@bp.route("/admin/settings", methods=["GET", "POST"])
@member_required
def settings() -> Any:
    template = "portal/admin_settings.html"
    actor().require_admin(coop().id)
    if request.method == "GET":
        return render(template, form={"name": coop().name, "public_pages": coop().public_pages}, errors={})
    form = {"name": text("name"), "public_pages": "public_pages" in request.form}
    try:
        coops.update_settings(db(), actor(), coop(), name=form["name"], public_pages=form["public_pages"],
                              now=request_now())
    except CoopError as exc:
        return refused(template, exc, form=form)
    flash("Settings saved.")
    return redirect(url_for("portal.settings"))
