"""Offices as rules, terms and their ends, and the pale (DESIGN.md "Offices, the pale…")."""

import datetime as dt

import pytest
from sqlalchemy import event, select
from sqlalchemy.exc import IntegrityError

from coop.errors import Conflict, InvalidInput, PermissionDenied, PolicyViolation
from coop.governance.offices import Office, Requirement, add_months, full_months
from coop.ledger.canonical import decode
from coop.models import AuditEvent, Candidacy, LedgerEntry, RuleVersion, Term
from coop.services import elections, members, offices, proposals, recalls, rules
from tests.clock import NOW
from tests.dbstate import assert_unchanged, snapshot
from tests.factories import OPERATOR, as_member
from tests.office_factories import (
    T0,
    approve,
    call,
    elect,
    found,
    office_coop,
    open_vote,
    qualify,
    senior,
    stand,
)


@pytest.fixture
def coop(db, keys):
    return office_coop(db, keys)  # treasurer: one seat, 24 months, accounting:6


@pytest.fixture
def voters(db, coop):
    return [senior(db, coop) for _ in range(6)]


def decide_rule_change(db, coop, change, voters, yes, no, at=T0):
    """A rule change through a real vote at ``at``: the first ``yes`` voters say yes, the next
    ``no`` say no."""
    p = proposals.draft_rule_change(db, as_member(voters[0]), coop, "Change the rules", "", change, now=NOW)
    proposals.open_deliberation(db, as_member(voters[0]), coop, p.id, now=at)
    proposals.open_voting(db, as_member(voters[0]), coop, p.id, now=p.deliberation_ends_at)
    for i, m in enumerate(voters[:yes + no]):
        proposals.cast_ballot(db, as_member(m), coop, p.id, "yes" if i < yes else "no", now=p.voting_opened_at)
    proposals.close_due(db, p.voting_closes_at, coop_id=coop.id)
    return p


def pale_change(db, coop, **parameters):
    _, current = rules.get_rule(db, coop.id, "pale.standing")
    return {"action": "amend", "rule_key": "pale.standing", "parameters": {**current.parameters, **parameters}}


# -- offices are rules -------------------------------------------------------------------------

def test_an_office_is_created_by_a_rule_change_that_needs_the_ordinary_threshold(db, coop, voters):
    safety = Office("safety_officer", "Safety officer", 1, 12, (Requirement("occupational safety", 4),))
    p = decide_rule_change(db, coop, offices.rule_change(safety, "The co-op has a safety officer."),
                           voters, yes=4, no=2)
    assert p.threshold == "2/3 of cast" and p.outcome == "passed"
    assert offices.defined(db, coop.id)["safety_officer"] == safety
    version = rules.get_rule(db, coop.id, "office.safety_officer")[1]
    assert version.proposal_id == p.id and version.parameters["office.safety_officer.requires"] == "occupational safety:4"


@pytest.mark.parametrize("parameters, names", [
    ({"office.auditor.name": "Auditor", "office.auditor.seats": "0", "office.auditor.term_months": "12"},
     "office.auditor.seats"),
    ({"office.auditor.name": "Auditor", "office.auditor.seats": "1"}, "office.auditor.term_months"),
    ({"office.auditor.name": "Auditor", "office.auditor.seats": "1", "office.auditor.term_months": "12",
      "office.auditor.requires": "accounting:9"}, "EQF level from 1 to 8"),
    ({"pale.incompatible": "treasurer-auditor"}, "pair of two office keys"),
])
def test_a_malformed_office_or_pale_is_refused_when_drafted_and_nothing_is_written(db, coop, voters, parameters, names):
    before = snapshot(db)
    with pytest.raises(InvalidInput, match=names):
        proposals.draft_rule_change(db, as_member(voters[0]), coop, "Add an auditor", "",
                                    {"action": "add", "rule_key": "office.auditor", "title": "Auditor",
                                     "text": "An auditor.", "parameters": parameters}, now=NOW)
    assert_unchanged(db, before)


