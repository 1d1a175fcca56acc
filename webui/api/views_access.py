"""Tokens, webhooks, the audit trail and the audit report."""

from __future__ import annotations

from flask import Response, current_app

from coop.errors import InvalidInput
from coop.schemas import access as s
from coop.schemas.common import PageQuery, page_of
from coop.services import accounts, listings, public_record, tokens, webhooks
from coop.services.actor import Actor
from coop.services.paging import in_memory
from webui.api.core import (
    current_actor,
    dump,
    json_response,
    load_body,
    load_coop,
    load_query,
    operation,
    page_response,
    require_actor,
)
from webui.limiter import password_attempt
from webui.request_db import get_session, request_now

P = "/coops/{slug}"
ADMIN_ERRORS = (401, 403, 404)


# -- tokens ----------------------------------------------------------------------------------

@operation(P + "/tokens", "POST", "Create a personal access token", tag="tokens", access="credentials",
           body=s.TokenCreate, response=s.TokenCreatedOut, status=201,
           errors=(401, 403, 404, 409, 415, 422, 429))
def create_token(slug: str) -> Response:
    """Authenticate with `email` and `password`, or with a token that has the admin scope.
    The token is in the answer once: store it. Wrong passwords are limited per account and
    per client address (by default 10 and 50 in 15 minutes; then 429 with `Retry-After`, even
    for the right password, and the member is told by mail); a success clears the account's
    count."""
    data = load_body(s.TokenCreate)
    coop = load_coop(slug)
    session = get_session()
    if data["email"] is not None or data["password"] is not None:
        for name in ("email", "password"):
            if data[name] is None:
                raise InvalidInput("give both email and password", field=name)
        with password_attempt(coop, data["email"]):  # 429 while the account or address is locked
            member = accounts.authenticate(session, coop, data["email"], data["password"])
        actor = Actor.of(member)
    else:
        actor = require_actor()
        member = actor.member  # a token makes tokens for its own member only
    row, secret = tokens.create_token(session, actor, coop, member, data["scopes"],  # type: ignore[arg-type]
                                      name=data["name"], expires_days=data["expires_days"], now=request_now())
    out = s.TokenCreatedOut().dump(row)
    out["token"] = secret
    return json_response(out, 201)


@operation(P + "/tokens", "GET", "Your tokens, newest first", tag="tokens", access="member", scope="read",
           query=PageQuery, response=page_of(s.TokenOut), paginated=True, errors=ADMIN_ERRORS)
def list_tokens(slug: str) -> Response:
    q = load_query(PageQuery)
    coop = load_coop(slug)
    rows = tokens.list_tokens(get_session(), require_actor(), coop)
    page = in_memory(rows, lambda t: -t.id, cursor=q.get("cursor"), limit=q.get("limit"))
    return page_response(s.TokenOut, page)


@operation(P + "/tokens/{token_id}", "DELETE", "Revoke a token", tag="tokens", access="member",
           status=204, errors=ADMIN_ERRORS)
def revoke_token(slug: str, token_id: int) -> Response:
    """Your own token (any scope), or any token of the co-op for an admin."""
    coop = load_coop(slug)
    tokens.revoke(get_session(), require_actor(), coop, token_id, now=request_now())
    return Response(status=204)


# -- webhooks --------------------------------------------------------------------------------

@operation(P + "/webhooks", "POST", "Register a webhook", tag="webhooks", access="admin",
           body=s.WebhookCreate, response=s.WebhookCreatedOut, status=201,
           errors=(401, 403, 404, 415, 422))
def create_webhook(slug: str) -> Response:
    """Events: proposal.opened, proposal.closed, proposal.executed, ledger.appended,
    checkpoint.signed. The signing secret is in the answer once: store it. A URL whose host
    is a loopback, private, link-local or other internal address is refused (422 on url)
    unless the operator allows its network (COOP_WEBHOOK_ALLOW_NETWORKS)."""
    data = load_body(s.WebhookCreate)
    coop = load_coop(slug)
    sub, secret = webhooks.create_subscription(get_session(), require_actor(), coop, data["url"],
                                               data["events"], data["description"], now=request_now(),
                                               targets=current_app.config["COOP_SETTINGS"].webhook_targets)
    out = s.WebhookCreatedOut().dump(sub)
    out["secret"] = secret
    return json_response(out, 201)


@operation(P + "/webhooks", "GET", "The co-op's webhooks", tag="webhooks", access="admin",
           query=PageQuery, response=page_of(s.WebhookOut), paginated=True, errors=ADMIN_ERRORS)
