"""Browser security headers on every response, portal and API alike; and portal pages that
keep working under the Content-Security-Policy (no inline script or style it would block)."""

from __future__ import annotations

import re

import pytest

from tests.portal.conftest import app_with
from tests.portal.test_accessibility import key_pages
from tests.portal.world import build_world, passed_raise

CSP = "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
#: What the CSP forbids in a page: inline <script> and <style>, style="" and on*="" attributes.
INLINE = re.compile(r"<script(?![^>]*\bsrc=)|<style\b|\sstyle=|\son[a-z]+=", re.I)


@pytest.fixture
def w(db, keys):
    world = build_world(db, keys)
    passed_raise(db, world)
    return world


def portal_page_and_api_response(client, w):  # type: ignore[no-untyped-def]
    return {"portal": client.get(w.url("pay")), "api": client.get(f"/api/v1/coops/{w.coop.slug}/pay")}


@pytest.mark.parametrize("face", ["portal", "api"])
@pytest.mark.parametrize("header, value", [
    ("Content-Security-Policy", CSP),
    ("X-Frame-Options", "DENY"),
    ("X-Content-Type-Options", "nosniff"),
    ("Referrer-Policy", "same-origin"),
])
def test_every_response_carries_the_security_headers(w, client, face, header, value):
    response = portal_page_and_api_response(client, w)[face]
    assert response.status_code == 200
    assert response.headers.get(header) == value


def test_errors_and_static_files_carry_them_too(w, client):
    for response in (client.get(w.url("no/such/page")), client.get("/api/v1/nowhere"),
                     client.get("/static/portal.css")):
        assert response.headers.get("X-Frame-Options") == "DENY"
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("face", ["portal", "api"])
def test_strict_transport_security_is_sent_when_cookies_are_secure(db, w, engine, settings, clock, face):
    secure = app_with(engine, db, settings, clock, secure_cookies=True, base_url="https://coop.example.org")
    response = portal_page_and_api_response(secure.test_client(), w)  # over https://localhost
    assert response[face].headers.get("Strict-Transport-Security") == "max-age=31536000"


@pytest.mark.parametrize("face", ["portal", "api"])
def test_strict_transport_security_is_not_sent_in_plain_http_local_mode(w, client, face):
    assert "Strict-Transport-Security" not in portal_page_and_api_response(client, w)[face].headers


def test_the_api_docs_page_keeps_its_own_policy_that_runs_only_its_own_script(client):
    response = client.get("/api/v1/docs")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "'unsafe-eval'" not in csp
    assert response.headers["X-Frame-Options"] == "DENY"
    html = response.get_data(as_text=True)
    assert '<script src="docs.js" defer></script>' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)|\son[a-z]+=", html)


def test_portal_pages_have_no_inline_script_or_style_the_policy_would_block(db, w, portal):
    w.ada.role = "admin"
    db.flush()
    found = {}
    logged_in = False
    for who, path, form in key_pages(db, w):
        if who and not logged_in:
            portal.login(w.coop, w.ada)
            logged_in = True
        url = w.url(path)
        response = portal.post(url, form, form_page=url) if form is not None else portal.get(url)
        assert response.status_code < 500, (url, response.status_code)
        hits = INLINE.findall(response.get_data(as_text=True))
        if hits:
            found[f"{path} {form or ''}"] = hits
    assert found == {}


def test_the_inline_check_catches_what_the_policy_blocks():
    for html in ('<p style="margin:0">', "<style>p{}</style>", "<script>alert(1)</script>", '<a onclick="x()">'):
        assert INLINE.search(html), html
    assert not INLINE.search('<link rel="stylesheet" href="/static/portal.css"><script src="x.js"></script>')

