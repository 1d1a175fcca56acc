"""Notifications: a vote opens, closes soon, closes; my pay changed. In the portal and by
mail through the outbox, each as the member chose; the scheduled run and the outbox from the
command line."""

from __future__ import annotations

import dataclasses
import datetime as dt
import smtplib

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.cli import cli
from coop.cli.base import Context
from coop.db import make_engine
from coop.models import Member, Notification, OutboxMessage
from coop.services import notifications, outbox, proposals
from tests.clock import NOW
from tests.factories import as_member, make_coop, make_member, open_for_voting
from tests.portal.conftest import text_of
from tests.portal.world import build_world, decide_all, pay_change


@pytest.fixture
def w(db, keys):
    return build_world(db, keys)


def portal_kinds(db, member):
    return sorted(n.kind for n in db.scalars(select(Notification).where(Notification.member_id == member.id)))


def mail_to(db, member):
    return sorted(m.kind for m in db.scalars(select(OutboxMessage).where(OutboxMessage.member_id == member.id)))


def raise_for_ben(db, w):
    return proposals.draft_pay_adjustment(db, as_member(w.cleo), w.coop, "Raise for Ben", "", w.ben,
                                          pay_change("21.00"), now=NOW)


def test_opening_a_vote_notifies_the_electorate_in_the_portal_and_by_mail(db, w):
    p = open_for_voting(db, w.coop, raise_for_ben(db, w), w.ada)
    for m in (w.ada, w.cleo, w.dan):
        assert portal_kinds(db, m) == ["vote_opened"] and mail_to(db, m) == ["vote_opened"]
    assert portal_kinds(db, w.ben) == []  # Ben does not vote on his own pay
    n = db.scalars(select(Notification).where(Notification.member_id == w.dan.id)).one()
    assert n.title == "Vote open: Raise for Ben" and n.link == f"/c/{w.coop.slug}/proposals/{p.id}"
    assert f"open until {p.voting_closes_at:%Y-%m-%d %H:%M} UTC" in n.body
    # The threshold in words a member reads without the rules beside them.
    assert "It needs more than 1/2 of votes cast, with a quorum of 1/2 of the electorate." in n.body
    mail = db.scalars(select(OutboxMessage).where(OutboxMessage.member_id == w.dan.id)).one()
    assert mail.to_address == w.dan.email and mail.subject == f"[{w.coop.name}] Vote open: Raise for Ben"


def test_the_close_and_the_pay_change_are_notified_to_those_concerned(db, w):
    decide_all(db, w, raise_for_ben(db, w))
    assert portal_kinds(db, w.ben) == ["pay_changed", "vote_closed"]  # the subject is told both
    assert mail_to(db, w.ben) == ["pay_changed", "vote_closed"]  # and by mail, through the outbox
    assert portal_kinds(db, w.dan) == ["vote_closed", "vote_opened"]
    pay = db.scalars(select(Notification).where(Notification.member_id == w.ben.id,
                                                Notification.kind == "pay_changed")).one()
    assert "you are paid 21.00 EUR an hour, for 37.50 hours a week: 40,950.00 EUR a year" in pay.body
    assert pay.link == f"/c/{w.coop.slug}/pay/members/{w.ben.id}"


def test_a_vote_closing_within_a_day_warns_only_those_who_have_not_voted_and_only_once(db, w):
    p = open_for_voting(db, w.coop, raise_for_ben(db, w), w.ada)
    proposals.cast_ballot(db, as_member(w.cleo), w.coop, p.id, "yes", now=p.voting_opened_at)
    soon = p.voting_closes_at - dt.timedelta(hours=2)
    assert notifications.due(db, now=p.voting_closes_at - dt.timedelta(days=3), coop_id=w.coop.id) == 0
    assert notifications.due(db, now=soon, coop_id=w.coop.id) == 2  # Ada and Dan
    assert notifications.due(db, now=soon, coop_id=w.coop.id) == 0
    assert "vote_closing" in portal_kinds(db, w.dan) and "vote_closing" not in portal_kinds(db, w.cleo)


def test_preferences_are_honoured_per_kind_and_channel(db, w):
    notifications.set_preferences(db, as_member(w.dan), w.dan, {
        "vote_opened": {"portal": False, "email": True},
        "vote_closed": {"portal": True, "email": False},
    }, now=NOW)
    decide_all(db, w, raise_for_ben(db, w))
    assert portal_kinds(db, w.dan) == ["vote_closed"]
    assert mail_to(db, w.dan) == ["vote_opened"]


