"""Proposal lifecycle, pay adjustments and rule changes through the services."""

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from coop.errors import Conflict, InvalidInput, PermissionDenied, PolicyViolation
from coop.models import PayRecord, RuleVersion
from coop.services import pay, proposals, rules
from tests.clock import NOW, TODAY
from tests.dbstate import assert_unchanged, snapshot
from tests.factories import as_member, make_coop, make_member, open_for_voting


@pytest.fixture
def coop(db, keys):
    return make_coop(db, keys)


@pytest.fixture
def staff(db, coop):
    rates = ["20.00", "22.00", "24.00", "26.00", "28.00", "30.00"]
    return [make_member(db, coop, hourly_rate=r) for r in rates]


def everyone_votes(db, coop, p, voters, choices):
    for m, c in zip(voters, choices):
        proposals.cast_ballot(db, as_member(m), coop, p.id, c, now=p.voting_opened_at)


# -- lifecycle -------------------------------------------------------------------------------

def test_voting_cannot_open_before_the_notice_period_ends(db, coop, staff):
    p = proposals.draft_general(db, as_member(staff[0]), coop, "Motion", "", now=NOW)
    t0 = dt.datetime(2026, 1, 1, 12)
    proposals.open_deliberation(db, as_member(staff[0]), coop, p.id, now=t0)
    assert p.deliberation_ends_at == t0 + dt.timedelta(days=3)
    before = snapshot(db)
    with pytest.raises(Conflict, match="notice period"):
        proposals.open_voting(db, as_member(staff[0]), coop, p.id, now=t0 + dt.timedelta(days=2))
    assert_unchanged(db, before)


def test_a_proposal_can_be_withdrawn_before_voting_but_not_after(db, coop, staff):
    p = proposals.draft_general(db, as_member(staff[0]), coop, "Motion", "", now=NOW)
    proposals.withdraw(db, as_member(staff[0]), coop, p.id, now=NOW)
    assert p.status == "withdrawn"
    q = proposals.draft_general(db, as_member(staff[0]), coop, "Motion 2", "", now=NOW)
    open_for_voting(db, coop, q, staff[0])
    with pytest.raises(Conflict):
        proposals.withdraw(db, as_member(staff[0]), coop, q.id, now=NOW)


def test_only_the_author_or_the_secretary_moves_a_proposal_on(db, coop, staff):
    p = proposals.draft_general(db, as_member(staff[0]), coop, "Motion", "", now=NOW)
    with pytest.raises(PermissionDenied):
        proposals.open_deliberation(db, as_member(staff[1]), coop, p.id, now=NOW)
    secretary = make_member(db, coop, role="secretary")
    proposals.open_deliberation(db, as_member(secretary), coop, p.id, now=NOW)
    assert p.status == "deliberation"


def test_expert_opinions_need_a_verified_qualification_of_ones_own(db, coop, staff):
    from coop.services import members
    from tests.factories import OPERATOR

    p = proposals.draft_general(db, as_member(staff[0]), coop, "New dust extraction", "", now=NOW)
    proposals.open_deliberation(db, as_member(staff[0]), coop, p.id, now=NOW)
    q = members.add_qualification(db, as_member(staff[1]), coop, staff[1], "occupational safety", 5,
                                  "Institution of Safety", dt.date(2020, 6, 1), now=NOW)
    with pytest.raises(PermissionDenied, match="verified"):
        proposals.comment(db, as_member(staff[1]), coop, p.id, "Needs H-class filters", q.id, now=NOW)
    members.verify_qualification(db, OPERATOR, coop, q, now=NOW)
    opinion = proposals.comment(db, as_member(staff[1]), coop, p.id, "Needs H-class filters", q.id, now=NOW)
    assert opinion.kind == "expert_opinion"
    with pytest.raises(InvalidInput):
        proposals.comment(db, as_member(staff[2]), coop, p.id, "I am an expert too", q.id, now=NOW)
    plain = proposals.comment(db, as_member(staff[2]), coop, p.id, "Agreed", now=NOW)
    assert plain.kind == "comment"


# -- pay adjustments -------------------------------------------------------------------------