def test_an_office_of_the_founding_constitution_has_no_proposal_and_is_audited_as_such(db, coop):
    rule, version = rules.get_rule(db, coop.id, "office.treasurer")
    assert (version.version, version.proposal_id, version.entrenched) == (1, None, False)
    event = db.scalars(select(AuditEvent).where(AuditEvent.action == "office.founded_at_founding",
                                                AuditEvent.object_id == rule.id)).one()
    assert event.actor_id is None and event.details["office_key"] == "treasurer"
    with pytest.raises(InvalidInput, match="only the operator"):
        offices.found_office(db, as_member(senior(db, coop)), coop,
                             Office("auditor", "Auditor", 1, 12), "An auditor.", now=NOW)


# -- the pale ----------------------------------------------------------------------------------

def test_a_candidacy_one_month_short_of_the_tenure_boundary_is_refused_with_the_numbers(db, coop, voters):
    newcomer = senior(db, coop, active_since=add_months(T0, -5))
    qualify(db, coop, newcomer, "accounting", 6)
    p = call(db, coop, "treasurer", voters[0])
    before = snapshot(db)
    with pytest.raises(PolicyViolation, match="pale.min_tenure_months: active for 5 months; the rules require 6"):
        stand(db, coop, p, newcomer)
    with pytest.raises(PolicyViolation, match="active for 5 months"):
        elections.nominate(db, as_member(voters[1]), coop, p.id, newcomer, now=T0)
    assert_unchanged(db, before)


def test_the_same_candidacy_is_accepted_after_the_pale_is_lowered_by_a_three_quarters_vote(db, coop):
    voters = [senior(db, coop) for _ in range(4)]
    newcomer = senior(db, coop, active_since=add_months(T0, -5))
    qualify(db, coop, newcomer, "accounting", 6)
    voters.append(newcomer)  # an electorate of 5, of whom 4 vote: the 2/3 quorum is met
    first = call(db, coop, "treasurer", voters[0])
    with pytest.raises(PolicyViolation, match="active for 5 months; the rules require 6"):
        stand(db, coop, first, newcomer)
    proposals.withdraw(db, as_member(voters[0]), coop, first.id, now=NOW)

    change = decide_rule_change(db, coop, pale_change(db, coop, **{"pale.min_tenure_months": "5"}),
                                voters, yes=3, no=1)  # exactly 3/4 of votes cast: "at least" passes
    assert change.threshold == "3/4 of cast" and "entrenched" in change.threshold_rule
    assert change.outcome == "passed"
    later = change.closed_at
    assert rules.parameters(db, coop.id)["pale.min_tenure_months"] == "5"
    assert full_months(newcomer.active_since, later) == 5  # still five months: the vote, not time, let them in
    second = call(db, coop, "treasurer", voters[0], at=later)
    candidacy = stand(db, coop, second, newcomer, at=later)
    assert candidacy.status == "standing"
    assert candidacy.affirmed_pale_version == "pale.standing v2"


def test_lowering_the_pale_with_two_thirds_of_votes_cast_fails_and_the_candidacy_stays_refused(db, coop, voters):
    newcomer = senior(db, coop, active_since=add_months(T0, -5))
    qualify(db, coop, newcomer, "accounting", 6)
    change = decide_rule_change(db, coop, pale_change(db, coop, **{"pale.min_tenure_months": "5"}),
                                voters, yes=4, no=2)
    assert (change.outcome, change.failed_test) == ("failed", "threshold")
    assert rules.parameters(db, coop.id)["pale.min_tenure_months"] == "6"
    p = call(db, coop, "treasurer", voters[0], at=change.closed_at)
    with pytest.raises(PolicyViolation, match="active for 5 months; the rules require 6"):
        stand(db, coop, p, newcomer, at=change.closed_at)


def test_changing_a_pale_parameter_needs_the_entrenched_threshold_even_in_an_ordinary_rule(db, coop, voters):
    needs, why = rules.needs_entrenched_threshold(None, False, {"pale.max_offices": "3"})
    assert needs and "pale.max_offices" in why
    p = proposals.draft_rule_change(db, as_member(voters[0]), coop, "More offices", "", {
        "action": "add", "rule_key": "pale.extra", "title": "Offices", "text": "More offices at once.",
        "parameters": {"pale.max_offices_extra": "1"}, "entrenched": False}, now=NOW)
    assert p.details["requires"] == "entrenched"


