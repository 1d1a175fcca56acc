"""Qualifications in the portal: a member records their own on their profile, and the page of
qualifications awaiting verification, where a secretary or a qualified peer verifies them.

Only a verified qualification counts towards an office's requirements. Who may verify is the
service's decision (``members.verify_qualification``); a refusal is a 403 page with its message
and, the response being an error, the request's transaction is rolled back. A refused new
qualification goes back to the profile (post/redirect/get) with the message and the values.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import flash, redirect, url_for

from coop.errors import CoopError, InvalidInput
from coop.schemas import limits
from coop.services import members, qualification_pages
from webui.portal.web import actor, bp, coop, db, int_field, me, member_required, refused_to, render, text
from webui.request_db import request_now

FIELDS = ("field", "level", "title", "issuer", "awarded_on")
#: The limits every face applies (shape, read here so an over-long value is a message, not a
#: database error).
LONGEST = {"field": limits.NAME, "title": limits.TITLE, "issuer": limits.TITLE}


def _shape(form: dict[str, str]) -> tuple[dict[str, str], int | None, dt.date | None]:
    """Every shape problem at once, so the member fixes the form in one pass; what the values
    may be (a level from 1 to 8, a date not in the future) the service decides."""
    errors = {name: f"at most {most} characters" for name, most in LONGEST.items() if len(form[name]) > most}
    errors.update({name: problem for name in LONGEST if (problem := limits.line_problem(form[name]))})
    level = awarded_on = None
    try:
        level = int_field("level")
    except InvalidInput as exc:
        errors["level"] = exc.message
    if form["awarded_on"]:
        try:
            awarded_on = dt.date.fromisoformat(form["awarded_on"])
        except ValueError:
            errors["awarded_on"] = f"'{form['awarded_on']}' is not a date; write it as YYYY-MM-DD"
    else:
        errors["awarded_on"] = "the date it was awarded, as YYYY-MM-DD"
    if level is None and "level" not in errors:
        errors["level"] = "choose an EQF level from 1 to 8"
    return errors, level, awarded_on


@bp.route("/me/qualifications", methods=["POST"])
@member_required
def add_qualification() -> Any:
    member = me()
    assert member is not None
    form = {name: text(name) for name in FIELDS}
    errors, level, awarded_on = _shape(form)
    back = url_for("portal.profile") + "#qualifications"
    if errors:
        return refused_to(back, form=form, errors=errors)
    assert level is not None and awarded_on is not None
    try:
        q = members.add_qualification(db(), actor(), coop(), member, form["field"], level, form["issuer"],
                                      awarded_on, title=form["title"], now=request_now())
    except CoopError as exc:
        return refused_to(back, exc, form)
    flash(f"Your {q.field} qualification (EQF level {q.level}) is recorded. It counts once a secretary "
          f"or a member verified in {q.field} at level {q.level} or higher has verified it.")
    return redirect(url_for("portal.profile") + "#qualifications")


@bp.route("/qualifications/pending")
@member_required
def qualifications_pending() -> Any:
    return render("portal/qualifications_pending.html",
                  page=qualification_pages.pending(db(), coop(), me()),
                  levels=qualification_pages.EQF_LEVELS)


@bp.route("/qualifications/verify", methods=["POST"])
@member_required
def verify_qualification() -> Any:
    # The id travels in the form, like the other row actions of a list page. A refusal
    # (PermissionDenied, Conflict, NotFound) becomes the error page with the service's message.
    q = qualification_pages.verify_by_id(db(), actor(), coop(), int_field("qualification_id"), now=request_now())
    flash(f"Verified: the {q.field} qualification at EQF level {q.level}. "
          "It now counts towards office requirements.")
    return redirect(url_for("portal.qualifications_pending"))
