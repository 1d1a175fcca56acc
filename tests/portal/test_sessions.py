"""Portal sessions end on the server's side: at logout, and with every session and API token
when a password is changed or reset; logging in starts a new session and CSRF token."""

from __future__ import annotations

import pytest

from coop.services import accounts, tokens
from coop.services.actor import Actor
from tests.clock import NOW
from tests.factories import as_member
from tests.portal.conftest import CSRF, PASSWORD, Portal, text_of
from tests.portal.world import build_world

NEW_PASSWORD = "a brand new secret"


@pytest.fixture
def w(db, keys):
    return build_world(db, keys)


def api_token(db, w, member) -> str:  # type: ignore[no-untyped-def]
    _, secret = tokens.create_token(db, as_member(member), w.coop, member, ["read"], name="payroll",
                                    now=NOW, expires_days=3650)
    return secret


def api_me(client, w, secret):  # type: ignore[no-untyped-def]
    return client.get(f"/api/v1/coops/{w.coop.slug}/me", headers={"Authorization": f"Bearer {secret}"})


def test_a_session_cookie_saved_before_logout_no_longer_logs_anyone_in(w, portal, client, app):
    portal.login(w.coop, w.ben)
    saved = client.get_cookie("session").value
    assert client.get(w.url("dashboard")).status_code == 200
    portal.logout(w.coop)
    replay = app.test_client()
    replay.set_cookie("session", saved)
    response = replay.get(w.url("dashboard"))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_logging_out_ends_the_members_sessions_on_every_device(w, portal, app):
    phone = Portal(app.test_client())
    phone.login(w.coop, w.ben)
    portal.login(w.coop, w.ben)
    portal.logout(w.coop)
    assert phone.get(w.url("dashboard")).status_code == 302


def test_logging_in_starts_a_new_session_with_a_new_csrf_token(w, portal, client):
    login_page = client.get(w.url("login"))
    token_before = CSRF.search(login_page.get_data(as_text=True)).group(1)
    cookie_before = client.get_cookie("session").value
    portal.post(w.url("login"), {"email": w.ben.email, "password": PASSWORD, "csrf_token": token_before})
    assert client.get_cookie("session").value != cookie_before
    token_after = CSRF.search(client.get(w.url("me")).get_data(as_text=True)).group(1)
    assert token_after != token_before
    # A token someone saw (or planted) before the login is worthless after it.
    stale = client.post(w.url("me/notifications"), data={"csrf_token": token_before})
    assert stale.status_code == 400 and "security token did not match" in text_of(stale)
    fresh = client.post(w.url("me/notifications"), data={"csrf_token": token_after})
    assert fresh.status_code == 302


def test_a_password_change_revokes_the_members_api_tokens_and_says_so(db, w, portal, client):
    secret = api_token(db, w, w.ben)
    assert api_me(client, w, secret).status_code == 200
    portal.login(w.coop, w.ben)
    changed = portal.post(w.url("me/password"), {"current_password": PASSWORD, "password": NEW_PASSWORD,
                                                 "password_again": NEW_PASSWORD}, form_page=w.url("me"))
    assert changed.status_code == 302
    assert "your API tokens revoked" in text_of(portal.get(w.url("me")))
    refused = api_me(client, w, secret)
    assert refused.status_code == 401 and "revoked" in refused.get_json()["detail"]
    assert portal.get(w.url("dashboard")).status_code == 200  # this session goes on


def test_a_password_reset_ends_every_session_and_revokes_api_tokens(db, w, portal, client, app):
    secret = api_token(db, w, w.ben)
    laptop = Portal(app.test_client())
    laptop.login(w.coop, w.ben)
    token = accounts.create_reset(db, Actor.operator(), w.coop, w.ben, now=NOW)
    form = w.url(f"reset/{token}")
    assert portal.post(form, {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD},
                       form_page=form).status_code == 302
    assert laptop.get(w.url("dashboard")).status_code == 302
    assert api_me(client, w, secret).status_code == 401
    assert portal.get(w.url("dashboard")).status_code == 200  # the reset logged this browser in
