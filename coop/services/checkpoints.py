"""Signed checkpoints: the co-op's signed statement of its ledger's size and Merkle root.

A member or auditor who saves a checkpoint can later demand a consistency proof to a newer
one (``coop.services.proofs``) and so detect any rewrite of what they saw. The private key
lives in the key directory, never in the database (``coop.ledger.keys``).
"""

from __future__ import annotations

import builtins
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.errors import Conflict
from coop.ledger import checkpoint as notes
from coop.ledger.keys import KeyStore
from coop.models import Checkpoint, Cooperative
from coop.services import events, ledger


def latest(session: Session, coop: Cooperative) -> Checkpoint | None:
    return session.scalars(
        select(Checkpoint).where(Checkpoint.coop_id == coop.id)
        .order_by(Checkpoint.size.desc(), Checkpoint.id.desc()).limit(1)
    ).one_or_none()


def list_checkpoints(session: Session, coop: Cooperative) -> "builtins.list[Checkpoint]":
    """Oldest first. One query."""
    return [*session.scalars(
        select(Checkpoint).where(Checkpoint.coop_id == coop.id).order_by(Checkpoint.size, Checkpoint.id)
    )]


#: ``list`` is the name the issue gives; ``list_checkpoints`` avoids shadowing the builtin here.
list = list_checkpoints  # noqa: A001


def sign(session: Session, keys: KeyStore, coop: Cooperative, *, now: dt.datetime) -> Checkpoint:
    """Sign the ledger's current size and root; a no-op returning the latest checkpoint when
    the ledger has not moved since it was signed.

    :raise Conflict: the key directory holds no key for this co-op, or a key that is not the
        published one (its signatures would not verify, so nothing is signed).
    """
    # Locking the head serialises signing with appends: the size and root signed are a
    # state the ledger really had, never a half-appended one.
    head = ledger.lock_head(session, coop.id)
    previous = latest(session, coop)
    if previous is not None and previous.size == head.size and bytes(previous.root) == bytes(head.root):
        return previous
    private_key = keys.load(coop.slug)
    if private_key is None:
        raise Conflict(f"no signing key for co-op '{coop.slug}' in {keys.key_dir}")
    public_key = notes.public_key_bytes(private_key)
    if coop.public_key is not None and bytes(coop.public_key) != public_key:
        raise Conflict(f"the signing key in {keys.path(coop.slug)} is not the co-op's published key; "
                       "refusing to sign checkpoints nobody could verify")
    note = notes.sign_checkpoint(private_key, coop.origin, head.size, bytes(head.root))
    cp = Checkpoint(coop_id=coop.id, size=head.size, root=bytes(head.root), signed_at=now,
                    note=note)
    session.add(cp)
    session.flush()
    events.emit(session, coop.id, "checkpoint.signed", {
        "checkpoint_id": cp.id, "size": cp.size, "root": cp.root.hex(), "note": note,
    }, now=now)
    return cp