def test_an_unverified_qualification_does_not_meet_an_offices_requirement(db, coop, voters):
    candidate = voters[1]
    q = qualify(db, coop, candidate, "accounting", 7, verified=False)
    p = call(db, coop, "treasurer", voters[0])
    with pytest.raises(PolicyViolation, match=r"the one held \(level 7\) is not verified"):
        stand(db, coop, p, candidate)
    assert elections.eligibility(db, coop, p.id, candidate, now=T0)
    members.verify_qualification(db, as_member(senior(db, coop, role="secretary")), coop, q, now=NOW)
    assert elections.eligibility(db, coop, p.id, candidate, now=T0) == []
    assert stand(db, coop, p, candidate).status == "standing"


def test_a_member_holding_the_maximum_number_of_offices_cannot_stand_for_another(db, coop, voters):
    found(db, coop, "safety_officer", "Safety officer", requires="occupational safety:4")
    found(db, coop, "tech_lead", "Technical lead", requires="")
    busy = voters[1]
    qualify(db, coop, busy, "occupational safety", 4)
    qualify(db, coop, busy, "accounting", 6)
    elect(db, coop, "safety_officer", [busy], voters)
    elect(db, coop, "tech_lead", [busy], voters)
    later = T0 + dt.timedelta(days=30)
    p = call(db, coop, "treasurer", voters[0], at=later)
    with pytest.raises(PolicyViolation, match=r"pale.max_offices: holds 2 offices \(Safety officer, "
                                              r"Technical lead\); the rules allow at most 2 at once"):
        stand(db, coop, p, busy, at=later)


def test_incompatible_offices_cannot_be_held_together(db, coop, voters):
    found(db, coop, "auditor", "Auditor", requires="accounting:5")
    change = decide_rule_change(db, coop, pale_change(db, coop, **{"pale.incompatible": "treasurer/auditor"}),
                                voters, yes=5, no=1)
    assert change.outcome == "passed"
    auditor = voters[2]
    qualify(db, coop, auditor, "accounting", 6)
    at = change.closed_at
    elect(db, coop, "auditor", [auditor], voters, at=at)
    later = at + dt.timedelta(days=30)
    p = call(db, coop, "treasurer", voters[0], at=later)
    with pytest.raises(PolicyViolation, match="pale.incompatible: holds Auditor, which the rules make "
                                              "incompatible with Treasurer"):
        stand(db, coop, p, auditor, at=later)


def test_the_limit_on_consecutive_terms_stops_a_third_term_in_a_row(db, coop, voters):
    found(db, coop, "tech_lead", "Technical lead", term_months=12, requires="", max_consecutive_terms=2)
    lead = voters[1]
    first = elect(db, coop, "tech_lead", [lead], voters)
    second = elect(db, coop, "tech_lead", [lead], voters, at=add_months(first.closed_at, 11))
    assert second.outcome == "passed"
    third = call(db, coop, "tech_lead", voters[0], at=add_months(second.closed_at, 11))
    with pytest.raises(PolicyViolation, match="has held Technical lead for 2 terms in a row; the rules "
                                              "allow at most 2"):
        stand(db, coop, third, lead, at=add_months(second.closed_at, 11))