def test_a_member_sets_only_their_own_preferences(db, w):
    from coop.errors import InvalidInput

    with pytest.raises(InvalidInput):
        notifications.set_preferences(db, as_member(w.ada), w.dan, {}, now=NOW)


def test_departed_members_are_not_notified(db, w):
    w.dan.status = "departed"
    db.flush()
    open_for_voting(db, w.coop, raise_for_ben(db, w), w.ada)
    assert portal_kinds(db, w.dan) == [] and mail_to(db, w.dan) == []


def test_the_portal_shows_the_unread_count_in_the_header(db, w, portal):
    open_for_voting(db, w.coop, raise_for_ben(db, w), w.ada)
    portal.login(w.coop, w.dan)
    assert "Notifications 1 unread" in text_of(portal.get(w.url("dashboard")))


def test_the_outbox_sends_through_smtp_and_keeps_failures_for_the_next_run(db, w, settings):
    open_for_voting(db, w.coop, raise_for_ben(db, w), w.ada)
    sent_to = []

    class FakeSMTP:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def send_message(self, message):
            if message["To"] == w.dan.email:
                raise smtplib.SMTPRecipientsRefused({w.dan.email: (550, b"no such mailbox")})
            sent_to.append(message["To"])

    settings = dataclasses.replace(settings, smtp_host="smtp.example.org")
    report = outbox.send_pending(db, settings, base_url="https://coop.example", connect=lambda s: FakeSMTP(),
                                 now=NOW)
    assert (report.sent, report.failed) == (2, 1) and sorted(sent_to) == sorted([w.ada.email, w.cleo.email])
    left = outbox.pending(db, coop_id=w.coop.id)
    assert [m.to_address for m in left] == [w.dan.email] and left[0].attempts == 1 and "550" in left[0].last_error


# -- the command line ------------------------------------------------------------------------