def list_webhooks(slug: str) -> Response:
    q = load_query(PageQuery)
    coop = load_coop(slug)
    rows = webhooks.list_subscriptions(get_session(), require_actor(), coop)
    return page_response(s.WebhookOut, in_memory(rows, lambda w: w.id, cursor=q.get("cursor"), limit=q.get("limit")))


@operation(P + "/webhooks/{webhook_id}", "GET", "One webhook", tag="webhooks", access="admin",
           response=s.WebhookOut, errors=ADMIN_ERRORS)
def get_webhook(slug: str, webhook_id: int) -> Response:
    coop = load_coop(slug)
    return dump(s.WebhookOut, webhooks.get_subscription(get_session(), require_actor(), coop, webhook_id))


@operation(P + "/webhooks/{webhook_id}", "DELETE", "Delete a webhook (its delivery log is kept)",
           tag="webhooks", access="admin", status=204, errors=ADMIN_ERRORS)
def delete_webhook(slug: str, webhook_id: int) -> Response:
    coop = load_coop(slug)
    webhooks.delete_subscription(get_session(), require_actor(), coop, webhook_id, now=request_now())
    return Response(status=204)


@operation(P + "/webhooks/{webhook_id}/deliveries", "GET", "A webhook's delivery log, newest first",
           tag="webhooks", access="admin", query=PageQuery, response=page_of(s.DeliveryOut),
           paginated=True, errors=ADMIN_ERRORS)
def list_deliveries(slug: str, webhook_id: int) -> Response:
    q = load_query(PageQuery)
    coop = load_coop(slug)
    page = listings.deliveries_page(get_session(), require_actor(), coop, webhook_id,
                                    cursor=q.get("cursor"), limit=q.get("limit"))
    return page_response(s.DeliveryOut, page, lambda row: {**{c: getattr(row[0], c) for c in (
        "id", "event_id", "status", "attempts", "next_attempt_at", "last_attempt_at",
        "last_status_code", "last_error", "delivered_at", "log")}, "event": row[1]})


# -- audit -----------------------------------------------------------------------------------

@operation(P + "/audit-events", "GET", "The audit trail, newest first", tag="audit", access="secretary",
           query=s.AuditQuery, response=page_of(s.AuditEventOut), paginated=True, errors=ADMIN_ERRORS)
def list_audit_events(slug: str) -> Response:
    q = load_query(s.AuditQuery)
    coop = load_coop(slug)
    page = listings.audit_page(get_session(), current_actor(), coop, action=q.get("action"),
                               object_type=q.get("object_type"), cursor=q.get("cursor"), limit=q.get("limit"))
    return page_response(s.AuditEventOut, page)


@operation(P + "/audit-report", "GET", "The audit report: pay changes traced to votes; the ledger verified",
           tag="audit", access="member", scope="read", response=s.AuditReportOut, errors=ADMIN_ERRORS)
def audit_report(slug: str) -> Response:
    """Every pay change with the decision and tally behind it, the records no vote stands
    behind (founding, departures), anomalies; and the ledger re-verified from the rows
    (every hash, the stored subtree hashes, the head, every checkpoint's signature)."""
    coop = load_coop(slug)
    report, check = public_record.audit_report(get_session(), current_actor(), coop, now=request_now())
    return dump(s.AuditReportOut, {
        "ok": report.ok and check.ok,
        "pay_changes": [_trace(t) for t in report.traces],
        "without_vote": [_trace(t) for t in report.without_vote],
        "anomalies": [{"message": a.message, "entry_index": a.entry_index, "proposal_id": a.proposal_id}
                      for a in report.anomalies],
        "ledger": {
            "ok": check.ok, "summary": check.summary(), "entries": check.entries,
            "root_hash_hex": check.root.hex(), "checkpoints": check.checkpoints,
            "latest_checkpoint_size": None if check.latest is None else check.latest.size,
            "key": check.key, "problem_count": check.problem_count,
            "problems": [{"index": p.index, "message": p.message} for p in check.problems]}})


def _trace(t: object) -> dict[str, object]:
    d = t.decision  # type: ignore[attr-defined]
    return {"entry_index": t.entry_index, "member_id": t.member_id, "member_name": t.member_name,  # type: ignore[attr-defined]
            "effective_date": t.effective_date, "total_hourly": t.total_hourly, "authority": t.authority,  # type: ignore[attr-defined]
            "proposal_id": d.proposal_id if d else None, "outcome": d.outcome if d else None,
            "tally": {"yes": d.yes, "no": d.no, "abstain": d.abstain} if d else None,
            "electorate_size": d.electorate_size if d else None}
