"""Webhooks: a co-op admin registers URLs that are told about events.

Recording is a transactional outbox: ``install()`` subscribes :func:`on_event` to the domain
events, and it writes the event and one delivery per matching subscription in the same
transaction as the change, so a receiver hears of a change if and only if it committed.

Sending happens later (``coop webhooks deliver``) in three steps, so no database transaction
is held open across HTTP calls: :func:`claim_due` leases due deliveries (a crashed sender's
lease runs out and another sender retries), :func:`send` POSTs, :func:`record_result` logs
the attempt and schedules a retry with exponential backoff.

Each POST carries ``X-Coop-Signature: sha256=<hex HMAC-SHA256 of the raw body>`` keyed with
the subscription's secret, and ``X-Coop-Timestamp`` (Unix seconds), which is also inside the
signed body so a receiver can refuse replays of old deliveries.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import http.client
import json
import secrets
import socket
import ssl
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any
from urllib.parse import SplitResult, urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.db import is_postgres
from coop.errors import InvalidInput, NotFound
from coop.models import Cooperative, WebhookDelivery, WebhookEvent, WebhookSubscription
from coop.services import audit, events
from coop.services.actor import Actor
from coop.webhook_targets import RefusedTarget, Resolver, TargetPolicy

#: The public internet only: what a caller that was given no operator setting may reach.
PUBLIC_ONLY = TargetPolicy()

#: The events a subscription may ask for.
EVENTS = ("proposal.opened", "proposal.closed", "proposal.executed", "ledger.appended",
          "checkpoint.signed")
#: With the backoff below: the last attempt comes about 32 hours after the first.
MAX_ATTEMPTS = 15
BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_CAP = dt.timedelta(hours=6)
#: A claimed delivery is retried by any sender after this, if its sender died mid-way.
LEASE = dt.timedelta(minutes=5)
TIMEOUT_SECONDS = 10
LOG_KEEP = 20
SIGNATURE_HEADER = "X-Coop-Signature"
TIMESTAMP_HEADER = "X-Coop-Timestamp"


# -- subscriptions ---------------------------------------------------------------------------

def _check_url(url: str, targets: TargetPolicy) -> str:
    url = (url or "").strip()
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 — raises ValueError for a port out of range or not a number
    except ValueError:
        raise InvalidInput("the port must be a number from 1 to 65535", field="url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 2000:
        raise InvalidInput("an http:// or https:// URL of at most 2000 characters", field="url")
    try:
        targets.check_host(parts.hostname)
    except RefusedTarget as exc:
        raise InvalidInput(str(exc), field="url") from None
    return url


def _check_events(names: list[str]) -> list[str]:
    wanted = list(dict.fromkeys(names or ()))
    unknown = [e for e in wanted if e not in EVENTS]
    if not wanted or unknown:
        raise InvalidInput(f"choose events among {', '.join(EVENTS)}", field="events")
    return wanted


def create_subscription(session: Session, actor: Actor, coop: Cooperative, url: str,
                        event_names: list[str], description: str = "", *,
                        now: dt.datetime,
                        targets: TargetPolicy = PUBLIC_ONLY) -> tuple[WebhookSubscription, str]:
    """Returns the subscription and its signing secret (shown to the admin once).

    ``targets``: the addresses this installation sends to (the operator's
    COOP_WEBHOOK_ALLOW_NETWORKS); a URL whose host is an address outside them, or
    ``localhost``, is refused here, and every URL is checked again when sent."""
    actor.require_admin(coop.id)
    url = _check_url(url, targets)
    wanted = _check_events(event_names)
    if len(description or "") > 200:
        raise InvalidInput("at most 200 characters", field="description")
    secret = "whsec_" + secrets.token_urlsafe(32)
    sub = WebhookSubscription(coop_id=coop.id, url=url, events=wanted, secret=secret,
                              description=(description or "").strip(), active=True,
                              created_at=now, created_by_id=actor.member_id)
    session.add(sub)
    session.flush()
    audit.record(session, actor, coop.id, "webhook.created", "webhook", sub.id, url=url, events=wanted, now=now)
    return sub, secret


def get_subscription(session: Session, actor: Actor, coop: Cooperative, sub_id: int) -> WebhookSubscription:
    actor.require_admin(coop.id)
    sub = session.get(WebhookSubscription, sub_id)
    if sub is None or sub.coop_id != coop.id or not sub.active:
        raise NotFound(f"no webhook {sub_id} in this co-op", field="webhook")
    return sub


def list_subscriptions(session: Session, actor: Actor, coop: Cooperative) -> list[WebhookSubscription]:
    actor.require_admin(coop.id)
    return list(session.scalars(select(WebhookSubscription).where(
        WebhookSubscription.coop_id == coop.id, WebhookSubscription.active.is_(True)
    ).order_by(WebhookSubscription.id)))


def delete_subscription(session: Session, actor: Actor, coop: Cooperative, sub_id: int, *, now: dt.datetime) -> None:
    """Deactivates it; its delivery log is kept. Pending deliveries are then given up."""
    sub = get_subscription(session, actor, coop, sub_id)
    sub.active = False
    audit.record(session, actor, coop.id, "webhook.deleted", "webhook", sub.id, url=sub.url, now=now)
    session.flush()


# -- the outbox ------------------------------------------------------------------------------

def on_event(session: Session, coop_id: int, event: str, payload: dict[str, Any], now: dt.datetime) -> None:
    """Listener: record the event for every active subscription that wants it."""
    if event not in EVENTS:
        return
    subs = session.execute(select(WebhookSubscription.id, WebhookSubscription.events).where(
        WebhookSubscription.coop_id == coop_id, WebhookSubscription.active.is_(True))).all()
    wanted = [sid for sid, names in subs if event in (names or [])]
    if not wanted:
        return
    row = WebhookEvent(coop_id=coop_id, event=event, payload=dict(payload), created_at=now)
    session.add(row)
    session.flush()
    session.add_all(WebhookDelivery(event_id=row.id, subscription_id=sid, status="pending",
                                    attempts=0, next_attempt_at=now, log=[]) for sid in wanted)
    session.flush()


def install() -> None:
    """Subscribe the outbox to the domain events (idempotent). Called by the faces that may
    cause events: the web app and the command line."""
    events.subscribe(on_event)


# -- sending ---------------------------------------------------------------------------------

def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Outgoing:
    delivery_id: int
    url: str
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Result:
    status_code: int | None
    error: str | None
    ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def backoff(attempts: int) -> dt.timedelta:
    """Wait before attempt ``attempts + 1``: 30 s, 1 min, 2 min, … capped at 6 h."""
    # The exponent is bounded first: 2**20 × 30 s is far past the cap, and a timedelta of
    # 2**attempts would overflow for large attempt counts.
    return min(BACKOFF_BASE * (2 ** min(max(attempts - 1, 0), 20)), BACKOFF_CAP)


def claim_due(session: Session, now: dt.datetime, limit: int = 50) -> list[Outgoing]:
    """Lease up to ``limit`` due deliveries and build their requests. One query to find them."""
    q = (select(WebhookDelivery, WebhookEvent, WebhookSubscription, Cooperative.slug)
         .join(WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id)
         .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
         .join(Cooperative, Cooperative.id == WebhookEvent.coop_id)
         .where(WebhookDelivery.status == "pending", WebhookDelivery.next_attempt_at <= now)
         .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id).limit(limit))
    if is_postgres(session):
        # Concurrent senders each take different rows instead of queueing behind each other.
        q = q.with_for_update(skip_locked=True, of=WebhookDelivery)
    batch = []
    stamp = int(now.replace(tzinfo=dt.UTC).timestamp())
    for d, ev, sub, slug in session.execute(q).all():
        if not sub.active:
            d.status, d.next_attempt_at, d.last_error = "failed", None, "the subscription was deleted"
            continue
        d.attempts += 1
        d.next_attempt_at = now + LEASE
        body = json.dumps({
            "id": ev.id, "event": ev.event, "coop": slug,
            "created_at": ev.created_at.replace(tzinfo=dt.UTC).isoformat().replace("+00:00", "Z"),
            "delivery_id": d.id, "attempt": d.attempts, "timestamp": stamp, "data": ev.payload,
        }, sort_keys=True, separators=(",", ":")).encode("utf-8")
        batch.append(Outgoing(d.id, sub.url, body, {
            "Content-Type": "application/json", "User-Agent": "coop-webhooks/1",
            "X-Coop-Event": ev.event, "X-Coop-Delivery": str(d.id),
            TIMESTAMP_HEADER: str(stamp), SIGNATURE_HEADER: signature(sub.secret, body),
        }))
    session.flush()
    return batch


class _PinnedHTTP(http.client.HTTPConnection):
    """Connects to the address already checked, never resolving the host name again, so a
    DNS answer cannot change between the check and the connection (DNS rebinding). The
    request still names the host (``Host`` header)."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedHTTPS(http.client.HTTPSConnection):
    """As :class:`_PinnedHTTP`, and the certificate is checked against the host name."""

    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.address = address

    def connect(self) -> None:
        raw = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self.tls.wrap_socket(raw, server_hostname=self.host)


