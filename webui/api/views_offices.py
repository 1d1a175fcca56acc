"""Offices and terms, elections (candidacies, approval ballots, outcomes with the lot's
inputs), recalls, learning records and the education report.

Each view: load input → service calls → dump. The services decide who may and whether; the
one translation done here is spelling a refusal by the pale as one field per boundary, so a
client can show each boundary with its numbers.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Response

from coop.errors import NotFound, PolicyViolation
from coop.models import Candidacy, Member, Proposal, Term
from coop.schemas import offices as s
from coop.schemas.common import Empty, PageQuery, page_of
from coop.schemas.governance import ProposalOut
from coop.services import (
    education,
    elections,
    listings,
    members,
    office_pages,
    offices,
    proposals,
    recalls,
)
from coop.services.actor import Actor
from coop.services.paging import in_memory
from webui.api.core import (
    current_actor,
    dump,
    json_response,
    load_body,
    load_coop,
    load_query,
    operation,
    page_response,
    problem,
    require_actor,
)
from webui.request_db import get_session, request_now

P = "/coops/{slug}"
E = P + "/elections/{election_id}"
L = P + "/learning-records"
READ_ERRORS = (401, 403, 404)
WRITE_ERRORS = (401, 403, 404, 409, 415, 422)
LOT_METHOD = ("the tied candidates ordered by SHA-256(ledger_root bytes ‖ member id as decimal ASCII), "
              "lowest key first")


# -- offices and terms -------------------------------------------------------------------------

def _term(t: Term, name: str | None = None) -> dict[str, Any]:
    return {**{f: getattr(t, f) for f in ("id", "office_key", "member_id", "election_id", "started_at",
                                          "ends_at", "ended_at", "end_reason", "recall_id")},
            "member_name": name if name is not None else t.member.name}


def _office(seat: offices.Seats, as_of: dt.datetime) -> dict[str, Any]:
    o = seat.office
    return {"key": seat.key, "name": seat.name, "seats": seat.seats, "vacancies": seat.vacancies,
            "rule_key": o.rule_key if o else None, "term_months": o.term_months if o else None,
            "requires": [{"field": r.field, "level": r.level} for r in o.requires] if o else [],
            "max_consecutive_terms": o.max_consecutive_terms if o else None, "abolished": o is None,
            "holders": [_term(t) for t in seat.holders], "as_of": as_of}


def _as_of(day: dt.date | None) -> dt.datetime:
    """A date means the end of that day (who held office on it); no date means now."""
    if day is None:
        return request_now()
    return dt.datetime.combine(day, dt.time(23, 59, 59))


@operation(P + "/offices", "GET", "Offices, with requirements, seats, term length and holders", tag="offices",
           access="public", query=s.OfficesQuery, response=page_of(s.OfficeOut), paginated=True,
           errors=READ_ERRORS)
def list_offices(slug: str) -> Response:
    """Every office the rules define (an office is the rule `office.<key>`), with the terms
    current at `as_of` and the vacancies; an abolished office appears while someone held it."""
    q = load_query(s.OfficesQuery)
    coop = load_coop(slug)
    listings.require_reader(current_actor(), coop, public=True)
    as_of = _as_of(q.get("as_of"))
    page = in_memory(offices.holders(get_session(), coop.id, as_of), lambda seat: seat.key, kind=str,
                     cursor=q.get("cursor"), limit=q.get("limit"))
    return page_response(s.OfficeOut, page, lambda seat: _office(seat, as_of))


@operation(P + "/offices/{office_key}", "GET", "An office and its current holders", tag="offices",
           access="public", response=s.OfficeOut, errors=READ_ERRORS)
def get_office(slug: str, office_key: str) -> Response:
    """Past holders: `GET …/terms?office_key=`."""
    coop = load_coop(slug)
    listings.require_reader(current_actor(), coop, public=True)
    now = request_now()
    seat = next((x for x in offices.holders(get_session(), coop.id, now) if x.key == office_key), None)
    if seat is None:
        offices.get_office(get_session(), coop.id, office_key[:60])  # raises the NotFound
    assert seat is not None
    return dump(s.OfficeOut, _office(seat, now))


@operation(P + "/terms", "GET", "Terms of office: who held which office, when, decided by which election",
           tag="offices", access="public", query=s.TermListQuery, response=page_of(s.TermOut),
           paginated=True, errors=READ_ERRORS)
def list_terms(slug: str) -> Response:
    """Newest first. Without `as_of`, every term, past holders included, with how each ended
    (`expiry`, `recall`, `departure`, `succeeded`); with `as_of`, the terms current that day."""
    q = load_query(s.TermListQuery)
    coop = load_coop(slug)
    listings.require_reader(current_actor(), coop, public=True)
    session = get_session()
    if q.get("as_of") is not None:
        terms = offices.current_terms(session, coop.id, _as_of(q["as_of"]), office_key=q.get("office_key"))
    else:
        terms = offices.history(session, coop.id, q.get("office_key"))
    if q.get("member_id") is not None:
        terms = [t for t in terms if t.member_id == q["member_id"]]
    terms.sort(key=lambda t: -t.id)
    page = in_memory(terms, lambda t: -t.id, cursor=q.get("cursor"), limit=q.get("limit"))
    return page_response(s.TermOut, page, _term)


@operation(P + "/terms/{term_id}", "GET", "A term of office", tag="offices", access="public",
           response=s.TermOut, errors=READ_ERRORS)
def get_term(slug: str, term_id: int) -> Response:
    coop = load_coop(slug)
    listings.require_reader(current_actor(), coop, public=True)
    session = get_session()
    t = offices.get_term(session, coop.id, term_id)
    return dump(s.TermOut, _term(t, members.get_member(session, coop.id, t.member_id).name))


# -- elections and recalls ---------------------------------------------------------------------

@operation(P + "/elections", "POST", "Call an election for an office", tag="elections", access="member",
           scope="propose", body=s.ElectionCreate, response=ProposalOut, status=201, errors=WRITE_ERRORS)
def create_election(slug: str) -> Response:
    """A proposal of kind `election`. Its notice period is the nomination period: open it with
    `POST …/proposals/{id}/open-deliberation`, then `open-voting` after it; closing works as
    for every proposal. 409 if an election for the office is already under way."""
    data = load_body(s.ElectionCreate)
    coop = load_coop(slug)
    p = elections.draft_election(get_session(), require_actor(), coop, data["office_key"], seats=data["seats"],
                                 title=data["title"], body=data["body"], now=request_now())
    return dump(ProposalOut, p, status=201)


@operation(P + "/recalls", "POST", "Propose to recall an office holder", tag="elections", access="member",
           scope="propose", body=s.RecallCreate, response=ProposalOut, status=201, errors=WRITE_ERRORS)
def create_recall(slug: str) -> Response:
    """A proposal of kind `recall` that ends a current term early when it passes and is
    executed; the holder is recused. Voted like any proposal (default 2/3 of cast, quorum 1/2)."""
    data = load_body(s.RecallCreate)
    coop = load_coop(slug)
    p = recalls.draft_recall(get_session(), require_actor(), coop, data["term_id"], title=data["title"],
                             body=data["body"], now=request_now())
    return dump(ProposalOut, p, status=201)


def _election(slug: str, election_id: int) -> tuple[Any, Actor | None, office_pages.ElectionPage]:
    """The election as its reader may see it: a closed one is public where the co-op
    publishes, the rest is for members (a draft for its author and the secretary)."""
    coop = load_coop(slug)
    actor, session = current_actor(), get_session()
    p = listings.proposal(session, actor, coop, election_id, now=request_now())
    if p.kind != elections.KIND:
        elections.get_election(session, coop, p.id, now=request_now())  # raises the NotFound
    reader = actor.member if actor is not None and "read" in actor.scopes else None
    return coop, actor, office_pages.election_page(session, coop, p.id, reader, now=request_now())


def _election_out(page: office_pages.ElectionPage) -> dict[str, Any]:
    p: Proposal = page.proposal
    d = p.details
    return {"id": p.id, "title": p.title, "body": p.body, "status": p.status, "office_key": d["office_key"],
            "office_name": d["office_name"], "seats": d["seats"], "regular": d["regular"],
            "term_months": d["term_months"], "requires": d.get("requires", []),
            "nominations_open": page.nominations_open, "nominations_close_at": p.deliberation_ends_at,
            "voting_opened_at": p.voting_opened_at, "voting_closes_at": p.voting_closes_at,
            "closed_at": p.closed_at, "candidates": d.get("candidates", []),
            "pale": {"version": page.statement.version, "text": page.statement.text},
            "expert_opinions": [vars(o) for o in page.opinions]}


def _candidacy(c: Candidacy, name: str) -> dict[str, Any]:
    return {**{f: getattr(c, f) for f in ("id", "proposal_id", "member_id", "nominated_by_id", "status",
                                          "nominated_at", "decided_at", "affirmed_pale_version",
                                          "dropped_reason", "statement")}, "member_name": name}


@operation(E, "GET", "An election: office, seats, nomination period, the ballot and the pale",
           tag="elections", access="member", scope="read", response=s.ElectionOut, errors=READ_ERRORS)
def get_election(slug: str, election_id: int) -> Response:
    """A closed election is public where the co-op publishes. `pale.version` is what a
    candidate affirms when standing."""
    return json_response(s.ElectionOut().dump(_election_out(_election(slug, election_id)[2])))


@operation(E + "/candidacies", "GET", "Candidacies in an election", tag="elections", access="member",
           scope="read", query=PageQuery,
           response=page_of(s.CandidacyOut), paginated=True, errors=READ_ERRORS)
def list_candidacies(slug: str, election_id: int) -> Response:
    """Every candidacy by id: nominated (awaiting the nominee), standing, declined, withdrawn,
    or dropped when voting opened (with the reason, naming the boundary and numbers)."""
    q = load_query(PageQuery)
    coop = load_coop(slug)
    session = get_session()
    p = listings.proposal(session, current_actor(), coop, election_id, now=request_now())
    elections.get_election(session, coop, p.id, now=request_now())  # 404 unless an election
    got = in_memory(elections.candidacies(session, p.id), lambda c: c.id, cursor=q.get("cursor"),
                    limit=q.get("limit"))
    return page_response(s.CandidacyOut, got, lambda c: _candidacy(c, c.member.name))


def _refused_by_pale(exc: PolicyViolation, coop: Any, election_id: int, member: Member) -> Response:
    """A candidacy outside the pale: 422, one error per boundary with its numbers."""
    errors = _boundaries(elections.eligibility(get_session(), coop, election_id, member, now=request_now()), "field")
    return problem(422, exc.message, errors or [{"field": "member", "message": exc.message}])


def _boundaries(reasons: list[str], name: str) -> list[dict[str, str]]:
    """The service's "pale.min_tenure_months: active for 5 months…" reasons as
    ``{name: boundary, "message": …}``; a reason naming no boundary is the member's."""
    return [dict(zip((name, "message"), r.split(": ", 1))) if ": " in r else {name: "member", "message": r}
            for r in reasons]


