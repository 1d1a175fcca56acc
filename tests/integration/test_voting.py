"""Ballots, electorate, closing and outcomes (DESIGN.md "Governance semantics")."""

import datetime as dt

import pytest
from sqlalchemy import func, select

from coop.errors import Conflict, InvalidInput, PermissionDenied
from coop.ledger.canonical import decode
from coop.models import AuditEvent, Ballot, BallotChange, LedgerEntry
from coop.services import members, proposals
from coop.services.ledger import decision_payload
from tests.clock import NOW
from tests.dbstate import assert_unchanged, snapshot
from tests.factories import as_member, general_vote, make_coop, make_member, make_members


@pytest.fixture
def coop(db, keys):
    return make_coop(db, keys)


def vote(db, coop, p, member, choice, now=None):
    return proposals.cast_ballot(db, as_member(member), coop, p.id, choice, now=now or p.voting_opened_at)


def test_simple_majority_passes_and_the_decision_record_is_appended(db, coop):
    ms = make_members(db, coop, 5)
    p = general_vote(db, coop, ms[0])
    for m, c in zip(ms[:4], ["yes", "yes", "yes", "no"]):
        vote(db, coop, p, m, c)
    closed = proposals.close_due(db, p.voting_closes_at, coop_id=coop.id)
    assert closed == [p]
    assert (p.status, p.outcome, p.failed_test) == ("closed", "passed", None)
    assert (p.yes_count, p.no_count, p.abstain_count) == (3, 1, 0)
    assert p.executed_at is not None
    entry = db.get(LedgerEntry, (coop.id, p.decision_entry_index))
    body = decode(entry.body)
    assert body["kind"] == "decision" and body["outcome"] == "passed"
    assert body["tally"] == {"yes": 3, "no": 1, "abstain": 0}
    assert body["electorate_size"] == 5 and body["threshold"] == "1/2 of cast, strict"
    assert {k: body[k] for k in decision_payload(p)} == decision_payload(p)


def test_a_proposal_fails_on_quorum_even_when_every_ballot_is_yes(db, coop):
    ms = make_members(db, coop, 10)
    p = general_vote(db, coop, ms[0])
    for m in ms[:4]:
        vote(db, coop, p, m, "yes")
    proposals.close_due(db, p.voting_closes_at)
    assert (p.outcome, p.failed_test) == ("failed", "quorum")
    assert "4 of 10" in p.outcome_reason


def test_quorum_can_be_met_by_abstentions_alone_and_then_fails_for_want_of_votes_cast(db, coop):
    ms = make_members(db, coop, 4)
    p = general_vote(db, coop, ms[0])
    for m in ms[:2]:
        vote(db, coop, p, m, "abstain")
    proposals.close_due(db, p.voting_closes_at)
    assert (p.outcome, p.failed_test) == ("failed", "no_base")


def test_a_tie_fails_a_strict_majority(db, coop):
    ms = make_members(db, coop, 4)
    p = general_vote(db, coop, ms[0])
    for m, c in zip(ms, ["yes", "yes", "no", "no"]):
        vote(db, coop, p, m, c)
    assert p.status == "closed"  # everyone voted: closed early
    assert (p.outcome, p.failed_test) == ("failed", "threshold")


def test_voting_closes_early_when_the_whole_electorate_has_voted(db, coop):
    ms = make_members(db, coop, 3)
    p = general_vote(db, coop, ms[0])
    vote(db, coop, p, ms[0], "yes")
    vote(db, coop, p, ms[1], "yes")
    assert p.status == "voting"
    vote(db, coop, p, ms[2], "no")
    assert p.status == "closed" and p.closed_at == p.voting_opened_at


def test_a_changed_ballot_counts_once_as_its_last_choice_and_history_keeps_every_change(db, coop):
    ms = make_members(db, coop, 5)
    p = general_vote(db, coop, ms[0])
    t0 = p.voting_opened_at
    vote(db, coop, p, ms[1], "yes", t0)
    vote(db, coop, p, ms[1], "no", t0 + dt.timedelta(hours=1))
    vote(db, coop, p, ms[1], "abstain", t0 + dt.timedelta(hours=2))
    ballots = db.scalars(select(Ballot).where(Ballot.proposal_id == p.id)).all()
    assert [(b.member_id, b.choice, b.changes) for b in ballots] == [(ms[1].id, "abstain", 2)]
    history = db.scalars(select(BallotChange.choice).where(BallotChange.proposal_id == p.id)
                         .order_by(BallotChange.id)).all()
    assert history == ["yes", "no", "abstain"]
    assert proposals.tally(db, p.id).abstain == 1


