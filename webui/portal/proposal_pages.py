"""A proposal's page (deliberation, voting, results) and the actions taken on it."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for

from coop.errors import CoopError, InvalidInput
from coop.models import ProposalKind, ProposalStatus
from coop.services import dashboard, discussion, proposal_view, proposals
from webui.portal.diffs import parameter_changes, text_diff
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

TEMPLATE = "portal/proposal.html"


def _page(proposal_id: int) -> Any:
    errors, form = pending_refusal()
    v = proposal_view.view(db(), coop(), proposal_id, me(), now=request_now())
    p = v.proposal
    rule_diff = None
    if p.kind == "rule_change":
        previous = p.details.get("previous") or {}
        old_text = "" if previous.get("repealed") else previous.get("text", "")
        new_text = "" if p.details.get("action") == "repeal" else p.details.get("text", "")
        rule_diff = (text_diff(old_text, new_text),
                     parameter_changes(previous.get("parameters"), p.details.get("parameters")))
    return render(TEMPLATE, v=v, p=p, rule_diff=rule_diff, errors=errors, form=form)


@bp.route("/proposals/<coop_id:proposal_id>")
def proposal(proposal_id: int) -> Any:
    return _page(proposal_id)


def _refused(proposal_id: int, exc: CoopError, form: dict[str, str] | None = None, anchor: str = "") -> Any:
    """Back to the proposal's page (post/redirect/get), with the message and what was sent."""
    return refused_to(url_for("portal.proposal", proposal_id=proposal_id) + anchor, exc, form)


@bp.route("/proposals/<coop_id:proposal_id>/vote", methods=["POST"])
@member_required
def vote(proposal_id: int) -> Any:
    choice = text("choice")
    try:
        if not choice:
            raise InvalidInput("choose yes, no or abstain", field="choice")
        p = proposals.cast_ballot(db(), actor(), coop(), proposal_id, choice, now=request_now())
    except CoopError as exc:
        return _refused(proposal_id, exc, anchor="#vote")
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
        parent = int_field("parent_id")
        c = proposals.comment(db(), actor(), coop(), proposal_id, body, qualification, parent_id=parent,
                              now=request_now())
    except CoopError as exc:
        return _refused(proposal_id, exc, {"body": body}, "#comments")
    flash("Your expert opinion is posted." if qualification else
          "Your reply is posted." if parent else "Your comment is posted.")
    return redirect(url_for("portal.proposal", proposal_id=proposal_id) + f"#c{c.id}")


@bp.route("/proposals/<coop_id:proposal_id>/comments/<coop_id:comment_id>/react", methods=["POST"])
@member_required
def react(proposal_id: int, comment_id: int) -> Any:
    """One button per reaction: pressing the one you hold takes it back."""
    try:
        kind = text("kind")
        if not kind:  # the portal never removes by omission: pressing a held reaction does
            raise InvalidInput("choose a reaction", field="kind")
        discussion.react(db(), actor(), coop(), proposal_id, comment_id, kind, toggle=True, now=request_now())
    except CoopError as exc:
        return _refused(proposal_id, exc, anchor=f"#c{comment_id}")
    return redirect(url_for("portal.proposal", proposal_id=proposal_id) + f"#c{comment_id}")


_LIFECYCLE = {
    "deliberate": (proposals.open_deliberation, "Deliberation is open: members can now comment."),
    "open-voting": (proposals.open_voting, "Voting is open."),
    "withdraw": (proposals.withdraw, "The proposal is withdrawn."),
}
#: An election's notice period is its nomination period: said in the election's words, and
#: the author lands on the election's page, where members stand and nominate.
_ELECTION_DONE = {
    "deliberate": "Nominations are open: members can now stand and nominate.",
    "open-voting": "Voting is open: members approve candidates on the ballot below.",
    "withdraw": "The election is withdrawn.",
}


def _home(proposal_id: int, election: bool) -> str:
    return (url_for("portal.election", election_id=proposal_id) if election
            else url_for("portal.proposal", proposal_id=proposal_id))


@bp.route("/proposals/<coop_id:proposal_id>/<any(deliberate, 'open-voting', withdraw):step>", methods=["POST"])
@member_required
def lifecycle(proposal_id: int, step: str) -> Any:
    service, done = _LIFECYCLE[step]
    # Which page the form was on (the election's or the proposal's): the refusal goes back there.
    from_election = text("from") == "election"
    try:
        p = service(db(), actor(), coop(), proposal_id, now=request_now())
    except CoopError as exc:
        return refused_to(_home(proposal_id, from_election), exc)
    election = p.kind == ProposalKind.ELECTION.value
    flash(_ELECTION_DONE[step] if election else done)
    return redirect(_home(proposal_id, election))


@bp.route("/proposals")
@member_required
def proposal_list() -> Any:
    status = request.args.get("status") or None
    if status not in {None, *(s.value for s in ProposalStatus)}:
        status = None
    page = int_field("page", request.args) or 1
    me_ = me()
    assert me_ is not None
    items, total, progress = dashboard.listing(db(), coop(), me_, status=status, page=page, now=request_now())
    # ``shown``, not ``status``: render() takes ``status`` as the HTTP status code.
    return render("portal/proposals.html", items=items, total=total, page=page, shown=status, progress=progress,
                  per_page=dashboard.PAGE, statuses=[s.value for s in ProposalStatus])


@bp.route("/dashboard", endpoint="dashboard")
@member_required
def dashboard_page() -> Any:
    me_ = me()
    assert me_ is not None
    return render("portal/dashboard.html", d=dashboard.dashboard(db(), coop(), me_, now=request_now()))

