"""Importing members and their founding salaries from one CSV, all or nothing.

Columns: ``name``, ``email`` (required); ``role``, ``status`` (optional, as for
``members.import_members``); ``hourly_rate``, ``weekly_hours``, ``supplements``,
``effective_date`` (optional, as for ``pay_import.import_founding_pay``: a row with an
hourly rate gets a founding pay record).

A preview runs the very same import inside a savepoint and rolls it back, so what the
secretary is shown (rows accepted, or every row-level error) is exactly what the real
import will do, with no second set of checks to drift out of step. Every row is checked,
member and pay columns together, before anything is written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from coop.errors import InvalidInput, PolicyViolation
from coop.models import Cooperative, MemberStatus
from coop.services import members, pay_import
from coop.services.actor import Actor
from coop.services.members import ImportRejected, RowError

PAY_COLUMNS = ("email", "hourly_rate", "weekly_hours", "supplements", "effective_date")
MAX_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class ImportResult:
    rows: list[dict[str, str]]
    members: int = 0
    paid: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _has_pay(row: dict[str, str]) -> bool:
    return bool(row.get("hourly_rate") or row.get("weekly_hours") or row.get("supplements"))


def _pay_csv(rows: list[dict[str, str]]) -> tuple[str, dict[int, int]]:
    """The rows that carry pay, as the pay import reads them, and its line → our line.
    (Read back by the program, not a spreadsheet: so csv.DictWriter, not coop.spreadsheet.)"""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=PAY_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    lines: dict[int, int] = {1: 1}
    for n, row in enumerate(rows, start=2):
        if _has_pay(row):
            writer.writerow({c: row.get(c, "") for c in PAY_COLUMNS})
            lines[len(lines) + 1] = n
    return out.getvalue(), lines


def _row_errors(session: Session, actor: Actor, coop: Cooperative, rows: list[dict[str, str]],
                today: dt.date) -> list[RowError]:
    """Every problem of every row, member and pay columns alike, by line and then in the
    file's column order: one preview shows all there is to fix. The pay columns are checked
    by the pay import's own parser, which needs no member, so they are checked even on rows
    whose member columns are wrong."""
    errors = members.import_row_errors(session, coop, rows, actor)
    for line, row in enumerate(rows, start=2):
        if not _has_pay(row):
            continue
        pay_import.parse_pay(row, line, errors, today)
        if (row.get("status") or "") == MemberStatus.APPLICANT.value:
            errors.append(RowError(line, "status", "founding pay is for active members: make the "
                                   "row active or leave its pay columns empty"))
    columns = list(rows[0]) if rows else []
    return sorted(errors, key=lambda e: (e.row, columns.index(e.field) if e.field in columns
                                         else len(columns)))


def _run(session: Session, actor: Actor, coop: Cooperative, text: str,
         rows: list[dict[str, str]], now: dt.datetime) -> ImportResult:
    errors = _row_errors(session, actor, coop, rows, now.date())
    if errors:
        raise ImportRejected(errors)
    added = members.import_members(session, actor, coop, text, now=now)
    pay_text, lines = _pay_csv(rows)
    paid = 0
    if len(lines) > 1:
        try:
            paid = len(pay_import.import_founding_pay(session, actor, coop, pay_text, now=now))
        except ImportRejected as exc:
            raise ImportRejected([RowError(lines.get(e.row, e.row), e.field, e.message)
                                  for e in exc.errors]) from None
    return ImportResult(rows, len(added), paid)


def import_csv(session: Session, actor: Actor, coop: Cooperative, text: str,
               dry_run: bool = False, *, now: dt.datetime) -> ImportResult:
    """Import, or with ``dry_run`` only report what importing would do. Errors are returned
    in the result (never half an import); a real import with errors raises ImportRejected."""
    actor.require_secretary(coop.id)
    if not (text or "").strip():
        raise InvalidInput("choose a CSV file or paste its contents", field="csv")
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise InvalidInput("the file is larger than 2 MB; split it", field="csv")
    try:
        rows = members.parse_members_csv(text)
    except ImportRejected as exc:
        return _rejected(exc.errors, [], dry_run)
    savepoint = session.begin_nested()
    try:
        result = _run(session, actor, coop, text, rows, now)
    except ImportRejected as exc:
        savepoint.rollback()
        return _rejected(exc.errors, rows, dry_run)
    except PolicyViolation as exc:
        savepoint.rollback()
        return _rejected([RowError(0, exc.field or "hourly_rate", exc.message)], rows, dry_run)
    except BaseException:
        # Anything else still leaves no member without the pay the same file gave them.
        savepoint.rollback()
        raise
    if dry_run:
        savepoint.rollback()
    else:
        savepoint.commit()
    return result


def _rejected(errors: list[RowError], rows: list[dict[str, str]], dry_run: bool) -> ImportResult:
    if not dry_run:
        raise ImportRejected(errors)
    return ImportResult(rows, errors=errors)
