"""Qualifications on the EQF scale and who may verify them; closing covers elections and
recalls; expert opinions on recalls; a cited qualification reaches the ledger's pay record."""

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from coop.errors import InvalidInput, PermissionDenied
from coop.ledger.canonical import decode
from coop.models import LedgerEntry, PayRecord
from coop.pay import Supplement, SupplementReason
from coop.services import members, offices, pale, proposals, recalls
from tests.clock import NOW
from tests.dbstate import assert_unchanged, snapshot
from tests.factories import OPERATOR, as_member, make_member
from tests.office_factories import T0, approve, call, elect, found, office_coop, open_vote, qualify, senior, stand


@pytest.fixture
def coop(db, keys):
    return office_coop(db, keys)  # treasurer: one seat, 24 months, accounting:6


@pytest.fixture
def voters(db, coop):
    return [senior(db, coop) for _ in range(6)]


def claim(db, coop, member, field="accounting", level=6):
    return members.add_qualification(db, OPERATOR, coop, member, field, level, "Open University",
                                     dt.date(2019, 6, 30), now=NOW)


# -- the EQF scale and verification --------------------------------------------------------------

@pytest.mark.parametrize("level", [0, 9, -1])
def test_a_qualification_outside_eqf_levels_one_to_eight_is_refused_and_nothing_is_written(db, coop, voters, level):
    before = snapshot(db)
    with pytest.raises(InvalidInput, match="EQF level from 1 to 8"):
        claim(db, coop, voters[0], level=level)
    assert_unchanged(db, before)


@pytest.mark.parametrize("awarded_on, message", [
    (dt.date(1, 1, 1), "a date from 1900-01-01 on"),
    (dt.date(1899, 12, 31), "a date from 1900-01-01 on"),
    (dt.date(2026, 11, 21), "cannot be awarded in the future"),  # the day after the now given
    (dt.date(9999, 12, 31), "cannot be awarded in the future"),
])
def test_a_qualification_dated_outside_1900_to_the_now_given_is_refused(db, coop, voters, awarded_on, message):
    before = snapshot(db)
    with pytest.raises(InvalidInput, match=message) as refused:
        members.add_qualification(db, OPERATOR, coop, voters[0], "accounting", 6, "Open University", awarded_on,
                                  now=dt.datetime(2026, 11, 20, 23, 59))
    assert refused.value.field == "awarded_on"
    assert_unchanged(db, before)
    assert members.add_qualification(db, OPERATOR, coop, voters[0], "accounting", 6, "Open University",
                                     dt.date(2026, 11, 20), now=dt.datetime(2026, 11, 20, 23, 59))


def test_a_secretary_verifies_any_qualification(db, coop, voters):
    secretary = senior(db, coop, role="secretary")
    q = claim(db, coop, voters[0], level=8)
    members.verify_qualification(db, as_member(secretary), coop, q, now=NOW)
    assert q.verified and q.verified_by_id == secretary.id


@pytest.mark.parametrize("peer_level", [6, 7])
def test_a_member_verified_in_the_same_field_at_the_same_level_or_higher_verifies_a_peer(db, coop, voters, peer_level):
    qualify(db, coop, voters[1], "accounting", peer_level)
    q = claim(db, coop, voters[0], level=6)
    members.verify_qualification(db, as_member(voters[1]), coop, q, now=NOW)
    assert q.verified and q.verified_by_id == voters[1].id


@pytest.mark.parametrize("field, level, verified", [
    ("accounting", 5, True),       # a lower level
    ("bookkeeping", 8, True),      # another field
    ("accounting", 7, False),      # not verified themselves
])
def test_a_peer_below_the_level_in_another_field_or_unverified_cannot_verify(db, coop, voters, field, level, verified):
    qualify(db, coop, voters[1], field, level, verified=verified)
    q = claim(db, coop, voters[0], level=6)
    before = snapshot(db)
    with pytest.raises(PermissionDenied, match="accounting at EQF level 6 or higher"):
        members.verify_qualification(db, as_member(voters[1]), coop, q, now=NOW)
    assert_unchanged(db, before)
    assert not q.verified


def test_nobody_verifies_their_own_qualification_not_even_a_secretary(db, coop):
    secretary = senior(db, coop, role="secretary")
    q = claim(db, coop, secretary)
    with pytest.raises(PermissionDenied, match="their own"):
        members.verify_qualification(db, as_member(secretary), coop, q, now=NOW)


def test_a_qualification_counts_towards_an_office_only_once_verified(db, coop, voters):
    q = claim(db, coop, voters[0])
    office = offices.get_office(db, coop.id, "treasurer")
    [breach] = pale.breaches(db, coop.id, office, {voters[0].id}, T0)[voters[0].id]
    assert breach.boundary == "office.treasurer.requires" and "not verified" in breach.message
    members.verify_qualification(db, OPERATOR, coop, q, now=NOW)
    assert pale.breaches(db, coop.id, office, {voters[0].id}, T0)[voters[0].id] == []


# -- closing ----------------------------------------------------------------------------------------

