"""Webhooks: registered by an admin, written to the outbox in the change's own transaction,
delivered to a real HTTP receiver with an HMAC-SHA256 signature, retried with backoff, and
logged."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

import pytest
from sqlalchemy import func, select

from coop.models import WebhookDelivery, WebhookEvent
from coop.services import checkpoints, webhooks
from coop.services.actor import Actor
from coop.webhook_targets import TargetPolicy
from tests.api.conftest import make_token
from tests.api.receiver import receiver
from tests.clock import NOW
from tests.dbstate import assert_unchanged, snapshot
from tests.factories import as_member, make_coop, make_member

#: The test receiver listens on loopback, which only an operator's allow-list opens.
LOCAL = TargetPolicy.allowing("127.0.0.1/32")
send_local = partial(webhooks.send, targets=LOCAL)


@pytest.fixture(autouse=True)
def _outbox() -> None:
    webhooks.install()


@pytest.fixture
def settings(settings):  # type: ignore[no-untyped-def]
    """The app of these tests is set up to send to the local receiver."""
    return dataclasses.replace(settings, webhook_targets=LOCAL)


@pytest.fixture
def hook(db, keys):  # type: ignore[no-untyped-def]
    coop = make_coop(db, keys)
    admin = make_member(db, coop, role="admin")
    return coop, admin


def sessions(db):  # type: ignore[no-untyped-def]
    """``deliver_due``'s open_session, on the test's rolled-back transaction."""
    @contextmanager
    def open_session() -> Iterator[object]:
        yield db
        db.flush()
    return open_session


def verify(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """What a receiver does (docs/webhooks.md): HMAC-SHA256 of the raw body, compared in
    constant time."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["x-coop-signature"])


def test_an_appended_entry_is_delivered_signed_to_a_real_receiver_and_logged(db, hook):
    coop, admin = hook
    with receiver() as rx:
        sub, secret = webhooks.create_subscription(db, as_member(admin), coop, rx.url, ["ledger.appended"], now=NOW,
                                                  targets=LOCAL)
        m = make_member(db, coop, hourly_rate="21.00")  # appends the member's founding pay
        results = webhooks.deliver_due(sessions(db), now=NOW, sender=send_local)
    assert [r.ok for _, r in results] == [True]
    assert len(rx.requests) == 1
    got = rx.requests[0]
    assert got.path == "/hooks/coop"
    assert got.headers["content-type"] == "application/json"
    assert got.headers["x-coop-event"] == "ledger.appended"
    assert verify(secret, got.headers, got.body)
    assert not verify(secret, got.headers, got.body.replace(b"ledger", b"LEDGER"))
    assert not verify("whsec_someone-else", got.headers, got.body)
    payload = json.loads(got.body)
    assert payload["event"] == "ledger.appended" and payload["coop"] == coop.slug
    assert payload["timestamp"] == int(got.headers["x-coop-timestamp"])
    assert payload["data"]["kind"] == "pay" and payload["attempt"] == 1
    delivery = db.scalars(select(WebhookDelivery).where(WebhookDelivery.subscription_id == sub.id)).one()
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert [e["status_code"] for e in delivery.log] == [200]
    assert m.id is not None


