"""Member notifications: a vote opens, closes within 24 hours, closes; my pay changed.

Written by a listener on ``coop.services.events`` inside the transaction that caused the
event, so a notification exists exactly when the change it reports was committed. Each
member chooses, per kind, whether to see it in the portal and whether to get an email
(the outbox, see ``coop.services.outbox``). Fan-out is one query for the recipients and their
preferences plus two bulk inserts, whatever the size of the co-op.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coop.errors import InvalidInput, NotFound
from coop.governance import parse_threshold
from coop.models import (
    Ballot,
    Cooperative,
    ElectorateMember,
    Member,
    MemberStatus,
    Notification,
    NotificationKind,
    NotificationPreference,
    OutboxMessage,
    PayRecord,
    Proposal,
    ProposalNotice,
    ProposalStatus,
)
from coop.pay import format_money, from_hundredths
from coop.services import audit, events, ledger, naming, paging
from coop.services.actor import Actor

K = NotificationKind

#: What each kind means, for the preferences form.
KIND_LABELS = {
    K.VOTE_OPENED.value: "a vote opens in which I may vote",
    K.VOTE_CLOSING.value: "a vote I have not voted in closes within 24 hours",
    K.VOTE_CLOSED.value: "a vote I could take part in, or my own proposal, is decided",
    K.PAY_CHANGED.value: "my own pay changes",
    K.EDUCATION_BEHIND.value: "I fall behind the co-op's education policy this year",
}
#: Kinds a member receives only after choosing them (no row means off, not on).
OPT_IN = {K.EDUCATION_BEHIND.value}

#: Notices of votes closing soon go out this long before the deadline.
CLOSING_SOON = dt.timedelta(hours=24)


# -- preferences ---------------------------------------------------------------------------

def preferences(session: Session, member_id: int) -> dict[str, dict[str, bool]]:
    """kind → {"portal": bool, "email": bool}; both on where the member chose nothing."""
    prefs = {k.value: {"portal": True, "email": True} for k in K}
    prefs.update({k: {"portal": False, "email": False} for k in OPT_IN})
    for row in session.scalars(
        select(NotificationPreference).where(NotificationPreference.member_id == member_id)
    ):
        prefs[row.kind] = {"portal": row.portal, "email": row.email}
    return prefs


def set_preferences(session: Session, actor: Actor, member: Member,
                    chosen: dict[str, dict[str, bool]], *, now: dt.datetime) -> dict[str, dict[str, bool]]:
    """Only members set their own. Kinds missing from ``chosen`` are switched off."""
    if actor.member_id != member.id:
        raise InvalidInput("members choose their own notifications", field="member")
    unknown = sorted(set(chosen) - {k.value for k in K})
    if unknown:
        raise InvalidInput(f"unknown notification kind(s): {', '.join(unknown)}", field="kind")
    existing = {
        row.kind: row for row in session.scalars(
            select(NotificationPreference).where(NotificationPreference.member_id == member.id))
    }
    for kind in K:
        want = chosen.get(kind.value, {})
        row = existing.get(kind.value) or NotificationPreference(member_id=member.id, kind=kind.value)
        row.portal = bool(want.get("portal"))
        row.email = bool(want.get("email"))
        session.add(row)
    audit.record(session, actor, member.coop_id, "notifications.preferences_set", "member", member.id, now=now)
    session.flush()
    return preferences(session, member.id)


# -- reading -------------------------------------------------------------------------------

def unread_count(session: Session, member_id: int) -> int:
    return session.scalar(
        select(func.count()).select_from(Notification)
        .where(Notification.member_id == member_id, Notification.read_at.is_(None))
    ) or 0


def recent(session: Session, member_id: int, limit: int = 50) -> list[Notification]:
    return page(session, member_id, cursor=None, limit=limit).items


def page(session: Session, member_id: int, *, cursor: str | None,
         limit: int | None = None) -> paging.Page[Notification]:
    """One page of the member's notifications, newest first: by ``created_at``, then id.

    Ids follow insertion, not the date a notice speaks for (a replayed history, a close
    dated at its deadline), so the date leads and the id only breaks ties. Keyset on the
    pair (one query however deep the page); the cursor is ``[created_at, id]`` of the last row."""
    n = paging.check_limit(limit)
    stmt = select(Notification).where(Notification.member_id == member_id)
    after = paging.decode_cursor(cursor, list)
    if after is not None:
        at, last_id = _cursor_key(after)
        stmt = stmt.where(or_(Notification.created_at < at,
                              and_(Notification.created_at == at, Notification.id < last_id)))
    rows = list(session.scalars(
        stmt.order_by(Notification.created_at.desc(), Notification.id.desc()).limit(n + 1)))
    more = len(rows) > n
    rows = rows[:n]
    last = rows[-1] if rows else None
    return paging.Page(rows, paging.encode_cursor([last.created_at.isoformat(), last.id])
                       if more and last is not None else None)


def _cursor_key(after: list[Any]) -> tuple[dt.datetime, int]:
    try:
        at_text, last_id = after
        if type(last_id) is not int or type(at_text) is not str:  # noqa: E721
            raise ValueError
        return dt.datetime.fromisoformat(at_text), last_id
    except ValueError:
        raise InvalidInput("not a cursor this API handed out", field="cursor") from None


#: Notices that ask the member to vote: settled once they have voted, or the vote closed.
_ASKS_TO_VOTE = (K.VOTE_OPENED.value, K.VOTE_CLOSING.value)


def settle_vote(session: Session, proposal_id: int, *, member_id: int | None = None,
                now: dt.datetime) -> None:
    """Mark read the "vote open" / "closes soon" notices of a proposal: the member's own
    when they vote (``member_id``), everyone's when the vote closes. Called by the voting
    service in its own transaction, so the badge never asks for a vote already cast."""
    q = update(Notification).where(Notification.proposal_id == proposal_id,
                                   Notification.kind.in_(_ASKS_TO_VOTE),
                                   Notification.read_at.is_(None))
    if member_id is not None:
        q = q.where(Notification.member_id == member_id)
    session.execute(q.values(read_at=now))


def mark_read(session: Session, actor: Actor, member: Member, notification_id: int | None = None,
              *, now: dt.datetime) -> int:
    """Mark one notification (or all, with ``None``) as read; returns how many changed."""
    if actor.member_id != member.id:
        raise InvalidInput("members read their own notifications", field="member")
    q = update(Notification).where(Notification.member_id == member.id,
                                   Notification.read_at.is_(None))
    if notification_id is not None:
        found = session.get(Notification, notification_id)
        if found is None or found.member_id != member.id:  # another's is as good as none
            raise NotFound(f"no notification {notification_id}", field="notification")
        q = q.where(Notification.id == notification_id)
    result = session.execute(q.values(read_at=now))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


# -- fan-out -------------------------------------------------------------------------------

def notify(session: Session, coop: Cooperative, kind: str, recipients: Any, title: str,
           body: str, link: str, proposal_id: int | None = None,
           *, now: dt.datetime) -> int:
    """Notify the members matched by ``recipients`` (a SQL condition on ``Member``), each
    as their preferences say. Departed members are not notified. Returns the number of
    portal notifications written."""
    pref = NotificationPreference
    rows = session.execute(
        select(Member.id, Member.email, pref.portal, pref.email)
        .outerjoin(pref, and_(pref.member_id == Member.id, pref.kind == kind))
        .where(Member.coop_id == coop.id, Member.status != MemberStatus.DEPARTED.value, recipients)
        .order_by(Member.id)
    ).all()
    portal = [
        {"coop_id": coop.id, "member_id": mid, "kind": kind, "proposal_id": proposal_id,
         "title": title, "body": body, "link": link, "created_at": now}
        for mid, _email, want_portal, _want_email in rows if want_portal is not False
    ]
    mail = [
        {"coop_id": coop.id, "member_id": mid, "kind": kind, "to_address": email,
         "subject": f"[{coop.name}] {title}", "body": body, "link": link, "created_at": now,
         "attempts": 0}
        for mid, email, _want_portal, want_email in rows if want_email is not False
    ]
    if portal:
        session.execute(insert(Notification), portal)
    if mail:
        session.execute(insert(OutboxMessage), mail)
    return len(portal)


def _electorate(proposal_id: int) -> Any:
    return Member.id.in_(select(ElectorateMember.member_id).where(ElectorateMember.proposal_id == proposal_id))


def _threshold_words(stored: str | None) -> str:
    """"more than 1/2 of votes cast" rather than the rule's "1/2 of cast, strict": members
    read this in a mail, without the rules beside it."""
    try:
        return parse_threshold(stored or "").describe()
    except ValueError:
        return stored or ""


def _link(coop: Cooperative, p: Proposal) -> str:
    return f"/c/{coop.slug}/proposals/{p.id}"


def _on_event(session: Session, coop_id: int, event: str, payload: dict[str, Any], now: dt.datetime) -> None:
    if event not in ("proposal.opened", "proposal.closed", "pay.changed"):
        return
    coop = session.get(Cooperative, coop_id)
    assert coop is not None
    if event == "pay.changed":
        _pay_changed(session, coop, payload, now)
        return
    p = session.get(Proposal, payload["proposal_id"])
    assert p is not None
    # Dated by the proposal's own clock, the ``now`` the service acted at: the same instant
    # in daily use, and the right one when a history is replayed (the demo's past votes).
    if event == "proposal.opened":
        assert p.voting_closes_at is not None
        notify(session, coop, K.VOTE_OPENED.value, _electorate(p.id),
               f"Vote open: {p.title}",
               f"Voting on proposal #{p.id} is open until {p.voting_closes_at:%Y-%m-%d %H:%M} UTC. "
               f"It needs {_threshold_words(p.threshold)}, with a quorum of {p.quorum} of the electorate.",
               _link(coop, p), p.id, now=p.voting_opened_at)
    else:
        involved = [i for i in (p.author_id, p.subject_member_id) if i is not None]
        naming.name_outcomes(session, [p])  # "elected Ada Arendt", as members read results
        notify(session, coop, K.VOTE_CLOSED.value, or_(_electorate(p.id), Member.id.in_(involved)),
               f"Vote {p.outcome}: {p.title}",
               f"Proposal #{p.id} {p.outcome}: yes {p.yes_count}, no {p.no_count}, abstain "
               f"{p.abstain_count}. {p.outcome_words or ''}".strip(),
               _link(coop, p), p.id, now=p.closed_at)


def _pay_changed(session: Session, coop: Cooperative, payload: dict[str, Any], now: dt.datetime) -> None:
    record = session.scalars(select(PayRecord).where(
        PayRecord.coop_id == coop.id, PayRecord.entry_index == payload["entry_index"])).one()
    proposal = session.get(Proposal, payload["proposal_id"]) if payload.get("proposal_id") else None
    why = (f"Proposal #{proposal.id} \"{proposal.title}\" was executed" if proposal is not None
           else f"Your {record.authority} pay was recorded on the ledger")
    notify(session, coop, K.PAY_CHANGED.value, Member.id == payload["member_id"],
           "Your pay changed", f"{why}: {pay_words(record)}",
           f"/c/{coop.slug}/pay/members/{record.member_id}", proposal.id if proposal else None,
           now=proposal.closed_at if proposal is not None and proposal.closed_at else now)


def pay_words(record: PayRecord) -> str:
    """What a member is paid from a record on: the total per hour first (the figure a
    supplement changes), then what it is made of, then the year, exact and with thousands
    separators."""
    pay = ledger.pay_from_record(record)
    cur = record.currency
    made_of = ""
    if pay.supplements:
        extra = from_hundredths(sum(s.amount_cents for s in pay.supplements))
        made_of = f" ({format_money(pay.hourly_rate)} base rate plus {format_money(extra)} in supplements)"
    return (f"from {record.effective_date} you are paid {format_money(pay.total_hourly)} {cur} an hour"
            f"{made_of}, for {record.weekly_hours} hours a week: {format_money(record.annualised)} "
            f"{cur} a year.")


events.subscribe(_on_event)


def settle_history(session: Session, coop: Cooperative) -> None:
    """For a co-op whose past was replayed rather than lived (the demo): its mail went out
    when it was written and its members have read their notices, except those of votes still
    open. Without this, a months-old "vote open" would sit in the outbox for a closed vote."""
    open_votes = list(session.scalars(select(Proposal).where(
        Proposal.coop_id == coop.id, Proposal.status == ProposalStatus.VOTING.value)))
    open_ids = [p.id for p in open_votes]
    open_links = [_link(coop, p) for p in open_votes]  # mail has no proposal column; its link says
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.coop_id == coop.id, OutboxMessage.sent_at.is_(None),
               OutboxMessage.link.not_in(open_links))
        .values(sent_at=OutboxMessage.created_at, attempts=1))
    session.execute(
        update(Notification)
        .where(Notification.coop_id == coop.id, Notification.read_at.is_(None),
               or_(Notification.proposal_id.is_(None), Notification.proposal_id.not_in(open_ids)))
        .values(read_at=Notification.created_at))


# -- votes closing soon (scheduled) --------------------------------------------------------

def due(session: Session, now: dt.datetime, coop_id: int | None = None) -> int:
    """Notify the members who have not voted yet, once per proposal, when a vote closes
    within 24 hours. Safe to run as often as you like, and concurrently."""
    q = select(Proposal).where(
        Proposal.status == ProposalStatus.VOTING.value,
        Proposal.voting_closes_at > now, Proposal.voting_closes_at <= now + CLOSING_SOON,
        ~exists().where(ProposalNotice.proposal_id == Proposal.id,
                        ProposalNotice.kind == K.VOTE_CLOSING.value),
    )
    if coop_id is not None:
        q = q.where(Proposal.coop_id == coop_id)
    sent = 0
    for p in session.scalars(q.order_by(Proposal.id)).all():
        try:
            with session.begin_nested():
                session.add(ProposalNotice(proposal_id=p.id, kind=K.VOTE_CLOSING.value, created_at=now))
                session.flush()
        except IntegrityError:
            continue  # another run got there first
        coop = session.get(Cooperative, p.coop_id)
        assert coop is not None and p.voting_closes_at is not None
        not_voted = and_(_electorate(p.id), ~exists().where(Ballot.proposal_id == p.id,
                                                             Ballot.member_id == Member.id))
        sent += notify(session, coop, K.VOTE_CLOSING.value, not_voted,
                       f"Closes soon: {p.title}",
                       f"Voting on proposal #{p.id} closes at {p.voting_closes_at:%Y-%m-%d %H:%M} "
                       "UTC and you have not voted yet.", _link(coop, p), p.id, now=now)
    return sent
