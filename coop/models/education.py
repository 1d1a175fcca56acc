"""Lifelong education: learning records (DESIGN.md, "Lifelong education")."""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.db import Base, DecimalString
from coop.models.member import Member


class LearningKind(str, enum.Enum):
    COURSE = "course"
    DEGREE = "degree"
    CERTIFICATION = "certification"
    WORKSHOP = "workshop"
    SELF_STUDY = "self-study"


class LearningStatus(str, enum.Enum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class LearningRecord(Base):
    """One course, degree, certification, workshop or self-study a member undertook."""

    __tablename__ = "learning_records"
    __table_args__ = (
        CheckConstraint("kind IN ('course','degree','certification','workshop','self-study')",
                        name="kind"),
        CheckConstraint("status IN ('planned','in_progress','completed')", name="status"),
        CheckConstraint("qualification_level IS NULL OR qualification_level BETWEEN 1 AND 8",
                        name="eqf_level"),
        CheckConstraint("(qualification_field IS NULL) = (qualification_level IS NULL)",
                        name="qualification_whole"),
        # The education report reads one co-op's completed records of a year.
        Index("ix_learning_records_coop_id_ended_on", "coop_id", "ended_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    provider: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[str] = mapped_column(String(16))
    #: Hours of study, exact (two decimal places), never a float.
    hours: Mapped[Decimal] = mapped_column(DecimalString(2))
    started_on: Mapped[dt.date]
    #: Required once completed: the year it counts towards.
    ended_on: Mapped[dt.date | None] = mapped_column(default=None)
    status: Mapped[str] = mapped_column(String(12))
    #: A qualification gained (EQF field and level). It becomes a Qualification when a
    #: secretary or a peer qualified in the field verifies the record.
    qualification_field: Mapped[str | None] = mapped_column(String(100), default=None)
    qualification_level: Mapped[int | None] = mapped_column(default=None)
    qualification_id: Mapped[int | None] = mapped_column(ForeignKey("qualifications.id"), default=None)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)
    created_at: Mapped[dt.datetime] = mapped_column()

    member: Mapped[Member] = relationship(foreign_keys=[member_id], lazy="raise_on_sql")
