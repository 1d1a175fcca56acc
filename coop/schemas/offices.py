"""Offices, terms, elections (candidacies, approval ballots, outcomes with the lot's inputs),
recalls, learning records and the education report, as the REST API reads and writes them.

Hours are exact decimal strings (``"12.50"``) like money: never a JSON number.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from coop.schemas import limits
from coop.schemas.common import MAX_ID, Id, InputDate, Line, PageQuery, Str, UTCDateTime
from coop.schemas.governance import STATUSES as PROPOSAL_STATUSES

OFFICE_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
CANDIDACY_STATUSES = ("nominated", "standing", "declined", "withdrawn", "dropped")
END_REASONS = ("expiry", "recall", "departure", "succeeded")
LEARNING_KINDS = ("course", "degree", "certification", "workshop", "self-study")
LEARNING_STATUSES = ("planned", "in_progress", "completed")
_HOURS = re.compile(r"^(0|[1-9][0-9]{0,3})(\.[0-9]{1,2})?$")
_TOTAL = re.compile(r"^(0|[1-9][0-9]*)\.[0-9]{2}$")


class Hours(fields.String):
    """Hours of study as an exact decimal string (``"12.50"``); numbers are refused on input,
    as for money, so no client passes them through a float. Output is always two places."""

    def __init__(self, *, total: bool = False, **kwargs: Any):
        # A total over members or years may exceed a year's hours: no bound on its digits.
        pattern = _TOTAL.pattern if total else _HOURS.pattern
        metadata = {"pattern": pattern, "example": "12.50", **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)

    def _serialize(self, value: Any, attr: Any, obj: Any, **kwargs: Any) -> str | None:
        return None if value is None else f"{Decimal(value):.2f}"

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        if not isinstance(value, str):
            raise ValidationError('a decimal string such as "12.50" (not a number)')
        if not _HOURS.match(value):
            raise ValidationError('a decimal string such as "12.50": digits, at most two decimal places')
        return value  # the service checks the range and normalises


# -- offices and terms -------------------------------------------------------------------------

class RequirementOut(Schema):
    field = fields.String(dump_only=True, metadata={"description": "qualification field, e.g. accounting"})
    level = fields.Integer(dump_only=True, metadata={"description": "minimum EQF level (1-8), verified"})


class TermOut(Schema):
    id = fields.Integer(dump_only=True)
    office_key = fields.String(dump_only=True)
    member_id = fields.Integer(dump_only=True)
    member_name = fields.String(dump_only=True)
    election_id = fields.Integer(dump_only=True, allow_none=True,
                                 metadata={"description": "the election (proposal) that decided it"})
    started_at = UTCDateTime(dump_only=True)
    ends_at = UTCDateTime(dump_only=True, metadata={"description": "when the term is due to end"})
    ended_at = UTCDateTime(dump_only=True, allow_none=True, metadata={"description": "when it did end"})
    end_reason = fields.String(dump_only=True, allow_none=True, validate=validate.OneOf(END_REASONS))
    recall_id = fields.Integer(dump_only=True, allow_none=True,
                               metadata={"description": "the recall (proposal) that ended it"})


class OfficeOut(Schema):
    key = fields.String(dump_only=True)
    rule_key = fields.String(dump_only=True, allow_none=True,
                             metadata={"description": "the rule defining it; null for an abolished office still held"})
    name = fields.String(dump_only=True)
    seats = fields.Integer(dump_only=True)
    term_months = fields.Integer(dump_only=True, allow_none=True)
    requires = fields.List(fields.Nested(RequirementOut), dump_only=True,
                           metadata={"description": "every holder needs all of these, verified"})
    max_consecutive_terms = fields.Integer(dump_only=True, allow_none=True)
    abolished = fields.Boolean(dump_only=True, metadata={
        "description": "its rule was repealed but someone still held it at as_of"})
    holders = fields.List(fields.Nested(TermOut), dump_only=True,
                          metadata={"description": "the terms current at as_of"})
    vacancies = fields.Integer(dump_only=True)
    as_of = UTCDateTime(dump_only=True)


class OfficesQuery(PageQuery):
    as_of = InputDate(metadata={"description": "holders on this date (default: now)"})


def QueryId(**kwargs: Any) -> fields.Integer:  # noqa: N802  (a query string's digits, not strict)
    return fields.Integer(validate=validate.Range(1, MAX_ID), **kwargs)


class TermListQuery(PageQuery):
    office_key = Line(validate=[validate.Length(1, 60), validate.Regexp(OFFICE_KEY)])
    member_id = QueryId()
    as_of = InputDate(metadata={
        "description": "only the terms current on this date; without it, every term, past holders included"})


# -- elections ---------------------------------------------------------------------------------

class ElectionCreate(Schema):
    office_key = Line(required=True, validate=[validate.Length(1, 60), validate.Regexp(OFFICE_KEY)])
    seats = fields.Integer(strict=True, allow_none=True, load_default=None, validate=validate.Range(1, 1000),
                           metadata={"description": "default: all of the office's seats (a regular election); "
                                                    "fewer makes a by-election for vacancies"})
    title = Line(allow_none=True, load_default=None, validate=validate.Length(1, limits.TITLE))
    body = Str(load_default="", validate=validate.Length(max=limits.BODY))


class RecallCreate(Schema):
    term_id = Id(required=True, metadata={"description": "the current term to end early"})
    title = Line(allow_none=True, load_default=None, validate=validate.Length(1, limits.TITLE))
    body = Str(load_default="", validate=validate.Length(max=limits.BODY))


class PaleOut(Schema):
    version = fields.String(dump_only=True, metadata={
        "description": "what you affirm when standing: send it as affirmed_pale_version", "example": "pale.standing v1"})
    text = fields.String(dump_only=True, metadata={"description": "the text-only boundaries"})


class ExpertOpinionOut(Schema):
    author = fields.String(dump_only=True)
    expertise = fields.String(dump_only=True, metadata={"example": "accounting, EQF 7 (Open University)"})
    body = fields.String(dump_only=True)
    at = UTCDateTime(dump_only=True)


class ElectionOut(Schema):
    id = fields.Integer(dump_only=True)
    title = fields.String(dump_only=True)
    body = fields.String(dump_only=True)
    status = fields.String(dump_only=True, validate=validate.OneOf(PROPOSAL_STATUSES))
    office_key = fields.String(dump_only=True)
    office_name = fields.String(dump_only=True)
    seats = fields.Integer(dump_only=True)
    regular = fields.Boolean(dump_only=True, metadata={
        "description": "true: fills every seat and replaces the current holders; false: a by-election for vacancies"})
    term_months = fields.Integer(dump_only=True)
    requires = fields.List(fields.String(), dump_only=True)
    nominations_open = fields.Boolean(dump_only=True)
    nominations_close_at = UTCDateTime(dump_only=True, allow_none=True)
    voting_opened_at = UTCDateTime(dump_only=True, allow_none=True)
    voting_closes_at = UTCDateTime(dump_only=True, allow_none=True)
    closed_at = UTCDateTime(dump_only=True, allow_none=True)
    candidates = fields.List(fields.Integer(), dump_only=True, metadata={
        "description": "member ids on the approval ballot (fixed when voting opened; empty before)"})
    pale = fields.Nested(PaleOut, dump_only=True)
    expert_opinions = fields.List(fields.Nested(ExpertOpinionOut), dump_only=True, metadata={
        "description": "advisory opinions of members qualified for the office (POST …/proposals/{id}/comments "
                       "with a qualification_id)"})


class CandidacyOut(Schema):
    id = fields.Integer(dump_only=True)
    election_id = fields.Integer(dump_only=True, attribute="proposal_id")
    member_id = fields.Integer(dump_only=True)
    member_name = fields.String(dump_only=True)
    nominated_by_id = fields.Integer(dump_only=True, metadata={"description": "the member themselves for a self-nomination"})
    status = fields.String(dump_only=True, validate=validate.OneOf(CANDIDACY_STATUSES))
    nominated_at = UTCDateTime(dump_only=True)
    decided_at = UTCDateTime(dump_only=True, allow_none=True)
    affirmed_pale_version = fields.String(dump_only=True, allow_none=True)
    dropped_reason = fields.String(dump_only=True, allow_none=True, metadata={
        "description": "why the candidate was dropped when voting opened, naming the boundary and numbers"})
    statement = fields.String(dump_only=True, allow_none=True, metadata={
        "description": "the candidate's statement to the voters, written when standing or accepting"})


class StandIn(Schema):
    affirmed_pale_version = Line(required=True, validate=validate.Length(1, 200), metadata={
        "description": "the pale's version as you read it (ElectionOut.pale.version)"})
    statement = Str(load_default=None, allow_none=True, validate=validate.Length(max=limits.STATEMENT), metadata={
        "description": f"what you say to the voters (at most {limits.STATEMENT} characters); shown on the "
                       "election page and the ballot beside your verified qualifications"})


class NominateIn(Schema):
    member_id = Id(required=True, metadata={"description": "the member you nominate; they accept or decline"})


class BreachOut(Schema):
    boundary = fields.String(dump_only=True, metadata={"example": "pale.min_tenure_months"})
    message = fields.String(dump_only=True, metadata={"example": "active for 5 months; the rules require 6"})


class EligibilityOut(Schema):
    eligible = fields.Boolean(dump_only=True)
    nominations_open = fields.Boolean(dump_only=True)
    breaches = fields.List(fields.Nested(BreachOut), dump_only=True)
    pale = fields.Nested(PaleOut, dump_only=True)


class ApprovalBallotIn(Schema):
    approvals = fields.List(Id(), validate=validate.Length(1, 100), metadata={
        "description": "member ids of the candidates you approve (any subset, at least one)"})
    abstain = fields.Boolean(metadata={"description": "true to abstain instead"})

    @validates_schema
    def _one(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("abstain") and "approvals" in data:
            raise ValidationError("either approve candidates or abstain, not both", "abstain")
        if not data.get("abstain") and "approvals" not in data:
            raise ValidationError("approve at least one candidate, or send \"abstain\": true", "approvals")


class BallotChangeOut(Schema):
    choice = fields.String(dump_only=True, validate=validate.OneOf(["approve", "abstain"]))
    approvals = fields.List(fields.Integer(), dump_only=True, allow_none=True)
    cast_at = UTCDateTime(dump_only=True)


class ApprovalBallotOut(Schema):
    election_id = fields.Integer(dump_only=True)
    member_id = fields.Integer(dump_only=True)
    choice = fields.String(dump_only=True, validate=validate.OneOf(["approve", "abstain"]))
    approvals = fields.List(fields.Integer(), dump_only=True, allow_none=True)
    cast_at = UTCDateTime(dump_only=True)
    history = fields.List(fields.Nested(BallotChangeOut), dump_only=True,
                          metadata={"description": "every ballot you cast in this election, oldest first"})


class CandidateResultOut(Schema):
    member_id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    approvals = fields.Integer(dump_only=True)
    qualified = fields.Boolean(dump_only=True, metadata={"description": "reached the approval threshold"})
    elected = fields.Boolean(dump_only=True)


class LotEntryOut(Schema):
    member_id = fields.Integer(dump_only=True)
    key = fields.String(dump_only=True, metadata={"description": "SHA-256(root ‖ member id in decimal ASCII), hex"})


class LotOut(Schema):
    root = fields.String(dump_only=True, metadata={"description": "the ledger root at close (32 bytes, hex)"})
    tied = fields.List(fields.Nested(LotEntryOut), dump_only=True,
                       metadata={"description": "the tied candidates in lot order: lowest key first"})


class ElectionOutcomeOut(Schema):
    election_id = fields.Integer(dump_only=True)
    office_key = fields.String(dump_only=True)
    office_name = fields.String(dump_only=True)
    seats = fields.Integer(dump_only=True)
    outcome = fields.String(dump_only=True, validate=validate.OneOf(["passed", "failed"]))
    failed_test = fields.String(dump_only=True, allow_none=True)
    reason = fields.String(dump_only=True, allow_none=True)
    electorate_size = fields.Integer(dump_only=True, allow_none=True)
    threshold = fields.String(dump_only=True, allow_none=True)
    quorum = fields.String(dump_only=True, allow_none=True)
    ballots_cast = fields.Integer(dump_only=True, metadata={"description": "ballots approving at least one candidate"})
    abstentions = fields.Integer(dump_only=True)
    candidates = fields.List(fields.Nested(CandidateResultOut), dump_only=True,
                             metadata={"description": "in rank order at the close"})
    qualified = fields.List(fields.Integer(), dump_only=True, metadata={"description": "in rank order"})
    elected = fields.List(fields.Integer(), dump_only=True)
    vacant_seats = fields.Integer(dump_only=True)
    not_eligible = fields.List(fields.Integer(), dump_only=True, metadata={
        "description": "candidates who left or were suspended during the vote"})
    ledger_root = fields.String(dump_only=True, metadata={"description": "the ledger root the lot was seeded with"})
    lot = fields.Nested(LotOut, dump_only=True, allow_none=True,
                        metadata={"description": "set only when a tie at the last seat was broken by lot"})
    lot_method = fields.String(dump_only=True)
    closed_at = UTCDateTime(dump_only=True, allow_none=True)
    executed_at = UTCDateTime(dump_only=True, allow_none=True, metadata={"description": "when the terms started"})
    decision_entry_index = fields.Integer(dump_only=True, allow_none=True)


# -- learning and the education report --------------------------------------------------------

class LearningRecordIn(Schema):
    member_id = Id(metadata={"description": "whose record (default: yours); a secretary may enter anyone's"})
    title = Line(required=True, validate=validate.Length(1, limits.TITLE))
    provider = Line(load_default="", validate=validate.Length(max=limits.TITLE))
    kind = fields.String(required=True, validate=validate.OneOf(LEARNING_KINDS))
    hours = Hours(required=True)
    started_on = InputDate(required=True, metadata={
        "description": f"not in the future unless planned; a planned course within {limits.PLANNING_YEARS} years"})
    ended_on = InputDate(allow_none=True, load_default=None, metadata={"description": "required once completed"})
    status = fields.String(required=True, validate=validate.OneOf(LEARNING_STATUSES))
    qualification_field = Line(allow_none=True, load_default=None, validate=validate.Length(1, limits.NAME))
    qualification_level = fields.Integer(strict=True, allow_none=True, load_default=None,
                                         validate=validate.Range(1, 8), metadata={"description": "EQF level"})


class LearningRecordPatch(Schema):
    """Any of a record's fields; the others stay as they are."""

    title = Line(validate=validate.Length(1, limits.TITLE))
    provider = Line(validate=validate.Length(max=limits.TITLE))
    kind = fields.String(validate=validate.OneOf(LEARNING_KINDS))
    hours = Hours()
    started_on = InputDate()
    ended_on = InputDate(allow_none=True)
    status = fields.String(validate=validate.OneOf(LEARNING_STATUSES))
    qualification_field = Line(allow_none=True, validate=validate.Length(1, limits.NAME))
    qualification_level = fields.Integer(strict=True, allow_none=True, validate=validate.Range(1, 8))