def test_a_candidate_who_fell_outside_the_pale_is_dropped_when_voting_opens(db, coop, voters):
    a, b = voters[1], voters[2]
    for m in (a, b):
        qualify(db, coop, m, "accounting", 6)
    p = call(db, coop, "treasurer", voters[0])
    stand(db, coop, p, a)
    stand(db, coop, p, b)
    # b is suspended and reinstated during the nomination period: tenure starts again.
    members.change_status(db, OPERATOR, coop, b, "suspended", now=NOW)
    members.change_status(db, OPERATOR, coop, b, "active", now=NOW)
    open_vote(db, coop, p, voters[0])
    dropped = db.scalars(select(Candidacy).where(Candidacy.proposal_id == p.id, Candidacy.member_id == b.id)).one()
    assert dropped.status == "dropped"
    assert "pale.min_tenure_months: active for 0 months; the rules require 6" in dropped.dropped_reason
    assert p.details["candidates"] == [a.id]
    with pytest.raises(InvalidInput, match=f"not standing in this election: member\\(s\\) {b.id}"):
        approve(db, coop, p, voters[3], b)


def test_voting_cannot_open_when_no_candidate_stands(db, coop, voters):
    p = call(db, coop, "treasurer", voters[0])
    before = snapshot(db)
    with pytest.raises(Conflict, match="no candidate stands within the pale"):
        open_vote(db, coop, p, voters[0])
    assert_unchanged(db, before)


# -- terms ---------------------------------------------------------------------------------------

def test_a_recalled_treasurers_term_ends_on_execution_and_the_office_shows_the_vacancy(db, coop, voters):
    treasurer = voters[1]
    qualify(db, coop, treasurer, "accounting", 6)
    elected = elect(db, coop, "treasurer", [treasurer], voters)
    [term] = offices.current_terms(db, coop.id, elected.closed_at, office_key="treasurer")
    at = elected.closed_at + dt.timedelta(days=60)
    r = recalls.draft_recall(db, as_member(voters[0]), coop, term.id, body="The accounts are late.", now=at)
    assert r.subject_member_id == treasurer.id and r.details["expertise_fields"] == ["accounting"]
    proposals.open_deliberation(db, as_member(voters[0]), coop, r.id, now=at)
    proposals.open_voting(db, as_member(voters[0]), coop, r.id, now=r.deliberation_ends_at)
    assert r.electorate_size == 5 and r.threshold == "2/3 of cast" and r.quorum == "1/2"
    with pytest.raises(PermissionDenied, match="not in the electorate"):
        proposals.cast_ballot(db, as_member(treasurer), coop, r.id, "no", now=r.voting_opened_at)
    for m, choice in zip([voters[0]] + voters[2:], ["yes", "yes", "yes", "no", "abstain"]):
        proposals.cast_ballot(db, as_member(m), coop, r.id, choice, now=r.voting_opened_at)
    assert (r.status, r.outcome) == ("closed", "passed")
    assert (term.ended_at, term.end_reason, term.recall_id) == (r.voting_opened_at, "recall", r.id)
    [seat] = offices.holders(db, coop.id, r.voting_opened_at)
    assert (seat.name, seat.holders, seat.vacancies) == ("Treasurer", [], 1)
    [before] = offices.holders(db, coop.id, at)
    assert [t.member_id for t in before.holders] == [treasurer.id]
    assert [t.id for t in offices.history(db, coop.id, "treasurer")] == [term.id]


def test_a_recall_that_fails_its_threshold_leaves_the_term_running(db, coop, voters):
    qualify(db, coop, voters[1], "accounting", 6)
    elected = elect(db, coop, "treasurer", [voters[1]], voters)
    [term] = offices.current_terms(db, coop.id, elected.closed_at)
    at = elected.closed_at + dt.timedelta(days=1)
    r = recalls.draft_recall(db, as_member(voters[0]), coop, term.id, now=at)
    proposals.open_deliberation(db, as_member(voters[0]), coop, r.id, now=at)
    proposals.open_voting(db, as_member(voters[0]), coop, r.id, now=r.deliberation_ends_at)
    for m, choice in zip([voters[0]] + voters[2:], ["yes", "yes", "yes", "no", "no"]):
        proposals.cast_ballot(db, as_member(m), coop, r.id, choice, now=r.voting_opened_at)
    assert (r.outcome, r.failed_test) == ("failed", "threshold")
    assert term.ended_at is None


