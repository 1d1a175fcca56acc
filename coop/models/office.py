"""Offices' terms and election candidacies. Offices themselves are rules (``office.<key>``),
so creating or changing one is a rule change; see ``coop.governance.offices``."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coop.db import Base
from coop.models.member import Member


class EndReason(str, enum.Enum):
    EXPIRY = "expiry"
    RECALL = "recall"
    DEPARTURE = "departure"
    #: A regular election for the whole office started its successors' terms.
    SUCCEEDED = "succeeded"


class Term(Base):
    """One member's time in an office: public, including who decided it and how it ended."""

    __tablename__ = "terms"
    __table_args__ = (
        CheckConstraint("end_reason IS NULL OR end_reason IN ('expiry','recall','departure','succeeded')",
                        name="end_reason"),
        CheckConstraint("(ended_at IS NULL) = (end_reason IS NULL)", name="ended_with_reason"),
        # At most one open term per member per office, whatever requests race: the database
        # refuses the second (a partial unique index on both SQLite and PostgreSQL).
        Index("uq_terms_open_office_member", "office_key", "member_id", unique=True,
              sqlite_where=text("ended_at IS NULL"), postgresql_where=text("ended_at IS NULL")),
        Index("ix_terms_coop_id_office_key", "coop_id", "office_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"))
    #: The office's key: the rule ``office.<office_key>`` defines it.
    office_key: Mapped[str] = mapped_column(String(60))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    #: The election that decided it.
    election_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"), default=None)
    started_at: Mapped[dt.datetime]
    #: When the term is due to end (start + the office's term length at election).
    ends_at: Mapped[dt.datetime]
    #: When it did end, if it has been closed: expiry, recall, departure or succession.
    ended_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    end_reason: Mapped[str | None] = mapped_column(String(16), default=None)
    #: The recall that ended it, if one did.
    recall_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"), default=None)

    member: Mapped[Member] = relationship(foreign_keys=[member_id], lazy="raise_on_sql")

    @property
    def effective_end(self) -> dt.datetime:
        return self.ended_at if self.ended_at is not None else self.ends_at

    def current_at(self, t: dt.datetime) -> bool:
        return self.started_at <= t < self.effective_end


class CandidacyStatus(str, enum.Enum):
    #: Nominated by another member; not standing until the nominee accepts.
    NOMINATED = "nominated"
    STANDING = "standing"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    #: Fell outside the pale by the time voting opened.
    DROPPED = "dropped"


class Candidacy(Base):
    """A member's candidacy in one election (a proposal of kind ``election``)."""

    __tablename__ = "candidacies"
    __table_args__ = (
        UniqueConstraint("proposal_id", "member_id"),
        CheckConstraint("status IN ('nominated','standing','declined','withdrawn','dropped')",
                        name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    #: Who nominated them: themselves for a self-nomination.
    nominated_by_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    status: Mapped[str] = mapped_column(String(12))
    nominated_at: Mapped[dt.datetime] = mapped_column()
    #: When the nominee accepted, declined, withdrew or was dropped.
    decided_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: The text-only boundaries the candidate affirmed on standing: which versions of the
    #: pale rules (``pale.standing v1``) and their text as it then read.
    affirmed_pale_version: Mapped[str | None] = mapped_column(String(200), default=None)
    affirmed_pale_text: Mapped[str | None] = mapped_column(Text, default=None)
    #: Why the candidate was dropped when voting opened, naming the boundary and numbers.
    dropped_reason: Mapped[str | None] = mapped_column(Text, default=None)
    #: What the candidate says to the voters, written when standing or accepting; shown on
    #: the election page and the ballot beside their verified qualifications.
    statement: Mapped[str | None] = mapped_column(String(1000), default=None)  # coop.schemas.limits.STATEMENT

    member: Mapped[Member] = relationship(foreign_keys=[member_id], lazy="raise_on_sql")
