"""Pay changes racing each other: the "already paid" and pay-policy checks run under the
co-op's ledger-head lock, so each sees every pay change committed before it."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from sqlalchemy import select

from coop.db import make_engine, make_session_factory
from coop.models import Cooperative, PayRecord, Proposal
from coop.services import pay, pay_import, proposals
from coop.services.actor import Actor
from coop.services.members import ImportRejected
from tests.clock import NOW
from tests.factories import as_member, make_coop, make_member, open_for_voting
from tests.races import race

OPERATOR = Actor.operator()
IMPORTS = 8


def test_concurrent_founding_pay_imports_for_one_member_record_it_once(committed_url, keys):
    engine = make_engine(committed_url)
    with make_session_factory(engine)() as s, s.begin():
        coop = make_coop(s, keys)
        member = make_member(s, coop, name="Ann")
        coop_id, member_id, email = coop.id, member.id, member.email
    engine.dispose()
    text = f"email,hourly_rate,weekly_hours\n{email},20.00,37.50\n"

    def job(s):
        pay_import.import_founding_pay(s, OPERATOR, s.get(Cooperative, coop_id), text, now=NOW)

    results = race(committed_url, [job] * IMPORTS)
    failures = [r for r in results if r is not None]
    assert len(failures) == IMPORTS - 1, results
    assert all(isinstance(r, ImportRejected) for r in failures), failures
    assert {str(e) for r in failures for e in r.errors} == {
        "line 2, email: Ann already has pay on the ledger; changing it takes a pay adjustment vote"}
    engine = make_engine(committed_url)
    with make_session_factory(engine)() as s:
        records = s.scalars(select(PayRecord).where(PayRecord.member_id == member_id)).all()
    engine.dispose()
    assert len(records) == 1


def _passed_pay_vote(s, coop, subject, voters, rate: str) -> int:
    """A pay adjustment for ``subject`` that has the votes to pass, still open."""
    p = proposals.draft_pay_adjustment(s, as_member(voters[0]), coop, f"Pay {subject.name} {rate}", "", subject,
                                       {"hourly_rate": Decimal(rate), "reason": "responsibility"}, now=NOW)
    open_for_voting(s, coop, p, voters[0])
    for v in voters:
        proposals.cast_ballot(s, as_member(v), coop, p.id, "yes", now=p.voting_opened_at)
    return p.id


def test_two_pay_adjustments_closed_at_once_cannot_break_the_pay_ratio_together(committed_url, keys):
    # Alone, each keeps within 3:1 (10.00 lowest against 30.00; or 15.00 against 33.40);
    # together they would make 33.40 / 10.00 = 3.34:1.
    engine = make_engine(committed_url)
    with make_session_factory(engine)() as s, s.begin():
        coop = make_coop(s, keys)
        low, mid, high, d, e = (make_member(s, coop, name=n, hourly_rate=r) for n, r in (
            ("Low", "15.00"), ("Mid", "25.00"), ("High", "30.00"), ("Dee", "20.00"), ("Eve", "20.00")))
        cut = _passed_pay_vote(s, coop, low, [mid, high], "10.00")
        rise = _passed_pay_vote(s, coop, high, [mid, d], "33.40")
        coop_id, deadline = coop.id, max(s.get(Proposal, pid).voting_closes_at for pid in (cut, rise))
    engine.dispose()

    def closer(pid: int):
        def job(s):
            p = s.scalars(select(Proposal).where(Proposal.id == pid).with_for_update()).one()
            proposals.close(s, p, deadline)
        return job

    results = race(committed_url, [closer(cut), closer(rise)])
    assert results == [None, None]
    engine = make_engine(committed_url)
    with make_session_factory(engine)() as s:
        closed = [s.get(Proposal, pid) for pid in (cut, rise)]
        table = pay.current_table(s, coop_id)
    engine.dispose()
    totals = sorted(p.total_hourly_cents for p in table.values())
    assert Fraction(totals[-1], totals[0]) <= 3, totals
    assert sorted(p.outcome for p in closed) == ["failed", "passed"]
    refused = next(p for p in closed if p.outcome == "failed")
    assert refused.failed_test == "not_applied"
    assert "but it was not applied: would make the ratio 3.34:1; the rules allow 3:1" in refused.outcome_reason
