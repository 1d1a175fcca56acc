"""Member accounts: one-time tokens for invitations and password resets.

Only a SHA-256 digest of each token is stored. The token itself is shown once (printed by
the CLI, mailed by the portal), so a copy of the database cannot be used to log in.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from coop.db import Base


class AccountToken(Base):
    __tablename__ = "account_tokens"
    __table_args__ = (CheckConstraint("purpose IN ('invite','reset')", name="purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    #: ``invite`` (first password) or ``reset`` (a forgotten one).
    purpose: Mapped[str] = mapped_column(String(8))
    #: sha256 hex of the token; unique, so a lookup finds at most one row.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column()
    expires_at: Mapped[dt.datetime]
    #: Set exactly once, by a conditional UPDATE: the database makes a token single-use.
    #: Also set when a newer token of the same purpose supersedes this one.
    used_at: Mapped[dt.datetime | None] = mapped_column(default=None)
