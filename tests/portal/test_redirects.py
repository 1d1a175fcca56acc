"""Redirect targets a client supplies (``next=``) lead only to paths on this site."""

from __future__ import annotations

import pytest

from coop.services import notifications, proposals
from tests.clock import NOW
from tests.factories import as_member, open_for_voting
from tests.portal.conftest import PASSWORD
from tests.portal.world import build_world
from webui.links import local_target

#: Each of these, put in a Location header, sends a browser to another site (browsers drop
#: tabs and line breaks from URLs and read a backslash as a slash) or breaks the header.
OFF_SITE = [
    "//evil.example", "/\t/evil.example", "/\n/evil.example", "/\r\n/evil.example", "/\\evil.example",
    "/\\/evil.example", "\\\\evil.example", "https://evil.example/", "http:evil.example", "javascript:alert(1)",
    " //evil.example", "\t//evil.example", "/\x00/evil.example", "/\x7f/evil.example", "/\x85/evil.example",
    "evil.example", "", "/%0A\n/x",
]


@pytest.fixture
def w(db, keys):
    return build_world(db, keys)


@pytest.mark.parametrize("target", OFF_SITE)
def test_an_off_site_or_malformed_redirect_target_falls_back_to_the_default(target):
    assert local_target(target, "/home") == "/home"


@pytest.mark.parametrize("target", ["/c/demo/me/tokens", "/c/demo/proposals?status=voting", "/c/demo/proposals/7#vote",
                                    "/c/demo/%2F%2Fx", "/"])
def test_a_path_on_this_site_is_followed_as_given(target):
    assert local_target(target, "/home") == target


@pytest.mark.parametrize("target", ["/\t/evil.example", "/\n/evil.example", "/\\evil.example", "//evil.example"])
def test_login_never_redirects_off_site_and_never_fails_on_the_next_parameter(w, portal, target):
    response = portal.post(w.url("login"), {"email": w.ben.email, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == w.url("dashboard")


def test_login_follows_a_next_path_on_this_site(w, portal):
    response = portal.post(w.url("login"), {"email": w.ben.email, "password": PASSWORD,
                                            "next": w.url("proposals?status=voting")})
    assert response.headers["Location"] == w.url("proposals?status=voting")


@pytest.mark.parametrize("target", ["/\\evil.example", "/\t/evil.example", "//evil.example"])
def test_marking_a_notification_read_never_redirects_off_site(db, w, portal, target):
    p = proposals.draft_general(db, as_member(w.ada), w.coop, "Paint the door", "", now=NOW)
    open_for_voting(db, w.coop, p, w.ada)
    [notice] = notifications.recent(db, w.dan.id)
    portal.login(w.coop, w.dan)
    response = portal.post(w.url("notifications/read"), {"notification_id": str(notice.id), "next": target},
                           form_page=w.url("notifications"))
    assert response.status_code == 302
    assert response.headers["Location"] == w.url("notifications")


def test_marking_a_notification_read_goes_on_to_its_page(db, w, portal):
    p = proposals.draft_general(db, as_member(w.ada), w.coop, "Paint the door", "", now=NOW)
    open_for_voting(db, w.coop, p, w.ada)
    [notice] = notifications.recent(db, w.dan.id)
    portal.login(w.coop, w.dan)
    response = portal.post(w.url("notifications/read"), {"notification_id": str(notice.id), "next": notice.link},
                           form_page=w.url("notifications"))
    assert response.headers["Location"] == notice.link == w.url(f"proposals/{p.id}")