def test_the_electorate_is_fixed_when_voting_opens(db, coop):
    ms = make_members(db, coop, 3)
    p = general_vote(db, coop, ms[0])
    late = make_member(db, coop)
    before = snapshot(db)
    with pytest.raises(PermissionDenied, match="not in the electorate"):
        vote(db, coop, p, late, "yes")
    assert_unchanged(db, before)
    assert p.electorate_size == 3


def test_a_member_who_departs_keeps_their_cast_ballot_counted(db, coop):
    ms = make_members(db, coop, 3)
    p = general_vote(db, coop, ms[0])
    vote(db, coop, p, ms[2], "yes")
    members.change_status(db, as_member_secretary(db, coop), coop, ms[2], "departed", now=NOW)
    vote(db, coop, p, ms[0], "yes")
    proposals.close_due(db, p.voting_closes_at)
    assert p.yes_count == 2 and p.outcome == "passed"


def as_member_secretary(db, coop):
    return as_member(make_member(db, coop, role="secretary"))


def test_a_vote_after_close_is_refused_and_writes_nothing(db, coop):
    ms = make_members(db, coop, 4)
    p = general_vote(db, coop, ms[0])
    vote(db, coop, p, ms[0], "yes")
    late = p.voting_closes_at + dt.timedelta(seconds=1)
    before = snapshot(db)
    with pytest.raises(Conflict, match="closed"):
        vote(db, coop, p, ms[1], "yes", late)
    # Reading it closed it (lazily); the close itself is the only change.
    assert p.status == "closed"
    assert db.scalar(select(func.count()).select_from(Ballot).where(Ballot.proposal_id == p.id)) == 1
    assert before["ballot_history"] == snapshot(db)["ballot_history"]


def test_members_of_another_coop_and_the_operator_cannot_vote(db, keys, coop):
    ms = make_members(db, coop, 3)
    p = general_vote(db, coop, ms[0])
    other = make_coop(db, keys)
    outsider = make_member(db, other)
    before = snapshot(db)
    with pytest.raises(PermissionDenied):
        vote(db, coop, p, outsider, "yes")
    from coop.services.actor import Actor
    with pytest.raises(PermissionDenied):
        proposals.cast_ballot(db, Actor.operator(), coop, p.id, "yes", now=p.voting_opened_at)
    assert_unchanged(db, before)


def test_an_unknown_choice_is_refused_naming_the_field(db, coop):
    ms = make_members(db, coop, 3)
    p = general_vote(db, coop, ms[0])
    before = snapshot(db)
    with pytest.raises(InvalidInput) as exc:
        vote(db, coop, p, ms[0], "maybe")
    assert exc.value.field == "choice"
    assert_unchanged(db, before)


def test_a_token_without_the_vote_scope_cannot_vote(db, coop):
    from coop.services.actor import Actor
    ms = make_members(db, coop, 3)
    p = general_vote(db, coop, ms[0])
    with pytest.raises(PermissionDenied, match="vote"):
        proposals.cast_ballot(db, Actor.of(ms[1], frozenset({"read"})), coop, p.id, "yes",
                              now=p.voting_opened_at)


def test_close_due_is_idempotent_and_reads_close_overdue_proposals_lazily(db, coop):
    ms = make_members(db, coop, 3)
    p = general_vote(db, coop, ms[0])
    q = general_vote(db, coop, ms[1], title="Second")
    vote(db, coop, p, ms[0], "yes")
    vote(db, coop, p, ms[1], "yes")
    after = p.voting_closes_at + dt.timedelta(minutes=1)
    assert proposals.close_due(db, after, coop_id=coop.id) == [p, q]
    assert proposals.close_due(db, after, coop_id=coop.id) == []
    entries = db.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.coop_id == coop.id))
    assert entries == 2  # one decision record each, never two


def test_reading_an_overdue_proposal_closes_it(db, coop):
    ms = make_members(db, coop, 3)
    p = general_vote(db, coop, ms[0])
    vote(db, coop, p, ms[0], "yes")
    got = proposals.get(db, coop, p.id, now=p.voting_closes_at)
    assert got.status == "closed" and got.outcome == "failed" and got.failed_test == "quorum"


def test_every_step_is_in_the_audit_trail(db, coop):
    ms = make_members(db, coop, 3)
    p = general_vote(db, coop, ms[0])
    vote(db, coop, p, ms[1], "yes")
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.object_id == p.id,
                                                         AuditEvent.object_type == "proposal")
                         .order_by(AuditEvent.id)).all()
    assert actions == ["proposal.drafted", "proposal.deliberation_opened", "proposal.voting_opened",
                       "ballot.cast"]
