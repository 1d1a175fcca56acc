"""The mail outbox: messages are written in the transaction that causes them and sent later
(``coop notifications send``) with smtplib when SMTP is configured. Without SMTP they wait
here, and ``coop notifications list`` shows them to the operator.

Sending happens after the message is committed, never inside a member's request: a slow or
broken mail server then never holds up (or rolls back) a vote.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Callable
from email.message import EmailMessage

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.config import Settings
from coop.models import Cooperative, Member, MemberStatus, OutboxMessage
from coop.services.actor import Actor

#: After this many failed attempts a message is left for the operator to look at.
MAX_ATTEMPTS = 5
PASSWORD_RESET = "password_reset"


def queue(session: Session, coop: Cooperative, to_address: str, kind: str, subject: str,
          body: str, link: str = "", member_id: int | None = None, *, now: dt.datetime) -> OutboxMessage:
    message = OutboxMessage(coop_id=coop.id, member_id=member_id, kind=kind, to_address=to_address,
                            subject=subject, body=body, link=link, created_at=now, attempts=0)
    session.add(message)
    session.flush()
    return message


def request_password_reset(session: Session, coop: Cooperative, email: str,
                           link_for: Callable[[str], str], *, now: dt.datetime) -> None:
    """"Forgot password": mail a one-time reset link to the member with this email.

    Says nothing about whether the email belongs to a member (the page answers the same
    either way), so the form cannot be used to find out who is in the co-op. The token is
    issued by the system on the member's behalf, hence the operator actor.
    """
    from coop.services import accounts

    member = session.scalars(
        select(Member).where(Member.coop_id == coop.id, Member.email == (email or "").strip().lower())
    ).one_or_none()
    if member is None or member.status == MemberStatus.DEPARTED.value:
        return
    token = accounts.create_reset(session, Actor.operator(), coop, member, now=now)
    queue(session, coop, member.email, PASSWORD_RESET, f"[{coop.name}] Reset your password",
          f"Someone (we hope you) asked to reset your password for {coop.name}.\n"
          "Open the link below within 24 hours to choose a new one. If it was not you, "
          "ignore this message: your password stays as it is.",
          link_for(token), member.id, now=now)


def pending(session: Session, coop_id: int | None = None, include_sent: bool = False,
            limit: int = 200) -> list[OutboxMessage]:
    q = select(OutboxMessage)
    if not include_sent:
        q = q.where(OutboxMessage.sent_at.is_(None))
    if coop_id is not None:
        q = q.where(OutboxMessage.coop_id == coop_id)
    return list(session.scalars(q.order_by(OutboxMessage.id).limit(limit)))


def compose(message: OutboxMessage, settings: Settings, base_url: str = "") -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = settings.mail_from
    mail["To"] = message.to_address
    mail["Subject"] = message.subject
    link = message.link
    if link.startswith("/"):
        link = base_url.rstrip("/") + link
    mail.set_content(f"{message.body}\n\n{link}\n" if link else f"{message.body}\n")
    return mail


def send_pending(session: Session, settings: Settings, base_url: str = "",
                 *, now: dt.datetime,
                 connect: Callable[[Settings], smtplib.SMTP] | None = None) -> tuple[int, int]:
    """Send what is waiting; returns (sent, failed). A failure is recorded on the message
    and retried on the next run, up to MAX_ATTEMPTS."""
    if not settings.smtp_host:
        raise ValueError("no SMTP server configured (set COOP_SMTP_HOST); "
                         "messages stay in the outbox: see `coop notifications list`")
    messages = [m for m in pending(session) if m.attempts < MAX_ATTEMPTS]
    if not messages:
        return 0, 0
    sent = failed = 0
    with (connect or _connect)(settings) as smtp:
        for message in messages:
            message.attempts += 1
            try:
                smtp.send_message(compose(message, settings, base_url))
            except (smtplib.SMTPException, OSError) as exc:
                message.last_error = str(exc)[:1000]
                failed += 1
            else:
                message.sent_at = now
                message.last_error = None
                sent += 1
    session.flush()
    return sent, failed


def _connect(settings: Settings) -> smtplib.SMTP:
    assert settings.smtp_host
    return smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