def _connection(parts: SplitResult, address: str, timeout: float) -> http.client.HTTPConnection:
    https = parts.scheme == "https"
    kind = _PinnedHTTPS if https else _PinnedHTTP
    return kind(parts.hostname or "", parts.port or (443 if https else 80), address, timeout)


def send(out: Outgoing, timeout: float = TIMEOUT_SECONDS, *, targets: TargetPolicy = PUBLIC_ONLY,
         resolver: Resolver = socket.getaddrinfo) -> Result:
    """POST one delivery. The host is resolved and every address checked against
    ``targets`` first; a refused target is not contacted, and its log entry says why.
    Redirects are not followed (a 3xx is a failure) and the answer's body is never read."""
    start = time.monotonic()
    parts = urlsplit(out.url)
    code: int | None = None
    try:
        address = targets.resolve(parts, resolver)
        conn = _connection(parts, address, timeout)
        try:
            path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
            conn.request("POST", path, body=out.body, headers=out.headers)
            code = conn.getresponse().status
        finally:
            conn.close()
        error = None if 200 <= code < 300 else f"HTTP {code}"
    except RefusedTarget as exc:
        error = f"refused: {exc}"
    except (OSError, http.client.HTTPException, ValueError) as exc:
        error = str(exc)[:500] or type(exc).__name__
    return Result(code, error, int((time.monotonic() - start) * 1000))


