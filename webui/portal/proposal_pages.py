"""A proposal's page (deliberation, voting, results) and the actions taken on it."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for

from coop.errors import CoopError, InvalidInput
from coop.models import ProposalStatus
from coop.services import dashboard, proposal_view, proposals
from webui.portal.diffs import parameter_changes, text_diff
from webui.portal.web import actor, bp, coop, db, int_field, me, member_required, render, text
from webui.request_db import request_now

TEMPLATE = "portal/proposal.html"


def _page(proposal_id: int, status: int = 200, errors: dict[str, str] | None = None,
          form: dict[str, str] | None = None) -> Any:
    v = proposal_view.view(db(), coop(), proposal_id, me(), now=request_now())
    p = v.proposal
    rule_diff = None
    if p.kind == "rule_change":
        previous = p.details.get("previous") or {}
        old_text = "" if previous.get("repealed") else previous.get("text", "")
        new_text = "" if p.details.get("action") == "repeal" else p.details.get("text", "")
        rule_diff = (text_diff(old_text, new_text),
                     parameter_changes(previous.get("parameters"), p.details.get("parameters")))
    return render(TEMPLATE, status, v=v, p=p, rule_diff=rule_diff, errors=errors or {},
                  form=form or {})


@bp.route("/proposals/<coop_id:proposal_id>")
def proposal(proposal_id: int) -> Any:
    return _page(proposal_id)


def _refused(proposal_id: int, exc: CoopError, form: dict[str, str] | None = None) -> Any:
    db().rollback()
    status = exc.http_status if exc.http_status >= 400 else 400
    return _page(proposal_id, status, {exc.field or "_form": exc.message}, form)


@bp.route("/proposals/<coop_id:proposal_id>/vote", methods=["POST"])
@member_required
def vote(proposal_id: int) -> Any:
    choice = text("choice")
    try:
        if not choice:
            raise InvalidInput("choose yes, no or abstain", field="choice")
        p = proposals.cast_ballot(db(), actor(), coop(), proposal_id, choice, now=request_now())
    except CoopError as exc:
        return _refused(proposal_id, exc)
    if p.status == ProposalStatus.CLOSED.value:
        flash(f"Your vote ({choice}) is recorded. Everyone has voted, so the vote is closed: "
              f"the proposal {p.outcome}.")
    else:
        flash(f"Your vote ({choice}) is recorded. You can change it until the vote closes.")
    return redirect(url_for("portal.proposal", proposal_id=proposal_id) + "#vote")


@bp.route("/proposals/<coop_id:proposal_id>/comment", methods=["POST"])
@member_required
def comment(proposal_id: int) -> Any:
    body = request.form.get("body", "")
    try:
        qualification = int_field("qualification_id")
        proposals.comment(db(), actor(), coop(), proposal_id, body, qualification, now=request_now())
    except CoopError as exc:
        return _refused(proposal_id, exc, {"body": body})
    flash("Your expert opinion is posted." if qualification else "Your comment is posted.")
    return redirect(url_for("portal.proposal", proposal_id=proposal_id) + "#comments")


_LIFECYCLE = {
    "deliberate": (proposals.open_deliberation, "Deliberation is open: members can now comment."),
    "open-voting": (proposals.open_voting, "Voting is open."),
    "withdraw": (proposals.withdraw, "The proposal is withdrawn."),
}


@bp.route("/proposals/<coop_id:proposal_id>/<any(deliberate, 'open-voting', withdraw):step>", methods=["POST"])
@member_required
def lifecycle(proposal_id: int, step: str) -> Any:
    service, done = _LIFECYCLE[step]
    try:
        service(db(), actor(), coop(), proposal_id, now=request_now())
    except CoopError as exc:
        return _refused(proposal_id, exc)
    flash(done)
    return redirect(url_for("portal.proposal", proposal_id=proposal_id))


@bp.route("/proposals")
@member_required
def proposal_list() -> Any:
    status = request.args.get("status") or None
    if status not in {None, *(s.value for s in ProposalStatus)}:
        status = None
    page = int_field("page", request.args) or 1
    me_ = me()
    assert me_ is not None
    items, total = dashboard.listing(db(), coop(), me_, status=status, page=page, now=request_now())
    # ``shown``, not ``status``: render() takes ``status`` as the HTTP status code.
    return render("portal/proposals.html", items=items, total=total, page=page, shown=status,
                  per_page=dashboard.PAGE, statuses=[s.value for s in ProposalStatus])


@bp.route("/dashboard", endpoint="dashboard")
@member_required
def dashboard_page() -> Any:
    me_ = me()
    assert me_ is not None
    return render("portal/dashboard.html", d=dashboard.dashboard(db(), coop(), me_, now=request_now()))

