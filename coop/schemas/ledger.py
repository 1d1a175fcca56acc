"""Pay (the public salary table, history, statistics) and the ledger (entries, checkpoints,
the public key, RFC 6962 proofs). Hashes come in both hex and standard base64."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from coop.schemas.common import MAX_ID, Count, DecimalString, InputDate, Line, PageQuery, UTCDateTime
from coop.schemas.governance import TallyOut

B64 = {"format": "byte", "description": "standard base64 (RFC 4648 §4)"}
HEX = {"pattern": "^[0-9a-f]*$", "description": "lowercase hex"}


class SupplementOut(Schema):
    kind = fields.String(dump_only=True)
    amount = DecimalString(dump_only=True)
    reason = fields.String(dump_only=True)
    qualification_id = fields.Integer(dump_only=True, allow_none=True)


class PayLineOut(Schema):
    member_id = fields.Integer(dump_only=True)
    member_name = fields.String(dump_only=True)
    hourly_rate = DecimalString(dump_only=True)
    weekly_hours = DecimalString(dump_only=True)
    supplements = fields.List(fields.Nested(SupplementOut), dump_only=True)
    total_hourly = DecimalString(dump_only=True, metadata={"description": "hourly rate plus supplements"})
    annualised = DecimalString(dump_only=True)
    currency = fields.String(dump_only=True)
    effective_date = fields.Date(dump_only=True)
    entry_index = fields.Integer(dump_only=True, metadata={"description": "the pay entry in the ledger"})
    authority = fields.String(dump_only=True, validate=validate.OneOf(["proposal", "founding", "departure"]))
    proposal_id = fields.Integer(dump_only=True, allow_none=True)


class PayTableOut(Schema):
    as_of = fields.Date(dump_only=True, allow_none=True)
    currency = fields.String(dump_only=True)
    count = fields.Integer(dump_only=True)
    lines = fields.List(fields.Nested(PayLineOut), dump_only=True)


class AsOfQuery(Schema):
    as_of = InputDate(metadata={"description": "the table in force on this date (default: today)"})


class DecisionOut(Schema):
    proposal_id = fields.Integer(dump_only=True)
    title = fields.String(dump_only=True)
    outcome = fields.String(dump_only=True, allow_none=True)
    tally = fields.Nested(TallyOut, dump_only=True, allow_none=True)
    electorate_size = fields.Integer(dump_only=True, allow_none=True)
    threshold = fields.String(dump_only=True, allow_none=True)
    quorum = fields.String(dump_only=True, allow_none=True)
    closed_at = UTCDateTime(dump_only=True, allow_none=True)
    decision_entry_index = fields.Integer(dump_only=True, allow_none=True)


class PayHistoryLineOut(PayLineOut):
    previous_total_hourly = DecimalString(dump_only=True, allow_none=True)
    decision = fields.Nested(DecisionOut, dump_only=True, allow_none=True,
                             metadata={"description": "the vote behind the change; null for founding and departure records"})


class PayStatisticsOut(Schema):
    as_of = fields.Date(dump_only=True, allow_none=True)
    currency = fields.String(dump_only=True)
    count = fields.Integer(dump_only=True)
    minimum = DecimalString(dump_only=True, allow_none=True)
    median = DecimalString(dump_only=True, allow_none=True)
    mean = DecimalString(dump_only=True, allow_none=True)
    maximum = DecimalString(dump_only=True, allow_none=True)
    ratio = fields.String(dump_only=True, allow_none=True,
                          metadata={"description": "highest to lowest total hourly pay, exact (\"7/2\")"})
    ratio_display = fields.String(dump_only=True, allow_none=True, metadata={"example": "3.5:1"})
    total_payroll = DecimalString(dump_only=True)
    weeks_per_year = fields.Integer(dump_only=True)


class LedgerEntryOut(Schema):
    index = fields.Integer(dump_only=True)
    kind = fields.String(dump_only=True)
    appended_at = UTCDateTime(dump_only=True)
    body = fields.Dict(dump_only=True, allow_none=True,
                       metadata={"description": "the entry's public fields (decoded body)"})
    body_base64 = fields.String(dump_only=True, metadata={
        **B64, "description": "the canonical bytes exactly as hashed (RFC 8785 JSON), base64"})
    leaf_hash = fields.String(dump_only=True, metadata=B64)
    leaf_hash_hex = fields.String(dump_only=True, metadata=HEX)


class EntryListQuery(PageQuery):
    start = Count(metadata={"description": "first index (inclusive)"})
    end = Count(metadata={"description": "last index (exclusive)"})
    kind = Line(validate=validate.Length(1, 16), metadata={"example": "pay"})


class CheckpointOut(Schema):
    id = fields.Integer(dump_only=True)
    tree_size = fields.Integer(dump_only=True, attribute="size")
    root_hash = fields.String(dump_only=True, metadata=B64)
    root_hash_hex = fields.String(dump_only=True, metadata=HEX)
    signed_at = UTCDateTime(dump_only=True)
    note = fields.String(dump_only=True, metadata={"description": "C2SP signed note (tlog-checkpoint), verbatim"})


class LedgerHeadOut(Schema):
    origin = fields.String(dump_only=True)
    tree_size = fields.Integer(dump_only=True)
    root_hash = fields.String(dump_only=True, metadata=B64)
    root_hash_hex = fields.String(dump_only=True, metadata=HEX)
    latest_checkpoint = fields.Nested(CheckpointOut, dump_only=True, allow_none=True)


class PublicKeyOut(Schema):
    origin = fields.String(dump_only=True)
    algorithm = fields.String(dump_only=True, metadata={"example": "Ed25519"})
    public_key = fields.String(dump_only=True, allow_none=True, metadata=B64)
    public_key_hex = fields.String(dump_only=True, allow_none=True, metadata=HEX)
    verifier_key = fields.String(dump_only=True, allow_none=True, metadata={
        "description": "C2SP signed-note verifier key: <origin>+<key id>+<base64(0x01 || key)>"})


class InclusionQuery(Schema):
    size = fields.Integer(validate=validate.Range(1, MAX_ID),
                          metadata={"description": "tree size of the checkpoint to prove against (default: now)"})


class InclusionProofOut(Schema):
    """As RFC 6962 §4.5 get-proof-by-hash answers, plus hex and the hashes it rests on."""

    leaf_index = fields.Integer(dump_only=True)
    tree_size = fields.Integer(dump_only=True)
    leaf_hash = fields.String(dump_only=True, metadata=B64)
    leaf_hash_hex = fields.String(dump_only=True, metadata=HEX)
    root_hash = fields.String(dump_only=True, metadata=B64)
    root_hash_hex = fields.String(dump_only=True, metadata=HEX)
    audit_path = fields.List(fields.String(metadata=B64), dump_only=True,
                             metadata={"description": "sibling hashes from the leaf up, base64"})
    audit_path_hex = fields.List(fields.String(metadata=HEX), dump_only=True)


class ConsistencyQuery(Schema):
    first = Count(required=True, metadata={"description": "the older tree size (a checkpoint you saved)"})
    second = Count(metadata={"description": "the newer tree size (default: now)"})


class ConsistencyProofOut(Schema):
    """As RFC 6962 §4.4 get-sth-consistency answers, plus hex and both roots."""

    first = fields.Integer(dump_only=True)
    second = fields.Integer(dump_only=True)
    first_root_hash = fields.String(dump_only=True, metadata=B64)
    first_root_hash_hex = fields.String(dump_only=True, metadata=HEX)
    second_root_hash = fields.String(dump_only=True, metadata=B64)
    second_root_hash_hex = fields.String(dump_only=True, metadata=HEX)
    consistency = fields.List(fields.String(metadata=B64), dump_only=True)
    consistency_hex = fields.List(fields.String(metadata=HEX), dump_only=True)
