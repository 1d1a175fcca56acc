"""The co-op: one organisation with its members, rules, proposals and ledger."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from coop.db import Base


class Cooperative(Base):
    __tablename__ = "cooperatives"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: URL-safe short name; one installation (a federation) hosts several co-ops.
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    currency: Mapped[str] = mapped_column(String(3), default="EUR")
    #: Whether the salary ledger, rules and decisions are readable without logging in.
    public_pages: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column()
    #: Raw Ed25519 public key that verifies this co-op's checkpoints; published. The private
    #: half lives in the key directory, never in the database.
    public_key: Mapped[bytes | None] = mapped_column(LargeBinary(32), default=None)

    @property
    def origin(self) -> str:
        """The checkpoint origin line: names this log uniquely (C2SP tlog-checkpoint)."""
        return f"coop/{self.slug}"
