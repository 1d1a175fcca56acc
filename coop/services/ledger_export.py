"""Export a co-op's ledger for auditors and spreadsheets, streamed: entries are read in
batches and written one at a time, so memory stays flat whatever the ledger's size.

JSON (``coop.ledger.export`` documents the layout) carries everything offline verification
needs: the exact bytes of each entry, the published key, the head and the signed
checkpoints. CSV has one row per entry with the pay fields flattened for a spreadsheet, and
the body too, so even the spreadsheet can be re-hashed.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
from collections.abc import Callable, Iterator
from decimal import Decimal, InvalidOperation
from typing import IO, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.errors import NotFound
from coop.ledger import checkpoint as notes
from coop.ledger import export
from coop.ledger.verify import as_bytes
from coop.models import Checkpoint, Cooperative, LedgerEntry, LedgerHead
from coop.spreadsheet import SafeDictWriter

BATCH = 2000
Progress = Callable[[int], None]


def _head(session: Session, coop: Cooperative) -> tuple[int, bytes]:
    head = session.execute(
        select(LedgerHead.size, LedgerHead.root).where(LedgerHead.coop_id == coop.id)).one_or_none()
    if head is None:
        raise NotFound(f"co-op '{coop.slug}' has no ledger")
    return head.size, bytes(head.root)


def _entries(session: Session, coop: Cooperative, size: int) -> Iterator[Any]:
    # Entries below the head's size never change (append-only), so this read is consistent
    # with the head read before it even while others append.
    yield from session.execute(
        select(LedgerEntry.index, LedgerEntry.kind, LedgerEntry.body, LedgerEntry.leaf_hash)
        .where(LedgerEntry.coop_id == coop.id, LedgerEntry.index < size)
        .order_by(LedgerEntry.index).execution_options(yield_per=BATCH))


def _first_appended_at(session: Session, coop: Cooperative) -> str | None:
    first = session.scalar(select(LedgerEntry.appended_at).where(
        LedgerEntry.coop_id == coop.id, LedgerEntry.index == 0))
    return first.isoformat(timespec="seconds") if first is not None else None


def write_json(session: Session, coop: Cooperative, out: IO[str], progress: Progress | None = None, *,
               now: dt.datetime) -> int:
    """Write the export; returns the number of entries written."""
    size, root = _head(session, coop)
    public_key = bytes(coop.public_key) if coop.public_key else None
    header = {
        "format": export.FORMAT, "coop": coop.slug, "name": coop.name, "origin": coop.origin,
        "currency": coop.currency, "exported_at": now.isoformat(timespec="seconds"),
        "public_key": base64.b64encode(public_key).decode("ascii") if public_key else None,
        "verifier_key": notes.verifier_key(coop.origin, public_key) if public_key else None,
        "head": {"size": size, "root": root.hex()},
        # So an offline verifier can tell a young ledger from one whose checkpoints are gone.
        "first_appended_at": _first_appended_at(session, coop),
        "checkpoints": [
            {"size": cp.size, "root": bytes(cp.root).hex(),
             "signed_at": cp.signed_at.isoformat(timespec="seconds"), "note": cp.note}
            for cp in session.scalars(select(Checkpoint).where(
                Checkpoint.coop_id == coop.id, Checkpoint.size <= size).order_by(Checkpoint.size, Checkpoint.id))
        ],
    }
    out.write(export.header_line(header))
    written = 0
    for index, kind, body, leaf in _entries(session, coop, size):
        # The comma goes before every entry but the first, so the last never has one
        # whatever the count (a tampered database may hold fewer rows than its head says).
        out.write((",\n" if written else "") + export.entry_line(index, kind, body, leaf))
        written += 1
        if progress is not None and not written & 0x3FFF:
            progress(written)
    out.write(("\n" if written else "") + export.CLOSE)
    if progress is not None:
        progress(written)
    return written


CSV_COLUMNS = [
    "index", "kind", "leaf_hash", "member_id", "member_name", "effective_date", "hourly_rate",
    "weekly_hours", "supplements", "supplements_per_hour", "currency", "annualised", "authority",
    "proposal_id", "proposal_kind", "title", "outcome", "yes", "no", "abstain", "electorate_size",
    "body",
]


def _flatten(index: int, kind: str, body: bytes, leaf: bytes | None) -> dict[str, Any]:
    try:
        # Decimal, not float: a number a tampered body holds reaches the sheet as written.
        data = json.loads(as_bytes(body), parse_float=Decimal)
    except ValueError:
        data = {}
    if not isinstance(data, dict):  # a tampered body may be any JSON value
        data = {}
    row = {k: data.get(k) for k in CSV_COLUMNS if k in data and not isinstance(data.get(k), (dict, list))}
    supplements = data.get("supplements") or []
    if isinstance(supplements, list):
        row["supplements"] = "; ".join(
            f"{s.get('kind')} {s.get('amount')} ({s.get('reason')})" for s in supplements if isinstance(s, dict))
        row["supplements_per_hour"] = _sum_amounts(supplements)
    tally = data.get("tally")
    if isinstance(tally, dict):
        row.update({k: tally.get(k) for k in ("yes", "no", "abstain")})
    row.update(index=index, kind=kind, leaf_hash=as_bytes(leaf).hex() if leaf else "",
               body=as_bytes(body).decode("utf-8", errors="replace"))
    return row


def _sum_amounts(supplements: list[Any]) -> str:
    try:
        return str(sum((Decimal(s["amount"]) for s in supplements), Decimal("0.00")))
    except (InvalidOperation, KeyError, TypeError):
        return ""


def write_csv(session: Session, coop: Cooperative, out: IO[str], progress: Progress | None = None) -> int:
    size, _ = _head(session, coop)
    # Member names and titles are people's text: escaped against formula injection. The body
    # of every real entry starts with "{", so it reaches the sheet byte for byte, to re-hash.
    writer = SafeDictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    written = 0
    for index, kind, body, leaf in _entries(session, coop, size):
        writer.writerow(_flatten(index, kind, body, leaf))
        written += 1
        if progress is not None and not written & 0x3FFF:
            progress(written)
    if progress is not None:
        progress(written)
    return written
