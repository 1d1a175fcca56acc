"""The audit report: every pay change traced to a passed vote, or listed as having none."""

from __future__ import annotations

import json
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select, text, update

from coop.models import LedgerEntry, PayRecord
from coop.pay import Pay
from coop.services import audit_report, ledger, members, proposals
from coop.services.actor import Actor
from tests.clock import NOW, TODAY
from tests.factories import as_member, make_coop, make_member, open_for_voting
from tests.querycount import count_queries


@pytest.fixture
def coop(db, keys):
    return make_coop(db, keys)


@pytest.fixture
def staff(db, coop):
    return [make_member(db, coop, hourly_rate=r) for r in ["20.00", "22.00", "24.00", "26.00"]]


def pay_vote(db, coop, subject, author, voters, rate, choices):
    p = proposals.draft_pay_adjustment(db, as_member(author), coop, f"Pay {subject.name} {rate}", "",
                                       subject, {"hourly_rate": Decimal(rate), "reason": "skills"}, now=NOW)
    open_for_voting(db, coop, p, author)
    for m, c in zip(voters, choices):
        proposals.cast_ballot(db, as_member(m), coop, p.id, c, now=p.voting_opened_at)
    return p


def test_a_clean_ledger_traces_each_vote_and_lists_founding_and_departure_records(db, coop, staff):
    p = pay_vote(db, coop, staff[0], staff[1], staff[1:], "23.00", ["yes", "yes", "abstain"])
    failed = pay_vote(db, coop, staff[1], staff[2], [staff[0], staff[2], staff[3]], "25.00", ["no", "no", "yes"])
    assert failed.outcome == "failed"
    members.change_status(db, Actor.operator(), coop, staff[3], "departed", now=NOW)
    r = audit_report.report(db, coop)
    assert r.ok, [str(a) for a in r.anomalies]
    (trace,) = r.traces
    assert (trace.member_id, trace.total_hourly, trace.decision.proposal_id) == (staff[0].id, "23.00", p.id)
    assert (trace.decision.yes, trace.decision.no, trace.decision.abstain) == (2, 0, 1)
    assert [t.authority for t in r.without_vote] == ["founding"] * 4 + ["departure"]


def test_a_second_founding_record_is_pay_changed_without_a_vote(db, coop, staff):
    record = ledger.append_pay_record(db, coop, staff[0].id, staff[0].name, Pay(Decimal("30.00"), Decimal("37.50")),
                                      52, authority="founding", effective_date=TODAY, now=NOW)
    r = audit_report.report(db, coop)
    assert [str(a) for a in r.anomalies] == [
        f"entry {record.entry_index}: a founding record for {staff[0].name}, who was already paid: "
        "pay changed without a vote"]


def test_a_pay_record_citing_a_failed_vote_is_an_anomaly(db, coop, staff):
    failed = pay_vote(db, coop, staff[0], staff[1], staff[1:], "23.00", ["no", "no", "no"])
    record = ledger.append_pay_record(db, coop, staff[0].id, staff[0].name, Pay(Decimal("23.00"), Decimal("37.50")),
                                      52, authority="proposal", effective_date=TODAY,
                                      proposal_id=failed.id, now=NOW)
    messages = [str(a) for a in audit_report.report(db, coop).anomalies]
    assert f"entry {record.entry_index}, proposal {failed.id}: no passed decision behind it: proposal " \
           f"'{failed.title}' is closed, outcome failed" in messages
    assert any("does not show this proposal passing" in m for m in messages)


def test_an_executed_pay_adjustment_without_its_pay_entry_is_an_anomaly(db, coop, staff):
    p = pay_vote(db, coop, staff[0], staff[1], staff[1:], "23.00", ["no", "no", "no"])
    # Someone marks it executed behind the application's back (proposals are not append-only).
    p.outcome, p.executed_at = "passed", p.closed_at
    db.flush()
    anomalies = audit_report.report(db, coop).anomalies
    assert [str(a) for a in anomalies] == [
        f"proposal {p.id}: executed pay adjustment '{p.title}' has 0 pay entries; it must have exactly one"]


