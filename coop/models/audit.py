"""The audit trail: who did what, when, to which object. Append-only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from coop.db import Base


class AuditEvent(Base):
    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int | None] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    #: NULL when the operator acted from the command line or the scheduler did.
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str] = mapped_column(String(30))
    object_id: Mapped[int | None] = mapped_column(default=None)
    at: Mapped[dt.datetime] = mapped_column()
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