def _name(session: Any, coop: Any, member_id: int) -> str:
    return members.get_member(session, coop.id, member_id).name


_STAND = dict(tag="elections", access="member", scope="propose", body=s.StandIn,
              response=s.CandidacyOut, errors=WRITE_ERRORS)


def _stand(slug: str, election_id: int, accepting: bool) -> Response:
    data = load_body(s.StandIn)
    coop = load_coop(slug)
    actor, session = require_actor(), get_session()
    act = elections.accept_nomination if accepting else elections.stand
    try:
        c = act(session, actor, coop, election_id, data["affirmed_pale_version"], data["statement"],
                now=request_now())
    except PolicyViolation as exc:
        if exc.field != "member" or actor.member is None:
            raise
        return _refused_by_pale(exc, coop, election_id, actor.member)
    return dump(s.CandidacyOut, _candidacy(c, _name(session, coop, c.member_id)), status=200 if accepting else 201)


@operation(E + "/candidacies", "POST", "Stand for election (self-nomination)", status=201, **_STAND)
def stand(slug: str, election_id: int) -> Response:
    """During the nomination period. You affirm the pale's text-only boundaries as they now
    read (`affirmed_pale_version`, from the election's `pale.version`; 409 if it has changed
    since). Outside the pale's machine-checked boundaries the candidacy is refused with 422,
    one error per boundary: `{"field": "pale.min_tenure_months", "message": "active for 5
    months; the rules require 6"}`. Standing again after declining or withdrawing is allowed;
    holding a nomination, this accepts it."""
    return _stand(slug, election_id, accepting=False)


