"""Elections: proposals of kind ``election`` for one office (DESIGN.md, "Election").

Drafted by any member; the notice period is the nomination period (``voting.election
.nomination_days``). Members stand themselves, or nominate another member who accepts or
declines; standing means affirming the pale's text, and the candidacy is refused when filed
if the member is outside the pale's machine-checkable boundaries. When voting opens the pale
is checked again and anyone who has fallen outside it is dropped, with the reason. Ballots
are approval ballots. At close, ``coop.governance.elections.decide_election`` decides with the
ledger root as the lot's seed, and the decision record carries every input. The elected
members' terms start when the decision is executed.

A *regular* election fills all of an office's seats: its terms replace every current term
of the office. A *by-election* (fewer seats) fills vacancies and replaces nobody.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from coop.errors import Conflict, InvalidInput, NotFound, PolicyViolation
from coop.governance import ApprovalTally, decide_election, parse_quorum, parse_threshold
from coop.governance.offices import Office
from coop.models import (
    Ballot,
    Candidacy,
    CandidacyStatus,
    Choice,
    Cooperative,
    EndReason,
    Member,
    Outcome,
    Proposal,
    ProposalKind,
    ProposalStatus,
    Rule,
)
from coop.schemas import limits
from coop.services import audit, ledger, offices, pale, proposals
from coop.services.actor import Actor

KIND = ProposalKind.ELECTION.value
CS = CandidacyStatus
UNDER_WAY = (ProposalStatus.DRAFT.value, ProposalStatus.DELIBERATION.value, ProposalStatus.VOTING.value)


def draft_election(session: Session, actor: Actor, coop: Cooperative, office_key: str,
                   seats: int | None = None, title: str | None = None, body: str = "", *, now: dt.datetime) -> Proposal:
    """An election for ``seats`` seats of an office (default: all of them, a regular election)."""
    # Who may call one is settled first: the lock and the "already under way" below are for
    # the co-op's own members.
    actor.require_member(coop.id, scope="propose")
    office = offices.get_office(session, coop.id, office_key)
    seats = office.seats if seats is None else seats
    if isinstance(seats, bool) or not isinstance(seats, int) or not 1 <= seats <= office.seats:
        raise InvalidInput(f"{office.name} has {office.seats} seat(s): an election fills at least 1 "
                           f"and at most {office.seats}", field="seats")
    # One election per office at a time. Drafts for the same office queue on the office's rule
    # row (a row lock on PostgreSQL; SQLite serialises whole write transactions), so the check
    # below sees any draft that committed while this one waited.
    session.execute(select(Rule.id).where(Rule.coop_id == coop.id, Rule.key == office.rule_key)
                    .with_for_update())
    running = [p.id for p in session.scalars(select(Proposal).where(
        Proposal.coop_id == coop.id, Proposal.kind == KIND, Proposal.status.in_(UNDER_WAY)))
        if p.details.get("office_key") == office.key]
    if running:
        raise Conflict(f"an election for {office.name} is already under way (proposal {running[0]})",
                       field="office_key")
    regular = seats == office.seats
    details = {"office_key": office.key, "office_name": office.name, "seats": seats, "regular": regular,
               "term_months": office.term_months, "requires": [str(r) for r in office.requires],
               # Expert opinions on the election come from members qualified for the office.
               "expertise_fields": office.fields}
    default = f"{'Election' if regular else 'By-election'}: {office.name}"
    return proposals._new(session, actor, coop, KIND, title or default, body, details, now=now)


def get_election(session: Session, coop: Cooperative, election_id: int, *, lock: bool = False,
                 now: dt.datetime) -> Proposal:
    p = proposals.get(session, coop, election_id, lock=lock, now=now)
    if p.kind != KIND:
        raise NotFound(f"proposal {election_id} is not an election", field="election")
    return p


def candidacies(session: Session, election_id: int) -> list[Candidacy]:
    """The election's candidacies with their members (two queries)."""
    return list(session.scalars(select(Candidacy).where(Candidacy.proposal_id == election_id)
                                .options(selectinload(Candidacy.member)).order_by(Candidacy.id)))


def _candidacy(session: Session, election_id: int, member_id: int, lock: bool = True) -> Candidacy | None:
    q = select(Candidacy).where(Candidacy.proposal_id == election_id, Candidacy.member_id == member_id)
    return session.scalars(q.with_for_update() if lock else q).one_or_none()


def _office(session: Session, p: Proposal) -> Office:
    office = offices.defined(session, p.coop_id).get(p.details["office_key"])
    if office is None:
        raise Conflict(f"the office {p.details['office_name']} no longer exists (its rule was repealed)")
    return office


