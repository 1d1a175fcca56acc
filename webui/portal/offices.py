"""The offices page (holders, requirements, term ends, past holders, the pale) and calling an
election for an office; and the qualification a pay supplement cites, for the pages that list
supplements."""

from __future__ import annotations

from typing import Any

from flask import flash, g, redirect, request, url_for

from coop.errors import CoopError
from coop.models import Qualification
from coop.services import elections, office_pages, recalls
from webui.portal.web import actor, bp, coop, db, int_field, me, member_required, pending_refusal, refused_to, render
from webui.request_db import request_now

TEMPLATE = "portal/offices.html"


def _page(status: int = 200, errors: dict[str, str] | None = None, form: dict[str, str] | None = None) -> Any:
    if errors is None:
        errors, form = pending_refusal()
    return render(TEMPLATE, status, page=office_pages.offices_page(db(), coop(), me(), now=request_now()),
                  errors=errors or {}, form=form or {})


@bp.route("/offices")
def offices_index() -> Any:
    return _page()


@bp.route("/offices/<key>/election", methods=["POST"])
@member_required
def call_election(key: str) -> Any:
    """Draft an election (all seats, or fewer for a by-election) and land on its page, where
    its author opens nominations (the notice period of any proposal)."""
    try:
        seats = int_field(f"{key}-seats")
        p = elections.draft_election(db(), actor(), coop(), key, seats=seats, now=request_now())
    except CoopError as exc:
        db().rollback()
        status = exc.http_status if exc.http_status >= 400 else 400
        field = f"{key}-{exc.field}" if exc.field == "seats" else exc.field or "_form"
        return _page(status, {field: exc.message})
    # The election's page is where members stand and nominate, and where its author opens
    # nominations: the button there says "Open nominations", as this message does.
    flash(f"The election is drafted. Press \"Open nominations\" when you are ready: members can "
          f"then stand for {p.details['office_name']}.")
    return redirect(url_for("portal.election", election_id=p.id))


@bp.route("/offices/terms/<coop_id:term_id>/recall", methods=["POST"])
@member_required
def start_recall(term_id: int) -> Any:
    """Draft a recall of a current office holder's term; like any proposal, its author opens
    deliberation from its page, and the members vote (the holder is recused)."""
    try:
        p = recalls.draft_recall(db(), actor(), coop(), term_id, body=request.form.get("body", ""),
                                 now=request_now())
    except CoopError as exc:
        return refused_to(url_for("portal.offices_index"), exc)
    flash(f"The recall is drafted (proposal #{p.id}). Open deliberation when you are ready to put it to "
          "the members; the office holder does not vote on it.")
    return redirect(url_for("portal.proposal", proposal_id=p.id))


@bp.app_template_global()
def cited_qualification(qualification_id: Any) -> Qualification | None:
    """The qualification a pay supplement cites. The co-op's qualifications are read once per
    request (one query), however many supplements a page lists."""
    if not qualification_id or g.get("coop") is None:
        return None
    if "cited_qualifications" not in g:
        g.cited_qualifications = office_pages.cited_qualifications(db(), g.coop.id)
    try:
        return g.cited_qualifications.get(int(qualification_id))  # type: ignore[no-any-return]
    except (TypeError, ValueError):
        return None
