"""Pages for members: the directory with qualifications, my profile and notification
choices, my notifications, my API tokens."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from coop.models import ApiToken, Notification
from coop.services import notifications, tokens
from tests.clock import NOW
from tests.dbstate import assert_unchanged, snapshot
from tests.office_factories import qualify
from tests.portal.conftest import text_of
from tests.portal.world import build_world, passed_raise


@pytest.fixture
def w(db, keys, portal):
    world = build_world(db, keys)
    portal.login(world.coop, world.ben)
    return world


def test_the_directory_lists_members_with_their_qualifications(db, w, portal):
    qualify(db, w.coop, w.cleo, "accounting", 6)
    qualify(db, w.coop, w.dan, "welding", 4, verified=False)
    body = text_of(portal.get(w.url("members")))
    cleo = body.split("Cleo Curie")[1].split("Dan Dewey")[0]
    assert "accounting, level 6, Test Institute (2015) verified" in cleo
    dan = body.split("Dan Dewey")[1]
    assert "welding, level 4" in dan and "not verified" in dan
    assert "none recorded" in body.split("Ada Arendt")[1].split("Ben Brecht")[0]


def test_the_directory_is_for_members(w, portal, client):
    portal.logout(w.coop)
    response = client.get(w.url("members"))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_my_profile_saves_notification_choices_and_they_are_honoured(db, w, portal):
    html = portal.get(w.url("me")).get_data(as_text=True)
    assert re.search(r'name="vote_opened-portal"[^>]*checked', html)
    response = portal.post(w.url("me/notifications"), {"vote_opened-email": "on", "pay_changed-portal": "on",
                                                       "pay_changed-email": "on"}, form_page=w.url("me"))
    assert response.status_code == 302
    prefs = notifications.preferences(db, w.ben.id)
    assert prefs["vote_opened"] == {"portal": False, "email": True}
    assert prefs["vote_closed"] == {"portal": False, "email": False}
    html = portal.get(w.url("me")).get_data(as_text=True)
    assert not re.search(r'name="vote_opened-portal"[^>]*checked', html)
    assert re.search(r'name="vote_opened-email"[^>]*checked', html)


def test_my_notifications_list_marks_one_or_all_as_read(db, w, portal):
    passed_raise(db, w)  # Ben is told the vote closed and that his pay changed
    mine = db.scalars(select(Notification).where(Notification.member_id == w.ben.id).order_by(Notification.id)).all()
    assert {n.kind for n in mine} == {"vote_closed", "pay_changed"}
    page = portal.get(w.url("notifications"))
    body = text_of(page)
    assert "Your pay changed" in body and "Vote passed: Raise for Ben" in body
    assert "Notifications 2 unread" in body
    pay = next(n for n in mine if n.kind == "pay_changed")
    opened = portal.post(w.url("notifications/read"), {"notification_id": str(pay.id), "next": pay.link},
                         form_page=w.url("notifications"))
    assert opened.status_code == 302 and opened.headers["Location"].endswith(pay.link)
    assert "Notifications 1 unread" in text_of(portal.get(w.url("notifications")))
    portal.post(w.url("notifications/read"), {}, form_page=w.url("notifications"))
    assert notifications.unread_count(db, w.ben.id) == 0


def test_marking_someone_elses_notification_is_a_404_and_changes_nothing(db, w, portal):
    passed_raise(db, w)
    theirs = db.scalars(select(Notification).where(Notification.member_id == w.cleo.id)).first()
    before = snapshot(db)
    response = portal.post(w.url("notifications/read"), {"notification_id": str(theirs.id)},
                           form_page=w.url("notifications"))
    assert response.status_code == 404
    assert_unchanged(db, before)


def test_a_notification_link_off_site_is_not_followed(db, w, portal):
    passed_raise(db, w)
    n = db.scalars(select(Notification).where(Notification.member_id == w.ben.id)).first()
    response = portal.post(w.url("notifications/read"), {"notification_id": str(n.id), "next": "//evil.example/x"},
                           form_page=w.url("notifications"))
    assert response.status_code == 302 and "evil" not in response.headers["Location"]


def test_a_token_is_shown_once_listed_by_prefix_and_revoked(db, w, portal):
    response = portal.post(w.url("me/tokens"), {"name": "payroll sync", "scopes": ["read", "vote"],
                                                "expires_days": "30"}, form_page=w.url("me/tokens"))
    assert response.status_code == 200
    secret = re.search(r'id="new-token">([^<]+)<', response.get_data(as_text=True)).group(1)
    row = db.scalars(select(ApiToken).where(ApiToken.member_id == w.ben.id)).one()
    assert secret.startswith(row.prefix) and row.scopes == "read vote"
    assert tokens.digest(secret) == row.token_hash  # only the digest is stored
    listing = portal.get(w.url("me/tokens"))
    assert secret not in listing.get_data(as_text=True) and "payroll sync" in text_of(listing)
    revoked = portal.post(w.url(f"me/tokens/{row.id}/revoke"), {}, form_page=w.url("me/tokens"))
    assert revoked.status_code == 302
    db.refresh(row)
    assert row.revoked_at is not None


@pytest.mark.parametrize("data, field, message", [
    ({"name": "x", "scopes": ["superpowers"], "expires_days": "30"}, "scopes", "superpowers"),
    ({"name": "x", "scopes": ["read"], "expires_days": "forever"}, "expires_days", "'forever' is not a number"),
    ({"name": "x", "scopes": ["read"], "expires_days": "0"}, "expires_days", "a whole number of days from 1 to"),
    ({"name": "x" * 101, "scopes": ["read"], "expires_days": "30"}, "name", "at most 100 characters"),
])
def test_a_bad_token_request_is_refused_beside_its_field_and_creates_nothing(db, w, portal, data, field, message):
    before = snapshot(db)
    response = portal.post(w.url("me/tokens"), data, form_page=w.url("me/tokens"))
    assert response.status_code == 422
    assert message in text_of(response)
    assert f'id="e-{field}"' in response.get_data(as_text=True)
    assert_unchanged(db, before)


def test_a_member_cannot_revoke_someone_elses_token(db, w, portal):
    from tests.factories import as_member

    row, _ = tokens.create_token(db, as_member(w.cleo), w.coop, w.cleo, ["read"], name="cleo's", now=NOW)
    before = snapshot(db)
    response = portal.post(w.url(f"me/tokens/{row.id}/revoke"), {}, form_page=w.url("me/tokens"))
    assert response.status_code in (403, 404)
    assert_unchanged(db, before)