def test_a_passed_pay_adjustment_appends_exactly_one_pay_record_and_recuses_its_subject(db, coop, staff):
    subject = staff[0]
    p = proposals.draft_pay_adjustment(db, as_member(staff[5]), coop, "Raise for first-aid cover", "",
                                       subject, {"hourly_rate": Decimal("23.50"), "reason": "skills"}, now=NOW)
    open_for_voting(db, coop, p, staff[5])
    assert p.electorate_size == 5
    with pytest.raises(PermissionDenied):
        proposals.cast_ballot(db, as_member(subject), coop, p.id, "yes", now=p.voting_opened_at)
    everyone_votes(db, coop, p, staff[1:], ["yes", "yes", "yes", "no", "abstain"])
    assert (p.status, p.outcome) == ("closed", "passed")
    record = db.scalars(select(PayRecord).where(PayRecord.proposal_id == p.id)).one()
    assert record.hourly_rate == Decimal("23.50") and record.authority == "proposal"
    assert record.entry_index == p.decision_entry_index + 1
    assert pay.current_table(db, coop.id)[subject.id].hourly_rate == Decimal("23.50")
    # Closing again is harmless: execution happens exactly once.
    proposals.close(db, p, p.voting_closes_at)
    proposals.close_due(db, p.voting_closes_at + dt.timedelta(days=1))
    assert db.scalar(select(func.count()).select_from(PayRecord).where(PayRecord.proposal_id == p.id)) == 1


def test_the_database_refuses_a_second_pay_record_for_one_proposal(db, coop, staff):
    from sqlalchemy.exc import IntegrityError

    from coop.pay import Pay
    from coop.services import ledger

    p = proposals.draft_pay_adjustment(db, as_member(staff[5]), coop, "Raise", "", staff[0],
                                       {"hourly_rate": Decimal("21.00"), "reason": "hours"}, now=NOW)
    open_for_voting(db, coop, p, staff[5])
    everyone_votes(db, coop, p, staff[1:], ["yes"] * 5)
    with pytest.raises(IntegrityError), db.begin_nested():
        ledger.append_pay_record(db, coop, staff[0].id, staff[0].name, Pay(Decimal("21.00"), Decimal("37.50")),
                                 52, "proposal", TODAY, proposal_id=p.id, now=NOW)


def test_a_pay_adjustment_breaking_the_ratio_is_refused_when_drafted_naming_the_numbers(db, coop, staff):
    before = snapshot(db)
    with pytest.raises(PolicyViolation, match=r"would make the ratio 3\.4:1; the rules allow 3:1"):
        proposals.draft_pay_adjustment(db, as_member(staff[1]), coop, "Big raise", "", staff[5],
                                       {"hourly_rate": Decimal("68.00"), "reason": "responsibility"}, now=NOW)
    assert_unchanged(db, before)


def test_a_pay_adjustment_that_breaks_the_policy_at_execution_is_not_applied_and_says_why(db, coop, staff):
    big = proposals.draft_pay_adjustment(db, as_member(staff[1]), coop, "Lead raise", "", staff[5],
                                         {"hourly_rate": Decimal("59.50"), "reason": "responsibility"}, now=NOW)
    cut = proposals.draft_pay_adjustment(db, as_member(staff[1]), coop, "Fewer hours, lower rate", "",
                                         staff[0], {"hourly_rate": Decimal("19.50"), "reason": "hours"}, now=NOW)
    open_for_voting(db, coop, big, staff[1])
    open_for_voting(db, coop, cut, staff[1])
    everyone_votes(db, coop, cut, staff[1:], ["yes"] * 5)
    assert cut.outcome == "passed"
    everyone_votes(db, coop, big, staff[:5], ["yes"] * 5)
    assert (big.outcome, big.failed_test) == ("failed", "not_applied")
    assert "ratio" in big.outcome_reason and "3:1" in big.outcome_reason
    assert big.executed_at is None
    assert db.scalar(select(func.count()).select_from(PayRecord).where(PayRecord.proposal_id == big.id)) == 0


def test_a_pay_adjustment_for_a_member_without_pay_needs_rate_and_hours(db, coop, staff):
    newcomer = make_member(db, coop)
    with pytest.raises(InvalidInput) as exc:
        proposals.draft_pay_adjustment(db, as_member(staff[0]), coop, "Pay newcomer", "", newcomer,
                                       {"hourly_rate": Decimal("22.00"), "reason": "other"}, now=NOW)
    assert exc.value.field == "weekly_hours"


# -- rule changes ----------------------------------------------------------------------------

def _lower_entrenched(db, coop, author):
    return proposals.draft_rule_change(db, as_member(author), coop, "Lower the rule-change bar", "", {
        "action": "amend", "rule_key": "voting.rule_change",
        "parameters": {"voting.rule_change.threshold": "1/2 of cast, strict",
                       "voting.rule_change.quorum": "1/2", "voting.rule_change.notice_days": "7"},
    }, now=NOW)