def test_the_report_issues_a_constant_number_of_queries(db, coop, staff):
    pay_vote(db, coop, staff[0], staff[1], staff[1:], "23.00", ["yes", "yes", "yes"])
    with count_queries(db) as small:
        audit_report.report(db, coop)
    for _ in range(10):
        make_member(db, coop, hourly_rate="25.00")
    pay_vote(db, coop, staff[1], staff[2], [staff[0], staff[2], staff[3]], "23.00", ["yes", "yes", "yes"])
    with count_queries(db) as large:
        audit_report.report(db, coop)
    assert large.count == small.count



def _forge_decision(db, coop, index, forge) -> None:
    """Rewrite one entry's body behind the application's back. Dropping the append-only
    trigger is rolled back with the rest of the test's transaction."""
    conn = db.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text("DROP TRIGGER ledger_entries_append_only ON ledger_entries"))
    else:
        conn.execute(text("DROP TRIGGER ledger_entries_no_update"))
    entry = db.get(LedgerEntry, (coop.id, index))
    forged = forge(bytes(entry.body))
    assert forged != bytes(entry.body)
    db.execute(update(LedgerEntry).where(LedgerEntry.coop_id == coop.id, LedgerEntry.index == index)
               .values(body=forged))
    db.expire_all()


@pytest.mark.parametrize("forge", [
    lambda body: body.replace(b'"yes":2', b'"yes":2.0'),  # a float tally equal to the count
    lambda body: b"[" + body + b"]",  # valid JSON, but no entry
], ids=["float-tally", "not-an-object"])
def test_a_decision_record_not_read_back_exactly_is_an_anomaly(db, coop, staff, forge):
    p = pay_vote(db, coop, staff[0], staff[1], staff[1:], "23.00", ["yes", "yes", "abstain"])
    assert audit_report.report(db, coop).ok
    _forge_decision(db, coop, p.decision_entry_index, forge)
    (trace,) = audit_report.report(db, coop).traces
    assert [str(a) for a in audit_report.report(db, coop).anomalies] == [
        f"entry {trace.entry_index}, proposal {p.id}: the decision is not on the ledger"]


def test_true_in_a_decision_records_tally_is_not_one_vote(db, coop, staff):
    p = pay_vote(db, coop, staff[0], staff[1], staff[1:], "23.00", ["yes", "abstain", "abstain"])
    assert (p.yes_count, p.no_count, p.abstain_count) == (1, 0, 2) and audit_report.report(db, coop).ok
    # Python reads true == 1 and false == 0: the tally would compare equal.
    _forge_decision(db, coop, p.decision_entry_index,
                    lambda body: body.replace(b'"yes":1', b'"yes":true').replace(b'"no":0', b'"no":false'))
    (trace,) = audit_report.report(db, coop).traces
    assert [str(a) for a in audit_report.report(db, coop).anomalies] == [
        f"entry {trace.entry_index}, proposal {p.id}: the decision record (entry {p.decision_entry_index}) holds "
        "true or false where a number belongs (tally.yes, tally.no): JSON true is not the number 1"]


def test_true_as_a_decision_records_proposal_id_is_not_proposal_1(db, coop, staff):
    # Proposal ids depend on the database's sequence, so the check is run on proposal 1 directly.
    p = pay_vote(db, coop, staff[0], staff[1], staff[1:], "23.00", ["yes", "yes", "abstain"])
    record = db.scalars(select(PayRecord).where(PayRecord.proposal_id == p.id)).one()
    body = json.loads(bytes(db.get(LedgerEntry, (coop.id, p.decision_entry_index)).body))
    as_first = SimpleNamespace(**{k: getattr(p, k) for k in (
        "kind", "outcome", "executed_at", "subject_member_id", "details", "decision_entry_index",
        "yes_count", "no_count", "abstain_count", "title", "status")}, id=1)
    genuine = json.dumps({**body, "proposal_id": 1}).encode()
    forged = json.dumps({**body, "proposal_id": True}).encode()
    pay = ledger.pay_from_record(record)
    assert audit_report._check_decision(record, as_first, pay, {p.decision_entry_index: genuine}) == []
    assert audit_report._check_decision(record, as_first, pay, {p.decision_entry_index: forged}) == [
        f"the decision record (entry {p.decision_entry_index}) holds true or false where a number belongs "
        "(proposal_id): JSON true is not the number 1"]
