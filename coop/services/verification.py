"""Verify a co-op's ledger in the database: stream its rows into ``coop.ledger.verify``.

The rows are read as raw as the database gives them (money columns as their stored text, not
parsed), so a value edited behind the application's back is compared exactly as stored. A
constant number of queries whatever the ledger's size; the entries arrive in batches
(``yield_per``), so memory stays flat.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from itertools import chain
from typing import Any

from sqlalchemy import String, and_, func, select, type_coerce
from sqlalchemy.orm import Session

from coop.ledger import nodestore
from coop.ledger.checkpoint import CheckpointError
from coop.ledger.verify import CheckpointRow, EntryRow, VerifyResult, saved_checkpoint, verify
from coop.models import Checkpoint, Cooperative, LedgerEntry, LedgerHead, LedgerNode, Member, PayRecord
from coop.services import ledger

BATCH = 2000


def _raw(column: Any) -> Any:
    return type_coerce(column, String)


PAY_COLUMNS = (
    PayRecord.id, PayRecord.member_id, _raw(PayRecord.effective_date), _raw(PayRecord.hourly_rate),
    _raw(PayRecord.weekly_hours), _raw(PayRecord.supplements), PayRecord.currency,
    _raw(PayRecord.annualised), PayRecord.authority, PayRecord.proposal_id,
)


def pay_payload(row: tuple[Any, ...], member_name: Any) -> dict[str, Any]:
    """The public fields of a pay record row read raw (``PAY_COLUMNS``), as
    ``ledger.pay_payload`` writes them for a loaded record: same keys, same text. The money
    columns are stored as their decimal text, so they are compared exactly as stored."""
    _, member_id, effective, rate, hours, supplements, currency, annualised, authority, proposal = row
    return {
        "member_id": member_id,
        "member_name": member_name,
        # SQLite hands back the stored text, PostgreSQL a date.
        "effective_date": effective if isinstance(effective, str) else effective.isoformat(),
        "hourly_rate": rate,
        "weekly_hours": hours,
        "supplements": supplements,
        "currency": currency,
        "annualised": annualised,
        "authority": authority,
        "proposal_id": proposal,
    }


class _Supplements(dict[str, Any]):
    """Parsed supplements by their stored JSON text (SQLite hands JSON back as text). Most
    pay records share a handful of supplement lists, so each distinct text is parsed once."""

    LIMIT = 4096

    def __missing__(self, text: str) -> Any:
        try:
            value = json.loads(text)
        except ValueError:
            value = text  # left as text: it then fails to re-encode, which is reported
        if len(self) < self.LIMIT:
            self[text] = value
        return value


def _stream(session: Session, stmt: Any) -> Iterator[Any]:
    # Options on the statement, not the connection: Connection.execution_options changes
    # the session's connection in place, and every later statement would stream too.
    result = session.connection().execute(stmt.execution_options(yield_per=BATCH))
    return chain.from_iterable(result.partitions())


def entry_rows(session: Session, coop_id: int) -> Iterator[EntryRow]:
    """Every entry with its stored leaf-level node, its pay record row and its member's
    current name, in index order: one query, streamed in batches through SQLAlchemy Core
    (no ORM objects: this loop is what `coop ledger verify` spends its time on).

    (Three ordered scans merged in Python instead of the join were measured: slower.)"""
    # Names by id in memory (a co-op has members by the hundred, entries by the million):
    # cheaper than joining members for every entry.
    names = dict(session.execute(select(Member.id, Member.name).where(Member.coop_id == coop_id)).all())
    stmt = (
        select(LedgerEntry.index, LedgerEntry.kind, LedgerEntry.body, LedgerEntry.leaf_hash,
               LedgerNode.hash, *PAY_COLUMNS)
        .outerjoin(LedgerNode, and_(LedgerNode.coop_id == LedgerEntry.coop_id, LedgerNode.level == 0,
                                    LedgerNode.index == LedgerEntry.index))
        .outerjoin(PayRecord, and_(PayRecord.coop_id == LedgerEntry.coop_id,
                                   PayRecord.entry_index == LedgerEntry.index))
        .where(LedgerEntry.coop_id == coop_id)
        .order_by(LedgerEntry.index)
    )
    supplements = _Supplements()
    for row in _stream(session, stmt):
        pay = row[5:]
        if pay[0] is None:
            yield EntryRow(row[0], row[1], row[2], row[3], row[4])
            continue
        if isinstance(pay[5], str):  # SQLite hands JSON back as its text
            pay = (*pay[:5], supplements[pay[5]], *pay[6:])
        yield EntryRow(row[0], row[1], row[2], row[3], row[4], pay, names.get(pay[1]))


def verify_coop(
    session: Session, coop: Cooperative, *, public_key: bytes | None = None,
    progress: Callable[[int], None] | None = None, saved: Sequence[tuple[str, str]] = (),
) -> VerifyResult:
    """Verify everything stored for ``coop``. ``public_key`` is the key the auditor trusts;
    by default the one the database publishes. ``saved`` are (label, signed note) of
    checkpoints the auditor kept: each must verify and match the entries at its size.

    :raise checkpoint.CheckpointError: a saved checkpoint is not signed by the key.
    """
    head = session.execute(
        select(LedgerHead.size, LedgerHead.root).where(LedgerHead.coop_id == coop.id)
    ).one_or_none()
    checkpoints = [
        CheckpointRow(size, bytes(root), note, signed_at)
        for size, root, note, signed_at in session.execute(
            select(Checkpoint.size, Checkpoint.root, Checkpoint.note, Checkpoint.signed_at)
            .where(Checkpoint.coop_id == coop.id).order_by(Checkpoint.size, Checkpoint.id)
        )
    ]
    key = public_key if public_key is not None else coop.public_key
    if saved:
        if key is None:
            raise CheckpointError("the co-op has published no key to check saved checkpoints with")
        checkpoints += [saved_checkpoint(note, coop.origin, bytes(key), label) for label, note in saved]
    nodes_root: bytes | str | None = None
    if head is not None:
        try:
            nodes_root = nodestore.root_from_nodes(
                head.size, ledger.fetch_nodes(session, coop.id, nodestore.root_keys(head.size)))
        except nodestore.MissingNodeError as exc:
            nodes_root = str(exc)
    pay_total = session.scalar(select(func.count()).select_from(PayRecord).where(PayRecord.coop_id == coop.id))
    return verify(
        entry_rows(session, coop.id), origin=coop.origin,
        public_key=key,
        checkpoints=checkpoints,
        head=(head.size, bytes(head.root)) if head is not None else None,
        nodes_root=nodes_root, pay_payload=pay_payload, pay_rows_total=pay_total, progress=progress,
    )
