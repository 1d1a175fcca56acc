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
from contextlib import ExitStack
from dataclasses import dataclass
from email.message import EmailMessage

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from coop.config import Settings
from coop.models import Cooperative, Member, MemberStatus, OutboxMessage
from coop.services.actor import Actor

#: After this many failed attempts a message is left for the operator to look at.
MAX_ATTEMPTS = 5
PASSWORD_RESET = "password_reset"
LOGIN_LOCKED = "login_locked"


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

    member = _account_holder(session, coop, email)
    if member is None:
        return
    token = accounts.create_reset(session, Actor.operator(), coop, member, now=now)
    queue_password_reset(session, coop, member, link_for(token), now=now)


def queue_password_reset(session: Session, coop: Cooperative, member: Member, link: str,
                         asked_by: str = "Someone (we hope you)", *, now: dt.datetime) -> OutboxMessage:
    """The reset mail: the only place a reset link for a member with a password may go."""
    return queue(session, coop, member.email, PASSWORD_RESET, f"[{coop.name}] Reset your password",
                 f"{asked_by} asked to reset your password for {coop.name}.\n"
                 "Open the link below within 24 hours to choose a new one. If you did not "
                 "expect this, ignore this message: your password stays as it is.",
                 link, member.id, now=now)


def warn_of_locked_login(session: Session, coop: Cooperative, email: str, *, failures: int,
                         minutes: int, now: dt.datetime) -> OutboxMessage | None:
    """Tell a member that logging in to their account was locked after ``failures`` wrong
    passwords, for ``minutes``. The web face calls this once per lockout, not per attempt.
    Nothing happens for an email that is no (current) member's: the person at the login form
    sees the same refusal either way."""
    member = _account_holder(session, coop, email)
    if member is None:
        return None
    return queue(
        session, coop, member.email, LOGIN_LOCKED, f"[{coop.name}] Your login was locked for a while",
        f"Someone typed a wrong password for your {coop.name} account {failures} times within "
        f"{minutes} minutes, so logging in to it is paused for up to {minutes} minutes.\n"
        "If that was you, wait and try again, or choose a new password with the link below. If it was "
        "not you, your password held: nobody got in. Choosing a new, longer password makes guessing "
        "it harder still.",
        f"/c/{coop.slug}/forgot", member.id, now=now)


def _account_holder(session: Session, coop: Cooperative, email: str) -> Member | None:
    """The member of this co-op who logs in with ``email``, unless departed."""
    member = session.scalars(
        select(Member).where(Member.coop_id == coop.id, Member.email == (email or "").strip().lower())
    ).one_or_none()
    if member is None or member.status == MemberStatus.DEPARTED.value:
        return None
    return member


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


@dataclass
class SendReport:
    """What one run of the sender did."""

    #: accepted by the SMTP server
    sent: int = 0
    #: refused or not reached this time; tried again on the next run, up to MAX_ATTEMPTS
    failed: int = 0
    #: can never be sent as written (a line break in its subject…): given up at once
    unsendable: int = 0
    #: the server went away: the rest wait for the next run
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return not (self.failed or self.unsendable or self.interrupted)


#: The next message to send, locked so that two overlapping runs (cron) never both send it;
#: the other run skips it. SQLite ignores the lock: its writers are serialised anyway.
_NEXT = (select(OutboxMessage)
         .where(OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS,
                OutboxMessage.id > bindparam("after"))
         .order_by(OutboxMessage.id).limit(1)
         .with_for_update(skip_locked=True))


def send_pending(session: Session, settings: Settings, base_url: str = "",
                 *, now: dt.datetime,
                 connect: Callable[[Settings], smtplib.SMTP] | None = None,
                 settle: Callable[[], None] | None = None) -> SendReport:
    """Send what is waiting, one message at a time, oldest first.

    After each message its outcome is flushed and ``settle`` is called: the command line
    passes its commit, so a mail the server accepted is recorded as sent before the next is
    tried, and a later failure (or a crash) can never make the next run send it again.
    A message that cannot be composed (a header with a line break, from data written before
    such values were refused) is marked given up with the reason and the run goes on; a
    refused one is retried on later runs, up to MAX_ATTEMPTS; if the server goes away, the
    run stops and the rest wait.
    """
    if not settings.smtp_host:
        raise ValueError("no SMTP server configured (set COOP_SMTP_HOST); "
                         "messages stay in the outbox: see `coop notifications list`")
    report = SendReport()
    after = 0
    with ExitStack() as stack:
        smtp: smtplib.SMTP | None = None
        while (message := session.scalars(_NEXT, {"after": after}).first()) is not None:
            after = message.id
            if smtp is None:  # connect only when there is something to send
                smtp = stack.enter_context((connect or _connect)(settings))
            message.attempts += 1
            try:
                smtp.send_message(compose(message, settings, base_url))
            except smtplib.SMTPServerDisconnected as exc:
                message.last_error = str(exc)[:1000]
                report.failed += 1
                report.interrupted = True
            except smtplib.SMTPException as exc:  # this message refused (a subclass of OSError)
                message.last_error = str(exc)[:1000]
                report.failed += 1
            except OSError as exc:  # the connection: a timeout, a reset
                message.last_error = str(exc)[:1000]
                report.failed += 1
                report.interrupted = True
            except (ValueError, TypeError) as exc:
                # The message itself cannot be written out (a header with a line break):
                # trying again would fail the same way, and would stop every run here.
                message.attempts = MAX_ATTEMPTS
                message.last_error = f"cannot be sent: {exc}"[:1000]
                report.unsendable += 1
            else:
                message.sent_at = now
                message.last_error = None
                report.sent += 1
            session.flush()
            if settle is not None:
                settle()
            if report.interrupted:
                break
    return report


def waiting(session: Session) -> int:
    """Messages the sender would try: not sent, not given up."""
    return session.scalar(select(func.count()).select_from(OutboxMessage).where(
        OutboxMessage.sent_at.is_(None), OutboxMessage.attempts < MAX_ATTEMPTS)) or 0


def _connect(settings: Settings) -> smtplib.SMTP:
    assert settings.smtp_host
    return smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30)
