"""Links that leave the request (reset and invitation links, mail) come from COOP_BASE_URL,
never from the Host header; a Host the installation does not serve is refused."""

from __future__ import annotations

import dataclasses
import re

import pytest
from sqlalchemy import select

from coop.config import LOCAL_BASE_URL, ConfigError
from coop.models import OutboxMessage
from tests.portal.conftest import PASSWORD, app_with
from tests.portal.world import build_world

BASE = "https://coop.example.org"


@pytest.fixture
def w(db, keys):
    return build_world(db, keys)


@pytest.fixture
def production(engine, db, settings, clock):  # type: ignore[no-untyped-def]
    """Secure cookies, the public address, and a proxy's internal name as a further host."""
    return app_with(engine, db, settings, clock, secure_cookies=True, base_url=BASE,
                    trusted_hosts=("portal.internal",))


def mail_links(db, w) -> list[str]:  # type: ignore[no-untyped-def]
    return list(db.scalars(select(OutboxMessage.link).where(OutboxMessage.coop_id == w.coop.id)))


def test_a_forged_host_header_gets_400_and_no_reset_mail(db, w, production):
    response = production.test_client().post(w.url("forgot"), data={"email": w.ben.email},
                                              base_url="https://evil.example")
    assert response.status_code == 400
    assert "does not answer to that host name" in response.get_data(as_text=True)
    assert mail_links(db, w) == []


def test_a_reset_link_in_mail_points_at_the_configured_address_whatever_host_the_request_used(db, w, production):
    # portal.internal is trusted (the proxy's name) but is not where members go.
    response = production.test_client().post(w.url("forgot"), data={"email": w.ben.email},
                                              base_url="https://portal.internal")
    assert response.status_code == 200
    [link] = mail_links(db, w)
    assert re.fullmatch(rf"{BASE}/c/{w.coop.slug}/reset/[\w-]{{43}}", link), link


def test_an_invitation_link_shown_to_the_secretary_points_at_the_configured_address(db, w, engine, settings, clock):
    app = app_with(engine, db, settings, clock, secure_cookies=True, base_url=BASE + "/portal",
                   trusted_hosts=("portal.internal",))
    client = app.test_client()
    there = "https://portal.internal"
    assert client.post(w.url("login"), data={"email": w.ada.email, "password": PASSWORD},
                       base_url=there).status_code == 302
    page = client.post(w.url("admin/members/new"), base_url=there,
                       data={"name": "Nia Newcomer", "email": "nia@example.org", "role": "member",
                             "status": "active"})
    assert page.status_code == 200
    link = re.search(r'id="one-time-link">([^<]+)<', page.get_data(as_text=True)).group(1)
    # A base with a path is the application's root, as for links in mail.
    assert link.startswith(f"{BASE}/portal/c/{w.coop.slug}/accept/"), link


def test_the_portal_and_the_api_refuse_an_untrusted_host_with_400_not_500(w, production):
    client = production.test_client()
    assert client.get(w.url(""), base_url=BASE).status_code == 200
    assert client.get(w.url(""), base_url="https://portal.internal:8443").status_code == 200
    for path in (w.url(""), w.url("login"), "/", "/static/portal.css"):
        assert client.get(path, base_url="https://evil.example").status_code == 400, path
    api = client.get("/api/v1/coops", base_url="https://evil.example")
    assert api.status_code == 400 and api.mimetype == "application/problem+json"
    assert "host name" in api.get_json()["detail"]


def test_local_mode_without_a_base_url_links_to_coop_serve_on_this_machine(db, w, engine, settings, clock):
    app = app_with(engine, db, settings, clock, secure_cookies=False, base_url=None)
    client = app.test_client()
    for host in ("http://localhost", "http://127.0.0.1:5000", "http://127.0.0.1:8123"):
        assert client.get(w.url("login"), base_url=host).status_code == 200, host
    assert client.get(w.url("login"), base_url="http://evil.example").status_code == 400
    client.post(w.url("forgot"), data={"email": w.ben.email}, base_url="http://localhost")
    [link] = mail_links(db, w)
    assert link.startswith(f"{LOCAL_BASE_URL}/c/{w.coop.slug}/reset/")


def test_the_app_refuses_to_start_without_a_base_url_outside_local_mode(engine, settings):
    from webui import create_app

    with pytest.raises(ConfigError, match="COOP_BASE_URL is not set"):
        create_app(dataclasses.replace(settings, secure_cookies=True, base_url=None), engine=engine)
