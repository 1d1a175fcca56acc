"""Verify a co-op's ledger in the database: stream its rows into ``coop.ledger.verify``.

The rows are read as raw as the database gives them (money columns as their stored text, not
parsed), so a value edited behind the application's back is compared exactly as stored. A
constant number of queries whatever the ledger's size; the entries arrive in batches
(sqlite3's ``fetchmany``, a server-side cursor on PostgreSQL), so memory stays flat.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from json.encoder import encode_basestring as _string
from typing import Any

from sqlalchemy import String, and_, func, select, type_coerce
from sqlalchemy.orm import Session

from coop.ledger import nodestore
from coop.ledger.checkpoint import CheckpointError
from coop.ledger.verify import CheckpointRow, VerifyResult, saved_checkpoint, value_text, verify
from coop.models import Checkpoint, Cooperative, LedgerEntry, LedgerHead, LedgerNode, Member, PayRecord
from coop.services import ledger

BATCH = 4096


def _raw(column: Any) -> Any:
    return type_coerce(column, String)


#: Where the pay record's columns start in a row of ``entry_rows``' query.
PAY_AT = 5
PAY_COLUMNS = (
    PayRecord.id, PayRecord.member_id, _raw(PayRecord.effective_date), _raw(PayRecord.hourly_rate),
    _raw(PayRecord.weekly_hours), _raw(PayRecord.supplements), PayRecord.currency,
    _raw(PayRecord.annualised), PayRecord.authority, PayRecord.proposal_id,
)


def pay_payload(row: tuple[Any, ...], member_name: Any) -> dict[str, Any]:
    """The public fields of a pay record row read raw (``PAY_COLUMNS``, from position
    ``PAY_AT`` of ``row``), as ``ledger.pay_payload`` writes them for a loaded record: same
    keys, same text. The money columns are stored as their decimal text, so they are compared
    exactly as stored; SQLite's JSON text is parsed once per distinct text."""
    at = PAY_AT
    effective, supplements = row[at + 2], row[at + 5]
    return {
        "member_id": row[at + 1],
        "member_name": member_name,
        # SQLite hands back the stored text, PostgreSQL a date.
        "effective_date": effective if isinstance(effective, str) else effective.isoformat(),
        "hourly_rate": row[at + 3],
        "weekly_hours": row[at + 4],
        "supplements": _SUPPLEMENTS[supplements] if isinstance(supplements, str) else supplements,
        "currency": row[at + 6],
        "annualised": row[at + 7],
        "authority": row[at + 8],
        "proposal_id": row[at + 9],
    }


#: A pay entry's bytes with the values left out: the keys sorted and no spaces, as
#: ``verify.encode`` writes ``{"index": …, "kind": "pay", **pay_payload(…)}``.
_PAY_BODY = ('{"annualised":%s,"authority":%s,"currency":%s,"effective_date":%s,"hourly_rate":%s,'
             '"index":%d,"kind":"pay","member_id":%s,"member_name":%s,"proposal_id":%s,'
             '"supplements":%s,"weekly_hours":%s}')


def pay_bytes(index: int, row: tuple[Any, ...], member_name: Any) -> bytes:
    """What ``pay_payload`` gives, with the entry's index and kind, as bytes: the form
    verification compares with each pay entry's body, written into ``_PAY_BODY``: half the
    cost of building and encoding the dict, for two thirds of the entries. A value of another type
    than the application writes raises TypeError; the verifier then checks that entry with
    ``pay_payload``. tests/unit/test_verify_fast_path.py checks both agree."""
    at = PAY_AT
    member, effective, supplements, proposal = row[at + 1], row[at + 2], row[at + 5], row[at + 9]
    if type(member) is not int or not (proposal is None or type(proposal) is int):
        raise TypeError("member_id or proposal_id is not an integer")
    return (_PAY_BODY % (
        _string(row[at + 7]), _string(row[at + 8]), _string(row[at + 6]),
        _string(effective if isinstance(effective, str) else effective.isoformat()),
        _string(row[at + 3]), index, member, _string(member_name),
        "null" if proposal is None else proposal,
        _SUPPLEMENTS_TEXT[supplements] if isinstance(supplements, str) else value_text(supplements),
        _string(row[at + 4]),
    )).encode()


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