def _nominations_open(p: Proposal, now: dt.datetime) -> None:
    if p.status not in (ProposalStatus.DRAFT.value, ProposalStatus.DELIBERATION.value):
        raise Conflict(f"nominations are closed: the election is {p.status}", field="status")
    if p.deliberation_ends_at is not None and now >= p.deliberation_ends_at:
        raise Conflict(f"nominations closed at {p.deliberation_ends_at:%Y-%m-%d %H:%M} UTC", field="status")


def _outside(session: Session, p: Proposal, office: Office, ids: set[int], now: dt.datetime) -> dict[int, list[str]]:
    """member id → why they may not stand now: the pale, and for a by-election, already
    holding one of the office's seats."""
    found = {mid: [str(b) for b in bs] for mid, bs in pale.breaches(session, p.coop_id, office, ids, now).items()}
    if not p.details["regular"]:
        for t in offices.current_terms(session, p.coop_id, now, office_key=office.key, member_ids=ids):
            found.setdefault(t.member_id, []).append(
                f"by-election: holds {office.name} already; a by-election fills vacant seats")
    return found


def _refuse_outside(session: Session, p: Proposal, office: Office, member: Member, now: dt.datetime) -> None:
    reasons = _outside(session, p, office, {member.id}, now).get(member.id)
    if reasons:
        raise PolicyViolation(f"{member.name} is outside the pale for {office.name}: " + "; ".join(reasons),
                              field="member")


def eligibility(session: Session, coop: Cooperative, election_id: int, member: Member,
                now: dt.datetime) -> list[str]:
    """Why ``member`` may not stand in this election now (empty: they may), for a
    candidate to see before filing."""
    p = get_election(session, coop, election_id, now=now)
    return _outside(session, p, _office(session, p), {member.id}, now).get(member.id, [])


def eligible_to_stand(session: Session, coop: Cooperative, election_id: int, member_ids: set[int],
                      now: dt.datetime) -> dict[int, list[str]]:
    """member id → why they may not stand (or be nominated) now, for every member asked
    about (empty list: they may), in a constant number of queries: the nominate form offers
    only those who may, and says why the others may not."""
    p = get_election(session, coop, election_id, now=now)
    found = _outside(session, p, _office(session, p), member_ids, now) if member_ids else {}
    return {mid: found.get(mid, []) for mid in member_ids}


def _statement(text: str | None) -> str | None:
    text = (text or "").strip()
    if len(text) > limits.STATEMENT:
        raise InvalidInput(f"a statement is at most {limits.STATEMENT} characters; this one has {len(text)}",
                           field="statement")
    return text or None


def _affirm(session: Session, p: Proposal, affirmed_pale_version: str | None) -> pale.Statement:
    stmt = pale.statement(session, p.coop_id)
    if not affirmed_pale_version:
        # The pale's text is on the page beside the box; repeating it here only buried the fix.
        raise InvalidInput(f"tick the box to affirm the pale ({stmt.version}): standing means affirming it",
                           field="affirmed_pale_version")
    if affirmed_pale_version != stmt.version:
        raise Conflict(f"the pale has changed since you read it: it is now {stmt.version}; read it "
                       "again and affirm that version", field="affirmed_pale_version")
    return stmt


def stand(session: Session, actor: Actor, coop: Cooperative, election_id: int,
          affirmed_pale_version: str | None, statement: str | None = None, *, now: dt.datetime) -> Candidacy:
    """The acting member stands: a self-nomination, the acceptance of a nomination, or standing
    again after declining or withdrawing. They affirm the pale's text as it now reads, and may
    write a short statement to the voters."""
    member = actor.require_member(coop.id, scope="propose")
    p = get_election(session, coop, election_id, lock=True, now=now)
    _nominations_open(p, now)
    c = _candidacy(session, p.id, member.id)
    if c is not None and c.status == CS.STANDING.value:
        raise Conflict("you are standing in this election already", field="status")
    office = _office(session, p)
    _refuse_outside(session, p, office, member, now)
    stmt = _affirm(session, p, affirmed_pale_version)
    pitch = _statement(statement)
    if c is None:
        c = Candidacy(proposal_id=p.id, member_id=member.id, nominated_by_id=member.id, nominated_at=now)
        session.add(c)
    c.status, c.decided_at = CS.STANDING.value, now
    c.affirmed_pale_version, c.affirmed_pale_text = stmt.version, stmt.text
    c.statement = pitch
    session.flush()
    audit.record(session, actor, coop.id, "candidacy.standing", "candidacy", c.id, proposal_id=p.id,
                 member_id=member.id, affirmed_pale_version=stmt.version, now=now)
    return c