def test_a_departing_member_leaves_their_office_vacant(db, coop, voters):
    qualify(db, coop, voters[1], "accounting", 6)
    elect(db, coop, "treasurer", [voters[1]], voters)
    [term] = offices.open_terms(db, coop.id, "treasurer")
    members.change_status(db, OPERATOR, coop, voters[1], "departed", now=NOW)
    assert term.end_reason == "departure" and term.ended_at == voters[1].departed_at


def test_a_regular_election_replaces_the_sitting_holder_and_the_history_keeps_both(db, coop, voters):
    for m in voters[1:3]:
        qualify(db, coop, m, "accounting", 6)
    first = elect(db, coop, "treasurer", [voters[1]], voters)
    second = elect(db, coop, "treasurer", [voters[2]], voters, at=add_months(first.closed_at, 20))
    old, new = offices.history(db, coop.id, "treasurer")[::-1]
    assert (old.member_id, old.end_reason, old.ended_at) == (voters[1].id, "succeeded", second.closed_at)
    assert (new.member_id, new.election_id, new.started_at) == (voters[2].id, second.id, second.closed_at)
    assert new.ends_at == add_months(second.closed_at, 24)
    assert [t.member_id for t in offices.holders(db, coop.id, first.closed_at)[0].holders] == [voters[1].id]


def test_the_database_refuses_a_second_open_term_for_one_member_in_one_office(db, coop, voters):
    values = dict(coop_id=coop.id, office_key="treasurer", member_id=voters[1].id, started_at=T0,
                  ends_at=add_months(T0, 24))
    db.add(Term(**values))
    db.flush()
    with pytest.raises(IntegrityError), db.begin_nested():
        db.add(Term(**values))
        db.flush()
    db.add(Term(**values, ended_at=T0, end_reason="expiry"))  # a closed one is fine
    db.flush()


def test_reading_office_holders_takes_a_constant_number_of_queries(db, coop, engine):
    found(db, coop, "safety_officer", "Safety officer", seats=3, requires="")
    holders = [senior(db, coop) for _ in range(3)]
    counts = []
    for n in (1, 3):
        for m in holders[:n]:
            if not offices.open_terms(db, coop.id, "safety_officer", m.id):
                offices.start_term(db, coop.id, offices.get_office(db, coop.id, "safety_officer"), m.id, T0, None)
        db.expunge_all()
        queries = []
        listener = lambda *a: queries.append(a[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        try:
            seats = offices.holders(db, coop.id, T0 + dt.timedelta(days=1))
            [t.member.name for s in seats for t in s.holders]
            offices.history(db, coop.id)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_election_decisions_are_public_records_in_the_ledger(db, coop, voters):
    qualify(db, coop, voters[1], "accounting", 6)
    p = elect(db, coop, "treasurer", [voters[1]], voters)
    body = decode(db.get(LedgerEntry, (coop.id, p.decision_entry_index)).body)
    assert body["proposal_kind"] == "election" and body["outcome"] == "passed"
    assert body["election"]["elected"] == [voters[1].id]
    assert body["tally"] == {"yes": 6, "no": 0, "abstain": 0}


def test_members_qualified_for_the_office_give_expert_opinions_on_an_election(db, coop, voters):
    accountant, welder = voters[1], voters[2]
    qa = qualify(db, coop, accountant, "accounting", 7)
    qw = qualify(db, coop, welder, "welding", 4)
    p = call(db, coop, "treasurer", voters[0])
    opinion = proposals.comment(db, as_member(accountant), coop, p.id, "The role needs IFRS.", qa.id, now=NOW)
    assert opinion.kind == "expert_opinion"
    with pytest.raises(PermissionDenied, match="come from accounting"):
        proposals.comment(db, as_member(welder), coop, p.id, "I can weld the safe.", qw.id, now=NOW)


def test_rule_versions_made_by_founding_offices_are_listed_with_the_rules(db, coop):
    keys = rules.rule_keys(db, coop.id)
    assert "office.treasurer" in keys.values()
    v = db.scalars(select(RuleVersion).where(RuleVersion.coop_id == coop.id,
                                             RuleVersion.title == "Treasurer")).one()
    assert v.parameters["office.treasurer.term_months"] == "24"
