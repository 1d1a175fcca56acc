"""Webhooks never reach into the server's own network (server-side request forgery): internal
addresses are refused when a webhook is registered and again, after DNS resolution, when a
delivery is sent; only the operator's allow-list opens them."""

from __future__ import annotations

import socket
from functools import partial

import pytest
from sqlalchemy import select

from coop.models import WebhookDelivery, WebhookSubscription
from coop.services import webhooks
from coop.webhook_targets import TargetPolicy
from tests.api.conftest import make_token
from tests.api.receiver import receiver
from tests.api.test_api_webhooks import sessions
from tests.clock import NOW
from tests.dbstate import assert_unchanged, snapshot
from tests.factories import as_member, make_coop, make_member

INTERNAL = [
    "http://169.254.169.254/latest/meta-data/",  # cloud instance metadata
    "http://10.0.0.1/",
    "http://127.0.0.1:5432/",
    "http://[::1]/",
    "http://localhost:8080/",
    "http://2130706433/",  # 127.0.0.1 written as one number
    "http://0x7f.1/",
    "http://[::ffff:10.0.0.1]/",
    "http://0.0.0.0/",
    "http://224.0.0.1/",
]


@pytest.fixture(autouse=True)
def _outbox() -> None:
    webhooks.install()


@pytest.fixture
def hook(db, keys):  # type: ignore[no-untyped-def]
    coop = make_coop(db, keys)
    return coop, make_member(db, coop, role="admin")


def _resolving(names: dict[str, str]):  # type: ignore[no-untyped-def]
    """A resolver that answers for ``names`` as a DNS server under someone else's control would."""
    def resolve(host: str, port: int, type: int = 0):  # type: ignore[no-untyped-def]  # noqa: A002
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (names[host], port))]
    return resolve


@pytest.mark.parametrize("url", INTERNAL)
def test_a_webhook_to_an_internal_address_is_refused_at_registration_naming_the_url(db, api, hook, url):
    coop, admin = hook
    token = make_token(db, coop, admin, "admin")
    before = snapshot(db)
    r = api.post(f"/api/v1/coops/{coop.slug}/webhooks", token=token, json={"url": url, "events": ["ledger.appended"]})
    assert r.status_code == 422, r.get_json()
    [error] = r.get_json()["errors"]
    assert error["field"] == "url"
    assert "webhooks go to public addresses only" in error["message"]
    assert_unchanged(db, before)


def test_a_webhook_to_a_public_address_is_registered(db, api, hook):
    coop, admin = hook
    token = make_token(db, coop, admin, "admin")
    r = api.post(f"/api/v1/coops/{coop.slug}/webhooks", token=token,
                 json={"url": "https://hooks.example.org/coop", "events": ["ledger.appended"]})
    assert r.status_code == 201, r.get_json()


def test_the_operators_allow_list_opens_an_internal_network_for_registration(db, hook):
    coop, admin = hook
    on_premises = TargetPolicy.allowing("10.20.0.0/16")
    sub, _ = webhooks.create_subscription(db, as_member(admin), coop, "http://10.20.1.5:8080/coop",
                                          ["ledger.appended"], now=NOW, targets=on_premises)
    assert sub.id
    from coop.errors import InvalidInput

    with pytest.raises(InvalidInput, match="10.21.0.1 is private"):
        webhooks.create_subscription(db, as_member(admin), coop, "http://10.21.0.1/", ["ledger.appended"],
                                     now=NOW, targets=on_premises)


def _subscribed_before_the_check(db, coop, url: str) -> WebhookSubscription:
    """A subscription as an older version stored it, without the registration check."""
    sub = WebhookSubscription(coop_id=coop.id, url=url, events=["ledger.appended"], secret="whsec_x",
                              description="", active=True, created_at=NOW)
    db.add(sub)
    db.flush()
    return sub


def test_a_delivery_to_an_internal_address_is_not_sent_and_its_log_says_why_without_an_answer(db, hook):
    coop, _ = hook
    with receiver() as rx:  # listening on 127.0.0.1: it must hear nothing
        sub = _subscribed_before_the_check(db, coop, rx.url)
        make_member(db, coop, hourly_rate="21.00")
        results = webhooks.deliver_due(sessions(db), now=NOW)  # the default sender: public addresses only
    assert rx.requests == []
    [(_, result)] = results
    assert result.status_code is None and not result.ok
    assert result.error.startswith("refused: 127.0.0.1 is loopback")
    d = db.scalars(select(WebhookDelivery).where(WebhookDelivery.subscription_id == sub.id)).one()
    assert d.last_status_code is None and d.log[0]["status_code"] is None
    assert d.log[0]["error"].startswith("refused: ")


def test_a_name_that_resolves_to_an_internal_address_when_sent_is_refused(db, hook):
    # Registered while it pointed outside; its DNS now answers with the metadata address.
    coop, admin = hook
    sub, _ = webhooks.create_subscription(db, as_member(admin), coop, "http://hooks.example.org/coop",
                                          ["ledger.appended"], now=NOW)
    make_member(db, coop, hourly_rate="21.00")
    sender = partial(webhooks.send, resolver=_resolving({"hooks.example.org": "169.254.169.254"}))
    [(_, result)] = webhooks.deliver_due(sessions(db), now=NOW, sender=sender)
    assert result.error == ("refused: hooks.example.org resolves to 169.254.169.254, which is link-local; "
                            "webhooks go to public addresses only (an operator can allow networks with "
                            "COOP_WEBHOOK_ALLOW_NETWORKS)")
    d = db.scalars(select(WebhookDelivery).where(WebhookDelivery.subscription_id == sub.id)).one()
    assert d.status == "pending" and d.last_status_code is None


def test_the_sender_connects_to_the_address_it_checked_not_to_a_second_lookup(db, hook):
    # The name resolves once, through the resolver given; the request goes to that address
    # and names the host. (``.example`` names resolve nowhere else: RFC 2606.)
    coop, admin = hook
    looked_up = []
    with receiver() as rx:
        port = rx.url.split(":")[2].split("/")[0]
        url = f"http://receiver.example:{port}/hooks/coop"
        local = TargetPolicy.allowing("127.0.0.1/32")
        webhooks.create_subscription(db, as_member(admin), coop, url, ["ledger.appended"], now=NOW, targets=local)
        make_member(db, coop, hourly_rate="21.00")

        def resolver(host, port, type=0):  # type: ignore[no-untyped-def]  # noqa: A002
            looked_up.append(host)
            return _resolving({"receiver.example": "127.0.0.1"})(host, port, type)

        sender = partial(webhooks.send, targets=local, resolver=resolver)
        [(_, result)] = webhooks.deliver_due(sessions(db), now=NOW, sender=sender)
    assert result.ok, result
    assert looked_up == ["receiver.example"]
    assert rx.requests[0].headers["host"] == f"receiver.example:{port}"


def test_a_name_with_one_internal_address_among_public_ones_is_refused(db, hook):
    out = webhooks.Outgoing(1, "https://mixed.example/coop", b"{}", {})

    def resolver(host, port, type=0):  # type: ignore[no-untyped-def]  # noqa: A002
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", port)),
                (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))]

    result = webhooks.send(out, resolver=resolver)
    assert result.error.startswith("refused: mixed.example resolves to 10.0.0.7, which is private")