@operation(E + "/nominations", "POST", "Nominate another member", tag="elections", access="member",
           scope="propose", body=s.NominateIn, response=s.CandidacyOut, status=201, errors=WRITE_ERRORS)
def nominate(slug: str, election_id: int) -> Response:
    """The nominee stands once they accept (`…/candidacy/accept`) or declines. A nominee
    outside the pale is refused as when standing: 422, one error per boundary."""
    data = load_body(s.NominateIn)
    coop = load_coop(slug)
    actor, session = require_actor(), get_session()
    nominee = members.get_member(session, coop.id, data["member_id"])
    try:
        c = elections.nominate(session, actor, coop, election_id, nominee, now=request_now())
    except PolicyViolation as exc:
        if exc.field != "member":
            raise
        return _refused_by_pale(exc, coop, election_id, nominee)
    return dump(s.CandidacyOut, _candidacy(c, nominee.name), status=201)


@operation(E + "/candidacy/accept", "POST", "Accept your nomination (and affirm the pale)", **_STAND)
def accept_nomination(slug: str, election_id: int) -> Response:
    """409 if you hold no nomination in this election."""
    return _stand(slug, election_id, accepting=True)


def _own(slug: str, election_id: int, fn: Any) -> Response:
    load_body(Empty, required=False)
    coop = load_coop(slug)
    actor, session = require_actor(), get_session()
    c = fn(session, actor, coop, election_id, now=request_now())
    return dump(s.CandidacyOut, _candidacy(c, _name(session, coop, c.member_id)))


