"""`coop tokens` and `coop webhooks deliver`, on a committed demo database (SQLite, and
PostgreSQL when configured), delivering to a real HTTP receiver."""

from __future__ import annotations

import hashlib
import hmac
import json
import re

import pytest
from sqlalchemy import select

from coop.errors import Unauthenticated
from coop.models import ApiToken, WebhookDelivery
from coop.services import coops, tokens, webhooks
from coop.services.actor import Actor
from coop.webhook_targets import TargetPolicy
from tests.api.receiver import receiver
from tests.cli.conftest import (  # noqa: F401  (fixtures the demo database needs)
    Coop,
    cli_env,
    cli_postgres_url,
    coop,
    demo,
    session_for,
    templates,
)
from tests.clock import NOW


def _secret(output: str) -> str:
    match = re.search(r"^(coop_pat_\S+)$", output, re.MULTILINE)
    assert match, output
    return match.group(1)


def test_a_token_is_printed_once_stored_as_a_digest_listed_and_revoked(demo: Coop, session_for) -> None:  # type: ignore[no-untyped-def]
    out = demo.ok("tokens", "create", "lena@riverside.example", "--scope", "read", "--scope", "vote",
                  "--expires-days", "30", "--name", "chat bot").output
    assert re.search(r"^token \d+ for Lena \w+ \(read vote\), expires \d{4}-\d\d-\d\d:$", out, re.MULTILINE), out
    secret = _secret(out)
    with session_for() as s:
        actor, row = tokens.authenticate(s, secret, now=NOW)
        assert row.scopes == "read vote" and row.name == "chat bot"
        assert secret not in {row.token_hash, row.prefix}
        assert s.scalar(select(ApiToken.id).where(ApiToken.token_hash.contains(secret[9:]))) is None
        token_id = row.id
    listed = demo.ok("tokens", "list", "lena@riverside.example").output
    assert "chat bot" in listed and "active" in listed and secret not in listed
    assert f"token {token_id} revoked" in demo.ok("tokens", "revoke", str(token_id)).output
    assert "revoked" in demo.ok("tokens", "list").output
    with session_for() as s, pytest.raises(Unauthenticated):
        tokens.authenticate(s, secret, now=NOW)


def test_token_commands_refuse_bad_input_in_one_line_and_change_nothing(demo: Coop) -> None:
    assert "nobody@example.org" in demo.fails("tokens", "create", "nobody@example.org", "--scope", "read")
    assert demo.fails("tokens", "revoke", "99999")
    bad_scope = demo.run("tokens", "create", "lena@riverside.example", "--scope", "root")
    assert bad_scope.exit_code == 2 and "'root' is not one of" in bad_scope.output
    too_long = demo.run("tokens", "create", "lena@riverside.example", "--scope", "read", "--expires-days", "0")
    assert too_long.exit_code == 2


def test_coop_webhooks_deliver_sends_signed_events_and_retries_failures(demo: Coop, session_for, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    # The receiver listens on loopback, which the operator has to allow.
    monkeypatch.setenv("COOP_WEBHOOK_ALLOW_NETWORKS", "127.0.0.1/32")
    with receiver() as rx:
        rx.answers = [500]
        with session_for() as s:
            c = coops.get_by_slug(s, "demo")
            sub, secret = webhooks.create_subscription(s, Actor.operator(), c, rx.url, ["ledger.appended"], now=NOW,
                                                       targets=TargetPolicy.allowing("127.0.0.1/32"))
            sub_id = sub.id
        # A founding pay imported from the command line is appended to the ledger: the event
        # reaches the outbox in that command's commit.
        demo.ok("members", "add", "--coop", "demo", "--name", "Ida Weber", "--email", "ida@riverside.example",
                "--status", "active")
        csv = demo.tmp / "pay.csv"
        csv.write_text("email,hourly_rate,weekly_hours\nida@riverside.example,24.00,37.50\n")
        demo.ok("pay", "import", "--coop", "demo", str(csv))
        first = demo.ok("webhooks", "deliver")
        assert "0 delivered, 1 failed (retried later" in first.output
        assert re.search(r"delivery \d+ to http://127\.0\.0\.1:\d+/hooks/coop: HTTP 500", first.stderr)
        # The retry is not due yet (30 s backoff): a second run sends nothing.
        assert "0 delivered, 0 failed" in demo.ok("webhooks", "deliver").output
        with session_for() as s:
            d = s.scalars(select(WebhookDelivery).where(WebhookDelivery.subscription_id == sub_id)).one()
            d.next_attempt_at = d.last_attempt_at  # let the backoff pass
        assert "1 delivered, 0 failed" in demo.ok("webhooks", "deliver").output
    assert len(rx.requests) == 2
    last = rx.requests[-1]
    expected = "sha256=" + hmac.new(secret.encode(), last.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, last.headers["x-coop-signature"])
    body = json.loads(last.body)
    assert (body["event"], body["coop"], body["attempt"]) == ("ledger.appended", "demo", 2)
    assert body["data"]["kind"] == "pay"
    with session_for() as s:
        d = s.scalars(select(WebhookDelivery).where(WebhookDelivery.subscription_id == sub_id)).one()
        assert d.status == "delivered" and [e["status_code"] for e in d.log] == [500, 200]


def test_coop_webhooks_deliver_refuses_an_internal_target_in_one_line_without_contacting_it(demo: Coop, session_for) -> None:  # type: ignore[no-untyped-def]
    with receiver() as rx:
        with session_for() as s:
            c = coops.get_by_slug(s, "demo")
            # Allowed when registered (an operator's allow-list since removed, or an older version).
            sub, _ = webhooks.create_subscription(s, Actor.operator(), c, rx.url, ["ledger.appended"], now=NOW,
                                                  targets=TargetPolicy.allowing("127.0.0.1/32"))
            sub_id = sub.id
        demo.ok("members", "add", "--coop", "demo", "--name", "Ida Weber", "--email", "ida@riverside.example",
                "--status", "active")
        csv = demo.tmp / "pay.csv"
        csv.write_text("email,hourly_rate,weekly_hours\nida@riverside.example,24.00,37.50\n")
        demo.ok("pay", "import", "--coop", "demo", str(csv))
        result = demo.ok("webhooks", "deliver")
    assert rx.requests == []
    assert "0 delivered, 1 failed" in result.output
    [line] = result.stderr.splitlines()
    assert re.fullmatch(r"delivery \d+ to http://127\.0\.0\.1:\d+/hooks/coop: refused: 127\.0\.0\.1 is loopback; "
                        r"webhooks go to public addresses only \(an operator can allow networks with "
                        r"COOP_WEBHOOK_ALLOW_NETWORKS\)", line), line
    with session_for() as s:
        d = s.scalars(select(WebhookDelivery).where(WebhookDelivery.subscription_id == sub_id)).one()
        assert d.last_status_code is None and d.last_error.startswith("refused: ")
