"""Tokens, webhooks, the audit trail and the audit report."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from coop.schemas.common import Line, PageQuery, Str, UTCDateTime

SCOPES = ("read", "vote", "propose", "admin")
EVENTS = ("proposal.opened", "proposal.closed", "proposal.executed", "ledger.appended", "checkpoint.signed")


class TokenCreate(Schema):
    """Authenticate with ``email`` + ``password``, or send an existing token with the admin
    scope as ``Authorization: Bearer``."""

    email = Line(validate=validate.Length(1, 254), load_default=None)
    password = Str(validate=validate.Length(1, 1024), load_default=None, load_only=True)
    scopes = fields.List(fields.String(validate=validate.OneOf(SCOPES)), required=True,
                         validate=validate.Length(1, 4))
    name = Line(load_default="", validate=validate.Length(max=100))
    expires_days = fields.Integer(strict=True, load_default=90, validate=validate.Range(1, 3650))


class TokenOut(Schema):
    id = fields.Integer(dump_only=True)
    member_id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    prefix = fields.String(dump_only=True, metadata={"description": "first characters, to recognise it"})
    scopes = fields.Function(lambda t: t.scopes.split(), dump_only=True,
                             metadata={"type": "array", "items": {"type": "string", "enum": list(SCOPES)}})
    created_at = UTCDateTime(dump_only=True)
    expires_at = UTCDateTime(dump_only=True, allow_none=True)
    revoked_at = UTCDateTime(dump_only=True, allow_none=True)
    last_used_at = UTCDateTime(dump_only=True, allow_none=True, metadata={"description": "to the hour"})


class TokenCreatedOut(TokenOut):
    token = fields.String(dump_only=True, metadata={"description": "the token itself: shown once, store it now"})


class WebhookCreate(Schema):
    url = Line(required=True, validate=validate.Length(1, 2000))
    events = fields.List(fields.String(validate=validate.OneOf(EVENTS)), required=True,
                         validate=validate.Length(1, len(EVENTS)))
    description = Line(load_default="", validate=validate.Length(max=200))


class WebhookOut(Schema):
    id = fields.Integer(dump_only=True)
    url = fields.String(dump_only=True)
    events = fields.List(fields.String(), dump_only=True)
    description = fields.String(dump_only=True)
    created_at = UTCDateTime(dump_only=True)


class WebhookCreatedOut(WebhookOut):
    secret = fields.String(dump_only=True, metadata={
        "description": "HMAC-SHA256 key for X-Coop-Signature: shown once, store it now"})


class DeliveryAttemptOut(Schema):
    at = fields.String(dump_only=True)
    status_code = fields.Integer(dump_only=True, allow_none=True)
    error = fields.String(dump_only=True, allow_none=True)
    ms = fields.Integer(dump_only=True)


class DeliveryOut(Schema):
    id = fields.Integer(dump_only=True)
    event_id = fields.Integer(dump_only=True)
    event = fields.String(dump_only=True)
    status = fields.String(dump_only=True, validate=validate.OneOf(["pending", "delivered", "failed"]))
    attempts = fields.Integer(dump_only=True)
    next_attempt_at = UTCDateTime(dump_only=True, allow_none=True)
    last_attempt_at = UTCDateTime(dump_only=True, allow_none=True)
    last_status_code = fields.Integer(dump_only=True, allow_none=True)
    last_error = fields.String(dump_only=True, allow_none=True)
    delivered_at = UTCDateTime(dump_only=True, allow_none=True)
    log = fields.List(fields.Nested(DeliveryAttemptOut), dump_only=True)


class AuditEventOut(Schema):
    id = fields.Integer(dump_only=True)
    actor_id = fields.Integer(dump_only=True, allow_none=True, metadata={"description": "null: the operator or the scheduler"})
    action = fields.String(dump_only=True)
    object_type = fields.String(dump_only=True)
    object_id = fields.Integer(dump_only=True, allow_none=True)
    at = UTCDateTime(dump_only=True)
    details = fields.Dict(dump_only=True)


class AuditQuery(PageQuery):
    action = Line(validate=validate.Length(1, 60))
    object_type = Line(validate=validate.Length(1, 30))


class AuditProblemOut(Schema):
    index = fields.Integer(dump_only=True, allow_none=True)
    message = fields.String(dump_only=True)


class LedgerCheckOut(Schema):
    """The ledger re-verified from the stored rows (hashes, subtree nodes, head, checkpoints)."""

    ok = fields.Boolean(dump_only=True)
    summary = fields.String(dump_only=True)
    entries = fields.Integer(dump_only=True)
    root_hash_hex = fields.String(dump_only=True)
    checkpoints = fields.Integer(dump_only=True, metadata={"description": "checkpoints that match the entries"})
    latest_checkpoint_size = fields.Integer(dump_only=True, allow_none=True)
    key = fields.String(dump_only=True, allow_none=True)
    problem_count = fields.Integer(dump_only=True)
    problems = fields.List(fields.Nested(AuditProblemOut), dump_only=True)


class PayTraceOut(Schema):
    entry_index = fields.Integer(dump_only=True)
    member_id = fields.Integer(dump_only=True)
    member_name = fields.String(dump_only=True)
    effective_date = fields.String(dump_only=True)
    total_hourly = fields.String(dump_only=True)
    authority = fields.String(dump_only=True)
    proposal_id = fields.Integer(dump_only=True, allow_none=True)
    outcome = fields.String(dump_only=True, allow_none=True)
    tally = fields.Dict(keys=fields.String(), values=fields.Integer(allow_none=True), dump_only=True, allow_none=True)
    electorate_size = fields.Integer(dump_only=True, allow_none=True)


class AnomalyOut(Schema):
    message = fields.String(dump_only=True)
    entry_index = fields.Integer(dump_only=True, allow_none=True)
    proposal_id = fields.Integer(dump_only=True, allow_none=True)


class AuditReportOut(Schema):
    ok = fields.Boolean(dump_only=True, metadata={"description": "no anomaly and the ledger verifies"})
    pay_changes = fields.List(fields.Nested(PayTraceOut), dump_only=True,
                              metadata={"description": "pay changes decided by vote, each with its decision"})
    without_vote = fields.List(fields.Nested(PayTraceOut), dump_only=True,
                               metadata={"description": "founding and departure records"})
    anomalies = fields.List(fields.Nested(AnomalyOut), dump_only=True)
    ledger = fields.Nested(LedgerCheckOut, dump_only=True)
