"""Races resolved by the database: one live ballot per member, one close, one execution."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from coop.db import make_engine, make_session_factory
from coop.errors import CoopError
from coop.ledger.keys import KeyStore
from coop.models import Ballot, BallotChange, Cooperative, LedgerEntry, Member, PayRecord, Proposal
from coop.services import elections, proposals
from tests.clock import NOW
from tests.factories import as_member, general_vote, make_coop, make_member, open_for_voting
from tests.office_factories import found
from tests.races import race as _race


def _setup(url: str, keys: KeyStore, n: int, pay_vote: bool = False) -> tuple[int, int, list[int]]:
    engine = make_engine(url)
    with make_session_factory(engine)() as s, s.begin():
        coop = make_coop(s, keys)
        ms = [make_member(s, coop, hourly_rate="25.00") for _ in range(n)]
        if pay_vote:
            p = proposals.draft_pay_adjustment(s, as_member(ms[1]), coop, "Raise", "", ms[0],
                                               {"hourly_rate": Decimal("26.00"), "reason": "skills"}, now=NOW)
            open_for_voting(s, coop, p, ms[1])
        else:
            p = general_vote(s, coop, ms[0])
        ids = (coop.id, p.id, [m.id for m in ms])
    engine.dispose()
    return ids


def _cast(coop_id: int, pid: int, member_id: int, choice: str):
    def job(s):
        coop = s.get(Cooperative, coop_id)
        m = s.get(Member, member_id)
        p = s.get(Proposal, pid)
        proposals.cast_ballot(s, as_member(m), coop, pid, choice, now=p.voting_opened_at)
    return job


def test_concurrent_first_ballots_by_one_member_leave_one_live_ballot(committed_url, keys):
    coop_id, pid, ms = _setup(committed_url, keys, 5)
    results = _race(committed_url, [_cast(coop_id, pid, ms[1], c) for c in ("yes", "no", "abstain", "yes")])
    assert [r for r in results if r is not None] == []
    engine = make_engine(committed_url)
    with make_session_factory(engine)() as s:
        ballots = s.scalars(select(Ballot).where(Ballot.proposal_id == pid)).all()
        history = s.scalars(select(BallotChange.choice).where(BallotChange.proposal_id == pid)
                            .order_by(BallotChange.id)).all()
    engine.dispose()
    assert len(ballots) == 1 and ballots[0].changes == 3
    assert len(history) == 4 and ballots[0].choice == history[-1]


def test_the_database_itself_refuses_a_second_live_ballot(committed_url, keys):
    coop_id, pid, ms = _setup(committed_url, keys, 3)
    engine = make_engine(committed_url)
    factory = make_session_factory(engine)
    with factory() as s, s.begin():
        s.add(Ballot(proposal_id=pid, member_id=ms[0], choice="yes", cast_at=NOW))
    with pytest.raises(IntegrityError), factory() as s, s.begin():
        s.add(Ballot(proposal_id=pid, member_id=ms[0], choice="no", cast_at=NOW))
    engine.dispose()


def test_last_ballots_racing_a_deadline_close_execute_the_pay_change_exactly_once(committed_url, keys):
    coop_id, pid, ms = _setup(committed_url, keys, 6, pay_vote=True)
    voters = ms[1:]
    jobs = [_cast(coop_id, pid, m, "yes") for m in voters]

    def closer(s):
        p = s.get(Proposal, pid)
        proposals.close_due(s, p.voting_closes_at, coop_id=coop_id)

    jobs += [closer, closer]
    results = _race(committed_url, jobs)
    assert all(r is None or isinstance(r, CoopError) for r in results), results
    engine = make_engine(committed_url)
    with make_session_factory(engine)() as s:
        p = s.get(Proposal, pid)
        assert p.status == "closed"
        pay_records = s.scalar(select(func.count()).select_from(PayRecord).where(PayRecord.proposal_id == pid))
        decisions = s.scalar(select(func.count()).select_from(LedgerEntry).where(
            LedgerEntry.coop_id == coop_id, LedgerEntry.kind == "decision"))
        indexes = s.scalars(select(LedgerEntry.index).where(LedgerEntry.coop_id == coop_id)
                            .order_by(LedgerEntry.index)).all()
    engine.dispose()
    assert decisions == 1
    assert pay_records == (1 if p.outcome == "passed" else 0)
    assert indexes == list(range(len(indexes)))


def test_two_drafts_of_an_election_for_one_office_racing_leave_one(committed_url, keys):
    # The check for an election already under way is a read; drafts queue on the office's rule
    # row, so the second sees the first and is refused.
    engine = make_engine(committed_url)
    with make_session_factory(engine)() as s, s.begin():
        coop = make_coop(s, keys)
        ms = [make_member(s, coop) for _ in range(2)]
        found(s, coop)
        coop_id, member_ids = coop.id, [m.id for m in ms]
    engine.dispose()

    def draft(member_id: int):
        def job(s):
            elections.draft_election(s, as_member(s.get(Member, member_id)), s.get(Cooperative, coop_id), "treasurer",
                                     now=NOW)
        return job

    results = _race(committed_url, [draft(m) for m in member_ids])
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "NoneType"], results
    engine = make_engine(committed_url)
    with make_session_factory(engine)() as s:
        n = s.scalar(select(func.count()).select_from(Proposal).where(
            Proposal.coop_id == coop_id, Proposal.kind == "election"))
    engine.dispose()
    assert n == 1
