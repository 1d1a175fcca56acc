"""The REST API's own records: personal access tokens, and webhooks (subscriptions, the
outbox of events, and deliveries with their log).

Tokens: only a SHA-256 digest is stored. The token is 256 random bits, shown once; a copy
of the database cannot be used to call the API.

Webhooks follow the transactional-outbox pattern: an event row (and one delivery row per
matching subscription) is written in the same transaction as the change that caused it, so
an integration is told about a change if and only if it committed. Delivery happens later,
outside any request (``coop webhooks deliver``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coop.db import Base


class ApiToken(Base):
    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    #: What the member called it ("payroll export"), to tell tokens apart when revoking.
    name: Mapped[str] = mapped_column(String(100), default="")
    #: sha256 hex of the whole token; unique, so a lookup finds at most one row.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: The first characters of the token, shown in listings so a member recognises it.
    prefix: Mapped[str] = mapped_column(String(16))
    #: Space-separated subset of read, vote, propose, admin.
    scopes: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime] = mapped_column()
    #: NULL: never expires (only the CLI and an explicit request can make such a token).
    expires_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: Refreshed at most hourly, so reads do not turn into writes.
    last_used_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: NULL when the operator made it at the command line.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)


class WebhookSubscription(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    url: Mapped[str] = mapped_column(String(2000))
    #: Event names, e.g. ["proposal.closed", "ledger.appended"].
    events: Mapped[list[Any]] = mapped_column(default=list)
    #: HMAC key for X-Coop-Signature. Kept in clear because the sender must compute HMACs
    #: with it; shown to the admin once, when the subscription is made.
    secret: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[dt.datetime] = mapped_column()
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)


class WebhookEvent(Base):
    """The outbox: one row per domain event that at least one subscription wanted."""

    __tablename__ = "webhook_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    event: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column()


class WebhookDelivery(Base):
    """One event to one subscription: the queue entry and its delivery log."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("event_id", "subscription_id"),
        CheckConstraint("status IN ('pending','delivered','failed')", name="status"),
        # The sender's query: what is due now.
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_events.id"))
    subscription_id: Mapped[int] = mapped_column(ForeignKey("webhook_subscriptions.id"), index=True)
    #: ``pending`` (will be tried at next_attempt_at), ``delivered``, or ``failed`` (gave up).
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column()
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_status_code: Mapped[int | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: Every attempt: [{"at", "status_code", "error", "ms"}], oldest first.
    log: Mapped[list[Any]] = mapped_column(default=list)
