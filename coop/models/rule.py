"""Versioned rules: the bylaws. Every version is kept; nothing is edited in place."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coop.db import Base


class Rule(Base):
    """One article of the bylaws. Its content lives in ``RuleVersion``; this row points at
    the version in force so reads need no max() subquery."""

    __tablename__ = "rules"
    __table_args__ = (UniqueConstraint("coop_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    #: Stable identifier, e.g. ``voting.pay_adjustment`` or ``pay.policy``.
    key: Mapped[str] = mapped_column(String(100))
    current_version: Mapped[int] = mapped_column(default=1)


class RuleVersion(Base):
    __tablename__ = "rule_versions"
    __table_args__ = (UniqueConstraint("rule_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("rules.id"), index=True)
    version: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    #: Machine-readable parameters the engine runs on, all as strings
    #: (``{"voting.pay_adjustment.threshold": "1/2 of cast, strict"}``).
    parameters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: Entrenched rules need the higher threshold to change.
    entrenched: Mapped[bool] = mapped_column(default=False)
    #: A repeal is recorded as a final version, so the history stays whole.
    repealed: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[dt.datetime] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)
    #: The rule-change proposal that made this version; NULL for the founding act.
    proposal_id: Mapped[int | None] = mapped_column(
        ForeignKey("proposals.id"), default=None
    )