def accept_nomination(session: Session, actor: Actor, coop: Cooperative, election_id: int,
                      affirmed_pale_version: str | None, statement: str | None = None, *,
                      now: dt.datetime) -> Candidacy:
    """``stand``, for a member who holds a nomination by another: refused if they hold none, so
    an integration that meant to accept does not silently self-nominate."""
    member = actor.require_member(coop.id, scope="propose")
    p = get_election(session, coop, election_id, lock=True, now=now)
    c = _candidacy(session, p.id, member.id)
    if c is None or c.status != CS.NOMINATED.value:
        raise Conflict("you have no nomination to accept in this election"
                       + (f" (your candidacy is {c.status})" if c else "; to put yourself forward, "
                          "POST …/candidacies"), field="status")
    return stand(session, actor, coop, election_id, affirmed_pale_version, statement, now=now)


def nominate(session: Session, actor: Actor, coop: Cooperative, election_id: int, nominee: Member,
             now: dt.datetime) -> Candidacy:
    """Nominate another member; they stand once they accept (``stand``) or decline."""
    by = actor.require_member(coop.id, scope="propose")
    if nominee.coop_id != coop.id:
        raise NotFound("no such member in this co-op", field="member")
    if nominee.id == by.id:
        raise InvalidInput("to put yourself forward, stand (and affirm the pale)", field="member")
    p = get_election(session, coop, election_id, lock=True, now=now)
    _nominations_open(p, now)
    c = _candidacy(session, p.id, nominee.id)
    if c is not None:
        raise Conflict(f"{nominee.name} is {c.status} in this election already", field="member")
    office = _office(session, p)
    _refuse_outside(session, p, office, nominee, now)
    c = Candidacy(proposal_id=p.id, member_id=nominee.id, nominated_by_id=by.id,
                  status=CS.NOMINATED.value, nominated_at=now)
    session.add(c)
    session.flush()
    audit.record(session, actor, coop.id, "candidacy.nominated", "candidacy", c.id, proposal_id=p.id,
                 member_id=nominee.id, now=now)
    return c


def _own(session: Session, actor: Actor, coop: Cooperative, election_id: int, now: dt.datetime,
         allowed: tuple[str, ...], doing: str) -> tuple[Proposal, Candidacy]:
    member = actor.require_member(coop.id, scope="propose")
    p = get_election(session, coop, election_id, lock=True, now=now)
    c = _candidacy(session, p.id, member.id)
    if c is None:
        raise NotFound("you have no candidacy in this election", field="election")
    if c.status not in allowed:
        raise Conflict(f"cannot {doing}: your candidacy is {c.status}", field="status")
    return p, c


def decline(session: Session, actor: Actor, coop: Cooperative, election_id: int,
            now: dt.datetime) -> Candidacy:
    p, c = _own(session, actor, coop, election_id, now, (CS.NOMINATED.value,), "decline")
    c.status, c.decided_at = CS.DECLINED.value, now
    audit.record(session, actor, coop.id, "candidacy.declined", "candidacy", c.id, proposal_id=p.id, now=now)
    session.flush()
    return c


def withdraw_candidacy(session: Session, actor: Actor, coop: Cooperative, election_id: int,
                       now: dt.datetime) -> Candidacy:
    """Until voting opens: the ballot lists the candidates fixed then."""
    p, c = _own(session, actor, coop, election_id, now, (CS.NOMINATED.value, CS.STANDING.value), "withdraw")
    if p.status not in (ProposalStatus.DRAFT.value, ProposalStatus.DELIBERATION.value):
        raise Conflict(f"voting has opened; candidacies are fixed (the election is {p.status})", field="status")
    c.status, c.decided_at = CS.WITHDRAWN.value, now
    audit.record(session, actor, coop.id, "candidacy.withdrawn", "candidacy", c.id, proposal_id=p.id, now=now)
    session.flush()
    return c


# -- hooks into the proposal lifecycle ---------------------------------------------------------

def _open(session: Session, p: Proposal, now: dt.datetime) -> None:
    """Voting opens: check the pale again, drop who has fallen outside it, fix the ballot."""
    office = _office(session, p)
    standing = list(session.scalars(select(Candidacy).where(
        Candidacy.proposal_id == p.id, Candidacy.status == CS.STANDING.value).with_for_update()))
    outside = _outside(session, p, office, {c.member_id for c in standing}, now)
    remaining = sorted(c.member_id for c in standing if not outside.get(c.member_id))
    if not remaining:
        why = "; ".join(f"member {mid}: {', '.join(r)}" for mid, r in sorted(outside.items()) if r)
        raise Conflict("no candidate stands within the pale, so voting cannot open" + (f" ({why})" if why else "")
                       + "; withdraw this election and call another", field="status")
    for c in standing:
        if outside.get(c.member_id):
            c.status, c.decided_at = CS.DROPPED.value, now
            c.dropped_reason = "; ".join(outside[c.member_id])
            audit.record(session, Actor.operator(), p.coop_id, "candidacy.dropped", "candidacy", c.id,
                         proposal_id=p.id, member_id=c.member_id, reason=c.dropped_reason, now=now)
    p.details = {**p.details, "candidates": remaining}


