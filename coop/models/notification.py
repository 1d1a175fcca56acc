"""Member notifications: what happened (a vote opened, closes soon, closed; my pay changed),
each member's choice of what to receive, and the mail outbox.

Rows are written by event listeners inside the transaction that caused them, so a
notification exists if and only if the vote or pay change it reports was committed.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from coop.db import Base


class NotificationKind(str, enum.Enum):
    VOTE_OPENED = "vote_opened"
    VOTE_CLOSING = "vote_closing"
    VOTE_CLOSED = "vote_closed"
    PAY_CHANGED = "pay_changed"
    #: Behind the education policy's pace this year; opt-in (coop.services.education).
    EDUCATION_BEHIND = "education_behind"


_KINDS = ", ".join(f"'{k.value}'" for k in NotificationKind)


class Notification(Base):
    """One item in a member's portal notification list."""

    __tablename__ = "notifications"
    __table_args__ = (
        CheckConstraint(f"kind IN ({_KINDS})", name="kind"),
        # The unread count in every page header reads this index.
        Index("ix_notifications_member_id_read_at", "member_id", "read_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    kind: Mapped[str] = mapped_column(String(20))
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"), default=None)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    #: Path inside the portal (``/c/<slug>/proposals/12``), so links survive a change of host.
    link: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[dt.datetime] = mapped_column()
    read_at: Mapped[dt.datetime | None] = mapped_column(default=None)


class NotificationPreference(Base):
    """A member's choice for one kind. No row means the default: portal and email both on."""

    __tablename__ = "notification_preferences"
    __table_args__ = (CheckConstraint(f"kind IN ({_KINDS})", name="kind"),)

    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    portal: Mapped[bool] = mapped_column(default=True)
    email: Mapped[bool] = mapped_column(default=True)


class OutboxMessage(Base):
    """A mail waiting to be sent (``coop notifications send``). Without SMTP configured,
    messages stay here and ``coop notifications list`` shows them."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)
    #: A notification kind, or ``password_reset``.
    kind: Mapped[str] = mapped_column(String(20))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    #: A portal path (``/c/<slug>/proposals/12``; the sender prefixes the site's address) or
    #: a full URL (a password-reset link, built from the request that asked for it).
    link: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column()
    #: NULL while pending; the sender's query reads this index.
    sent_at: Mapped[dt.datetime | None] = mapped_column(default=None, index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)


class ProposalNotice(Base):
    """Marks a co-op-wide notice as generated ("closes within 24 hours"), so the scheduled
    run may repeat as often as it likes and still notify once. The primary key decides."""

    __tablename__ = "proposal_notices"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column()
