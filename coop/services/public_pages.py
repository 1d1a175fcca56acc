"""Reads for the co-op's public pages: the salary table, a rule's history with the votes
that made each version, and what an outsider needs to verify the ledger.

Each is a constant number of queries whatever the number of members, rules or entries.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import IO, NamedTuple

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coop.ledger import checkpoint as notes
from coop.models import (
    Checkpoint,
    Cooperative,
    LedgerHead,
    Member,
    PayRecord,
    Proposal,
    RuleVersion,
)
from coop.pay import (
    MAX_WEEKLY_HOURS,
    PayPolicy,
    PayStatistics,
    Supplement,
    SupplementReason,
    annual_cents,
    from_hundredths,
    hundredths,
    statistics_of,
)
from coop.services import checkpoints, pay, rules
from coop.spreadsheet import SafeWriter


class SalaryLine(NamedTuple):
    """One row of the public salary table: the pay record in force, with the member's total
    worked out once for the row, the statistics and the chart. A tuple, not a ``Pay``: a page
    of 2,000 rows spent a third of its time re-validating and re-adding each ``Pay``."""

    member_id: int
    member_name: str
    hourly_rate: Decimal
    weekly_hours: Decimal
    supplements: tuple[Supplement, ...]
    #: Hourly rate plus supplements, exact.
    total_hourly: Decimal
    #: As written in the ledger entry (with the weeks per year then in force).
    annualised: Decimal
    effective_date: dt.date
    entry_index: int
    authority: str
    proposal_id: int | None
    #: The title of the decision behind the line ('' without one).
    decision: str


@dataclass(frozen=True)
class SalaryPage:
    #: Paid members (total above zero), by name.
    lines: list[SalaryLine]
    stats: PayStatistics
    policy: PayPolicy

    @property
    def within_ratio(self) -> bool:
        return self.stats.ratio is None or self.stats.ratio <= self.policy.max_ratio

    @property
    def lowest_allowed_top(self) -> Fraction | None:
        """The highest total hourly pay the ratio allows, given today's lowest."""
        return None if self.stats.minimum is None else Fraction(self.stats.minimum) * self.policy.max_ratio


def salary(session: Session, coop: Cooperative) -> SalaryPage:
    """Every paid member's pay in force, with the decision behind it, and the statistics:
    one query for the table (as plain rows, not ORM objects) besides the policy's.

    The record in force is the latest appended, as ``pay_reports.pay_table`` defines it; the
    statistics are ``coop.pay.statistics`` of the same pays, computed here from the totals
    already in hand (tests assert both equalities)."""
    policy = pay.policy(session, coop.id)
    latest = (select(PayRecord.member_id, func.max(PayRecord.entry_index).label("entry_index"))
              .where(PayRecord.coop_id == coop.id).group_by(PayRecord.member_id).subquery())
    rows = session.execute(
        select(PayRecord.member_id, Member.name, PayRecord.hourly_rate, PayRecord.weekly_hours,
               PayRecord.supplements, PayRecord.annualised, PayRecord.effective_date,
               PayRecord.entry_index, PayRecord.authority, PayRecord.proposal_id, Proposal.title)
        .join(latest, (PayRecord.member_id == latest.c.member_id)
              & (PayRecord.entry_index == latest.c.entry_index))
        .join(Member, Member.id == PayRecord.member_id)
        .outerjoin(Proposal, (Proposal.id == PayRecord.proposal_id) & (Proposal.coop_id == coop.id))
        .where(PayRecord.coop_id == coop.id)
        .order_by(Member.name, Member.id)
    ).all()
    weeks = policy.weeks_per_year
    lines: list[SalaryLine] = []
    totals: list[int] = []
    payroll = 0
    for (member_id, name, rate, hours, raw_supplements, annualised, since, entry, authority,
         proposal_id, title) in rows:
        total = hundredths(rate, "hourly_rate")
        supplements: tuple[Supplement, ...] = ()
        if raw_supplements:
            supplements = tuple(
                Supplement(kind=s["kind"], amount=Decimal(s["amount"]), reason=SupplementReason(s["reason"]),
                           qualification_id=s.get("qualification_id"))
                for s in raw_supplements)
            total += sum(hundredths(s.amount, "supplement") for s in supplements)
        if total == 0:
            continue  # unpaid or departed: not on the table, as in pay_table
        week = hundredths(hours, "weekly_hours")
        if week > MAX_WEEKLY_HOURS * 100:
            raise ValueError(f"weekly_hours must be at most {MAX_WEEKLY_HOURS}, not {hours}")
        # Each member's annual pay rounded to cents first, then summed, as coop.pay.statistics does.
        payroll += annual_cents(total, week, weeks)
        totals.append(total)
        lines.append(SalaryLine(member_id, name, rate, hours, supplements, from_hundredths(total), annualised,
                                since, entry, authority, proposal_id, title or ""))
    return SalaryPage(lines, statistics_of(totals, payroll), policy)