class _SupplementsText(dict[str, str]):
    """The JSON text ``verify.encode`` writes for stored supplements, by their stored text."""

    def __missing__(self, text: str) -> str:
        value = value_text(_SUPPLEMENTS[text])  # TypeError for a float
        if len(self) < _Supplements.LIMIT:
            self[text] = value
        return value


_SUPPLEMENTS = _Supplements()
_SUPPLEMENTS_TEXT = _SupplementsText()


def _batches(session: Session, stmt: Any) -> Iterator[Sequence[Any]]:
    """The rows of ``stmt`` in lists of up to BATCH, as the database sends them."""
    conn = session.connection()
    if conn.dialect.name == "sqlite":
        # sqlite3 steps through the result as it is fetched, and none of these columns has a
        # result processor on SQLite: its own cursor gives the same values as SQLAlchemy, a
        # tenth of verification's time sooner.
        compiled = stmt.compile(dialect=conn.dialect)
        params = compiled.construct_params()
        cursor = conn.connection.driver_connection.cursor()
        try:
            cursor.execute(str(compiled), [params[name] for name in compiled.positiontup or ()])
            while batch := cursor.fetchmany(BATCH):
                yield batch
        finally:
            cursor.close()
        return
    # Options on the statement, not the connection: Connection.execution_options changes
    # the session's connection in place, and every later statement would stream too.
    yield from conn.execute(stmt.execution_options(yield_per=BATCH)).partitions()


def entry_rows(session: Session, coop_id: int) -> Iterator[tuple[Any, ...]]:
    """Every entry with its stored leaf-level node, its pay record row and its member's
    current name (``EntryRow``'s seven fields, as a plain tuple), in index order: one query,
    streamed in batches as the driver returns them (no ORM objects: reading the rows is half
    of what `coop ledger verify` spends its time on).

    (Three ordered scans merged in Python instead of the join were measured: a few per cent
    faster, for three snapshots of a ledger others may be appending to instead of one.)"""
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
    # A pay entry's "pay" is the whole row: pay_payload reads its columns from PAY_AT on.
    at, member = PAY_AT, PAY_AT + 1
    for batch in _batches(session, stmt):
        for row in batch:
            if row[at] is None:
                yield row[0], row[1], row[2], row[3], row[4], None, None
            else:
                yield row[0], row[1], row[2], row[3], row[4], row, names.get(row[member])


def verify_coop(
    session: Session, coop: Cooperative, *, now: dt.datetime, public_key: bytes | None = None,
    progress: Callable[[int], None] | None = None, saved: Sequence[tuple[str, str]] = (),
) -> VerifyResult:
    """Verify everything stored for ``coop``. ``public_key`` is the key the auditor trusts;
    by default the one the database publishes. ``saved`` are (label, signed note) of
    checkpoints the auditor kept: each must verify and match the entries at its size.
    ``now`` (naive UTC): a ledger whose first entry is over an hour older and that has no
    checkpoint fails (``verify.CHECKPOINT_DUE``).

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
    started_at = session.scalar(select(LedgerEntry.appended_at).where(
        LedgerEntry.coop_id == coop.id, LedgerEntry.index == 0))
    return verify(
        entry_rows(session, coop.id), origin=coop.origin,
        public_key=key,
        checkpoints=checkpoints,
        head=(head.size, bytes(head.root)) if head is not None else None,
        nodes_root=nodes_root, pay_payload=pay_payload, pay_rows_total=pay_total, progress=progress,
        pay_bytes=pay_bytes, started_at=started_at, now=now,
    )
