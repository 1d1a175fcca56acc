"""The public ledger: entries, stored Merkle subtree hashes, checkpoints, pay records.

The rows are not trusted: verification recomputes every hash from them. Triggers created
by the migrations refuse UPDATE and DELETE on the append-only tables.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, ForeignKeyConstraint, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coop.db import Base, DecimalString


class LedgerHead(Base):
    """One row per co-op; appends lock it, so concurrent writers queue instead of forking."""

    __tablename__ = "ledger_heads"

    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), primary_key=True)
    size: Mapped[int] = mapped_column(default=0)
    root: Mapped[bytes] = mapped_column(LargeBinary(32))


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"

    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), primary_key=True)
    #: 0, 1, 2, … without gaps.
    index: Mapped[int] = mapped_column("idx", primary_key=True, autoincrement=False)
    kind: Mapped[str] = mapped_column(String(16))
    #: RFC 8785 canonical JSON: the leaf of the Merkle tree, exactly as hashed.
    body: Mapped[bytes] = mapped_column(LargeBinary)
    leaf_hash: Mapped[bytes] = mapped_column(LargeBinary(32))
    appended_at: Mapped[dt.datetime] = mapped_column()


class LedgerNode(Base):
    """Hash of each complete subtree (level L, index i covers leaves [i·2^L, (i+1)·2^L)).

    With these stored, a root or proof needs O(log n) rows instead of re-hashing the log.
    """

    __tablename__ = "ledger_nodes"

    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), primary_key=True)
    level: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    index: Mapped[int] = mapped_column("idx", primary_key=True, autoincrement=False)
    hash: Mapped[bytes] = mapped_column(LargeBinary(32))


class Checkpoint(Base):
    __tablename__ = "checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    size: Mapped[int]
    root: Mapped[bytes] = mapped_column(LargeBinary(32))
    signed_at: Mapped[dt.datetime] = mapped_column()
    #: The C2SP signed note, verbatim.
    note: Mapped[str] = mapped_column(Text)


class PayRecord(Base):
    """A pay entry, in queryable columns. Its public fields re-encode to the ledger entry's
    bytes, which verification checks, so editing this row is detected too."""

    __tablename__ = "pay_records"
    __table_args__ = (
        UniqueConstraint("coop_id", "entry_index"),
        # An executed pay proposal yields exactly one pay record, enforced by the database.
        UniqueConstraint("proposal_id"),
        ForeignKeyConstraint(
            ["coop_id", "entry_index"], ["ledger_entries.coop_id", "ledger_entries.idx"]
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    entry_index: Mapped[int]
    effective_date: Mapped[dt.date]
    hourly_rate: Mapped[Decimal] = mapped_column(DecimalString(2))
    weekly_hours: Mapped[Decimal] = mapped_column(DecimalString(2))
    #: [{"kind", "amount" (decimal string, per hour), "reason", "qualification_id"}]
    supplements: Mapped[list[Any]] = mapped_column(default=list)
    currency: Mapped[str] = mapped_column(String(3))
    annualised: Mapped[Decimal] = mapped_column(DecimalString(2))
    #: ``proposal``, ``founding`` or ``departure``.
    authority: Mapped[str] = mapped_column(String(16))
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"), default=None)
    recorded_at: Mapped[dt.datetime] = mapped_column()