def test_close_due_closes_overdue_elections_and_recalls_with_other_proposals(db, coop, voters):
    found(db, coop, "auditor", "Auditor", requires="")
    qualify(db, coop, voters[1], "accounting", 6)
    first = elect(db, coop, "treasurer", [voters[1]], voters)
    [term] = offices.current_terms(db, coop.id, first.closed_at)
    # A recall of the treasurer and an election of an auditor, both open, neither voted by all.
    at = first.closed_at + dt.timedelta(days=30)
    r = recalls.draft_recall(db, as_member(voters[0]), coop, term.id, now=at)
    proposals.open_deliberation(db, as_member(voters[0]), coop, r.id, now=at)
    e = call(db, coop, "auditor", voters[0], at=at)
    stand(db, coop, e, voters[3], at=at)
    proposals.open_voting(db, as_member(voters[0]), coop, r.id, now=r.deliberation_ends_at)
    open_vote(db, coop, e, voters[0])
    for m in voters[2:5]:
        proposals.cast_ballot(db, as_member(m), coop, r.id, "yes", now=r.voting_opened_at)
        approve(db, coop, e, m, voters[3])
    deadline = max(r.voting_closes_at, e.voting_closes_at)
    assert proposals.close_due(db, min(r.voting_closes_at, e.voting_closes_at) - dt.timedelta(seconds=1),
                               coop_id=coop.id) == []
    assert (r.status, e.status) == ("voting", "voting")
    assert sorted(p.id for p in proposals.close_due(db, deadline, coop_id=coop.id)) == sorted([r.id, e.id])
    assert (r.outcome, e.outcome) == ("passed", "passed")
    assert (term.end_reason, term.ended_at) == ("recall", r.closed_at)
    seats = {s.key: [t.member_id for t in s.holders] for s in offices.holders(db, coop.id, deadline)}
    assert seats == {"auditor": [voters[3].id], "treasurer": []}
    # Closing again is idempotent.
    assert proposals.close_due(db, deadline + dt.timedelta(days=1), coop_id=coop.id) == []


def test_an_election_closes_early_once_the_whole_electorate_has_voted_and_its_terms_start(db, coop, voters):
    qualify(db, coop, voters[1], "accounting", 6)
    p = call(db, coop, "treasurer", voters[0])
    stand(db, coop, p, voters[1])
    open_vote(db, coop, p, voters[0])
    for v in voters[:-1]:
        approve(db, coop, p, v, voters[1])
    assert p.status == "voting"
    approve(db, coop, p, voters[-1])  # the last voter abstains
    assert p.outcome == "passed" and p.closed_at == p.voting_opened_at
    [seat] = offices.holders(db, coop.id, p.closed_at)
    assert [(t.member_id, t.election_id, t.started_at) for t in seat.holders] == [(voters[1].id, p.id, p.closed_at)]


# -- expert opinions on recalls ---------------------------------------------------------------------

def test_members_qualified_for_the_office_give_expert_opinions_on_a_recall(db, coop, voters):
    qualify(db, coop, voters[1], "accounting", 6)
    elected = elect(db, coop, "treasurer", [voters[1]], voters)
    [term] = offices.current_terms(db, coop.id, elected.closed_at)
    r = recalls.draft_recall(db, as_member(voters[0]), coop, term.id, now=elected.closed_at)
    proposals.open_deliberation(db, as_member(voters[0]), coop, r.id, now=elected.closed_at)
    auditor = qualify(db, coop, voters[2], "accounting", 7)
    welder = qualify(db, coop, voters[3], "welding", 4)
    unverified = qualify(db, coop, voters[4], "accounting", 6, verified=False)
    opinion = proposals.comment(db, as_member(voters[2]), coop, r.id, "The books are in order.", auditor.id, now=NOW)
    assert (opinion.kind, opinion.qualification_id) == ("expert_opinion", auditor.id)
    with pytest.raises(PermissionDenied, match="come from accounting"):
        proposals.comment(db, as_member(voters[3]), coop, r.id, "Welds hold.", welder.id, now=NOW)
    with pytest.raises(PermissionDenied, match="not verified"):
        proposals.comment(db, as_member(voters[4]), coop, r.id, "Trust me.", unverified.id, now=NOW)


# -- pay for skills ------------------------------------------------------------------------------------

def test_an_executed_skills_supplement_carries_its_cited_qualification_into_the_ledger(db, coop):
    subject = make_member(db, coop, hourly_rate="20.00")
    voters = [make_member(db, coop, hourly_rate="20.00") for _ in range(3)]
    q = qualify(db, coop, subject, "electrical engineering", 5)
    change = {"supplements": [Supplement("installations", Decimal("1.25"), SupplementReason.SKILLS,
                                         qualification_id=q.id)], "reason": "skills"}
    p = proposals.draft_pay_adjustment(db, as_member(voters[0]), coop, "Skills", "", subject, change, now=NOW)
    proposals.open_deliberation(db, as_member(voters[0]), coop, p.id, now=T0)
    proposals.open_voting(db, as_member(voters[0]), coop, p.id, now=p.deliberation_ends_at)
    for v in voters:
        proposals.cast_ballot(db, as_member(v), coop, p.id, "yes", now=p.voting_opened_at)
    assert p.outcome == "passed"
    record = db.scalars(select(PayRecord).where(PayRecord.proposal_id == p.id)).one()
    [supplement] = decode(db.get(LedgerEntry, (coop.id, record.entry_index)).body)["supplements"]
    assert (supplement["reason"], supplement["qualification_id"]) == ("skills", q.id)