_OWN = dict(tag="elections", access="member", scope="propose", body=Empty, body_required=False,
            response=s.CandidacyOut, errors=WRITE_ERRORS)


@operation(E + "/candidacy/decline", "POST", "Decline your nomination", **_OWN)
def decline_nomination(slug: str, election_id: int) -> Response:
    return _own(slug, election_id, elections.decline)


@operation(E + "/candidacy/withdraw", "POST", "Withdraw your candidacy (before voting opens)", **_OWN)
def withdraw_candidacy(slug: str, election_id: int) -> Response:
    return _own(slug, election_id, elections.withdraw_candidacy)


@operation(E + "/eligibility", "GET", "Whether you may stand now, and what stands in the way",
           tag="elections", access="member", scope="read", response=s.EligibilityOut, errors=READ_ERRORS)
def my_eligibility(slug: str, election_id: int) -> Response:
    """The pale checked for you now: each boundary you are outside of, with the numbers, and
    the text you would affirm."""
    actor = require_actor()
    coop, _, page = _election(slug, election_id)
    me = actor.require_member(coop.id, scope="read")
    reasons = elections.eligibility(get_session(), coop, election_id, me, now=request_now())
    return dump(s.EligibilityOut, {"eligible": not reasons and page.nominations_open,
                                   "breaches": _boundaries(reasons, "boundary"),
                                   "nominations_open": page.nominations_open,
                                   "pale": {"version": page.statement.version, "text": page.statement.text}})


def _ballot_out(page: office_pages.ElectionPage, member_id: int) -> Response:
    b = page.my_ballot
    if b is None:
        raise NotFound("you have not voted in this election", field="ballot")
    return dump(s.ApprovalBallotOut, {
        "election_id": page.proposal.id, "member_id": member_id, "choice": b.choice, "approvals": b.approvals,
        "cast_at": b.cast_at,
        "history": [{"choice": h.choice, "approvals": h.approvals, "cast_at": h.cast_at} for h in page.my_history]})