def test_an_entrenched_rule_cannot_be_changed_by_two_thirds_when_it_needs_three_quarters(db, coop):
    voters = [make_member(db, coop) for _ in range(12)]
    p = _lower_entrenched(db, coop, voters[0])
    assert p.details["requires"] == "entrenched"
    open_for_voting(db, coop, p, voters[0])
    assert p.threshold == "3/4 of cast" and p.quorum == "2/3"
    everyone_votes(db, coop, p, voters, ["yes"] * 8 + ["no"] * 4)  # exactly 2/3
    assert (p.outcome, p.failed_test) == ("failed", "threshold")
    _, current = rules.get_rule(db, coop.id, "voting.rule_change")
    assert current.version == 1


def test_an_entrenched_rule_changes_with_three_quarters_and_keeps_its_history(db, coop):
    voters = [make_member(db, coop) for _ in range(12)]
    p = _lower_entrenched(db, coop, voters[0])
    open_for_voting(db, coop, p, voters[0])
    everyone_votes(db, coop, p, voters, ["yes"] * 9 + ["no"] * 3)
    assert p.outcome == "passed"
    history = rules.history(db, coop.id, "voting.rule_change")
    assert [v.version for v in history] == [1, 2]
    assert history[1].proposal_id == p.id and history[1].created_by_id == voters[0].id
    assert history[0].parameters["voting.rule_change.threshold"] == "2/3 of cast"
    assert rules.parameters(db, coop.id)["voting.rule_change.threshold"] == "1/2 of cast, strict"


def test_an_ordinary_rule_changes_with_exactly_two_thirds(db, coop):
    voters = [make_member(db, coop) for _ in range(6)]
    p = proposals.draft_rule_change(db, as_member(voters[0]), coop, "Tighter ratio", "", {
        "action": "amend", "rule_key": "pay.policy",
        "parameters": {"pay.max_ratio": "5/2", "pay.floor": "15.00", "pay.weeks_per_year": "52"}}, now=NOW)
    assert p.details["requires"] == "rule_change"
    open_for_voting(db, coop, p, voters[0])
    assert p.threshold == "2/3 of cast"
    everyone_votes(db, coop, p, voters, ["yes"] * 4 + ["no"] * 2)
    assert p.outcome == "passed"
    assert rules.parameters(db, coop.id)["pay.max_ratio"] == "5/2"


def test_unentrenching_a_rule_or_adding_voting_parameters_needs_the_entrenched_threshold(db, coop):
    m = make_member(db, coop)
    unentrench = proposals.draft_rule_change(db, as_member(m), coop, "Unentrench", "", {
        "action": "amend", "rule_key": "voting.entrenched", "entrenched": False}, now=NOW)
    assert unentrench.details["requires"] == "entrenched"
    sneak = proposals.draft_rule_change(db, as_member(m), coop, "Sneak", "", {
        "action": "amend", "rule_key": "purpose", "parameters": {"voting.sneaky.threshold": "1/3 of cast"}}, now=NOW)
    assert sneak.details["requires"] == "entrenched"
    assert "voting.sneaky.threshold" in sneak.details["requires_why"]


@pytest.mark.parametrize("bad", ["2/0 of cast", "0.66 of cast", "2/3 of everyone", "-1/2 of cast", "3/2 of cast", "two thirds"])
def test_malformed_thresholds_in_a_rule_change_are_refused_and_write_nothing(db, coop, bad):
    m = make_member(db, coop)
    before = snapshot(db)
    with pytest.raises(InvalidInput) as exc:
        proposals.draft_rule_change(db, as_member(m), coop, "Bad", "", {
            "action": "amend", "rule_key": "voting.general",
            "parameters": {"voting.general.threshold": bad, "voting.general.quorum": "1/2",
                           "voting.general.notice_days": "3"}}, now=NOW)
    assert exc.value.field == "parameters"
    assert_unchanged(db, before)


def test_repealing_a_rule_the_engine_needs_is_refused(db, coop):
    m = make_member(db, coop)
    with pytest.raises(InvalidInput, match="voting.period_days"):
        proposals.draft_rule_change(db, as_member(m), coop, "No deadline", "",
                                    {"action": "repeal", "rule_key": "voting.period"}, now=NOW)


def test_a_threshold_change_that_passes_later_never_changes_an_open_vote(db, coop):
    voters = [make_member(db, coop) for _ in range(4)]
    open_motion = proposals.draft_general(db, as_member(voters[0]), coop, "Motion", "", now=NOW)
    open_for_voting(db, coop, open_motion, voters[0])
    assert open_motion.threshold == "1/2 of cast, strict"
    change = proposals.draft_rule_change(db, as_member(voters[0]), coop, "Unanimity for motions", "", {
        "action": "amend", "rule_key": "voting.general",
        "parameters": {"voting.general.threshold": "1/1 of cast", "voting.general.quorum": "1/2",
                       "voting.general.notice_days": "3"}}, now=NOW)
    open_for_voting(db, coop, change, voters[0])
    everyone_votes(db, coop, change, voters, ["yes"] * 4)
    assert change.outcome == "passed"
    everyone_votes(db, coop, open_motion, voters, ["yes", "yes", "yes", "no"])
    assert open_motion.threshold == "1/2 of cast, strict" and open_motion.outcome == "passed"


