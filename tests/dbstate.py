"""Snapshot of every table's rows, to prove a refused action wrote nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.db import Base


def snapshot(db: Session) -> dict[str, list[tuple[Any, ...]]]:
    db.flush()
    state = {}
    for table in Base.metadata.sorted_tables:
        rows = db.execute(select(table)).all()
        state[table.name] = sorted((tuple(map(repr, r)) for r in rows))
    return state


def assert_unchanged(db: Session, before: dict[str, list[tuple[Any, ...]]]) -> None:
    after = snapshot(db)
    changed = [name for name in before if before[name] != after.get(name)]
    assert not changed, f"a refused action changed {changed}"