@operation(E + "/ballot", "PUT", "Cast or change your approval ballot", tag="elections", access="member",
           scope="vote", body=s.ApprovalBallotIn, response=s.ApprovalBallotOut, errors=WRITE_ERRORS)
def cast_approval_ballot(slug: str, election_id: int) -> Response:
    """`{"approvals": [member ids]}` approves any subset of the candidates on the ballot;
    `{"abstain": true}` abstains. Changeable until close; every change is kept. When the whole
    electorate has voted, the election closes at once."""
    data = load_body(s.ApprovalBallotIn)
    coop = load_coop(slug)
    actor, session = require_actor(), get_session()
    elections.get_election(session, coop, election_id, now=request_now())
    if data.get("abstain"):
        proposals.cast_ballot(session, actor, coop, election_id, "abstain", now=request_now())
    else:
        proposals.cast_ballot(session, actor, coop, election_id, "approve", approvals=data["approvals"],
                              now=request_now())
    assert actor.member is not None
    return _ballot_out(office_pages.election_page(session, coop, election_id, actor.member,
                                                  now=request_now()), actor.member.id)


@operation(E + "/ballot", "GET", "Your approval ballot and its history", tag="elections", access="member",
           scope="read", response=s.ApprovalBallotOut, errors=READ_ERRORS)
def my_approval_ballot(slug: str, election_id: int) -> Response:
    actor = require_actor()
    coop, _, page = _election(slug, election_id)
    me = actor.require_member(coop.id, scope="read")
    return _ballot_out(page, me.id)


@operation(E + "/outcome", "GET", "The outcome: approvals per candidate, elected, vacancies, the lot's inputs",
           tag="elections", access="public", response=s.ElectionOutcomeOut, errors=(401, 403, 404, 409))
def get_election_outcome(slug: str, election_id: int) -> Response:
    """409 until the election is closed. When a tie at the last seat was broken by lot,
    `lot` holds its inputs: recompute each tied candidate's key as
    SHA-256(bytes.fromhex(ledger_root) + str(member_id).encode("ascii")) and order them by key,
    lowest first."""
    coop = load_coop(slug)
    session = get_session()
    actor = current_actor()
    if listings.proposal(session, actor, coop, election_id, now=request_now()).kind != elections.KIND:
        elections.get_election(session, coop, election_id, now=request_now())  # raises the NotFound
    p = listings.outcome(session, actor, coop, election_id, now=request_now())  # 409 until closed
    r = p.details["result"]
    elected, qualified = set(r["elected"]), set(r["qualified"])
    rank = {m: i for i, m in enumerate(r["qualified"])}
    candidates = sorted(r["candidates"], key=lambda c: (-c["approvals"], rank.get(c["member_id"], len(rank)),
                                                        c["member_id"]))
    return dump(s.ElectionOutcomeOut, {
        "election_id": p.id, "office_key": r["office_key"], "office_name": p.details["office_name"],
        "seats": r["seats"], "outcome": p.outcome, "failed_test": p.failed_test, "reason": p.outcome_reason,
        "electorate_size": p.electorate_size, "threshold": p.threshold, "quorum": p.quorum,
        "ballots_cast": r["ballots_cast"], "abstentions": r["abstentions"],
        "candidates": [{**c, "qualified": c["member_id"] in qualified, "elected": c["member_id"] in elected}
                       for c in candidates],
        "qualified": r["qualified"], "elected": r["elected"], "vacant_seats": r["vacant_seats"],
        "not_eligible": r["not_eligible"], "ledger_root": r["ledger_root"], "lot": r["lot"],
        "lot_method": LOT_METHOD, "closed_at": p.closed_at, "executed_at": p.executed_at,
        "decision_entry_index": p.decision_entry_index})


# -- learning records and the education report -------------------------------------------------

@operation(L, "GET", "Learning records", tag="education", access="member", scope="read",
           query=s.LearningListQuery, response=page_of(s.LearningRecordOut), paginated=True, errors=READ_ERRORS)