@pytest.fixture
def cli_db(committed_url, keys, tmp_path, monkeypatch):
    monkeypatch.setenv("COOP_DATABASE_URL", committed_url)
    monkeypatch.setenv("COOP_KEY_DIR", str(keys.key_dir))
    monkeypatch.setenv("COOP_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("COOP_SECRET_KEY", "cli-test-secret")
    monkeypatch.delenv("COOP_SMTP_HOST", raising=False)
    monkeypatch.delenv("COOP_SLUG", raising=False)
    engine = make_engine(committed_url)
    yield engine
    engine.dispose()


def run(*args):
    ctx = Context()
    try:
        return CliRunner().invoke(cli, list(args), obj=ctx, catch_exceptions=True)
    finally:
        if ctx._engine is not None:
            ctx._engine.dispose()


def test_coop_notifications_due_list_and_send(cli_db, keys):
    with Session(cli_db) as s:
        coop = make_coop(s, keys, slug="clicoop", name="CLI Co-op")
        ada = make_member(s, coop, "Ada Arendt", role="secretary")
        make_member(s, coop, "Ben Brecht")
        p = proposals.draft_general(s, as_member(ada), coop, "Paint the door", "", now=NOW)
        open_for_voting(s, coop, p, ada)
        # Closing within the day: voting opened six days and a bit ago.
        p.voting_closes_at = NOW + dt.timedelta(hours=3)
        s.commit()
    listed = run("notifications", "list", "--coop", "clicoop")
    assert listed.exit_code == 0, listed.output
    assert listed.output.count("pending to ") == 2 and "[CLI Co-op] Vote open: Paint the door" in listed.output
    due = run("notifications", "due", "--coop", "clicoop")
    assert due.exit_code == 0 and "closed 0 vote(s); 2 closing-soon notification(s)" in due.output
    again = run("notifications", "due", "--coop", "clicoop")
    assert "0 closing-soon notification(s)" in again.output
    body = run("notifications", "list", "--coop", "clicoop", "--body")
    assert "Closes soon: Paint the door" in body.output and "/c/clicoop/proposals/" in body.output


def test_notifications_send_without_smtp_leaves_mail_in_the_outbox_says_so_and_succeeds(cli_db, keys):
    """Run from cron before SMTP is set up, it must not fail the job (nor lose any mail)."""
    with Session(cli_db) as s:
        coop = make_coop(s, keys, slug="clicoop", name="CLI Co-op")
        ada = make_member(s, coop, "Ada Arendt", role="secretary")
        make_member(s, coop, "Ben Brecht")
        open_for_voting(s, coop, proposals.draft_general(s, as_member(ada), coop, "Paint the door", "", now=NOW), ada)
        s.commit()
    send = run("notifications", "send")
    assert send.exit_code == 0, send.output
    assert send.output.strip().splitlines() == [
        "no SMTP server configured (set COOP_SMTP_HOST): 2 message(s) stay in the outbox; "
        "see `coop notifications list`"]
    assert run("notifications", "list", "--coop", "clicoop").output.count("pending to ") == 2


class RecordingSMTP:
    """An SMTP server that accepts everything except what ``refuse`` says, and remembers."""

    def __init__(self, log, refuse=lambda message: None):
        self.log, self.refuse = log, refuse

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def send_message(self, message):
        problem = self.refuse(message)
        if problem is not None:
            raise problem
        self.log.append(message["To"])


def _outbox_with(s, coop, *subjects):
    for i, subject in enumerate(subjects):
        outbox.queue(s, coop, f"m{i}@example.org", "vote_opened", subject, "body", now=NOW)


def test_a_mail_that_cannot_be_sent_is_given_up_with_its_reason_and_the_outbox_goes_on(db, keys, settings):
    """A line break in a subject (a proposal titled before such titles were refused) used to
    raise out of the sender at that message on every run: nothing after it was ever sent."""
    coop = make_coop(db, keys)
    _outbox_with(db, coop, "[Co-op] Vote open: Harmless\r\nBcc: attacker@evil.example", "[Co-op] Fine")
    log = []
    settings = dataclasses.replace(settings, smtp_host="smtp.example.org")
    report = outbox.send_pending(db, settings, connect=lambda s: RecordingSMTP(log), now=NOW)
    assert (report.sent, report.unsendable) == (1, 1) and log == ["m1@example.org"]
    jammed = db.scalars(select(OutboxMessage).where(OutboxMessage.to_address == "m0@example.org")).one()
    assert jammed.sent_at is None and jammed.attempts == outbox.MAX_ATTEMPTS
    assert jammed.last_error.startswith("cannot be sent:") and "linefeed" in jammed.last_error
    # Given up: the next run does not try it again.
    again = outbox.send_pending(db, settings, connect=lambda s: RecordingSMTP(log), now=NOW)
    assert (again.sent, again.failed, again.unsendable) == (0, 0, 0) and log == ["m1@example.org"]


def test_a_mail_the_server_accepted_is_never_sent_again_when_a_later_one_breaks_the_run(cli_db, keys, monkeypatch):
    """The command commits each message as it is settled: a crash after the first was
    accepted must not roll back its "sent" and mail it again on the next run."""
    with Session(cli_db) as s:
        coop = make_coop(s, keys, slug="clicoop", name="CLI Co-op")
        _outbox_with(s, coop, "[CLI Co-op] first", "[CLI Co-op] second")
        s.commit()
    log = []

    def crash_on_second(message):
        return RuntimeError("the process dies") if message["To"] == "m1@example.org" else None

    monkeypatch.setenv("COOP_SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("COOP_BASE_URL", "https://coop.example.org")
    monkeypatch.setattr(outbox, "_connect", lambda settings: RecordingSMTP(log, crash_on_second))
    crashed = run("notifications", "send")
    assert crashed.exit_code != 0 and log == ["m0@example.org"]
    monkeypatch.setattr(outbox, "_connect", lambda settings: RecordingSMTP(log))
    done = run("notifications", "send")
    assert done.exit_code == 0, done.output
    assert log == ["m0@example.org", "m1@example.org"]  # the first was not sent twice
    assert "sent 1 message(s); 0 failed" in done.output


def test_coop_notifications_send_records_an_unsendable_mail_and_exits_1_once(cli_db, keys, monkeypatch):
    with Session(cli_db) as s:
        coop = make_coop(s, keys, slug="clicoop", name="CLI Co-op")
        _outbox_with(s, coop, "Harmless\r\nBcc: attacker@evil.example", "[CLI Co-op] fine")
        s.commit()
    log = []
    monkeypatch.setenv("COOP_SMTP_HOST", "smtp.example.org")
    monkeypatch.setenv("COOP_BASE_URL", "https://coop.example.org")
    monkeypatch.setattr(outbox, "_connect", lambda settings: RecordingSMTP(log))
    first = run("notifications", "send")
    assert first.exit_code == 1 and log == ["m1@example.org"]
    assert "sent 1 message(s); 0 failed (retried on the next run); 1 cannot be sent" in first.output
    listed = run("notifications", "list", "--all").output
    assert "given up (attempt 5 failed: cannot be sent:" in listed
    assert "Harmless\\r\\nBcc: attacker@evil.example" in listed and "\nBcc:" not in listed  # shown, not obeyed
    second = run("notifications", "send")
    assert second.exit_code == 0 and "sent 0 message(s)" in second.output and log == ["m1@example.org"]


def test_coop_notifications_list_of_an_unknown_coop_fails_with_one_line(cli_db):
    result = run("notifications", "list", "--coop", "nope")
    assert result.exit_code != 0 and "nope" in result.output and "Traceback" not in result.output


# -- order, pages and read state (issue 16) ----------------------------------------------------

def _notice(db, w, member, title, at):
    """A notification dated ``at``; inserted in the order of the calls, not of the dates."""
    notifications.notify(db, w.coop, "vote_closed", Member.id == member.id, title, "", "/x", now=at)


def test_notifications_are_newest_first_by_date_then_id_whatever_the_insertion_order(db, w):
    for title, days in (("middle", 2), ("oldest", 1), ("newest", 3), ("newest too", 3)):
        _notice(db, w, w.dan, title, NOW + dt.timedelta(days=days))
    titles = [n.title for n in notifications.recent(db, w.dan.id)]
    assert titles == ["newest too", "newest", "middle", "oldest"]


def test_notifications_come_in_keyset_pages_that_cover_each_one_once(db, w):
    for i in range(5):
        _notice(db, w, w.dan, f"n{i}", NOW + dt.timedelta(days=i % 3))
    seen, cursor = [], None
    while True:
        page = notifications.page(db, w.dan.id, cursor=cursor, limit=2)
        seen += [n.title for n in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == [n.title for n in notifications.recent(db, w.dan.id)] and len(seen) == 5


def test_a_notification_cursor_not_handed_out_is_refused_with_a_field_message(db, w, portal):
    from coop.errors import InvalidInput
    from coop.services.paging import encode_cursor

    with pytest.raises(InvalidInput):
        notifications.page(db, w.dan.id, cursor=encode_cursor(["yesterday", 3]), limit=2)
    portal.login(w.coop, w.dan)
    response = portal.get(w.url("notifications?after=garbage"))
    assert response.status_code == 422 and "not a cursor" in text_of(response)


def _unread(db, member, kind):
    return db.scalars(select(Notification).where(Notification.member_id == member.id, Notification.kind == kind,
                                                 Notification.read_at.is_(None))).all()


def test_vote_open_is_marked_read_when_the_member_votes(db, w):
    p = open_for_voting(db, w.coop, raise_for_ben(db, w), w.ada)
    proposals.cast_ballot(db, as_member(w.dan), w.coop, p.id, "yes", now=p.voting_opened_at)
    assert _unread(db, w.dan, "vote_opened") == []
    assert len(_unread(db, w.cleo, "vote_opened")) == 1  # only the voter's own


def test_vote_open_and_closes_soon_are_marked_read_when_the_vote_closes(db, w):
    p = open_for_voting(db, w.coop, raise_for_ben(db, w), w.ada)
    notifications.due(db, now=p.voting_closes_at - dt.timedelta(hours=2), coop_id=w.coop.id)
    proposals.close_due(db, p.voting_closes_at, coop_id=w.coop.id)
    for m in (w.ada, w.cleo, w.dan):
        assert _unread(db, m, "vote_opened") == [] and _unread(db, m, "vote_closing") == []
        assert len(_unread(db, m, "vote_closed")) == 1  # the result is news


# -- "your pay changed" (issue 16) --------------------------------------------------------------

def test_pay_changed_gives_the_new_total_per_hour_when_a_supplement_changed(db, w):
    from decimal import Decimal

    from coop.pay import Supplement, SupplementReason

    extra = (Supplement(kind="responsibility", amount=Decimal("2.50"), reason=SupplementReason.RESPONSIBILITY),)
    p = proposals.draft_pay_adjustment(db, as_member(w.cleo), w.coop, "Ben leads the workshop", "", w.ben,
                                       pay_change("20.00", supplements=extra), now=NOW)
    decide_all(db, w, p)
    pay = db.scalars(select(Notification).where(Notification.member_id == w.ben.id,
                                                Notification.kind == "pay_changed")).one()
    # 22.50 × 37.50 × 52 = 43,875.00: the total, not the unchanged 20.00 base rate.
    assert "you are paid 22.50 EUR an hour (20.00 base rate plus 2.50 in supplements)" in pay.body
    assert "43,875.00 EUR a year" in pay.body


def test_money_is_written_with_thousands_separators_and_never_from_a_float():
    from decimal import Decimal

    from coop.pay import format_money

    assert format_money(Decimal("49920")) == "49,920.00"
    assert format_money("1234567.5") == "1,234,567.50"
    with pytest.raises(TypeError):
        format_money(49920.0)
