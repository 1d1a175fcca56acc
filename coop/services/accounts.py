"""Member accounts: passwords, logging in, one-time invitation and reset tokens.

Nobody acts as another member. A secretary is shown an invitation link only for a member who
has never set a password (they pass it on to the newcomer); a reset link for a member who has
one goes only to that member's mailbox, through the outbox. A password is set by its member,
or by the operator at the command line, who runs the installation and holds its database
anyway. Admins' accounts are an admin's business, not a secretary's.

Passwords are hashed with argon2id (argon2-cffi's ``PasswordHasher``, the hash OWASP
recommends); nothing here is hand-rolled. Tokens are ``secrets.token_urlsafe(32)`` (256 bits);
only their SHA-256 digest is stored, and a conditional UPDATE makes each usable once even
when two requests race.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Callable
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from coop.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from coop.models import AccountToken, Cooperative, Member, MemberStatus, OutboxMessage
from coop.services import audit
from coop.services.actor import Actor

MIN_PASSWORD_LENGTH = 10
#: argon2 hashes whatever it is given; a cap keeps a megabyte "password" from costing CPU.
MAX_PASSWORD_LENGTH = 1024
INVITE = "invite"
RESET = "reset"
#: How long a token stays valid. An invitation waits for someone to read their mail; a
#: reset is for someone at the keyboard now, but a day allows for the secretary's hours.
LIFETIME = {INVITE: dt.timedelta(days=7), RESET: dt.timedelta(hours=24)}

#: One message for every failed login, so a guess tells nobody which emails are members.
LOGIN_FAILED = "wrong email or password"

_hasher = PasswordHasher()


@cache
def _dummy_hash() -> str:
    """A hash to verify against when the email is unknown, so an unknown email costs the
    same argon2 work as a wrong password (no timing oracle for membership)."""
    return _hasher.hash(secrets.token_urlsafe(16))


def _check_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"a password needs at least {MIN_PASSWORD_LENGTH} characters",
                           field="password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"at most {MAX_PASSWORD_LENGTH} characters", field="password")


def hash_password(password: str) -> str:
    _check_password(password)
    return _hasher.hash(password)


def set_password(session: Session, actor: Actor, member: Member, password: str, *, now: dt.datetime) -> Member:
    """The member themself, or the operator. A secretary or admin who could set someone's
    password could log in and vote as them.

    A password that replaces another ends every session and API token of the member (see
    :func:`_credentials_replaced`); the caller logs its own session in again if it should stay.
    """
    if not actor.is_operator and actor.member_id != member.id:
        raise PermissionDenied("only the member themself sets their password; "
                               "send them a reset link to their email instead")
    if member.status == MemberStatus.DEPARTED.value:
        raise Conflict(f"{member.name} has departed; a departed member has no account",
                       field="member")
    replaced = member.password_hash is not None
    member.password_hash = hash_password(password)
    _spend_unused_tokens(session, member, now)
    audit.record(session, actor, member.coop_id, "account.password_set", "member", member.id, now=now)
    if replaced:
        _credentials_replaced(session, actor, member, now)
    session.flush()
    return member


def end_sessions(session: Session, member: Member) -> None:
    """End every portal session of the member, on every device.

    Portal sessions are signed cookies naming the member's session generation; raising it
    (in SQL, so two concurrent logouts both count) makes every cookie signed before now
    worthless, copies included. Used at logout and when the password changes.
    """
    member.session_generation = Member.session_generation + 1  # type: ignore[assignment]
    session.flush()


def _credentials_replaced(session: Session, actor: Actor, member: Member, now: dt.datetime) -> None:
    """A changed or reset password means the old one may be known to someone else: whatever
    it let them start — portal sessions, API tokens made with it — ends with it."""
    from coop.services import tokens

    end_sessions(session, member)
    tokens.revoke_member_tokens(session, actor, member, now=now, reason="password_changed")


def authenticate(session: Session, coop: Cooperative, email: str, password: str) -> Member:
    """The active member of this co-op with this email and password.

    :raise Unauthenticated: with the same message for an unknown email, a member with no
        password yet and a wrong password; a member who is not active is told their status
        only after giving the right password.
    """
    member = session.scalars(
        select(Member).where(Member.coop_id == coop.id,
                             Member.email == (email or "").strip().lower())
    ).one_or_none()
    stored = member.password_hash if member is not None else None
    try:
        _hasher.verify(stored or _dummy_hash(), password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise Unauthenticated(LOGIN_FAILED) from None
    if member is None or stored is None:
        # Only reachable if someone guessed the dummy's random password; refuse all the same.
        raise Unauthenticated(LOGIN_FAILED)
    if not member.is_active:
        raise Unauthenticated(f"your membership is {member.status}; only active members can log in")
    if _hasher.check_needs_rehash(stored):
        # The hasher's parameters were raised since this hash was made: upgrade it now,
        # while we hold the plain password.
        member.password_hash = _hasher.hash(password)
        session.flush()
    return member


# -- one-time tokens -----------------------------------------------------------------------

def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _spend_unused_tokens(session: Session, member: Member, now: dt.datetime,
                        purpose: str | None = None) -> None:
    """Unused links (of one purpose, or all) stop working: once a password is set, no link
    issued before it may set another."""
    q = (update(AccountToken)
         .where(AccountToken.member_id == member.id, AccountToken.used_at.is_(None)))
    if purpose is not None:
        q = q.where(AccountToken.purpose == purpose)
    session.execute(q.values(used_at=now))


def _issue(session: Session, actor: Actor, coop: Cooperative, member: Member, purpose: str,
           now: dt.datetime) -> str:
    """Callers have checked who may issue it; here only whether the member can have one."""
    if member.coop_id != coop.id:
        raise NotFound(f"no member {member.id} in this co-op", field="member")
    if member.status == MemberStatus.DEPARTED.value:
        raise Conflict(f"{member.name} has departed; a departed member has no account",
                       field="member")
    # A new link makes older unused ones of the same purpose worthless: only the latest
    # message in someone's mailbox works.
    _spend_unused_tokens(session, member, now, purpose)
    token = secrets.token_urlsafe(32)
    row = AccountToken(coop_id=coop.id, member_id=member.id, purpose=purpose,
                       token_hash=token_digest(token), created_at=now,
                       expires_at=now + LIFETIME[purpose])
    session.add(row)
    session.flush()
    audit.record(session, actor, coop.id, f"account.{purpose}_issued", "member", member.id,
                 token_id=row.id, expires_at=row.expires_at.isoformat(), now=now)
    return token


def create_invitation(session: Session, actor: Actor, coop: Cooperative, member: Member,
                      now: dt.datetime) -> str:
    """A token with which the member sets their first password; valid for 7 days. It is
    handed to whoever issues it (the secretary passes it on), so only for a member who has
    no password yet: for anyone else it would be a way into their account. An admin's
    invitation is an admin's to issue. Admission is separate: an applicant who accepts can
    log in once admitted."""
    actor.require_secretary(coop.id)
    if member.coop_id == coop.id:  # another co-op's member is not found, in _issue
        actor.require_authority_over(member, "invite")
    if member.password_hash is not None:
        raise Conflict(f"{member.name} already has a password; an invitation is for a first "
                       "password. Send them a reset link to their email instead", field="member")
    return _issue(session, actor, coop, member, INVITE, now)


def create_reset(session: Session, actor: Actor, coop: Cooperative, member: Member,
                 now: dt.datetime) -> str:
    """A reset token handed to the caller: the operator's (`coop accounts reset`) and the
    system's, which mails it (``outbox.request_password_reset``). No member holds another
    member's reset token: a secretary uses ``mail_reset``. Valid for 24 hours."""
    if not actor.is_operator:
        raise PermissionDenied("a reset link goes only to the member's own email; "
                               "use \"send a reset link\"")
    return _issue(session, actor, coop, member, RESET, now)


