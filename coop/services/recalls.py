"""Recalls: proposals of kind ``recall`` that end an office holder's term early.

Voted like any proposal under ``voting.recall`` (default 2/3 of cast, quorum 1/2). The holder
is the proposal's subject and is recused. Members qualified for the office may attach expert
opinions. When a recall passes, the term ends on execution and the office shows the vacancy.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from coop.errors import Conflict
from coop.models import Cooperative, EndReason, Member, Proposal, ProposalKind, Term
from coop.services import offices, proposals
from coop.services.actor import Actor

KIND = ProposalKind.RECALL.value


def draft_recall(session: Session, actor: Actor, coop: Cooperative, term_id: int, title: str | None = None,
                 body: str = "", *, now: dt.datetime) -> Proposal:
    actor.require_member(coop.id, scope="propose")  # before the term is looked up
    term = offices.get_term(session, coop.id, term_id)
    if not term.current_at(now):
        raise Conflict(f"term {term.id} is not current, so there is nothing to recall", field="term_id")
    office = offices.defined(session, coop.id).get(term.office_key)
    name = office.name if office else term.office_key
    holder = session.get(Member, term.member_id)
    assert holder is not None
    details = {"term_id": term.id, "office_key": term.office_key, "office_name": name,
               # Expert opinions on the recall come from members qualified for the office.
               "expertise_fields": office.fields if office else []}
    return proposals._new(session, actor, coop, KIND, title or f"Recall {holder.name} as {name}", body,
                          details, subject=holder, now=now)


def _term(session: Session, p: Proposal) -> Term:
    term = session.get(Term, p.details["term_id"])
    assert term is not None
    return term


def _why_not(term: Term, now: dt.datetime) -> str | None:
    if term.ended_at is not None:
        return f"the term already ended ({term.end_reason}, {term.ended_at:%Y-%m-%d})"
    if term.ends_at <= now:
        return f"the term ran out on {term.ends_at:%Y-%m-%d}"
    return None


def _open(session: Session, p: Proposal, now: dt.datetime) -> None:
    why = _why_not(_term(session, p), now)
    if why:
        raise Conflict(f"{why}; there is nothing left to recall: withdraw this proposal", field="status")


def _recuse_holder(session: Session, p: Proposal, voters: set[int]) -> set[int]:
    """The office holder does not vote on their own recall."""
    return voters - {p.subject_member_id}


def _check(session: Session, p: Proposal, now: dt.datetime) -> str | None:
    return _why_not(_term(session, p), now)


def _apply(session: Session, p: Proposal, now: dt.datetime) -> None:
    # The term ends at the close (the deadline), however late the close was processed.
    offices.end_term(session, _term(session, p), p.closed_at or now, EndReason.RECALL, recall_id=p.id)


proposals.openers[KIND] = _open
proposals.electorate_filters[KIND] = _recuse_holder
proposals.executors[KIND] = proposals.Execution(_check, _apply)
