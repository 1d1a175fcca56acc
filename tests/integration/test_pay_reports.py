"""Pay reads for auditors: tables now and as of a date, histories with their decisions,
statistics over time, all with a constant number of queries."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from fractions import Fraction

import pytest

from coop.pay import Pay
from coop.services import ledger, members, pay_reports, proposals
from coop.services.actor import Actor
from tests.clock import NOW, TODAY
from tests.factories import as_member, make_coop, make_member, open_for_voting
from tests.querycount import count_queries


@pytest.fixture
def coop(db, keys):
    return make_coop(db, keys)


def founding(db, coop, m, rate: str, on: dt.date, hours: str = "37.50") -> None:
    ledger.append_pay_record(db, coop, m.id, m.name, Pay(Decimal(rate), Decimal(hours)), 52,
                             authority="founding", effective_date=on, now=NOW)


def raise_by_vote(db, coop, subject, author, voters, rate: str, choices=None):
    p = proposals.draft_pay_adjustment(db, as_member(author), coop, f"Raise {subject.name} to {rate}", "",
                                       subject, {"hourly_rate": Decimal(rate), "reason": "skills"}, now=NOW)
    open_for_voting(db, coop, p, author)
    for m, c in zip(voters, choices or ["yes"] * len(voters)):
        proposals.cast_ballot(db, as_member(m), coop, p.id, c, now=p.voting_opened_at)
    return p


def test_the_table_as_of_a_past_date_shows_the_pay_then_in_force(db, coop):
    ann, bob = make_member(db, coop, name="Ann"), make_member(db, coop, name="Bob")
    founding(db, coop, ann, "20.00", dt.date(2026, 1, 1))
    founding(db, coop, bob, "22.00", dt.date(2026, 3, 1))
    assert [(ln.member_name, ln.total_hourly) for ln in pay_reports.pay_table(db, coop, dt.date(2026, 2, 1))] \
        == [("Ann", Decimal("20.00"))]
    assert [ln.member_name for ln in pay_reports.pay_table(db, coop, dt.date(2025, 12, 31))] == []
    now = pay_reports.pay_table(db, coop)
    assert [(ln.member_name, ln.total_hourly, ln.entry_index) for ln in now] == \
        [("Ann", Decimal("20.00"), 0), ("Bob", Decimal("22.00"), 1)]


def test_a_departed_member_leaves_the_table_but_not_the_history(db, coop):
    ann, bob = make_member(db, coop, name="Ann"), make_member(db, coop, name="Bob")
    founding(db, coop, ann, "20.00", dt.date(2026, 1, 1))
    founding(db, coop, bob, "22.00", dt.date(2026, 1, 1))
    members.change_status(db, Actor.operator(), coop, bob, "departed", now=NOW)
    assert [ln.member_name for ln in pay_reports.pay_table(db, coop)] == ["Ann"]
    assert [ln.member_name for ln in pay_reports.pay_table(db, coop, include_unpaid=True)] == ["Ann", "Bob"]
    _, history = pay_reports.member_history(db, coop, bob.email)
    assert [(h.line.authority, h.line.total_hourly, h.previous_total) for h in history] == \
        [("founding", Decimal("22.00"), None), ("departure", Decimal("0.00"), Decimal("22.00"))]


def test_a_members_history_names_the_decision_and_tally_behind_each_change(db, coop):
    staff = [make_member(db, coop, hourly_rate=r) for r in ["20.00", "22.00", "24.00", "26.00"]]
    p = raise_by_vote(db, coop, staff[0], staff[1], staff[1:], "23.00", ["yes", "yes", "no"])
    assert p.outcome == "passed"
    member, history = pay_reports.member_history(db, coop, str(staff[0].id))
    assert member.id == staff[0].id
    first, change = history
    assert first.decision is None and first.line.authority == "founding"
    assert change.previous_total == Decimal("20.00") and change.line.total_hourly == Decimal("23.00")
    d = change.decision
    assert (d.proposal_id, d.title, d.outcome, d.yes, d.no, d.abstain) == (p.id, p.title, "passed", 2, 1, 0)
    assert d.decision_entry_index == change.line.entry_index - 1
    assert d.tally == "2 yes, 1 no, 0 abstain of 3"


def test_statistics_now_and_after_each_pay_entry(db, coop):
    staff = [make_member(db, coop, hourly_rate=r) for r in ["20.00", "30.00", "25.00"]]
    raise_by_vote(db, coop, staff[0], staff[1], staff[1:], "21.00")
    now = pay_reports.statistics(db, coop)
    assert (now.count, now.minimum, now.median, now.mean, now.maximum) == \
        (3, Decimal("21.00"), Decimal("25.00"), Decimal("25.33"), Decimal("30.00"))
    assert now.ratio == Fraction(30, 21)
    assert now.total_payroll == Decimal("148200.00")  # (21 + 30 + 25) × 37.5 × 52
    series = pay_reports.statistics_by_entry(db, coop)
    assert [p.entry_index for p in series] == [0, 1, 2, 4]  # entry 3 is the decision record
    assert [p.stats.count for p in series] == [1, 2, 3, 3]
    assert series[2].stats.minimum == Decimal("20.00") and series[3].stats.minimum == Decimal("21.00")


def test_statistics_at_each_month_end_follow_effective_dates(db, coop):
    ann, bob = make_member(db, coop, name="Ann"), make_member(db, coop, name="Bob")
    founding(db, coop, ann, "20.00", dt.date(2026, 1, 15))
    founding(db, coop, bob, "40.00", dt.date(2026, 3, 2))
    series = pay_reports.statistics_by_month(db, coop, until=dt.date(2026, 4, 10))
    assert [p.on for p in series] == [dt.date(2026, 1, 31), dt.date(2026, 2, 28), dt.date(2026, 3, 31),
                                      dt.date(2026, 4, 10)]
    assert [p.stats.count for p in series] == [1, 1, 2, 2]
    assert series[2].stats.ratio == 2
    assert pay_reports.statistics(db, coop, dt.date(2026, 2, 28)) == series[1].stats


def test_pay_reads_issue_the_same_number_of_queries_for_3_or_30_members(db, coop):
    def counts():
        member = make_member(db, coop, hourly_rate="20.00")
        result = []
        for read in (lambda: pay_reports.pay_table(db, coop),
                     lambda: pay_reports.pay_table(db, coop, dt.date(2030, 1, 1)),
                     lambda: pay_reports.member_history(db, coop, member),
                     lambda: pay_reports.statistics(db, coop),
                     lambda: pay_reports.statistics_by_entry(db, coop),
                     lambda: pay_reports.statistics_by_month(db, coop, TODAY)):
            with count_queries(db) as q:
                read()
            result.append(q.count)
        return result

    for _ in range(2):
        make_member(db, coop, hourly_rate="21.00")
    small = counts()
    for _ in range(27):
        make_member(db, coop, hourly_rate="22.00")
    assert counts() == small