def mail_reset(session: Session, actor: Actor, coop: Cooperative, member: Member,
               link_for: Callable[[str], str], *, now: dt.datetime) -> OutboxMessage:
    """The secretary (or an admin, or the operator) sends a member a reset link, to the
    member's own mailbox: the link is queued in the outbox and shown to nobody. ``link_for``
    turns the token into the link (a portal path; the sender puts the site's address first)."""
    from coop.services import outbox  # outbox issues resets itself ("forgot password")

    actor.require_secretary(coop.id)
    token = _issue(session, actor, coop, member, RESET, now)
    asked_by = "The operator of this site" if actor.member is None else f"{actor.member.name}, for the co-op,"
    return outbox.queue_password_reset(session, coop, member, link_for(token), asked_by=asked_by, now=now)


INVALID_TOKEN = "this link is not valid; ask the secretary for a new one"


def redeem(session: Session, coop: Cooperative, token: str, new_password: str,
           now: dt.datetime) -> Member:
    """Set the password a token was issued for. Each token works once."""
    _check_password(new_password)  # before the token is spent, so a typo does not burn it
    row = session.scalars(
        select(AccountToken).where(AccountToken.token_hash == token_digest(token or ""),
                                   AccountToken.coop_id == coop.id)
    ).one_or_none()
    if row is None:
        raise InvalidInput(INVALID_TOKEN, field="token")
    if row.used_at is not None:
        raise InvalidInput("this link has already been used (or a newer one was sent); "
                           "ask the secretary for a new one", field="token")
    if row.expires_at <= now:
        raise InvalidInput(f"this link expired on {row.expires_at:%Y-%m-%d %H:%M} UTC; "
                           "ask the secretary for a new one", field="token")
    member = session.get(Member, row.member_id)
    assert member is not None
    if member.status == MemberStatus.DEPARTED.value:
        raise InvalidInput(f"{member.name} has departed; this link no longer works", field="token")
    if row.purpose == INVITE and member.password_hash is not None:
        # Whoever was shown this invitation must not overwrite the password its member chose.
        raise InvalidInput(f"{member.name} has already set a password; this invitation no longer "
                           "works (use \"forgot password\")", field="token")
    password_hash = _hasher.hash(new_password)  # the slow part, before the row lock is taken
    # The database decides who wins: of two concurrent redemptions, the second UPDATE waits
    # for the first to commit, then matches no row.
    result = session.execute(
        update(AccountToken)
        .where(AccountToken.id == row.id, AccountToken.used_at.is_(None),
               AccountToken.expires_at > now)
        .values(used_at=now)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidInput("this link has already been used; ask the secretary for a new one",
                           field="token")
    replaced = member.password_hash is not None
    member.password_hash = password_hash
    _spend_unused_tokens(session, member, now)
    action = "account.invitation_accepted" if row.purpose == INVITE else "account.password_reset"
    audit.record(session, Actor.of(member), coop.id, action, "member", member.id, token_id=row.id, now=now)
    if replaced:
        _credentials_replaced(session, Actor.of(member), member, now)
    session.flush()
    return member

