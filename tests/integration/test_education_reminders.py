"""Members behind the education policy are reminded through the notifications, if they chose."""

import datetime as dt

import pytest
from sqlalchemy import select

from coop.models import Notification, OutboxMessage
from coop.services import education, notifications
from tests.factories import as_member, make_coop, make_member

NOW = dt.datetime(2026, 7, 2, 12, 0)  # half the year gone: 20.05 of the default 40 hours due
SINCE = dt.datetime(2020, 1, 1)
KIND = "education_behind"


@pytest.fixture
def coop(db, keys):
    return make_coop(db, keys)


def completed(db, coop, member, hours):
    education.add_record(db, as_member(member), coop, member, {
        "title": "Welding inspection", "kind": "course", "hours": hours, "started_on": "2026-02-01",
        "ended_on": "2026-02-03", "status": "completed"}, now=NOW)


def choose(db, member, portal=True, email=False):
    prefs = notifications.preferences(db, member.id)
    prefs[KIND] = {"portal": portal, "email": email}
    notifications.set_preferences(db, as_member(member), member, prefs, now=NOW)


def reminders(db, member, model=Notification):
    return list(db.scalars(select(model).where(model.member_id == member.id, model.kind == KIND)))


def test_education_reminders_are_off_until_a_member_chooses_them(db, coop):
    m = make_member(db, coop, active_since=SINCE)
    assert notifications.preferences(db, m.id)[KIND] == {"portal": False, "email": False}
    assert notifications.preferences(db, m.id)["vote_opened"] == {"portal": True, "email": True}
    assert KIND in notifications.KIND_LABELS


def test_a_member_behind_who_chose_reminders_is_notified_with_the_numbers(db, coop):
    chose, silent, keen = (make_member(db, coop, active_since=SINCE) for _ in range(3))
    for m in (chose, keen):
        choose(db, m, portal=True, email=True)
    completed(db, coop, chose, "5.00")
    completed(db, coop, keen, "25.00")
    behind = education.remind_behind(db, coop, now=NOW)
    assert {r.member_id for r in behind} == {chose.id, silent.id}
    [note] = reminders(db, chose)
    assert note.title == "Learning: 5.00 of 20.05 hours so far this year"
    assert "expects 40.00 hours of learning from you in 2026" in note.body
    assert note.link == f"/c/{coop.slug}/me/learning"
    [mail] = reminders(db, chose, OutboxMessage)
    assert mail.to_address == chose.email
    assert reminders(db, silent) == [] and reminders(db, silent, OutboxMessage) == []
    assert reminders(db, keen) == []


def test_a_member_who_chose_the_portal_only_gets_no_email(db, coop):
    m = make_member(db, coop, active_since=SINCE)
    choose(db, m, portal=True, email=False)
    education.remind_behind(db, coop, now=NOW)
    assert len(reminders(db, m)) == 1 and reminders(db, m, OutboxMessage) == []


def test_a_member_who_switched_reminders_off_again_is_not_reminded(db, coop):
    m = make_member(db, coop, active_since=SINCE)
    choose(db, m, portal=True)
    choose(db, m, portal=False, email=False)
    education.remind_behind(db, coop, now=NOW)
    assert reminders(db, m) == [] and reminders(db, m, OutboxMessage) == []