def test_retries_back_off_and_the_log_keeps_every_attempt(db, keys, hook):
    coop, admin = hook
    make_member(db, coop, hourly_rate="21.00")
    with receiver() as rx:
        rx.answers = [503, 500]
        sub, secret = webhooks.create_subscription(db, as_member(admin), coop, rx.url, ["checkpoint.signed"], now=NOW,
                                                  targets=LOCAL)
        checkpoints.sign(db, keys, coop, now=NOW)
        now = NOW
        first = webhooks.deliver_due(sessions(db), now=now, sender=send_local)
        assert [r.status_code for _, r in first] == [503]
        d = db.scalars(select(WebhookDelivery).where(WebhookDelivery.subscription_id == sub.id)).one()
        assert d.status == "pending" and d.next_attempt_at == now + dt.timedelta(seconds=30)
        # Not due yet: nothing is sent.
        assert webhooks.deliver_due(sessions(db), now=now + dt.timedelta(seconds=29), sender=send_local) == []
        second = webhooks.deliver_due(sessions(db), now=now + dt.timedelta(seconds=30), sender=send_local)
        assert [r.status_code for _, r in second] == [500]
        assert d.next_attempt_at == now + dt.timedelta(seconds=30 + 60)  # doubled
        third = webhooks.deliver_due(sessions(db), now=now + dt.timedelta(seconds=90), sender=send_local)
        assert [r.ok for _, r in third] == [True]
    assert len(rx.requests) == 3
    attempts = [json.loads(r.body)["attempt"] for r in rx.requests]
    assert attempts == [1, 2, 3]
    assert all(verify(secret, r.headers, r.body) for r in rx.requests)
    assert d.status == "delivered" and d.next_attempt_at is None
    assert [e["status_code"] for e in d.log] == [503, 500, 200]


def test_a_receiver_that_never_answers_is_given_up_after_the_last_attempt(db, keys, hook):
    coop, admin = hook
    with receiver() as rx:
        dead_url = rx.url  # the server is closed when the block ends: connection refused
    sub, _ = webhooks.create_subscription(db, as_member(admin), coop, dead_url, ["ledger.appended"], now=NOW,
                                          targets=LOCAL)
    make_member(db, coop, hourly_rate="21.00")
    now = NOW
    for attempt in range(webhooks.MAX_ATTEMPTS):
        results = webhooks.deliver_due(sessions(db), now=now, sender=send_local)
        assert len(results) == 1 and not results[0][1].ok and results[0][1].status_code is None
        now += dt.timedelta(hours=7)
    d = db.scalars(select(WebhookDelivery).where(WebhookDelivery.subscription_id == sub.id)).one()
    assert d.status == "failed" and d.attempts == webhooks.MAX_ATTEMPTS and d.last_error
    assert len(d.log) == webhooks.MAX_ATTEMPTS
    assert webhooks.deliver_due(sessions(db), now=now + dt.timedelta(days=30), sender=send_local) == []


