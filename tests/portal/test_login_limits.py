"""Brute force on the portal: failed logins are limited per account and per client address,
the member is told by mail once per lockout, and "forgot password" sends a bounded number
of mails. Every refusal is a 429 page saying how long to wait, and says the same for an
email that is no member's."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from coop.models import OutboxMessage
from coop.services import outbox
from tests.portal.conftest import PASSWORD, text_of
from tests.portal.world import build_world
from webui.limiter import Limiter

ELSEWHERE = {"REMOTE_ADDR": "203.0.113.7"}
STRANGER = "nobody@example.org"


@pytest.fixture
def w(db, keys):
    return build_world(db, keys)


def mail(db, coop, kind=None):
    q = select(OutboxMessage).where(OutboxMessage.coop_id == coop.id).order_by(OutboxMessage.id)
    if kind:
        q = q.where(OutboxMessage.kind == kind)
    return db.scalars(q).all()


def log_in(portal, w, email, password, **kw):
    return portal.post(w.url("login"), {"email": email, "password": password}, **kw)


def test_thirty_wrong_passwords_lock_the_account_and_then_the_right_one_is_refused(db, w, portal, client):
    statuses = [log_in(portal, w, w.ben.email, f"guess number {i}").status_code for i in range(30)]
    assert statuses == [401] * 10 + [429] * 20
    right = log_in(portal, w, w.ben.email, PASSWORD)
    assert right.status_code == 429
    assert 60 < int(right.headers["Retry-After"]) <= 15 * 60
    assert "too many failed sign-ins for this account; try again in 15 minutes" in text_of(right)
    assert client.get(w.url("dashboard")).status_code == 302  # no session


def test_a_locked_account_tells_its_member_by_mail_once_per_lockout(db, w, portal):
    for i in range(30):
        log_in(portal, w, w.ben.email, f"guess number {i}")
    warned = mail(db, w.coop)
    assert [(m.kind, m.to_address) for m in warned] == [(outbox.LOGIN_LOCKED, w.ben.email)]
    assert "10 times within 15 minutes" in warned[0].body
    assert warned[0].link == f"/c/{w.coop.slug}/forgot" and warned[0].member_id == w.ben.id


def test_a_lockout_looks_the_same_for_an_email_that_is_no_members(db, w, portal):
    def attempts(email):
        return [log_in(portal, w, email, f"guess number {i}") for i in range(11)]

    ben, stranger = attempts(w.ben.email), attempts(STRANGER)
    assert [r.status_code for r in ben] == [r.status_code for r in stranger] == [401] * 10 + [429]
    assert text_of(ben[-1]).replace(w.ben.email, "X") == text_of(stranger[-1]).replace(STRANGER, "X")
    assert len(mail(db, w.coop)) == 1  # Ben's warning; a stranger has nobody to warn


def test_a_successful_login_clears_the_accounts_count_but_not_the_addresss(db, w, portal, app):
    app.extensions["coop.limiter"] = Limiter({"COOP_LOGIN_FAILURES_PER_ADDRESS": 25})
    for _ in range(2):
        for i in range(9):
            assert log_in(portal, w, w.ben.email, f"guess number {i}").status_code == 401
        assert log_in(portal, w, w.ben.email, PASSWORD).status_code == 302
        portal.logout(w.coop)
    assert mail(db, w.coop) == []
    for i in range(7):  # 18 + 7 = 25 failures from this address: its budget is spent
        assert log_in(portal, w, f"guess{i}@example.org", "wrong wrong").status_code == 401
    assert log_in(portal, w, w.ben.email, PASSWORD).status_code == 429


def test_wrong_passwords_from_one_address_lock_it_out_of_every_account_but_not_other_addresses(w, portal, app):
    app.extensions["coop.limiter"] = Limiter({"COOP_LOGIN_FAILURES_PER_ADDRESS": 5})
    for i in range(5):
        assert log_in(portal, w, f"guess{i}@example.org", "wrong wrong").status_code == 401
    refused = log_in(portal, w, w.ben.email, PASSWORD)
    assert refused.status_code == 429 and "from your network address" in text_of(refused)
    assert log_in(portal, w, w.ben.email, PASSWORD, environ_base=ELSEWHERE).status_code == 302


def test_the_portal_and_the_api_share_an_accounts_budget_of_failed_sign_ins(w, portal, client):
    for i in range(10):
        r = client.post(f"/api/v1/coops/{w.coop.slug}/tokens",
                        json={"email": w.ben.email, "password": f"guess number {i}", "scopes": ["read"]})
        assert r.status_code == 401
    assert log_in(portal, w, w.ben.email, PASSWORD).status_code == 429


# -- forgot password ---------------------------------------------------------------------------

def forgot(portal, w, email, **kw):
    return portal.post(w.url("forgot"), {"email": email}, **kw)


def test_forgot_password_queues_at_most_three_reset_mails_an_hour_for_one_account(db, w, portal):
    answers = [forgot(portal, w, w.ben.email) for _ in range(20)]
    assert [r.status_code for r in answers] == [200] * 3 + [429] * 17
    assert [m.to_address for m in mail(db, w.coop, outbox.PASSWORD_RESET)] == [w.ben.email] * 3
    last = answers[-1]
    assert 60 * 50 < int(last.headers["Retry-After"]) <= 3600
    assert "too many password-reset requests for this email address; try again in 60 minutes" in text_of(last)


def test_forgot_password_answers_a_stranger_exactly_as_a_member_under_the_limit_and_over_it(db, w, portal):
    ben = [forgot(portal, w, w.ben.email) for _ in range(4)]
    stranger = [forgot(portal, w, STRANGER) for _ in range(4)]
    assert [r.status_code for r in ben] == [r.status_code for r in stranger] == [200, 200, 200, 429]
    for a, b in zip(ben, stranger):
        assert text_of(a).replace(w.ben.email, "X") == text_of(b).replace(STRANGER, "X")


def test_forgot_password_from_one_address_is_limited_across_accounts(db, w, portal):
    members = [w.ben, w.cleo, w.dan]
    emails = [m.email for m in members] * 3 + [STRANGER]
    assert [forgot(portal, w, e).status_code for e in emails] == [200] * 9 + [200]
    assert forgot(portal, w, w.ada.email).status_code == 429
    assert forgot(portal, w, w.ada.email, environ_base=ELSEWHERE).status_code == 200
    assert len(mail(db, w.coop, outbox.PASSWORD_RESET)) == 10
