"""An election's page: the candidates with their statements and verified qualifications,
standing (affirming the pale), nominating another member (only those within the pale are
offered; the others are listed with why), accepting or declining a nomination, the approval ballot, and the results with the
approvals per candidate, the elected, the vacancies and the lot's inputs.

The proposal page keeps what every proposal has (lifecycle, deliberation, expert opinions);
this page is the election's own. A refused action changes nothing and redirects back to it,
which shows the service's message (a candidacy outside the pale names the boundary and the
numbers) and the values sent.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for

from coop.errors import CoopError, InvalidInput
from coop.models import ProposalStatus
from coop.services import elections, members, office_pages, proposals
from webui.portal.web import (
    actor,
    bp,
    coop,
    db,
    int_field,
    me,
    member_required,
    pending_refusal,
    refused_to,
    render,
    text,
)
from webui.request_db import request_now

TEMPLATE = "portal/election.html"


def _page(election_id: int) -> Any:
    errors, form = pending_refusal()
    e = office_pages.election_page(db(), coop(), election_id, me(), now=request_now())
    return render(TEMPLATE, e=e, p=e.proposal, errors=errors, form=form)


def _refused(election_id: int, exc: CoopError, form: dict[str, Any] | None = None, anchor: str = "") -> Any:
    """Back to the election's page (post/redirect/get), with the message and what was sent."""
    return refused_to(url_for("portal.election", election_id=election_id) + anchor, exc, form)


def _back(election_id: int, anchor: str) -> Any:
    return redirect(url_for("portal.election", election_id=election_id) + anchor)


@bp.route("/elections/<coop_id:election_id>")
def election(election_id: int) -> Any:
    return _page(election_id)


@bp.route("/elections/<coop_id:election_id>/stand", methods=["POST"])
@member_required
def stand(election_id: int) -> Any:
    """Stand (or accept a nomination): ticking the box affirms the pale as the page showed it."""
    version = text("pale_version") if request.form.get("affirm") else None
    statement = request.form.get("statement", "")
    try:
        c = elections.stand(db(), actor(), coop(), election_id, version, statement, now=request_now())
    except CoopError as exc:
        return _refused(election_id, exc, {"statement": statement}, "#stand-form")
    accepted = c.nominated_by_id != c.member_id
    flash("You accepted the nomination: you are standing." if accepted else "You are standing in this election.")
    return _back(election_id, "#candidates")


@bp.route("/elections/<coop_id:election_id>/nominate", methods=["POST"])
@member_required
def nominate(election_id: int) -> Any:
    form = {"member": text("member")}
    try:
        member_id = int_field("member")
        if member_id is None:
            raise InvalidInput("choose the member to nominate", field="member")
        nominee = members.get_member(db(), coop().id, member_id)
        elections.nominate(db(), actor(), coop(), election_id, nominee, now=request_now())
    except CoopError as exc:
        return _refused(election_id, exc, form, "#nominate-form")
    flash(f"{nominee.name} is nominated. They stand once they accept.")
    return _back(election_id, "#candidates")


_STEPS = {
    "decline": (elections.decline, "You declined the nomination."),
    "withdraw": (elections.withdraw_candidacy, "You withdrew your candidacy."),
}


@bp.route("/elections/<coop_id:election_id>/<any(decline, withdraw):step>", methods=["POST"])
@member_required
def candidacy_step(election_id: int, step: str) -> Any:
    service, done = _STEPS[step]
    try:
        service(db(), actor(), coop(), election_id, now=request_now())
    except CoopError as exc:
        return _refused(election_id, exc)
    flash(done)
    return _back(election_id, "#candidates")


@bp.route("/elections/<coop_id:election_id>/ballot", methods=["POST"])
@member_required
def ballot(election_id: int) -> Any:
    """An approval ballot: the candidates ticked, or an abstention. Cast again to change it."""
    choice = text("choice") or "approve"
    raw = request.form.getlist("approve")
    form = {"approve": raw, "choice": choice}
    try:
        if any(not r.isdigit() for r in raw):
            raise InvalidInput("approvals are candidates on the ballot", field="approvals")
        approvals = [int(r) for r in raw] if choice == "approve" else None
        p = proposals.cast_ballot(db(), actor(), coop(), election_id, choice, approvals=approvals, now=request_now())
    except CoopError as exc:
        return _refused(election_id, exc, form, "#ballot")
    if p.status == ProposalStatus.CLOSED.value:
        flash("Your ballot is recorded. Everyone has voted, so the election is closed: see the results.")
        return _back(election_id, "#results")
    what = "abstention" if choice == "abstain" else f"approval of {len(approvals or [])} candidate(s)"
    flash(f"Your ballot ({what}) is recorded. You can change it until the election closes.")
    return _back(election_id, "#ballot")
