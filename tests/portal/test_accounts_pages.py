"""Logging in and out, invitations and password resets by one-time token, and CSRF."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from sqlalchemy import select

from coop.config import LOCAL_BASE_URL
from coop.models import OutboxMessage
from coop.services import accounts
from coop.services.actor import Actor
from tests.clock import NOW
from tests.dbstate import assert_unchanged, snapshot
from tests.factories import as_member, make_member
from tests.portal.conftest import PASSWORD, text_of
from tests.portal.world import build_world


@pytest.fixture
def w(db, keys):
    return build_world(db, keys)


def test_a_member_logs_in_sees_their_dashboard_and_logs_out(w, portal, client):
    response = portal.login(w.coop, w.ben)
    assert response.headers["Location"].endswith(w.url("dashboard"))
    dashboard = client.get(w.url("dashboard"))
    assert dashboard.status_code == 200 and "Ben Brecht" in text_of(dashboard)
    portal.logout(w.coop)
    after = client.get(w.url("dashboard"))
    assert after.status_code == 302 and "/login" in after.headers["Location"]


def test_a_wrong_password_is_refused_with_one_message_and_no_session(db, w, portal, client):
    before = snapshot(db)
    for email, password in ((w.ben.email, "not the password"), ("nobody@example.org", PASSWORD)):
        response = portal.post(w.url("login"), {"email": email, "password": password})
        assert response.status_code == 401
        assert "wrong email or password" in text_of(response)
    assert_unchanged(db, before)
    assert client.get(w.url("dashboard")).status_code == 302


def test_a_suspended_member_is_told_their_status_only_with_the_right_password(db, w, portal):
    w.dan.status = "suspended"
    db.flush()
    response = portal.post(w.url("login"), {"email": w.dan.email, "password": PASSWORD})
    assert response.status_code == 401 and "your membership is suspended" in text_of(response)


def test_login_goes_back_to_the_page_asked_for_but_never_off_site(w, portal, client):
    asked = client.get(w.url("me/tokens"))
    assert asked.status_code == 302
    assert "next=" in asked.headers["Location"]
    ok = portal.post(w.url("login"), {"email": w.ben.email, "password": PASSWORD, "next": w.url("me/tokens")})
    assert ok.headers["Location"].endswith(w.url("me/tokens"))
    portal.logout(w.coop)
    evil = portal.post(w.url("login"), {"email": w.ben.email, "password": PASSWORD,
                                        "next": "//evil.example/phish"})
    assert evil.headers["Location"].endswith(w.url("dashboard"))


def test_a_login_to_one_coop_is_a_visitor_in_another(db, keys, w, portal, client):
    other = build_world(db, keys, name="Elsewhere")
    portal.login(w.coop, w.ben)
    response = client.get(other.url("dashboard"))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_invitation_sets_the_first_password_once_and_logs_the_member_in(db, w, portal, client):
    newcomer = make_member(db, w.coop, "Nia Newcomer")
    token = accounts.create_invitation(db, as_member(w.ada), w.coop, newcomer, now=NOW)
    page = client.get(w.url(f"accept/{token}"))
    assert page.status_code == 200 and "choose your password" in text_of(page)
    done = portal.post(w.url(f"accept/{token}"), {"password": "a brand new secret", "password_again": "a brand new secret"},
                       form_page=w.url(f"accept/{token}"))
    assert done.status_code == 302 and done.headers["Location"].endswith(w.url("dashboard"))
    assert "Nia Newcomer" in text_of(client.get(w.url("dashboard")))
    portal.logout(w.coop)
    # Used once: the link no longer works, and the password stays the one just set.
    before = snapshot(db)
    again = portal.post(w.url(f"accept/{token}"), {"password": "another secret 123", "password_again": "another secret 123"},
                        form_page=w.url(f"accept/{token}"))
    assert again.status_code == 422 and "already been used" in text_of(again)
    assert_unchanged(db, before)
    portal.login(w.coop, newcomer, password="a brand new secret")


def test_an_expired_reset_link_is_refused_and_changes_nothing(db, w, portal):
    token = accounts.create_reset(db, Actor.operator(), w.coop, w.ben, now=NOW - dt.timedelta(days=2))
    before = snapshot(db)
    response = portal.post(w.url(f"reset/{token}"), {"password": "a brand new secret", "password_again": "a brand new secret"},
                           form_page=w.url(f"reset/{token}"))
    assert response.status_code == 422 and "this link expired on" in text_of(response)
    assert_unchanged(db, before)


def test_a_reset_with_mismatched_or_short_passwords_names_the_field_and_keeps_the_token(db, w, portal):
    token = accounts.create_reset(db, Actor.operator(), w.coop, w.ben, now=NOW)
    before = snapshot(db)
    form = w.url(f"reset/{token}")
    differ = portal.post(form, {"password": "a brand new secret", "password_again": "something else 12"}, form_page=form)
    assert differ.status_code == 422 and "the two passwords differ" in text_of(differ)
    assert 'id="e-password_again"' in differ.get_data(as_text=True)
    short = portal.post(form, {"password": "short", "password_again": "short"}, form_page=form)
    assert short.status_code == 422 and "at least 10 characters" in text_of(short)
    assert_unchanged(db, before)
    good = portal.post(form, {"password": "a brand new secret", "password_again": "a brand new secret"}, form_page=form)
    assert good.status_code == 302


def test_a_made_up_token_is_refused(db, w, portal):
    before = snapshot(db)
    form = w.url("reset/made-up-token")
    response = portal.post(form, {"password": "a brand new secret", "password_again": "a brand new secret"}, form_page=form)
    assert response.status_code == 422 and "this link is not valid" in text_of(response)
    assert_unchanged(db, before)


def test_forgot_password_writes_a_reset_link_to_the_outbox_and_says_the_same_for_strangers(db, w, portal):
    known = portal.post(w.url("forgot"), {"email": w.ben.email})
    stranger = portal.post(w.url("forgot"), {"email": "nobody@example.org"})
    assert known.status_code == stranger.status_code == 200
    assert text_of(known).replace(w.ben.email, "X") == text_of(stranger).replace("nobody@example.org", "X")
    mail = db.scalars(select(OutboxMessage).where(OutboxMessage.coop_id == w.coop.id)).all()
    assert [m.to_address for m in mail] == [w.ben.email]
    link = mail[0].link
    # The test settings are local mode without COOP_BASE_URL: links go to coop serve's default.
    assert link.startswith(f"{LOCAL_BASE_URL}/c/{w.coop.slug}/reset/")
    path = urlsplit(link).path
    done = portal.post(path, {"password": "a brand new secret", "password_again": "a brand new secret"}, form_page=path)
    assert done.status_code == 302
    portal.logout(w.coop)
    portal.login(w.coop, w.ben, password="a brand new secret")


def test_changing_my_password_needs_the_current_one(db, w, portal):
    portal.login(w.coop, w.ben)
    before = snapshot(db)
    wrong = portal.post(w.url("me/password"), {"current_password": "not it at all", "password": "a brand new secret",
                                               "password_again": "a brand new secret"}, form_page=w.url("me"))
    assert wrong.status_code == 422 and "that is not your current password" in text_of(wrong)
    assert_unchanged(db, before)
    ok = portal.post(w.url("me/password"), {"current_password": PASSWORD, "password": "a brand new secret",
                                            "password_again": "a brand new secret"}, form_page=w.url("me"))
    assert ok.status_code == 302
    portal.logout(w.coop)
    portal.login(w.coop, w.ben, password="a brand new secret")


def test_a_password_change_ends_the_members_other_sessions(db, w, portal, app):
    from tests.portal.conftest import Portal

    other = Portal(app.test_client())
    other.login(w.coop, w.ben)
    portal.login(w.coop, w.ben)
    portal.post(w.url("me/password"), {"current_password": PASSWORD, "password": "a brand new secret",
                                       "password_again": "a brand new secret"}, form_page=w.url("me"))
    assert portal.get(w.url("dashboard")).status_code == 200
    assert other.get(w.url("dashboard")).status_code == 302


# -- CSRF ----------------------------------------------------------------------------------

@pytest.mark.parametrize("path, data", [
    ("login", {"email": "x", "password": PASSWORD}),
    ("logout", {}),
    ("forgot", {"email": "x@example.org"}),
    ("me/notifications", {}),
    ("me/tokens", {"name": "x", "scopes": "read"}),
    ("proposals/new", {"title": "A motion", "body": ""}),
    ("admin/members/new", {"name": "Zed", "email": "zed@example.org", "role": "member", "status": "active"}),
    ("admin/settings", {"name": "Renamed"}),
])
def test_a_post_without_its_csrf_token_is_refused_with_400_and_changes_nothing(db, w, portal, client, path, data):
    portal.login(w.coop, w.ada)
    before = snapshot(db)
    response = client.post(w.url(path), data=data)
    assert response.status_code == 400
    assert "security token did not match" in text_of(response)
    assert_unchanged(db, before)
    forged = client.post(w.url(path), data={**data, "csrf_token": "forged"})
    assert forged.status_code == 400
    assert_unchanged(db, before)
    # Still logged in: the refused logout did nothing either.
    assert client.get(w.url("dashboard")).status_code == 200


def test_every_post_route_of_the_portal_refuses_a_request_without_its_csrf_token(db, w, portal, client, app):
    """Every state-changing portal URL, read from the app's URL map so a form added later is
    covered too: posted by a logged-in admin, with ids that exist, but without the token."""
    from coop.services import proposals, tokens
    from tests.factories import as_member

    w.ada.role = "admin"
    db.flush()
    draft = proposals.draft_general(db, as_member(w.ada), w.coop, "A draft", "", now=NOW)
    token, _ = tokens.create_token(db, as_member(w.ada), w.coop, w.ada, ["read"], name="t", now=NOW)
    values = {"slug": w.coop.slug, "member_id": w.dan.id, "proposal_id": draft.id, "election_id": draft.id,
              "token_id": token.id, "token": "some-token", "key": "treasurer", "verb": "suspend",
              "step": "withdraw", "term_id": 1, "comment_id": draft.id}
    rules = [r for r in app.url_map.iter_rules() if r.endpoint.startswith("portal.") and "POST" in r.methods]
    assert {"portal.login", "portal.vote", "portal.new_pay", "portal.new_rule", "portal.import_csv",
            "portal.member_status", "portal.settings", "portal.create_token"} <= {r.endpoint for r in rules}
    adapter = app.url_map.bind("localhost")
    portal.login(w.coop, w.ada)
    before = snapshot(db)
    refused = {}
    for rule in rules:
        url = adapter.build(rule.endpoint, {k: values[k] for k in rule.arguments}, method="POST")
        response = client.post(url, data={"name": "Renamed", "title": "A motion", "choice": "yes",
                                          "body": "x", "csv": "name,email\nZed,zed@example.org\n"})
        refused[url] = (response.status_code, "security token did not match" in text_of(response))
    assert {url: r for url, r in refused.items() if r != (400, True)} == {}
    assert_unchanged(db, before)
    assert client.get(w.url("dashboard")).status_code == 200  # the logout was refused as well
