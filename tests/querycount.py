"""Count the SQL statements a block issues, to hold read paths to a constant number."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import event
from sqlalchemy.orm import Session


class Counter:
    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)

    def matching(self, fragment: str) -> list[str]:
        return [s for s in self.statements if fragment.lower() in s.lower()]


@contextmanager
def count_queries(db: Session) -> Iterator[Counter]:
    """Every statement sent to the database (savepoints excluded) while the block runs."""
    counter = Counter()
    engine = db.get_bind().engine

    def before(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            counter.statements.append(statement)

    db.flush()
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", before)