class LearningRecordOut(Schema):
    id = fields.Integer(dump_only=True)
    member_id = fields.Integer(dump_only=True)
    title = fields.String(dump_only=True)
    provider = fields.String(dump_only=True)
    kind = fields.String(dump_only=True, validate=validate.OneOf(LEARNING_KINDS))
    hours = Hours(dump_only=True)
    started_on = fields.Date(dump_only=True)
    ended_on = fields.Date(dump_only=True, allow_none=True)
    status = fields.String(dump_only=True, validate=validate.OneOf(LEARNING_STATUSES))
    qualification_field = fields.String(dump_only=True, allow_none=True)
    qualification_level = fields.Integer(dump_only=True, allow_none=True)
    qualification_id = fields.Integer(dump_only=True, allow_none=True, metadata={
        "description": "the verified qualification this record gained; null until verified"})
    created_by_id = fields.Integer(dump_only=True, allow_none=True)
    created_at = UTCDateTime(dump_only=True)


class LearningListQuery(PageQuery):
    member_id = QueryId()
    status = fields.String(validate=validate.OneOf(LEARNING_STATUSES))


class ReportQuery(Schema):
    year = fields.Integer(validate=validate.Range(1900, 9999), metadata={"description": "default: this year"})


class MemberHoursOut(Schema):
    member_id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    status = fields.String(dump_only=True)
    completed = Hours(total=True, dump_only=True, metadata={"description": "hours of records completed in the year"})
    expected = Hours(total=True, dump_only=True, metadata={"description": "the year's expectation, pro rata for part of it"})
    due_to_date = Hours(total=True, dump_only=True, metadata={"description": "what the expectation asks for by as_of"})
    behind = fields.Boolean(dump_only=True)


class YearTotalOut(Schema):
    year = fields.Integer(dump_only=True)
    hours = Hours(total=True, dump_only=True)
    records = fields.Integer(dump_only=True)
    members = fields.Integer(dump_only=True)


class PolicyOut(Schema):
    expected_hours_per_year = Hours(total=True, dump_only=True)
    paid_hours_per_year = Hours(total=True, dump_only=True)


class EducationReportOut(Schema):
    year = fields.Integer(dump_only=True)
    as_of = fields.Date(dump_only=True)
    policy = fields.Nested(PolicyOut, dump_only=True)
    members = fields.List(fields.Nested(MemberHoursOut), dump_only=True)
    total_hours = Hours(total=True, dump_only=True, metadata={"description": "the co-op's completed hours in the year"})
    behind = fields.Integer(dump_only=True, metadata={"description": "active members behind the pace"})
    years = fields.List(fields.Nested(YearTotalOut), dump_only=True,
                        metadata={"description": "the co-op's completed hours per year, oldest first"})