def record_result(session: Session, delivery_id: int, result: Result, now: dt.datetime) -> WebhookDelivery:
    d = session.get(WebhookDelivery, delivery_id)
    if d is None:
        raise NotFound(f"no webhook delivery {delivery_id}")
    d.last_attempt_at, d.last_status_code, d.last_error = now, result.status_code, result.error
    entry = {"at": now.isoformat(), "status_code": result.status_code, "error": result.error, "ms": result.ms}
    d.log = [*(d.log or []), entry][-LOG_KEEP:]
    if result.ok:
        d.status, d.delivered_at, d.next_attempt_at = "delivered", now, None
    elif d.attempts >= MAX_ATTEMPTS:
        d.status, d.next_attempt_at = "failed", None
    else:
        d.next_attempt_at = now + backoff(d.attempts)
    session.flush()
    return d


def deliver_due(open_session: Callable[[], AbstractContextManager[Session]],
                now: dt.datetime, sender: Callable[[Outgoing], Result] = send,
                limit: int = 50) -> list[tuple[Outgoing, Result]]:
    """Claim, send and record one batch; each step in its own transaction from
    ``open_session`` (the CLI's one-commit-per-unit context manager)."""
    with open_session() as session:
        batch = claim_due(session, now, limit)
    results = [(out, sender(out)) for out in batch]
    with open_session() as session:
        for out, result in results:
            record_result(session, out.delivery_id, result, now)
    return results

