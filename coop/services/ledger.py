"""Appending to a co-op's public ledger, and the pay and decision records it holds.

Appends are serialised per co-op: the ledger head row is locked (``SELECT … FOR UPDATE`` on
PostgreSQL; SQLite transactions already hold its single write lock from BEGIN IMMEDIATE),
so two writers can never take the same index or fork the tree.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from coop.errors import NotFound
from coop.ledger import merkle, nodestore
from coop.ledger.canonical import canonical_bytes
from coop.models import Cooperative, LedgerEntry, LedgerHead, LedgerNode, PayRecord, Proposal
from coop.pay import Pay
from coop.services import events

EMPTY_ROOT = merkle.root([])
#: ``session.info`` key: {co-op id: its ledger's size before this transaction first appended},
#: so the entry point can sign a checkpoint of each ledger that grew before it commits
#: (``coop.services.autosign``). A rolled-back savepoint (a preview) leaves the size as it was.
APPENDED = "coop.ledger.appended"
CENT = Decimal("0.01")


def create_head(session: Session, coop: Cooperative) -> LedgerHead:
    head = LedgerHead(coop_id=coop.id, size=0, root=EMPTY_ROOT)
    session.add(head)
    return head


def lock_head(session: Session, coop_id: int) -> LedgerHead:
    head = session.scalars(
        select(LedgerHead).where(LedgerHead.coop_id == coop_id).with_for_update()
    ).one_or_none()
    if head is None:
        raise NotFound(f"co-op {coop_id} has no ledger")
    # populate_existing matters: another transaction may have appended since we last looked.
    session.refresh(head)
    return head


def fetch_nodes(session: Session, coop_id: int, keys: list[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
    """One query for any set of subtree hashes: O(log n) rows for a root or a proof.

    Written as ``(coop_id = ? AND level = ? AND idx IN (…)) OR …``, one term per level, so
    each term is a primary-key lookup. SQLite does not use the index for a row-value
    ``(level, idx) IN (…)`` and scanned every node of the co-op instead (190 ms a proof on
    a million entries, where the lookups take well under one)."""
    if not keys:
        return {}
    by_level: dict[int, set[int]] = {}
    for level, index in keys:
        by_level.setdefault(level, set()).add(index)
    rows = session.execute(
        select(LedgerNode.level, LedgerNode.index, LedgerNode.hash).where(or_(*(
            and_(LedgerNode.coop_id == coop_id, LedgerNode.level == level,
                 LedgerNode.index.in_(sorted(indexes)))
            for level, indexes in sorted(by_level.items())
        )))
    )
    return {(level, index): h for level, index, h in rows}


def append(session: Session, coop_id: int, kind: str, payload: dict[str, Any], *, now: dt.datetime) -> LedgerEntry:
    """Append one entry; returns it with its index. The body is canonical JSON that also
    names its own index and kind, so an entry moved to another position is detected."""
    head = lock_head(session, coop_id)
    index = head.size
    session.info.setdefault(APPENDED, {}).setdefault(coop_id, index)
    body = canonical_bytes({"index": index, "kind": kind, **payload})
    leaf = merkle.leaf_hash(body)
    entry = LedgerEntry(coop_id=coop_id, index=index, kind=kind, body=body, leaf_hash=leaf,
                        appended_at=now)
    session.add(entry)
    new_nodes = nodestore.nodes_added_by_append(
        index, leaf, lambda keys: fetch_nodes(session, coop_id, keys)
    )
    session.add_all(
        LedgerNode(coop_id=coop_id, level=level, index=i, hash=h) for level, i, h in new_nodes
    )
    size = index + 1
    known = {(level, i): h for level, i, h in new_nodes}
    missing = [k for k in nodestore.root_keys(size) if k not in known]
    known.update(fetch_nodes(session, coop_id, missing))
    head.size = size
    head.root = nodestore.root_from_nodes(size, known)
    session.flush()
    # Listeners (the webhook outbox) record it in this same transaction.
    events.emit(session, coop_id, "ledger.appended",
                {"index": index, "kind": kind, "size": size, "root": bytes(head.root).hex()}, now=now)
    return entry


# -- pay records ---------------------------------------------------------------------------

def pay_payload(record: PayRecord, member_name: str) -> dict[str, Any]:
    """The public fields of a pay record, as they are hashed. Money is decimal strings."""
    return {
        "member_id": record.member_id,
        "member_name": member_name,
        "effective_date": record.effective_date.isoformat(),
        "hourly_rate": str(record.hourly_rate),
        "weekly_hours": str(record.weekly_hours),
        "supplements": record.supplements,
        "currency": record.currency,
        "annualised": str(record.annualised),
        "authority": record.authority,
        "proposal_id": record.proposal_id,
    }


def supplements_json(pay: Pay) -> list[dict[str, Any]]:
    return [
        {
            "kind": s.kind, "amount": str(s.amount), "reason": s.reason.value,
            "qualification_id": s.qualification_id,
        }
        for s in pay.supplements
    ]


def append_pay_record(
    session: Session, coop: Cooperative, member_id: int, member_name: str, pay: Pay,
    weeks_per_year: int, authority: str, effective_date: dt.date,
    proposal_id: int | None = None, *, now: dt.datetime,
) -> PayRecord:
    # Two places, exactly as the DecimalString columns will store them: the entry must hash
    # the same text the row holds, or the row could never be checked against it ("20" vs
    # "20.00"). Pay allows at most two places, so quantize never rounds.
    record = PayRecord(
        coop_id=coop.id, member_id=member_id, effective_date=effective_date,
        hourly_rate=pay.hourly_rate.quantize(CENT), weekly_hours=pay.weekly_hours.quantize(CENT),
        supplements=supplements_json(pay), currency=coop.currency,
        annualised=pay.annualised(weeks_per_year), authority=authority,
        proposal_id=proposal_id, recorded_at=now,
    )
    entry = append(session, coop.id, "pay", pay_payload(record, member_name), now=now)
    record.entry_index = entry.index
    session.add(record)
    session.flush()
    return record


def decision_payload(p: Proposal) -> dict[str, Any]:
    return {
        "proposal_id": p.id,
        "proposal_kind": p.kind,
        "title": p.title,
        "electorate_size": p.electorate_size,
        "tally": {"yes": p.yes_count, "no": p.no_count, "abstain": p.abstain_count},
        "threshold": p.threshold,
        "quorum": p.quorum,
        "outcome": p.outcome,
        "failed_test": p.failed_test,
        "reason": p.outcome_reason,
        "closed_at": p.closed_at.isoformat() if p.closed_at else None,
    }


def append_decision_record(session: Session, proposal: Proposal, extra: dict[str, Any] | None = None, *,
                           now: dt.datetime) -> LedgerEntry:
    payload = decision_payload(proposal)
    if extra:
        payload.update(extra)
    entry = append(session, proposal.coop_id, "decision", payload, now=now)
    proposal.decision_entry_index = entry.index
    return entry


def pay_from_record(r: PayRecord) -> Pay:
    from coop.pay import Supplement, SupplementReason

    return Pay(
        hourly_rate=r.hourly_rate, weekly_hours=r.weekly_hours,
        supplements=tuple(
            Supplement(kind=s["kind"], amount=Decimal(s["amount"]),
                       reason=SupplementReason(s["reason"]),
                       qualification_id=s.get("qualification_id"))
            for s in r.supplements
        ),
    )
