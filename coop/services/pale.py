"""The pale in force, and checking members against it (see ``coop.governance.pale``).

The pale's machine-readable boundaries are parameters of the entrenched ``pale.*`` rules, so
changing them needs the entrenched threshold (``rules.needs_entrenched_threshold``). Their
text is the text-only part that candidates affirm when they stand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.errors import InvalidInput
from coop.governance.offices import Office
from coop.governance.pale import Breach, Candidate, Pale, check, consecutive_terms
from coop.models import Member, Qualification, Term
from coop.services import offices, rules

PREFIX = "pale."


def boundaries(params: dict[str, str]) -> Pale:
    try:
        return Pale.from_parameters(params)
    except ValueError as exc:  # only reachable if a rule was written around the services
        raise InvalidInput(f"the pale is malformed: {exc}") from None


@dataclass(frozen=True)
class Statement:
    """What a candidate affirms: the pale rules in force, their versions and their text."""

    #: e.g. ``pale.standing v1``; several rules are joined with "; ".
    version: str
    text: str


def statement(session: Session, coop_id: int) -> Statement:
    keys = rules.rule_keys(session, coop_id)
    versions = [v for v in rules.current_versions(session, coop_id)
                if keys[v.rule_id].startswith(PREFIX) and not v.repealed]
    return Statement(
        version="; ".join(f"{keys[v.rule_id]} v{v.version}" for v in versions),
        text="\n\n".join(f"{v.title}. {v.text}" for v in versions),
    )


def candidates(session: Session, coop_id: int, office: Office, member_ids: set[int],
               now: dt.datetime) -> dict[int, Candidate]:
    """What the pale looks at for each member, in five queries whatever their number."""
    if not member_ids:
        return {}
    session.flush()
    ms = session.scalars(select(Member).where(Member.coop_id == coop_id, Member.id.in_(member_ids)))
    quals: dict[int, list[tuple[str, int, bool]]] = {}
    for member_id, field, level, verified_at in session.execute(
        select(Qualification.member_id, Qualification.field, Qualification.level,
               Qualification.verified_at).where(Qualification.member_id.in_(member_ids))
    ):
        quals.setdefault(member_id, []).append((field, level, verified_at is not None))
    held: dict[int, set[str]] = {}
    for t in offices.current_terms(session, coop_id, now, member_ids=member_ids):
        held.setdefault(t.member_id, set()).add(t.office_key)
    past: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for member_id, start, ended, ends in session.execute(
        select(Term.member_id, Term.started_at, Term.ended_at, Term.ends_at).where(
            Term.coop_id == coop_id, Term.office_key == office.key,
            Term.member_id.in_(member_ids), Term.started_at <= now)
    ):
        past.setdefault(member_id, []).append((start, ended if ended is not None else ends))
    return {
        m.id: Candidate(
            member_id=m.id, status=m.status, active_since=m.active_since,
            qualifications=tuple(quals.get(m.id, ())),
            held_offices=frozenset(held.get(m.id, ())),
            consecutive_terms=consecutive_terms(past.get(m.id, []), office.term_months, now),
        )
        for m in ms
    }


def breaches(session: Session, coop_id: int, office: Office, member_ids: set[int],
             now: dt.datetime, params: dict[str, str] | None = None) -> dict[int, list[Breach]]:
    """member id → the boundaries they are outside of (empty list: within the pale)."""
    params = params if params is not None else rules.parameters(session, coop_id)
    pale = boundaries(params)
    names = {k: o.name for k, o in offices.defined(session, coop_id, params).items()}
    return {mid: check(c, office, pale, now, names)
            for mid, c in candidates(session, coop_id, office, member_ids, now).items()}
