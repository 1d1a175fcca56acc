"""Personal access tokens for the REST API.

A token is ``coop_pat_`` followed by 256 random bits (``secrets.token_urlsafe(32)``), shown
once. Only its SHA-256 digest is stored. A slow, salted password hash (argon2) protects
low-entropy secrets that people choose; a 256-bit random token cannot be guessed or
brute-forced from its digest, so argon2 would add nothing but ~50 ms of CPU per request, and
its salt would make the digest unusable as an index (every request would have to try every
token). An unsalted digest lets one indexed lookup find the token.

A token carries scopes (read, vote, propose, admin) and becomes ``Actor(member, scopes)``:
what it may do is decided by the services, like any other face.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from coop.errors import Conflict, InvalidInput, NotFound, PermissionDenied, Unauthenticated
from coop.models import ApiToken, Cooperative, Member, MemberStatus
from coop.schemas import limits
from coop.services import audit
from coop.services.actor import SCOPES, Actor

PREFIX = "coop_pat_"
DEFAULT_EXPIRY_DAYS = 90
MAX_EXPIRY_DAYS = 3650
#: How stale ``last_used_at`` may get before a request refreshes it (so reads stay reads).
LAST_USED_RESOLUTION = dt.timedelta(hours=1)
INVALID = "this token is not valid"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _check_scopes(scopes: Iterable[str]) -> list[str]:
    wanted = list(dict.fromkeys(scopes or ()))
    if not wanted:
        raise InvalidInput(f"name at least one scope: {', '.join(SCOPES)}", field="scopes")
    unknown = [s for s in wanted if s not in SCOPES]
    if unknown:
        raise InvalidInput(f"unknown scope(s) {', '.join(map(str, unknown))}; "
                           f"use {', '.join(SCOPES)}", field="scopes")
    return [s for s in SCOPES if s in wanted]  # canonical order


def create_token(
    session: Session, actor: Actor, coop: Cooperative, member: Member, scopes: Iterable[str],
    *, name: str = "", expires_days: int = DEFAULT_EXPIRY_DAYS, now: dt.datetime,
) -> tuple[ApiToken, str]:
    """A new token for ``member``; returns the row and the token, which is never shown again.

    Made by the member themself (logged in with their password, or with a token holding the
    admin scope) or by the operator at the command line. Nobody makes tokens for someone else:
    a token acts as its member.
    """
    if not actor.is_operator:
        if actor.member_id != member.id:
            raise PermissionDenied("a member makes tokens only for themself")
        actor.require_member(coop.id, scope="admin")
    if member.coop_id != coop.id:
        raise NotFound(f"no member {member.id} in this co-op", field="member")
    if member.status != MemberStatus.ACTIVE.value:
        raise Conflict(f"{member.name} is {member.status}; only active members get tokens", field="member")
    ordered = _check_scopes(scopes)
    if isinstance(expires_days, bool) or not isinstance(expires_days, int) \
            or not 1 <= expires_days <= MAX_EXPIRY_DAYS:
        raise InvalidInput(f"a whole number of days from 1 to {MAX_EXPIRY_DAYS}", field="expires_days")
    name = (name or "").strip()
    if len(name) > 100:
        raise InvalidInput("at most 100 characters", field="name")
    if limits.line_problem(name):
        raise InvalidInput(str(limits.line_problem(name)), field="name")
    secret = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        coop_id=coop.id, member_id=member.id, name=name, token_hash=digest(secret),
        prefix=secret[: len(PREFIX) + 4], scopes=" ".join(ordered), created_at=now,
        expires_at=now + dt.timedelta(days=expires_days), created_by_id=actor.member_id,
    )
    session.add(row)
    session.flush()
    audit.record(session, actor, coop.id, "api_token.created", "api_token", row.id,
                 member_id=member.id, scopes=ordered, expires_at=row.expires_at.isoformat(), now=now)
    return row, secret


#: Every API request runs this; built once, its compiled form is reused. ``token_hash`` is
#: unique, so this is one index lookup.
_BY_DIGEST = (select(ApiToken, Member).join(Member, Member.id == ApiToken.member_id)
              .where(ApiToken.token_hash == bindparam("digest")))


def authenticate(session: Session, token: str, now: dt.datetime) -> tuple[Actor, ApiToken]:
    """The actor a bearer token stands for. One query.

    :raise Unauthenticated: unknown, revoked or expired token, or a departed member's.
    """
    if not isinstance(token, str) or not token.startswith(PREFIX) or len(token) > 200:
        raise Unauthenticated(INVALID)
    found = session.execute(_BY_DIGEST, {"digest": digest(token)}).one_or_none()
    if found is None:
        raise Unauthenticated(INVALID)
    row, member = found
    if row.revoked_at is not None:
        raise Unauthenticated("this token was revoked")
    if row.expires_at is not None and row.expires_at <= now:
        raise Unauthenticated(f"this token expired on {row.expires_at:%Y-%m-%d %H:%M} UTC")
    if member.status == MemberStatus.DEPARTED.value:
        raise Unauthenticated("this token's member has departed")
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION:
        row.last_used_at = now
    # A suspended member's token still authenticates; the services then refuse what only
    # active members may do, with a message that says why.
    return Actor.of(member, frozenset(row.scopes.split())), row


def get_token(session: Session, coop: Cooperative, token_id: int) -> ApiToken:
    row = session.get(ApiToken, token_id)
    if row is None or row.coop_id != coop.id:
        raise NotFound(f"no token {token_id} in this co-op", field="token")
    return row


def revoke(session: Session, actor: Actor, coop: Cooperative, token_id: int,
           now: dt.datetime) -> ApiToken:
    """By its own member (with any scope: giving up access is always allowed), a co-op admin,
    or the operator. Revoking a revoked token changes nothing."""
    actor.require_insider(coop.id)  # before the token is looked up
    row = get_token(session, coop, token_id)
    if actor.is_operator or actor.member_id != row.member_id:
        try:
            actor.require_admin(coop.id)
        except PermissionDenied:
            raise PermissionDenied("only the token's member or a co-op admin may revoke it") from None
    if row.revoked_at is None:
        row.revoked_at = now
        audit.record(session, actor, coop.id, "api_token.revoked", "api_token", row.id,
                     member_id=row.member_id, now=now)
        session.flush()
    return row


def revoke_member_tokens(session: Session, actor: Actor, member: Member, *, now: dt.datetime,
                         reason: str) -> int:
    """Revoke every active token of ``member``; returns how many.

    Not a request of its own but a consequence another service has already authorised (a
    password changed or reset: see ``accounts.set_password``), so ``actor`` is only recorded.
    """
    rows = list(session.scalars(
        select(ApiToken).where(ApiToken.member_id == member.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.id)))
    for row in rows:
        row.revoked_at = now
        audit.record(session, actor, row.coop_id, "api_token.revoked", "api_token", row.id,
                     member_id=member.id, reason=reason, now=now)
    session.flush()
    return len(rows)


def list_tokens(session: Session, actor: Actor, coop: Cooperative, member: Member | None = None) -> list[ApiToken]:
    """A member's own tokens (the operator may name any member). Newest first."""
    if actor.is_operator:
        target = member.id if member is not None else None
    else:
        target = actor.require_member(coop.id, scope="read").id
    q = select(ApiToken).where(ApiToken.coop_id == coop.id)
    if target is not None:
        q = q.where(ApiToken.member_id == target)
    return list(session.scalars(q.order_by(ApiToken.id.desc())))


def status(row: ApiToken, now: dt.datetime) -> str:
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= now:
        return "expired"
    return "active"
