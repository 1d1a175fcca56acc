"""Importing learning records from CSV: all or nothing, every problem named by line and field.

Columns: ``email`` (whose record), ``title``, ``kind``, ``hours``, ``started_on``, ``status``,
and optionally ``provider``, ``ended_on``, ``qualification_field``, ``qualification_level``.
A secretary (or the operator) imports anyone's records; a member only their own.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.errors import InvalidInput, PermissionDenied
from coop.models import Cooperative, LearningRecord, Member
from coop.services import audit
from coop.services.actor import Actor
from coop.services.education import FIELDS, clean
from coop.services.members import ImportRejected, RowError

REQUIRED = ("email", "title", "kind", "hours", "started_on", "status")


def parse(text: str) -> list[dict[str, str]]:
    reader = csv.DictReader(io.StringIO(text))
    headers = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in headers]
    unknown = [h for h in headers if h and h != "email" and h not in FIELDS]
    if missing or unknown:
        raise ImportRejected([RowError(1, c, "missing column") for c in missing]
                             + [RowError(1, h, "unknown column") for h in unknown])
    reader.fieldnames = headers
    return [{k: (v or "").strip() for k, v in row.items() if k} for row in reader]


def import_records(session: Session, actor: Actor, coop: Cooperative, text: str,
                   now: dt.datetime) -> list[LearningRecord]:
    """Every row is checked first; on any error nothing is written and ``ImportRejected``
    lists every problem."""
    try:
        actor.require_secretary(coop.id)
        secretary = True
    except PermissionDenied:
        actor.require_member(coop.id, scope="propose")
        secretary = False
    rows = parse(text)
    if not rows:
        raise InvalidInput("the file has no records", field="CSV")
    emails = {r.get("email", "").lower() for r in rows}
    people = {m.email: m for m in session.scalars(
        select(Member).where(Member.coop_id == coop.id, Member.email.in_(emails)))}
    errors: list[RowError] = []
    ready: list[tuple[Member, dict]] = []  # type: ignore[type-arg]
    for n, row in enumerate(rows, start=2):
        member = people.get(row.get("email", "").lower())
        if member is None:
            errors.append(RowError(n, "email", f"no member '{row.get('email', '')}' in this co-op"))
            continue
        if not secretary and member.id != actor.member_id:
            errors.append(RowError(n, "email", "members import only their own records"))
            continue
        try:
            ready.append((member, clean({k: v for k, v in row.items() if k != "email"}, now.date())))
        except InvalidInput as exc:
            errors.append(RowError(n, exc.field or "row", exc.message))
    if errors:
        raise ImportRejected(errors)
    added = [LearningRecord(coop_id=coop.id, member_id=m.id, created_by_id=actor.member_id,
                            created_at=now, **fields) for m, fields in ready]
    session.add_all(added)
    session.flush()
    audit.record(session, actor, coop.id, "learning_records.imported", "cooperative", coop.id,
                 records=len(added), members=sorted({m.id for m, _ in ready}), now=now)
    return added
