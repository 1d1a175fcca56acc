"""Founding salaries: the pay members had when the co-op started using coop, from a CSV.

Each becomes a ``founding`` pay record on the ledger. A founding record is the only pay
change no vote authorised, so the import is narrow: only members with no pay on the ledger
yet, all rows or none, and never a table that breaks the co-op's own pay policy.

CSV columns: ``email``, ``hourly_rate``, ``weekly_hours``; optional ``effective_date``
(YYYY-MM-DD, default today) and ``supplements``: ``kind:amount:reason`` items separated by
``;`` (``first aid:0.75:skills; nights:1.50:hours``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.errors import PolicyViolation
from coop.models import Cooperative, Member, MemberStatus, PayRecord
from coop.pay import Pay, Supplement, SupplementReason, check_policy
from coop.services import audit, events, ledger, pay
from coop.services.actor import Actor
from coop.services.members import ImportRejected, RowError

COLUMNS = ("email", "hourly_rate", "weekly_hours")
REASONS = ", ".join(r.value for r in SupplementReason)


def _decimal(text: str, field: str, line: int, errors: list[RowError]) -> Decimal | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        errors.append(RowError(line, field, f"'{text}' is not an amount such as 23.50"))
        return None
    try:
        whole_cents = value.is_finite() and value >= 0 and value == value.quantize(Decimal("0.01"))
    except InvalidOperation:  # quantize past the context's precision: 1e30
        errors.append(RowError(line, field, f"'{text}' is too large an amount"))
        return None
    if not whole_cents:
        errors.append(RowError(line, field, f"'{text}' must be a non-negative amount with at most two decimals"))
        return None
    return value


def _supplements(text: str, line: int, errors: list[RowError]) -> tuple[Supplement, ...] | None:
    items = []
    for part in filter(None, (p.strip() for p in text.split(";"))):
        pieces = part.rsplit(":", 2)
        if len(pieces) != 3:
            errors.append(RowError(line, "supplements", f"'{part}' is not kind:amount:reason"))
            return None
        kind, amount_text, reason = (p.strip() for p in pieces)
        amount = _decimal(amount_text, "supplements", line, errors)
        if amount is None:
            return None
        try:
            items.append(Supplement(kind, amount, SupplementReason(reason)))
        except ValueError as exc:
            message = f"reason '{reason}' is not one of {REASONS}" if "SupplementReason" in str(exc) else str(exc)
            errors.append(RowError(line, "supplements", message))
            return None
    return tuple(items)


def _date(text: str, line: int, errors: list[RowError], today: dt.date) -> dt.date | None:
    if not text:
        return today
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        errors.append(RowError(line, "effective_date", f"'{text}' is not a date such as 2026-01-31"))
        return None
    if day > today:
        errors.append(RowError(line, "effective_date", "founding pay cannot take effect in the future"))
        return None
    return day


def parse_pay(row: dict[str, str], line: int, errors: list[RowError], today: dt.date) -> tuple[Pay, dt.date] | None:
    """The pay and effective date a row gives (no date: ``today``), or None with every problem
    of its pay columns appended to ``errors``. Needs no member, so a combined member-and-pay import
    can check these columns before the members exist."""
    rate = _decimal(row.get("hourly_rate", ""), "hourly_rate", line, errors)
    hours = _decimal(row.get("weekly_hours", ""), "weekly_hours", line, errors)
    supplements = _supplements(row.get("supplements", ""), line, errors)
    effective = _date(row.get("effective_date", ""), line, errors, today)
    if rate is None or hours is None or supplements is None or effective is None:
        return None
    try:
        return Pay(rate, hours, supplements), effective
    except ValueError as exc:
        errors.append(RowError(line, "weekly_hours", str(exc)))
        return None


def import_founding_pay(session: Session, actor: Actor, coop: Cooperative, text: str,
                        *, now: dt.datetime) -> list[PayRecord]:
    """All or nothing: every row is checked, then the whole table against the pay policy;
    on any error nothing is written. Returns the records appended, in file order.

    :raise ImportRejected: row-level errors (each names its line and column).
    :raise PolicyViolation: the founding table would break the pay floor or ratio.
    """
    actor.require_secretary(coop.id)
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ImportRejected([RowError(1, c, "missing column") for c in missing])
    rows = [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]
    if not rows:
        raise ImportRejected([RowError(2, "email", "the file has no rows")])

    # Under the ledger-head lock from here to the commit: a second import of the same member
    # running at the same moment waits, then sees this one's records as "already paid".
    ledger.lock_head(session, coop.id)
    emails = {row["email"].lower() for row in rows}
    by_email = {m.email: m for m in session.scalars(
        select(Member).where(Member.coop_id == coop.id, Member.email.in_(emails)))}
    already_paid = set(session.scalars(
        select(PayRecord.member_id).where(PayRecord.coop_id == coop.id).distinct()))

    errors: list[RowError] = []
    seen: set[str] = set()
    planned: list[tuple[Member, Pay, dt.date]] = []
    for line, row in enumerate(rows, start=2):
        email = row["email"].lower()
        member = by_email.get(email)
        if member is None:
            errors.append(RowError(line, "email", f"no member '{email}' in this co-op"))
        elif email in seen:
            errors.append(RowError(line, "email", f"'{email}' appears twice"))
        elif member.status != MemberStatus.ACTIVE.value:
            errors.append(RowError(line, "email", f"{member.name} is {member.status}; founding pay is for active members"))
        elif member.id in already_paid:
            errors.append(RowError(line, "email", f"{member.name} already has pay on the ledger; "
                                   "changing it takes a pay adjustment vote"))
        seen.add(email)
        parsed = parse_pay(row, line, errors, now.date())
        if member is not None and parsed is not None:
            planned.append((member, *parsed))
    if errors:
        raise ImportRejected(errors)

    policy = pay.policy(session, coop.id)
    table = pay.current_table(session, coop.id)
    table.update({m.id: p for m, p, _ in planned if p.is_paid})
    violations = check_policy(table, policy)
    if violations:
        names = {m.id: f"{m.name} <{m.email}>" for m, _, _ in planned}
        raise PolicyViolation("the founding pay breaks the pay policy: " + "; ".join(
            v.message.replace(f"member {v.member_id} ", f"{names.get(v.member_id, v.member_id)} ")
            for v in violations), field="hourly_rate")

    records = []
    for member, p, effective in planned:
        record = ledger.append_pay_record(session, coop, member.id, member.name, p, policy.weeks_per_year,
                                          authority="founding", effective_date=effective, now=now)
        records.append(record)
        events.emit(session, coop.id, "pay.changed", {"member_id": member.id, "proposal_id": None,
                                                      "entry_index": record.entry_index,
                                                      "authority": "founding"}, now=now)
    audit.record(session, actor, coop.id, "pay.founding_imported", "cooperative", coop.id,
                 entries=[r.entry_index for r in records], now=now)
    session.flush()
    return records