def _check_ballot(session: Session, p: Proposal, approvals: list[int] | None) -> list[int]:
    if not isinstance(approvals, list) or not approvals:
        raise InvalidInput("approve at least one candidate, or abstain", field="approvals")
    if any(isinstance(a, bool) or not isinstance(a, int) for a in approvals):
        raise InvalidInput("approvals are the member ids of candidates", field="approvals")
    if len(set(approvals)) != len(approvals):
        raise InvalidInput("approve each candidate at most once", field="approvals")
    unknown = sorted(set(approvals) - set(p.details.get("candidates", [])))
    if unknown:
        raise InvalidInput(f"not standing in this election: member(s) {', '.join(map(str, unknown))}",
                           field="approvals")
    return sorted(approvals)


def _close(session: Session, p: Proposal, now: dt.datetime) -> dict[str, Any]:
    candidates = p.details.get("candidates", [])
    people = {m.id: m for m in session.scalars(select(Member).where(Member.id.in_(candidates)))}
    # A candidate who left or was suspended during the vote cannot take office.
    gone = sorted(m for m in candidates if not people[m].is_active)
    counts = {m: 0 for m in candidates if m not in gone}
    cast = abstained = 0
    for choice, approvals in session.execute(
            select(Ballot.choice, Ballot.approvals).where(Ballot.proposal_id == p.id)):
        if choice == Choice.APPROVE.value and approvals:
            cast += 1
            for m in approvals:
                if m in counts:
                    counts[m] += 1
        else:
            abstained += 1
    root = ledger.lock_head(session, p.coop_id).root  # held until our decision record is appended
    r = decide_election(ApprovalTally(cast, abstained, counts), p.electorate_size or 0, p.details["seats"],
                        parse_threshold(p.threshold or ""), parse_quorum(p.quorum or "1"), root)
    p.yes_count, p.no_count, p.abstain_count = cast, 0, abstained
    p.outcome = Outcome.PASSED.value if r.elected else Outcome.FAILED.value
    p.failed_test = r.reason.value if r.reason else None
    p.outcome_reason = r.explanation + "".join(
        f"; member {m} ({people[m].name}) is {people[m].status} and could not be elected" for m in gone)
    record = {
        "office_key": p.details["office_key"], "seats": p.details["seats"],
        "ballots_cast": cast, "abstentions": abstained,
        "candidates": [{"member_id": m, "name": people[m].name, "approvals": counts.get(m, 0)}
                       for m in candidates],
        "not_eligible": gone, "qualified": r.qualified, "elected": r.elected,
        "vacant_seats": r.vacant_seats, "ledger_root": root.hex(), "lot": r.lot_inputs,
    }
    p.details = {**p.details, "result": record}
    return {"election": record}


def _check_execution(session: Session, p: Proposal, now: dt.datetime) -> str | None:
    office = offices.defined(session, p.coop_id).get(p.details["office_key"])
    if office is None:
        return f"the office {p.details['office_name']} was abolished while the election ran"
    elected = p.details["result"]["elected"]
    if p.details["regular"]:
        free = office.seats
    else:
        free = office.seats - len(offices.current_terms(session, p.coop_id, now, office_key=office.key))
    if len(elected) > free:
        return f"{office.name} has {free} seat(s) to fill now; the election elected {len(elected)}"
    return None


def _apply(session: Session, p: Proposal, now: dt.datetime) -> None:
    now = p.closed_at or now  # terms change at the close (the deadline), however late it ran
    office = _office(session, p)
    for t in offices.open_terms(session, p.coop_id, office.key):
        if p.details["regular"] or t.ends_at <= now:
            offices.end_term(session, t, now, EndReason.SUCCEEDED)
    for member_id in p.details["result"]["elected"]:
        offices.start_term(session, p.coop_id, office, member_id, now, p.id)


proposals.openers[KIND] = _open
proposals.ballot_checkers[KIND] = _check_ballot
proposals.closers[KIND] = _close
proposals.executors[KIND] = proposals.Execution(_check_execution, _apply)