@dataclass(frozen=True)
class VersionLine:
    version: RuleVersion
    previous: RuleVersion | None
    #: The rule change that made it (None for the founding version).
    proposal: Proposal | None
    author: str | None


def rule_history(session: Session, coop: Cooperative, key: str) -> list[VersionLine]:
    """Every version of one rule, newest first, each with the vote that made it."""
    versions = rules.history(session, coop.id, key)
    ids = [v.proposal_id for v in versions if v.proposal_id is not None]
    found = {p.id: p for p in session.scalars(select(Proposal).where(Proposal.id.in_(ids)))} if ids else {}
    authors = [v.created_by_id for v in versions if v.created_by_id is not None]
    names = dict(session.execute(select(Member.id, Member.name).where(Member.id.in_(authors))).all()) \
        if authors else {}
    lines = []
    for i, v in enumerate(versions):
        lines.append(VersionLine(v, versions[i - 1] if i else None,
                                 found.get(v.proposal_id) if v.proposal_id else None,
                                 names.get(v.created_by_id) if v.created_by_id else None))
    return lines[::-1]


def current_rules(session: Session, coop: Cooperative) -> list[tuple[str, RuleVersion]]:
    keys = rules.rule_keys(session, coop.id)
    return [(keys[v.rule_id], v) for v in rules.current_versions(session, coop.id)]


@dataclass(frozen=True)
class VerifyInfo:
    checkpoint: Checkpoint | None
    ledger_size: int
    root_hex: str
    public_key_b64: str | None
    verifier_key: str | None
    origin: str


def verify_info(session: Session, coop: Cooperative) -> VerifyInfo:
    head = session.get(LedgerHead, coop.id)
    pk = bytes(coop.public_key) if coop.public_key else None
    return VerifyInfo(
        checkpoint=checkpoints.latest(session, coop),
        ledger_size=head.size if head else 0,
        root_hex=bytes(head.root).hex() if head else "",
        public_key_b64=base64.b64encode(pk).decode() if pk else None,
        verifier_key=notes.verifier_key(coop.origin, pk) if pk else None,
        origin=coop.origin,
    )


#: The salary table's CSV columns. Amounts are plain decimals ("49920.00", no thousands
#: separator) so that a spreadsheet reads them as numbers in any locale.
SALARY_CSV_COLUMNS = ["member_id", "member", "hourly_rate", "supplements", "supplements_per_hour",
                      "total_per_hour", "weekly_hours", "annualised", "currency", "since",
                      "decision", "proposal_id", "ledger_entry"]


def write_salary_csv(session: Session, coop: Cooperative, out: IO[str]) -> int:
    """The public salary table, as on the pay page, as CSV; every cell formula-safe. Returns
    the number of members written."""
    page = salary(session, coop)
    writer = SafeWriter(out, lineterminator="\r\n")  # RFC 4180; text cells formula-safe
    writer.writerow(SALARY_CSV_COLUMNS)
    for line in page.lines:
        extra = from_hundredths(sum(hundredths(s.amount, "supplement") for s in line.supplements))
        writer.writerow([
            line.member_id, line.member_name, line.hourly_rate,
            "; ".join(f"{s.kind} {s.amount} ({s.reason.value})" for s in line.supplements),
            extra, line.total_hourly, line.weekly_hours, line.annualised, coop.currency,
            line.effective_date.isoformat(), line.decision, line.proposal_id, line.entry_index])
    return len(page.lines)
