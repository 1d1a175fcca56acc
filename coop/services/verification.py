"""Verify a co-op's ledger in the database: stream its rows into ``coop.ledger.verify``.

The rows are read as raw as the database gives them (money columns as their stored text, not
parsed), so a value edited behind the application's back is compared exactly as stored. A
constant number of queries whatever the ledger's size; the entries arrive in batches
(``yield_per``), so memory stays flat.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

from sqlalchemy import String, and_, func, select, type_coerce
from sqlalchemy.orm import Session

from coop.ledger import nodestore
from coop.ledger.verify import CheckpointRow, EntryRow, VerifyResult, verify
from coop.models import Checkpoint, Cooperative, LedgerEntry, LedgerHead, LedgerNode, PayRecord
from coop.services import ledger

BATCH = 2000


class _StoredDate(str):
    """A date column read as its stored text (SQLite), answering ``isoformat`` like a date."""

    def isoformat(self) -> str:
        return str(self)


def _raw(column: Any) -> Any:
    return type_coerce(column, String)


PAY_COLUMNS = (
    PayRecord.id, PayRecord.member_id, _raw(PayRecord.effective_date), _raw(PayRecord.hourly_rate),
    _raw(PayRecord.weekly_hours), _raw(PayRecord.supplements), PayRecord.currency,
    _raw(PayRecord.annualised), PayRecord.authority, PayRecord.proposal_id,
)


def _pay_row(values: tuple[Any, ...]) -> SimpleNamespace:
    _, member_id, effective, rate, hours, supplements, currency, annualised, authority, proposal = values
    if isinstance(supplements, str):  # SQLite hands JSON back as its text
        try:
            supplements = json.loads(supplements)
        except ValueError:
            pass  # left as text: it then fails to re-encode, which is reported
    if isinstance(effective, str):
        effective = _StoredDate(effective)
    return SimpleNamespace(member_id=member_id, effective_date=effective, hourly_rate=rate,
                           weekly_hours=hours, supplements=supplements, currency=currency,
                           annualised=annualised, authority=authority, proposal_id=proposal)


def pay_payload(row: SimpleNamespace, member_name: Any) -> dict[str, Any]:
    return ledger.pay_payload(row, member_name)  # type: ignore[arg-type]


def entry_rows(session: Session, coop_id: int) -> Iterator[EntryRow]:
    """Every entry with its stored leaf-level node and its pay record row, in index order."""
    stmt = (
        select(LedgerEntry.index, LedgerEntry.kind, LedgerEntry.body, LedgerEntry.leaf_hash,
               LedgerNode.hash, *PAY_COLUMNS)
        .outerjoin(LedgerNode, and_(LedgerNode.coop_id == LedgerEntry.coop_id, LedgerNode.level == 0,
                                    LedgerNode.index == LedgerEntry.index))
        .outerjoin(PayRecord, and_(PayRecord.coop_id == LedgerEntry.coop_id,
                                   PayRecord.entry_index == LedgerEntry.index))
        .where(LedgerEntry.coop_id == coop_id)
        .order_by(LedgerEntry.index)
        .execution_options(yield_per=BATCH)
    )
    for row in session.execute(stmt):
        yield EntryRow(row[0], row[1], row[2], row[3], row[4],
                       None if row[5] is None else _pay_row(row[5:]))


def verify_coop(
    session: Session, coop: Cooperative, *, public_key: bytes | None = None,
    progress: Callable[[int], None] | None = None,
) -> VerifyResult:
    """Verify everything stored for ``coop``. ``public_key`` is the key the auditor trusts;
    by default the one the database publishes."""
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
        public_key=public_key if public_key is not None else coop.public_key,
        checkpoints=checkpoints,
        head=(head.size, bytes(head.root)) if head is not None else None,
        nodes_root=nodes_root, pay_payload=pay_payload, pay_rows_total=pay_total, progress=progress,
    )