def test_a_rule_change_drafted_against_an_old_version_is_not_applied(db, coop):
    voters = [make_member(db, coop) for _ in range(3)]
    change = {"action": "amend", "rule_key": "purpose", "text": "Version A"}
    a = proposals.draft_rule_change(db, as_member(voters[0]), coop, "A", "", change, now=NOW)
    b = proposals.draft_rule_change(db, as_member(voters[0]), coop, "B", "", {**change, "text": "Version B"}, now=NOW)
    for p in (a, b):
        open_for_voting(db, coop, p, voters[0])
    everyone_votes(db, coop, a, voters, ["yes"] * 3)
    everyone_votes(db, coop, b, voters, ["yes"] * 3)
    assert a.outcome == "passed"
    assert (b.outcome, b.failed_test) == ("failed", "not_applied")
    assert db.scalar(select(func.count()).select_from(RuleVersion).where(RuleVersion.proposal_id == b.id)) == 0


def test_when_the_coop_already_breaks_its_ratio_a_change_that_narrows_it_may_still_be_drafted(db, coop):
    low = make_member(db, coop, hourly_rate="10.00")
    high = make_member(db, coop, hourly_rate="40.00")  # 4:1, founded before the 3:1 policy bit
    narrowing = proposals.draft_pay_adjustment(db, as_member(high), coop, "Raise the lowest", "", low,
                                               {"hourly_rate": Decimal("12.00"), "reason": "other"}, now=NOW)
    assert narrowing.details["new"]["hourly_rate"] == "12.00"
    with pytest.raises(PolicyViolation, match="ratio"):
        proposals.draft_pay_adjustment(db, as_member(low), coop, "Raise the highest", "", high,
                                       {"hourly_rate": Decimal("41.00"), "reason": "other"}, now=NOW)


def test_over_long_titles_are_refused_when_drafted_and_write_nothing(db, coop):
    # The columns hold 200 characters: without this the portal (which calls the services with
    # no schema in between) got a 500 on PostgreSQL, and a rule title would fail only when
    # the passed vote tried to write the rule version.
    m = make_member(db, coop)
    before = snapshot(db)
    with pytest.raises(InvalidInput, match="at most 200 characters") as exc:
        proposals.draft_general(db, as_member(m), coop, "T" * 201, "", now=NOW)
    assert exc.value.field == "title"
    with pytest.raises(InvalidInput, match="at most 200 characters") as exc:
        proposals.draft_rule_change(db, as_member(m), coop, "Rename the purpose", "", {
            "action": "amend", "rule_key": "purpose", "title": "P" * 201}, now=NOW)
    assert exc.value.field == "title"
    assert_unchanged(db, before)
    assert proposals.draft_general(db, as_member(m), coop, "T" * 200, "", now=NOW).title == "T" * 200


# -- when a vote closes ------------------------------------------------------------------------

def test_a_vote_closed_late_by_the_scheduler_is_closed_and_paid_from_its_deadline(db, coop, staff):
    p = proposals.draft_pay_adjustment(db, as_member(staff[5]), coop, "Raise for first-aid cover", "",
                                       staff[0], {"hourly_rate": Decimal("23.50"), "reason": "skills"}, now=NOW)
    open_for_voting(db, coop, p, staff[5])
    everyone_votes(db, coop, p, staff[1:4], ["yes", "yes", "yes"])  # quorum met, not everyone
    deadline = p.voting_closes_at
    assert p.status == "voting" and deadline is not None
    # The job did not run for three days (a weekend, an outage): the dates are the deadline's.
    assert proposals.close_due(db, deadline + dt.timedelta(days=3, hours=5)) == [p]
    assert (p.status, p.outcome) == ("closed", "passed")
    assert p.closed_at == deadline and p.executed_at == deadline
    record = db.scalars(select(PayRecord).where(PayRecord.proposal_id == p.id)).one()
    assert record.effective_date == deadline.date()


def test_a_vote_closed_early_because_everyone_voted_closes_at_the_last_ballot(db, coop, staff):
    p = proposals.draft_general(db, as_member(staff[0]), coop, "Motion", "", now=NOW)
    open_for_voting(db, coop, p, staff[0])
    last_ballot = p.voting_opened_at + dt.timedelta(days=2, hours=3)
    for m in staff:
        proposals.cast_ballot(db, as_member(m), coop, p.id, "yes", now=last_ballot)
    assert p.status == "closed" and p.closed_at == last_ballot == p.executed_at