def test_backoff_doubles_from_30_seconds_and_is_capped_at_6_hours():
    assert [webhooks.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert webhooks.backoff(50) == dt.timedelta(hours=6)


def test_the_outbox_row_is_written_in_the_changes_transaction_and_rolled_back_with_it(db, keys, hook):
    coop, admin = hook
    webhooks.create_subscription(db, as_member(admin), coop, "https://hooks.example.org/h", ["ledger.appended"], now=NOW)
    db.flush()
    count = lambda model: db.scalar(select(func.count()).select_from(model))  # noqa: E731
    before = (count(WebhookEvent), count(WebhookDelivery))
    savepoint = db.begin_nested()
    make_member(db, coop, hourly_rate="21.00")
    assert (count(WebhookEvent), count(WebhookDelivery)) == (before[0] + 1, before[1] + 1)
    savepoint.rollback()
    assert (count(WebhookEvent), count(WebhookDelivery)) == before


def test_events_go_only_to_subscriptions_that_asked_for_them(db, keys, hook):
    coop, admin = hook
    a, _ = webhooks.create_subscription(db, as_member(admin), coop, "https://hooks.example.org/a", ["checkpoint.signed"],
                                        now=NOW)
    b, _ = webhooks.create_subscription(db, as_member(admin), coop, "https://hooks.example.org/b", ["ledger.appended"],
                                        now=NOW)
    other = make_coop(db, keys)
    make_member(db, other, hourly_rate="20.00")  # another co-op's append reaches neither
    make_member(db, coop, hourly_rate="21.00")
    by_sub = dict(db.execute(select(WebhookDelivery.subscription_id, func.count())
                             .group_by(WebhookDelivery.subscription_id)).all())
    assert by_sub.get(a.id) is None and by_sub[b.id] == 1


# -- over the API ------------------------------------------------------------------------------

def test_an_admin_registers_a_webhook_and_reads_its_delivery_log_over_the_api(db, keys, api, hook):
    coop, admin = hook
    token = make_token(db, coop, admin, "read", "admin")
    base = f"/api/v1/coops/{coop.slug}/webhooks"
    with receiver() as rx:
        r = api.post(base, token=token, json={"url": rx.url, "events": ["ledger.appended", "checkpoint.signed"],
                                              "description": "payroll"})
        assert r.status_code == 201, r.get_json()
        created = r.get_json()
        assert created["secret"].startswith("whsec_")
        make_member(db, coop, hourly_rate="21.00")
        webhooks.deliver_due(sessions(db), now=NOW, sender=send_local)
    assert verify(created["secret"], rx.requests[0].headers, rx.requests[0].body)
    listed = api.get(base, token=token).get_json()["items"]
    assert [w["id"] for w in listed] == [created["id"]] and "secret" not in listed[0]
    log = api.get(f"{base}/{created['id']}/deliveries", token=token).get_json()["items"]
    assert [(d["event"], d["status"], d["attempts"]) for d in log] == [("ledger.appended", "delivered", 1)]
    assert log[0]["log"][0]["status_code"] == 200
    assert api.delete(f"{base}/{created['id']}", token=token).status_code == 204
    assert api.get(f"{base}/{created['id']}", token=token).status_code == 404


def test_a_pending_delivery_of_a_deleted_webhook_is_given_up(db, keys, hook):
    coop, admin = hook
    sub, _ = webhooks.create_subscription(db, as_member(admin), coop, "https://hooks.example.org/a", ["ledger.appended"],
                                          now=NOW)
    make_member(db, coop, hourly_rate="21.00")
    webhooks.delete_subscription(db, as_member(admin), coop, sub.id, now=NOW)
    assert webhooks.deliver_due(sessions(db), now=NOW, sender=send_local) == []
    d = db.scalars(select(WebhookDelivery).where(WebhookDelivery.subscription_id == sub.id)).one()
    assert d.status == "failed" and d.last_error == "the subscription was deleted"


BAD = [
    ({"url": "ftp://example.org/x", "events": ["ledger.appended"]}, "url"),
    ({"url": "http://example.org/x", "events": ["ledger.deleted"]}, "events.0"),
    ({"url": "http://example.org/x", "events": []}, "events"),
    ({"events": ["ledger.appended"]}, "url"),
]


@pytest.mark.parametrize("body,field", BAD, ids=[b[1] + str(i) for i, b in enumerate(BAD)])
def test_a_bad_registration_names_the_field_and_writes_nothing(db, api, hook, body, field):
    coop, admin = hook
    token = make_token(db, coop, admin, "admin")
    before = snapshot(db)
    r = api.post(f"/api/v1/coops/{coop.slug}/webhooks", token=token, json=body)
    assert r.status_code == 422
    assert field in [e["field"] for e in r.get_json()["errors"]]
    assert_unchanged(db, before)


def test_only_an_admin_token_may_register_webhooks(db, api, hook):
    coop, admin = hook
    member = make_member(db, coop)
    body = {"url": "http://example.org/x", "events": ["ledger.appended"]}
    for token in (make_token(db, coop, member), make_token(db, coop, admin, "read", "vote", "propose")):
        before = snapshot(db)
        r = api.post(f"/api/v1/coops/{coop.slug}/webhooks", token=token, json=body)
        assert r.status_code == 403, r.get_json()
        assert_unchanged(db, before)
    assert api.post(f"/api/v1/coops/{coop.slug}/webhooks", json=body).status_code == 401
    # The service refuses too, whoever calls it.
    from coop.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        webhooks.create_subscription(db, as_member(member), coop, body["url"], body["events"], now=NOW)
    assert webhooks.create_subscription(db, Actor.operator(), coop, body["url"], body["events"], now=NOW)[0].id