def list_learning_records(slug: str) -> Response:
    """Newest first; filter by `member_id` and `status`."""
    q = load_query(s.LearningListQuery)
    coop = load_coop(slug)
    listings.require_reader(current_actor(), coop)
    found = education.records(get_session(), coop.id, q.get("member_id"))
    if q.get("status"):
        found = [r for r in found if r.status == q["status"]]
    found.sort(key=lambda r: -r.id)
    page = in_memory(found, lambda r: -r.id, cursor=q.get("cursor"), limit=q.get("limit"))
    return page_response(s.LearningRecordOut, page)


@operation(L, "POST", "Add a learning record", tag="education", access="member", scope="propose",
           body=s.LearningRecordIn, response=s.LearningRecordOut, status=201, errors=WRITE_ERRORS)
def create_learning_record(slug: str) -> Response:
    """Your own (scope `propose`), or any member's as the secretary (`member_id`, scope
    `admin`). A completed record needs `ended_on`; its hours count towards that year. A
    qualification gained (`qualification_field` and `qualification_level`) becomes a
    qualification when the record is verified."""
    data = load_body(s.LearningRecordIn)
    coop = load_coop(slug)
    actor, session = require_actor(), get_session()
    member_id = data.pop("member_id", None) or actor.member_id
    if member_id is None:
        actor.require_member(coop.id)  # the operator is no member: say so
    member = members.get_member(session, coop.id, member_id)  # type: ignore[arg-type]
    r = education.add_record(session, actor, coop, member, data, now=request_now())
    return dump(s.LearningRecordOut, r, status=201)


@operation(L + "/{record_id}", "GET", "A learning record", tag="education", access="member", scope="read",
           response=s.LearningRecordOut, errors=READ_ERRORS)
def get_learning_record(slug: str, record_id: int) -> Response:
    coop = load_coop(slug)
    listings.require_reader(current_actor(), coop)
    return dump(s.LearningRecordOut, education.get_record(get_session(), coop.id, record_id))


@operation(L + "/{record_id}", "PATCH", "Change a learning record", tag="education", access="member",
           scope="propose", body=s.LearningRecordPatch, response=s.LearningRecordOut, errors=WRITE_ERRORS)
def update_learning_record(slug: str, record_id: int) -> Response:
    """The member or the secretary: a course completed, hours corrected. A verified record
    is final (409): its qualification rests on it."""
    data = load_body(s.LearningRecordPatch)
    coop = load_coop(slug)
    r = education.update_record(get_session(), require_actor(), coop, record_id, data, now=request_now())
    return dump(s.LearningRecordOut, r)


@operation(L + "/{record_id}/verify", "POST", "Verify the qualification a record gained", tag="education",
           access="member", scope="admin", body=Empty, body_required=False, response=s.LearningRecordOut,
           errors=WRITE_ERRORS)
def verify_learning_record(slug: str, record_id: int) -> Response:
    """By the secretary, or by a member verified in the same field at the same EQF level or
    higher (never the member themselves). The record's qualification becomes a verified
    qualification (`qualification_id`), which then counts towards offices' requirements."""
    load_body(Empty, required=False)
    coop = load_coop(slug)
    session = get_session()
    education.verify_record(session, require_actor(), coop, record_id, now=request_now())
    return dump(s.LearningRecordOut, education.get_record(session, coop.id, record_id))


@operation(P + "/education/report", "GET", "The education report: each member's hours against the expectation",
           tag="education", access="member", scope="read", query=s.ReportQuery, response=s.EducationReportOut,
           errors=READ_ERRORS)
def education_report(slug: str) -> Response:
    """Completed hours this `year` (default: this year) per member against the policy's
    expectation (pro rata for members active part of the year), and the co-op's totals per year."""
    q = load_query(s.ReportQuery)
    coop = load_coop(slug)
    listings.require_reader(current_actor(), coop)
    rep = education.report(get_session(), coop, q.get("year"), now=request_now())
    return dump(s.EducationReportOut, {
        "year": rep.year, "as_of": rep.as_of, "policy": rep.policy, "total_hours": rep.total_hours,
        "members": rep.members, "years": rep.years,
        "behind": sum(1 for m in rep.members if m.status == "active" and m.behind)})
