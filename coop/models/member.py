"""Members and their qualifications (technocratic competence is a first-class record)."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.db import Base


class MemberStatus(str, enum.Enum):
    APPLICANT = "applicant"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    DEPARTED = "departed"


class Role(str, enum.Enum):
    MEMBER = "member"
    SECRETARY = "secretary"
    ADMIN = "admin"


class Member(Base):
    __tablename__ = "members"
    __table_args__ = (
        UniqueConstraint("coop_id", "email"),
        CheckConstraint("status IN ('applicant','active','suspended','departed')", name="status"),
        CheckConstraint("role IN ('member','secretary','admin')", name="role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(16), default=MemberStatus.APPLICANT.value)
    role: Mapped[str] = mapped_column(String(16), default=Role.MEMBER.value)
    joined_at: Mapped[dt.datetime] = mapped_column()
    #: When the member last became active: tenure for the pale counts from here.
    active_since: Mapped[dt.datetime | None] = mapped_column(default=None)
    departed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: argon2 hash; NULL until the member accepts an invitation.
    password_hash: Mapped[str | None] = mapped_column(String(255), default=None)
    #: Part of every portal session's signed identity: raising it ends every session the
    #: member has (logging out, a password changed or reset). A cookie is only signed, not
    #: stored, so without a server-side value a saved copy would keep working.
    session_generation: Mapped[int] = mapped_column(default=0, server_default="0")

    qualifications: Mapped[list[Qualification]] = relationship(
        back_populates="member", foreign_keys="Qualification.member_id",
        order_by="Qualification.id", lazy="raise_on_sql",
    )

    @property
    def is_active(self) -> bool:
        return self.status == MemberStatus.ACTIVE.value

    @property
    def is_secretary(self) -> bool:
        """Admins can do everything a secretary can."""
        return self.role in (Role.SECRETARY.value, Role.ADMIN.value)

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN.value


class Qualification(Base):
    """A qualification on the European Qualifications Framework scale (levels 1–8)."""

    __tablename__ = "qualifications"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 8", name="eqf_level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    field: Mapped[str] = mapped_column(String(100))
    level: Mapped[int]
    title: Mapped[str] = mapped_column(String(200), default="")
    issuer: Mapped[str] = mapped_column(String(200))
    awarded_on: Mapped[dt.date]
    #: Unverified qualifications count towards nothing (offices, expert opinions).
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)
    verified_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    created_at: Mapped[dt.datetime] = mapped_column()

    member: Mapped[Member] = relationship(
        back_populates="qualifications", foreign_keys=[member_id], lazy="raise_on_sql"
    )

    @property
    def verified(self) -> bool:
        return self.verified_at is not None
