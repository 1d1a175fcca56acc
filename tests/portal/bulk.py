"""Build a large co-op fast, with bulk inserts: members, closed pay-adjustment proposals and a
real ledger (canonical entry bodies, RFC 6962 leaf hashes, every stored subtree node, the
head's root), so every page and the verifier see a genuine ledger of the given size.

Going through the services would take minutes for 20,000 entries (each append is several
statements); the rows written here are the ones the services would write.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from types import SimpleNamespace
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from coop.ledger import merkle, nodestore
from coop.ledger.keys import KeyStore
from coop.models import (
    Cooperative,
    LedgerEntry,
    LedgerHead,
    LedgerNode,
    Member,
    PayRecord,
    Proposal,
)
from coop.pay import Pay
from coop.services import checkpoints, ledger
from coop.services.pay_adjustments import pay_to_json
from tests.clock import NOW
from tests.factories import make_coop

WEEKS = 52


@dataclass
class Built:
    coop: Cooperative
    members: list[Member]
    entries: int
    proposals: int


def _canonical(obj: dict[str, Any]) -> bytes:
    """RFC 8785 for these payloads (ASCII keys; strings, integers, null, lists): sorted keys,
    no whitespace, literal non-ASCII, which is what ``json.dumps`` writes for them. Five times
    faster than the general encoder; the verifier, which re-encodes with that encoder, checks it."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _pay(i: int, step: int) -> Pay:
    """Rates between 18.00 and 40.00: inside the default 3:1 ratio."""
    return _pay_of((i * 37 + step * 53) % 2200)


@cache
def _pay_of(cents_above_floor: int) -> Pay:
    return Pay(Decimal(1800 + cents_above_floor).scaleb(-2), Decimal("37.50"))


def build(db: Session, keys: KeyStore, members: int, entries: int, slug: str | None = None) -> Built:
    """``members`` active members, each with founding pay, then pay adjustments (each a
    decision entry and a pay entry) until the ledger holds ``entries`` entries."""
    coop = make_coop(db, keys, slug=slug)
    now = NOW.replace(microsecond=0)
    start = now - dt.timedelta(days=400)
    db.execute(insert(Member), [
        {"coop_id": coop.id, "name": f"Member {i:05d}", "email": f"m{i}@{coop.slug}.example",
         "status": "active", "role": "secretary" if i == 0 else "member",
         "joined_at": start, "active_since": start}
        for i in range(members)
    ])
    people = list(db.scalars(select(Member).where(Member.coop_id == coop.id).order_by(Member.id)))
    changes = max(0, (entries - members) // 2)
    author = people[0].id
    db.execute(insert(Proposal), [
        {"coop_id": coop.id, "kind": "pay_adjustment", "title": f"Pay change {n}", "body": "",
         "status": "closed", "author_id": author, "subject_member_id": people[1 + n % (members - 1)].id,
         "details": {"reason": "skills", "previous": None,
                     "new": pay_to_json(_pay(n, 1 + n // members))},
         "created_at": start, "voting_opened_at": start, "threshold": "1/2 of cast, strict",
         "quorum": "1/2", "threshold_rule": "voting.pay_adjustment", "electorate_size": members - 1,
         "outcome": "passed", "outcome_reason": "passed: bulk", "yes_count": members // 2,
         "no_count": 1, "abstain_count": 0, "closed_at": start + dt.timedelta(minutes=n),
         "executed_at": start + dt.timedelta(minutes=n)}
        for n in range(changes)
    ])
    proposals = list(db.scalars(select(Proposal).where(Proposal.coop_id == coop.id).order_by(Proposal.id)))

    rows: list[dict[str, Any]] = []
    pay_rows: list[dict[str, Any]] = []
    nodes: dict[tuple[int, int], bytes] = {}

    def append(kind: str, payload: dict[str, Any]) -> int:
        index = len(rows)
        body = _canonical({"index": index, "kind": kind, **payload})
        leaf = merkle.leaf_hash(body)
        for level, i, h in nodestore.nodes_added_by_append(index, leaf, lambda ks: {k: nodes[k] for k in ks}):
            nodes[(level, i)] = h
        rows.append({"coop_id": coop.id, "idx": index, "kind": kind, "body": body,
                     "leaf_hash": leaf, "appended_at": now})
        return index

    annual: dict[Pay, Decimal] = {}

    def pay_entry(m: Member, pay: Pay, authority: str, proposal_id: int | None, day: dt.date) -> None:
        if pay not in annual:
            annual[pay] = pay.annualised(WEEKS)
        record = SimpleNamespace(member_id=m.id, effective_date=day, hourly_rate=pay.hourly_rate,
                                 weekly_hours=pay.weekly_hours, supplements=[], currency=coop.currency,
                                 annualised=annual[pay], authority=authority,
                                 proposal_id=proposal_id)
        index = append("pay", ledger.pay_payload(record, m.name))  # type: ignore[arg-type]
        pay_rows.append({"coop_id": coop.id, "member_id": m.id, "entry_index": index,
                         "effective_date": day, "hourly_rate": pay.hourly_rate,
                         "weekly_hours": pay.weekly_hours, "supplements": [], "currency": coop.currency,
                         "annualised": annual[pay], "authority": authority,
                         "proposal_id": proposal_id, "recorded_at": now})

    for i, m in enumerate(people):
        pay_entry(m, _pay(i, 0), "founding", None, start.date())
    by_id = {m.id: m for m in people}
    decision_index: dict[int, int] = {}
    for n, p in enumerate(proposals):
        decision_index[p.id] = append("decision", ledger.decision_payload(p))
        pay_entry(by_id[p.subject_member_id], _pay(n, 1 + n // members),
                  "proposal", p.id, (start + dt.timedelta(days=1 + n * 300 // max(1, changes))).date())

    # Core inserts (column names, executemany): the ORM's per-row bookkeeping is not needed.
    db.execute(insert(LedgerEntry.__table__), rows)
    db.execute(insert(LedgerNode.__table__), [{"coop_id": coop.id, "level": level, "idx": i, "hash": h}
                                              for (level, i), h in nodes.items()])
    db.execute(insert(PayRecord.__table__), pay_rows)
    size = len(rows)
    root = nodestore.root_from_nodes(size, {k: nodes[k] for k in nodestore.root_keys(size)})
    db.execute(update(LedgerHead).where(LedgerHead.coop_id == coop.id).values(size=size, root=root))
    db.execute(update(Proposal), [{"id": pid, "decision_entry_index": idx} for pid, idx in decision_index.items()])
    db.flush()
    db.expire_all()
    checkpoints.sign(db, keys, coop, now=NOW)
    return Built(coop, people, size, len(proposals))
