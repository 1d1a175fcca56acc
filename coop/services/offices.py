"""Offices and terms: which offices the rules define, who holds them, and how terms end.

An office is the rule ``office.<key>`` (see ``coop.governance.offices`` for its parameters),
so offices are read from the parameters in force and changed by rule-change votes. A term is
current at ``t`` when ``started_at ≤ t < (ended_at or ends_at)``: reads never depend on a
sweep having marked expired terms, and the terms that ran out are closed (reason ``expiry``)
whenever a term of the office is started or ended.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, selectinload

from coop.errors import Conflict, InvalidInput, NotFound
from coop.governance.offices import Office, add_months, offices_from_parameters
from coop.models import Cooperative, EndReason, Rule, RuleVersion, Term
from coop.services import audit, events, rule_changes, rules
from coop.services.actor import Actor

# -- definitions -----------------------------------------------------------------------------

def defined(session: Session, coop_id: int, params: dict[str, str] | None = None) -> dict[str, Office]:
    """Every office the rules in force define, by key (one query)."""
    try:
        return offices_from_parameters(params if params is not None else rules.parameters(session, coop_id))
    except ValueError as exc:  # only reachable if a rule was written around the services
        raise InvalidInput(f"the office rules are malformed: {exc}") from None


def get_office(session: Session, coop_id: int, key: str) -> Office:
    office = defined(session, coop_id).get(key)
    if office is None:
        raise NotFound(f"no office '{key}': offices are rules named office.<key>", field="office_key")
    return office


def rule_change(office: Office, text: str, action: str = "add", title: str | None = None) -> dict[str, Any]:
    """The ``change`` for ``proposals.draft_rule_change`` that creates or amends an office:
    an office is a rule, so it is created or changed by the vote a rule change needs."""
    return {"action": action, "rule_key": office.rule_key, "title": title or office.name,
            "text": text, "parameters": office.parameters(), "entrenched": False}


def found_office(session: Session, actor: Actor, coop: Cooperative, office: Office, text: str,
                 now: dt.datetime) -> RuleVersion:
    """An office in the founding constitution: version 1 of its rule with no proposal behind
    it, like the default rules. Only the operator does this, and it is audited as such;
    every later office is made by a rule-change vote."""
    if not actor.is_operator:
        raise InvalidInput("only the operator records offices of the founding constitution; "
                           "members create offices by a rule-change proposal")
    if not (text or "").strip():
        raise InvalidInput("an office's rule needs its text", field="text")
    params = office.parameters()
    rule_changes.validate_parameters(params)
    merged = rules.parameters(session, coop.id)
    if session.scalars(select(Rule.id).where(Rule.coop_id == coop.id, Rule.key == office.rule_key)).first():
        raise Conflict(f"rule {office.rule_key} exists already", field="office_key")
    clash = sorted(set(merged) & set(params))
    if clash:
        raise InvalidInput(f"parameter(s) {', '.join(clash)} belong to another rule", field="parameters")
    rule_changes.validate_parameters({**merged, **params}, complete=True)
    rule = Rule(coop_id=coop.id, key=office.rule_key, current_version=1)
    session.add(rule)
    session.flush()
    version = RuleVersion(coop_id=coop.id, rule_id=rule.id, version=1, title=office.name,
                          text=text.strip(), parameters=params, entrenched=False,
                          created_at=now, proposal_id=None)
    session.add(version)
    audit.record(session, actor, coop.id, "office.founded_at_founding", "rule", rule.id,
                 office_key=office.key, parameters=params, now=now)
    session.flush()
    return version


# -- terms -----------------------------------------------------------------------------------

def _current(t: dt.datetime) -> Any:
    return and_(Term.started_at <= t, func.coalesce(Term.ended_at, Term.ends_at) > t)


def current_terms(session: Session, coop_id: int, as_of: dt.datetime,
                  office_key: str | None = None, member_ids: set[int] | None = None) -> list[Term]:
    """Terms current at ``as_of``, with their members (two queries)."""
    q = (select(Term).where(Term.coop_id == coop_id, _current(as_of))
         .options(selectinload(Term.member)).order_by(Term.office_key, Term.started_at, Term.id))
    if office_key is not None:
        q = q.where(Term.office_key == office_key)
    if member_ids is not None:
        q = q.where(Term.member_id.in_(member_ids))
    return list(session.scalars(q))


def history(session: Session, coop_id: int, office_key: str | None = None) -> list[Term]:
    """Every term, newest first, with its member: the public record of office holders."""
    q = (select(Term).where(Term.coop_id == coop_id).options(selectinload(Term.member))
         .order_by(Term.started_at.desc(), Term.id.desc()))
    if office_key is not None:
        q = q.where(Term.office_key == office_key)
    return list(session.scalars(q))


def get_term(session: Session, coop_id: int, term_id: int) -> Term:
    term = session.get(Term, term_id)
    if term is None or term.coop_id != coop_id:
        raise NotFound(f"no term {term_id} in this co-op", field="term_id")
    return term


@dataclass(frozen=True)
class Seats:
    """One office at a moment: its definition, its holders and its vacancies."""

    key: str
    name: str
    seats: int
    holders: list[Term]
    office: Office | None  # None: an office since abolished (its rule repealed)

    @property
    def vacancies(self) -> int:
        return max(self.seats - len(self.holders), 0)


def holders(session: Session, coop_id: int, as_of: dt.datetime) -> list[Seats]:
    """Each office in force, with the members holding it at ``as_of`` and its vacancies, plus
    any abolished office someone still held then. Three queries whatever the size."""
    offices = defined(session, coop_id)
    by_office: dict[str, list[Term]] = {}
    for t in current_terms(session, coop_id, as_of):
        by_office.setdefault(t.office_key, []).append(t)
    result = [Seats(o.key, o.name, o.seats, by_office.pop(o.key, []), o) for o in offices.values()]
    result += [Seats(k, k, len(ts), ts, None) for k, ts in sorted(by_office.items())]
    return result


def open_terms(session: Session, coop_id: int, office_key: str | None = None,
               member_id: int | None = None) -> list[Term]:
    """Terms not yet closed (some may have run out and await closing), locked for update."""
    q = select(Term).where(Term.coop_id == coop_id, Term.ended_at.is_(None))
    if office_key is not None:
        q = q.where(Term.office_key == office_key)
    if member_id is not None:
        q = q.where(Term.member_id == member_id)
    return list(session.scalars(q.order_by(Term.id).with_for_update()))


def end_term(session: Session, term: Term, now: dt.datetime, reason: EndReason,
             recall_id: int | None = None) -> Term:
    """Close a term. One that had already run out is closed as expired, at its due end."""
    if term.ended_at is not None:
        raise Conflict(f"term {term.id} already ended ({term.end_reason})", field="term_id")
    if term.ends_at <= now:
        term.ended_at, term.end_reason = term.ends_at, EndReason.EXPIRY.value
    else:
        term.ended_at, term.end_reason = now, reason.value
        term.recall_id = recall_id
    audit.record(session, Actor.operator(), term.coop_id, "office.term_ended", "term", term.id,
                 office_key=term.office_key, member_id=term.member_id, reason=term.end_reason, now=now)
    events.emit(session, term.coop_id, "office.term_ended",
                {"term_id": term.id, "office_key": term.office_key, "member_id": term.member_id,
                 "reason": term.end_reason}, now=now)
    session.flush()
    return term


def expire_due(session: Session, coop_id: int, now: dt.datetime, office_key: str | None = None) -> list[Term]:
    """Close the terms that have run out (idempotent)."""
    due = [t for t in open_terms(session, coop_id, office_key) if t.ends_at <= now]
    for t in due:
        end_term(session, t, now, EndReason.EXPIRY)
    return due


def start_term(session: Session, coop_id: int, office: Office, member_id: int, now: dt.datetime,
               election_id: int | None) -> Term:
    term = Term(coop_id=coop_id, office_key=office.key, member_id=member_id, election_id=election_id,
                started_at=now, ends_at=add_months(now, office.term_months))
    session.add(term)
    session.flush()
    audit.record(session, Actor.operator(), coop_id, "office.term_started", "term", term.id,
                 office_key=office.key, member_id=member_id, election_id=election_id,
                 ends_at=term.ends_at.isoformat(), now=now)
    events.emit(session, coop_id, "office.term_started",
                {"term_id": term.id, "office_key": office.key, "member_id": member_id}, now=now)
    return term


def _on_member_departed(session: Session, coop_id: int, event: str, payload: dict[str, Any],
                        now: dt.datetime) -> None:
    """A member who departs leaves every office they hold: the office shows the vacancy."""
    if event != "member.departed":
        return
    for term in open_terms(session, coop_id, member_id=payload["member_id"]):
        end_term(session, term, now, EndReason.DEPARTURE)


events.subscribe(_on_member_departed)
