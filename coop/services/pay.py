"""Pay reads (current table, as-of tables, history, statistics) and the pay policy in force."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Subquery, func, select
from sqlalchemy.orm import Session

from coop.errors import InvalidInput
from coop.models import PayRecord
from coop.pay import Pay, PayPolicy
from coop.services import ledger, rules


def policy(session: Session, coop_id: int) -> PayPolicy:
    try:
        return PayPolicy.from_parameters(rules.parameters(session, coop_id))
    except ValueError as exc:
        raise InvalidInput(f"the pay policy in the rules is malformed: {exc}") from None


def latest_entries(coop_id: int, as_of: dt.date | None = None) -> Subquery:
    """(member_id, entry_index) of each member's record in force on ``as_of``: the latest
    appended (highest entry index) whose effective date is on or before it."""
    latest = select(PayRecord.member_id, func.max(PayRecord.entry_index).label("entry_index")).where(
        PayRecord.coop_id == coop_id
    )
    if as_of is not None:
        latest = latest.where(PayRecord.effective_date <= as_of)
    return latest.group_by(PayRecord.member_id).subquery()


def current_records(session: Session, coop_id: int, as_of: dt.date | None = None) -> list[PayRecord]:
    """Each member's latest pay record (effective on or before ``as_of``). One query."""
    latest_sq = latest_entries(coop_id, as_of)
    return list(session.scalars(
        select(PayRecord)
        .join(latest_sq, (PayRecord.member_id == latest_sq.c.member_id)
              & (PayRecord.entry_index == latest_sq.c.entry_index))
        .where(PayRecord.coop_id == coop_id)
        .order_by(PayRecord.member_id)
    ))


def current_table(session: Session, coop_id: int, as_of: dt.date | None = None) -> dict[int, Pay]:
    """member id → pay, for members who are paid (a departure record zeroes pay)."""
    table = {r.member_id: ledger.pay_from_record(r) for r in current_records(session, coop_id, as_of)}
    return {mid: p for mid, p in table.items() if p.total_hourly > 0}
