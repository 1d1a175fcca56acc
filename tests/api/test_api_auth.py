"""Tokens: made with a password or an admin token, scoped, expiring, revocable, stored as
digests; public reads without one. Rate limits: test_api_ratelimits.py."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import select

from coop.models import ApiToken
from coop.services import accounts, coops, tokens
from coop.services.actor import Actor
from tests.api.conftest import make_token
from tests.clock import NOW
from tests.dbstate import assert_unchanged, snapshot
from tests.factories import make_coop, make_member

PASSWORD = "correct horse battery"


def _member_with_password(db, coop, **kw):
    m = make_member(db, coop, hourly_rate="20.00", **kw)
    accounts.set_password(db, Actor.operator(), m, PASSWORD, now=NOW)
    return m


def test_a_member_gets_a_token_with_email_and_password_and_it_is_stored_only_as_a_digest(db, keys, api):
    coop = make_coop(db, keys)
    m = _member_with_password(db, coop)
    r = api.post(f"/api/v1/coops/{coop.slug}/tokens",
                 json={"email": m.email, "password": PASSWORD, "scopes": ["read", "vote"], "name": "payroll"})
    assert r.status_code == 201
    body = r.get_json()
    token = body["token"]
    assert token.startswith("coop_pat_") and body["scopes"] == ["read", "vote"]
    row = db.scalars(select(ApiToken).where(ApiToken.id == body["id"])).one()
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in repr([getattr(row, c.key) for c in ApiToken.__table__.columns])
    me = api.get(f"/api/v1/coops/{coop.slug}/me", token=token).get_json()
    assert me["member"]["id"] == m.id and me["token"]["scopes"] == ["read", "vote"]
    assert "token" not in api.get(f"/api/v1/coops/{coop.slug}/tokens", token=token).get_json()["items"][0]


def test_a_wrong_password_gets_401_problem_and_writes_nothing(db, keys, api):
    coop = make_coop(db, keys)
    m = _member_with_password(db, coop)
    before = snapshot(db)
    r = api.post(f"/api/v1/coops/{coop.slug}/tokens", json={"email": m.email, "password": "wrong wrong", "scopes": ["read"]})
    assert r.status_code == 401 and r.headers["Content-Type"] == "application/problem+json"
    assert r.get_json()["detail"] == accounts.LOGIN_FAILED
    assert_unchanged(db, before)


def test_an_admin_scoped_token_makes_a_narrower_token_but_a_read_token_cannot(db, keys, api):
    coop = make_coop(db, keys)
    m = make_member(db, coop)
    admin_scoped, read_only = make_token(db, coop, m, "read", "admin"), make_token(db, coop, m, "read")
    url = f"/api/v1/coops/{coop.slug}/tokens"
    r = api.post(url, token=admin_scoped, json={"scopes": ["read"], "expires_days": 7})
    assert r.status_code == 201 and r.get_json()["member_id"] == m.id
    assert api.post(url, token=read_only, json={"scopes": ["read"]}).status_code == 403
    assert api.post(url, json={"scopes": ["read"]}).status_code == 401


def test_public_reads_need_no_token_but_members_only_reads_answer_401(db, keys, api):
    coop = make_coop(db, keys)
    make_member(db, coop, hourly_rate="20.00")
    base = f"/api/v1/coops/{coop.slug}"
    for path in ("/pay", "/rules", "/ledger", "/ledger/entries", "/ledger/checkpoints", "/ledger/public-key",
                 "/proposals?status=closed"):
        assert api.get(base + path).status_code == 200, path
    r = api.get(base + "/members")
    assert r.status_code == 401 and r.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_coop_that_does_not_publish_answers_401_without_a_token(db, keys, api):
    coop = make_coop(db, keys)
    m = make_member(db, coop, hourly_rate="20.00")
    coops.update_settings(db, Actor.operator(), coop, public_pages=False, now=NOW)
    token = make_token(db, coop, m, "read")
    url = f"/api/v1/coops/{coop.slug}/pay"
    assert api.get(url).status_code == 401
    assert api.get(url, token=token).status_code == 200
    r = api.get(f"/api/v1/coops/{coop.slug}/ledger/entries/0", token=token)
    assert r.headers["Cache-Control"].startswith("private")


def test_a_token_of_another_coop_is_refused(db, keys, api):
    ours, theirs = make_coop(db, keys), make_coop(db, keys)
    stranger = make_member(db, theirs)
    token = make_token(db, theirs, stranger)
    r = api.get(f"/api/v1/coops/{ours.slug}/members", token=token)
    assert r.status_code == 403


def test_an_expired_token_is_refused(db, keys, api):
    coop = make_coop(db, keys)
    m = make_member(db, coop)
    token = make_token(db, coop, m, "read")
    row = db.scalars(select(ApiToken).where(ApiToken.token_hash == tokens.digest(token))).one()
    row.expires_at = NOW - dt.timedelta(minutes=1)
    db.flush()
    r = api.get(f"/api/v1/coops/{coop.slug}/members", token=token)
    assert r.status_code == 401 and "expired" in r.get_json()["detail"]


def test_a_revoked_token_stops_working_and_only_its_member_or_an_admin_may_revoke_it(db, keys, api):
    coop = make_coop(db, keys)
    m, other = make_member(db, coop), make_member(db, coop)
    token, other_token = make_token(db, coop, m, "read"), make_token(db, coop, other, "read", "admin")
    token_id = db.scalars(select(ApiToken.id).where(ApiToken.token_hash == tokens.digest(token))).one()
    url = f"/api/v1/coops/{coop.slug}/tokens/{token_id}"
    assert api.delete(url, token=other_token).status_code == 403  # admin scope, but not an admin
    assert api.delete(url, token=token).status_code == 204
    r = api.get(f"/api/v1/coops/{coop.slug}/members", token=token)
    assert r.status_code == 401 and "revoked" in r.get_json()["detail"]


def test_an_unknown_or_malformed_token_is_refused_not_ignored(db, keys, api):
    coop = make_coop(db, keys)
    url = f"/api/v1/coops/{coop.slug}/pay"
    assert api.get(url, token="coop_pat_" + "x" * 43).status_code == 401
    assert api.get(url, headers={"Authorization": "Basic Zm9vOmJhcg=="}).status_code == 401
