"""RFC 6962 inclusion and consistency proofs, answered from the stored subtree hashes.

Each answer reads the O(log n) nodes it needs (the proof's and the roots') in ONE query, so a
proof costs the same on a ledger of ten entries or ten million. The proofs are the standard
ones: any RFC 6962 / RFC 9162 verifier checks them against a signed checkpoint's root.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.errors import Conflict, InvalidInput, NotFound
from coop.ledger import nodestore
from coop.models import Checkpoint, Cooperative, LedgerEntry, LedgerHead, PayRecord, Proposal
from coop.services import ledger


@dataclass(frozen=True)
class InclusionProof:
    index: int
    size: int
    leaf_hash: bytes
    root: bytes
    #: Sibling hashes from the leaf up, as RFC 6962 PATH lists them.
    path: list[bytes]

    def as_json(self) -> dict[str, object]:
        return {"index": self.index, "tree_size": self.size, "leaf_hash": self.leaf_hash.hex(),
                "root": self.root.hex(), "path": [h.hex() for h in self.path]}


@dataclass(frozen=True)
class ConsistencyProof:
    old_size: int
    new_size: int
    old_root: bytes
    new_root: bytes
    path: list[bytes]

    def as_json(self) -> dict[str, object]:
        return {"old_size": self.old_size, "new_size": self.new_size,
                "old_root": self.old_root.hex(), "new_root": self.new_root.hex(),
                "path": [h.hex() for h in self.path]}


def _head_size(session: Session, coop: Cooperative) -> int:
    size = session.scalar(select(LedgerHead.size).where(LedgerHead.coop_id == coop.id))
    if size is None:
        raise NotFound(f"co-op '{coop.slug}' has no ledger")
    return size


def _size(session: Session, coop: Cooperative, size: int | None, what: str) -> int:
    head = _head_size(session, coop)
    if size is None:
        return head
    if size < 0 or size > head:
        raise InvalidInput(f"the ledger has {head} entries; {what} must be from 0 to {head}", field=what)
    return size


def _nodes(session: Session, coop: Cooperative, keys: list[nodestore.Key]) -> nodestore.Nodes:
    return ledger.fetch_nodes(session, coop.id, keys)


@contextmanager
def _stored_nodes() -> Iterator[None]:
    # The node store is append-only and written with every entry: a missing node means rows
    # were deleted behind the application's back, which verification then names.
    try:
        yield
    except nodestore.MissingNodeError as exc:
        raise Conflict(f"{exc}; run `coop ledger verify`") from None


def root_at(session: Session, coop: Cooperative, size: int | None = None) -> bytes:
    """The root of the ledger's first ``size`` entries (default: all)."""
    size = _size(session, coop, size, "size")
    with _stored_nodes():
        return nodestore.root_from_nodes(size, _nodes(session, coop, nodestore.root_keys(size)))


def inclusion(session: Session, coop: Cooperative, index: int, size: int | None = None) -> InclusionProof:
    """Proof that entry ``index`` is in the ledger of ``size`` entries (default: all)."""
    size = _size(session, coop, size, "size")
    if not 0 <= index < size:
        raise InvalidInput(f"entry {index} is not in a ledger of {size} entries", field="index")
    leaf_key = (0, index)
    proof_keys = nodestore.inclusion_keys(index, size)
    root_keys = nodestore.root_keys(size)
    nodes = _nodes(session, coop, [leaf_key, *proof_keys, *root_keys])
    with _stored_nodes():
        if leaf_key not in nodes:
            raise nodestore.MissingNodeError(f"the leaf hash of entry {index} is missing from the node store")
        return InclusionProof(
            index=index, size=size, leaf_hash=bytes(nodes[leaf_key]),
            root=nodestore.root_from_nodes(size, nodes),
            path=nodestore.inclusion_from_nodes(index, size, nodes),
        )


def consistency(session: Session, coop: Cooperative, old_size: int, new_size: int | None = None) -> ConsistencyProof:
    """Proof that the ledger at ``new_size`` (default: now) only appended to the one at
    ``old_size``: what a member who saved a checkpoint asks for."""
    new_size = _size(session, coop, new_size, "new_size")
    if not 0 <= old_size <= new_size:
        raise InvalidInput(f"old_size must be from 0 to {new_size}", field="old_size")
    keys = [*nodestore.consistency_keys(old_size, new_size), *nodestore.root_keys(old_size),
            *nodestore.root_keys(new_size)]
    nodes = _nodes(session, coop, keys)
    with _stored_nodes():
        return ConsistencyProof(
            old_size=old_size, new_size=new_size,
            old_root=nodestore.root_from_nodes(old_size, nodes),
            new_root=nodestore.root_from_nodes(new_size, nodes),
            path=nodestore.consistency_from_nodes(old_size, new_size, nodes),
        )


def entry(session: Session, coop: Cooperative, index: int) -> LedgerEntry:
    found = session.scalars(
        select(LedgerEntry).where(LedgerEntry.coop_id == coop.id, LedgerEntry.index == index)
    ).one_or_none()
    if found is None:
        raise NotFound(f"the ledger has no entry {index}", field="index")
    return found


@dataclass(frozen=True)
class EntryPage:
    """One ledger entry as its public page shows it: its bytes, its inclusion proof against
    the latest signed checkpoint that holds it (else the ledger now), and its decision."""

    entry: LedgerEntry
    proof: InclusionProof
    #: The checkpoint the proof is against, or None when no signed checkpoint holds it yet.
    checkpoint: Checkpoint | None
    #: The proposal behind it: the decision a decision record states, or the one that
    #: authorised a pay record (None for founding pay and departures).
    proposal: Proposal | None


def entry_page(session: Session, coop: Cooperative, index: int) -> EntryPage:
    """Four or five queries whatever the ledger's size."""
    found = entry(session, coop, index)
    cp = session.scalars(
        select(Checkpoint).where(Checkpoint.coop_id == coop.id, Checkpoint.size > index)
        .order_by(Checkpoint.size.desc(), Checkpoint.id.desc()).limit(1)
    ).one_or_none()
    if found.kind == "decision":
        proposal = session.scalars(select(Proposal).where(
            Proposal.coop_id == coop.id, Proposal.decision_entry_index == index)).one_or_none()
    else:
        proposal = session.scalars(select(Proposal).join(PayRecord, PayRecord.proposal_id == Proposal.id).where(
            PayRecord.coop_id == coop.id, PayRecord.entry_index == index)).one_or_none()
    proof = inclusion(session, coop, index, cp.size if cp is not None else None)
    return EntryPage(found, proof, cp, proposal)
