"""What auditors read about pay: the pay table now or at any past date, one member's pay
history with the decision behind each change, and pay statistics now and over time.

Every read is query-bounded: a constant number of queries whatever the number of members or
pay records (the history and the series are replayed in Python from one query's rows).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.errors import InvalidInput
from coop.models import Cooperative, Member, PayRecord, Proposal
from coop.pay import Pay, PayStatistics, apply_change
from coop.pay import statistics as pay_statistics
from coop.services import ledger, members, pay


@dataclass(frozen=True)
class PayLine:
    """One member's pay as the ledger records it."""

    member_id: int
    member_name: str
    member_status: str
    pay: Pay
    currency: str
    #: As written in the ledger entry (with the weeks per year then in force).
    annualised: Decimal
    effective_date: dt.date
    entry_index: int
    authority: str
    proposal_id: int | None

    @property
    def total_hourly(self) -> Decimal:
        return self.pay.total_hourly


def _line(r: PayRecord, name: str, status: str) -> PayLine:
    return PayLine(r.member_id, name, status, ledger.pay_from_record(r), r.currency, r.annualised,
                   r.effective_date, r.entry_index, r.authority, r.proposal_id)


def pay_table(session: Session, coop: Cooperative, as_of: dt.date | None = None,
              include_unpaid: bool = False) -> list[PayLine]:
    """Each member's pay in force on ``as_of`` (default: now), by name. One query.

    The record in force is the latest appended (highest entry index) whose effective date
    is on or before ``as_of``, as ``services.pay.latest_entries`` defines it. Members whose
    latest record pays nothing (departures) are left out unless ``include_unpaid``."""
    sq = pay.latest_entries(coop.id, as_of)
    rows = session.execute(
        select(PayRecord, Member.name, Member.status)
        .join(sq, (PayRecord.member_id == sq.c.member_id) & (PayRecord.entry_index == sq.c.entry_index))
        .join(Member, Member.id == PayRecord.member_id)
        .where(PayRecord.coop_id == coop.id)
        .order_by(Member.name, Member.id)
    ).all()
    lines = [_line(r, name, status) for r, name, status in rows]
    return lines if include_unpaid else [line for line in lines if line.pay.is_paid]


@dataclass(frozen=True)
class Decision:
    """The vote behind a pay change, as the proposal records it."""

    proposal_id: int
    title: str
    kind: str
    status: str
    outcome: str | None
    yes: int | None
    no: int | None
    abstain: int | None
    electorate_size: int | None
    threshold: str | None
    quorum: str | None
    closed_at: dt.datetime | None
    decision_entry_index: int | None

    @property
    def tally(self) -> str:
        return f"{self.yes} yes, {self.no} no, {self.abstain} abstain of {self.electorate_size}"


def decision_of(p: Proposal) -> Decision:
    return Decision(p.id, p.title, p.kind, p.status, p.outcome, p.yes_count, p.no_count,
                    p.abstain_count, p.electorate_size, p.threshold, p.quorum, p.closed_at,
                    p.decision_entry_index)


@dataclass(frozen=True)
class HistoryLine:
    line: PayLine
    #: Total hourly pay before this change (None for the member's first record).
    previous_total: Decimal | None
    #: None for founding and departure records, which no vote authorised.
    decision: Decision | None


def member_history(session: Session, coop: Cooperative, member_ref: str | Member) -> tuple[Member, list[HistoryLine]]:
    """Every pay record of one member, oldest first, each with its decision. Two queries."""
    member = member_ref if isinstance(member_ref, Member) else members.find_member(session, coop.id, member_ref)
    if member.coop_id != coop.id:
        raise InvalidInput("no such member in this co-op", field="member")
    rows = session.execute(
        select(PayRecord, Proposal).outerjoin(Proposal, Proposal.id == PayRecord.proposal_id)
        .where(PayRecord.coop_id == coop.id, PayRecord.member_id == member.id)
        .order_by(PayRecord.entry_index)
    ).all()
    history: list[HistoryLine] = []
    previous: Decimal | None = None
    for record, proposal in rows:
        line = _line(record, member.name, member.status)
        history.append(HistoryLine(line, previous, decision_of(proposal) if proposal else None))
        previous = line.total_hourly
    return member, history


# -- statistics -------------------------------------------------------------------------------

@dataclass(frozen=True)
class StatsPoint:
    #: The month end, or the effective date of the entry.
    on: dt.date
    #: The entry after which the figures hold (per-entry series), else None.
    entry_index: int | None
    stats: PayStatistics


def statistics(session: Session, coop: Cooperative, as_of: dt.date | None = None) -> PayStatistics:
    """count, min, median, mean, max, ratio and total payroll of the table on ``as_of``."""
    table = {line.member_id: line.pay for line in pay_table(session, coop, as_of)}
    return pay_statistics(table, pay.policy(session, coop.id).weeks_per_year)


def _records(session: Session, coop: Cooperative) -> list[PayRecord]:
    return list(session.scalars(
        select(PayRecord).where(PayRecord.coop_id == coop.id).order_by(PayRecord.entry_index)))


def statistics_by_entry(session: Session, coop: Cooperative) -> list[StatsPoint]:
    """The figures after each pay entry, in ledger order. Two queries."""
    weeks = pay.policy(session, coop.id).weeks_per_year
    table: dict[int, Pay] = {}
    points = []
    for r in _records(session, coop):
        table = apply_change(table, r.member_id, ledger.pay_from_record(r))
        points.append(StatsPoint(r.effective_date, r.entry_index, pay_statistics(table, weeks)))
    return points


def month_ends(start: dt.date, end: dt.date) -> Iterable[dt.date]:
    year, month = start.year, start.month
    while True:
        nxt = dt.date(year + month // 12, month % 12 + 1, 1)
        last = nxt - dt.timedelta(days=1)
        if last > end:
            if dt.date(year, month, 1) <= end:
                yield end  # the month in progress: figures as of today
            return
        yield last
        year, month = nxt.year, nxt.month


def statistics_by_month(session: Session, coop: Cooperative, until: dt.date) -> list[StatsPoint]:
    """The figures at each month end from the first pay record to ``until`` (usually today;
    the last point is ``until`` itself when it falls mid-month). Two queries.

    At each date the table is what ``pay_table(as_of=date)`` would return: per member, the
    latest-appended record effective by then."""
    weeks = pay.policy(session, coop.id).weeks_per_year
    records = sorted(_records(session, coop), key=lambda r: (r.effective_date, r.entry_index))
    if not records:
        return []
    in_force: dict[int, PayRecord] = {}
    points, i = [], 0
    for day in month_ends(records[0].effective_date, until):
        while i < len(records) and records[i].effective_date <= day:
            r = records[i]
            if r.member_id not in in_force or in_force[r.member_id].entry_index < r.entry_index:
                in_force[r.member_id] = r
            i += 1
        table = {mid: ledger.pay_from_record(r) for mid, r in in_force.items()}
        table = {mid: p for mid, p in table.items() if p.is_paid}
        points.append(StatsPoint(day, None, pay_statistics(table, weeks)))
    return points


@dataclass(frozen=True)
class RatioHistory:
    """The pay figures at each month end up to today, and the ratio the rules allow now."""

    points: list[StatsPoint]
    max_ratio: Fraction


def ratio_over_time(session: Session, coop: Cooperative, *, now: dt.datetime) -> RatioHistory:
    """:func:`statistics_by_month` up to ``now``'s date, with today's limit. Three queries."""
    return RatioHistory(statistics_by_month(session, coop, now.date()),
                        pay.policy(session, coop.id).max_ratio)
