"""Co-ops, members, rules, proposals, comments, ballots and outcomes."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_dump, validate, validates_schema

from coop.schemas import limits
from coop.schemas.common import DecimalString, Id, Line, PageQuery, Str, UTCDateTime

PROPOSAL_KINDS = ("pay_adjustment", "rule_change", "general", "election", "recall")
CREATABLE_KINDS = ("pay_adjustment", "rule_change", "general")
STATUSES = ("draft", "deliberation", "voting", "closed", "withdrawn")
REASONS = ("hours", "skills", "responsibility", "seniority", "other")


class CoopOut(Schema):
    slug = fields.String(dump_only=True)
    name = fields.String(dump_only=True)
    currency = fields.String(dump_only=True)
    public_pages = fields.Boolean(dump_only=True, metadata={
        "description": "whether the salary ledger, rules, decisions and checkpoints are readable without a token"})
    origin = fields.String(dump_only=True, metadata={"description": "checkpoint origin line"})
    created_at = UTCDateTime(dump_only=True)


class QualificationOut(Schema):
    id = fields.Integer(dump_only=True)
    field = fields.String(dump_only=True)
    level = fields.Integer(dump_only=True, metadata={"description": "EQF level 1-8"})
    title = fields.String(dump_only=True)
    issuer = fields.String(dump_only=True)
    awarded_on = fields.Date(dump_only=True)
    verified = fields.Boolean(dump_only=True)
    verified_at = UTCDateTime(dump_only=True, allow_none=True)


class MemberOut(Schema):
    id = fields.Integer(dump_only=True)
    name = fields.String(dump_only=True)
    status = fields.String(dump_only=True, validate=validate.OneOf(["applicant", "active", "suspended", "departed"]))
    role = fields.String(dump_only=True, validate=validate.OneOf(["member", "secretary", "admin"]))
    joined_at = UTCDateTime(dump_only=True)
    active_since = UTCDateTime(dump_only=True, allow_none=True)
    departed_at = UTCDateTime(dump_only=True, allow_none=True)
    qualifications = fields.List(fields.Nested(QualificationOut), dump_only=True)


class MemberListQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(["applicant", "active", "suspended", "departed"]))


class TokenInfo(Schema):
    id = fields.Integer(dump_only=True)
    scopes = fields.Function(lambda t: t.scopes.split(), dump_only=True,
                             metadata={"type": "array", "items": {"type": "string"}})
    expires_at = UTCDateTime(dump_only=True, allow_none=True)


class MeOut(Schema):
    member = fields.Nested(MemberOut, dump_only=True)
    email = fields.String(dump_only=True)
    token = fields.Nested(TokenInfo, dump_only=True, allow_none=True)


class RuleVersionOut(Schema):
    key = fields.String(dump_only=True)
    version = fields.Integer(dump_only=True)
    title = fields.String(dump_only=True)
    text = fields.String(dump_only=True)
    parameters = fields.Dict(keys=fields.String(), values=fields.String(), dump_only=True)
    entrenched = fields.Boolean(dump_only=True)
    repealed = fields.Boolean(dump_only=True)
    created_at = UTCDateTime(dump_only=True)
    proposal_id = fields.Integer(dump_only=True, allow_none=True,
                                 metadata={"description": "the rule change that made this version; null for the founding act"})


# -- proposals -------------------------------------------------------------------------------

class SupplementIn(Schema):
    kind = Line(required=True, validate=validate.Length(1, limits.NAME))
    amount = DecimalString(required=True, metadata={"description": "per hour, on top of the hourly rate"})
    reason = fields.String(required=True, validate=validate.OneOf(REASONS))
    qualification_id = Id(allow_none=True, load_default=None)


class PayChangeIn(Schema):
    """What a pay adjustment changes; omitted values stay as they are."""

    hourly_rate = DecimalString(allow_none=True, load_default=None)
    weekly_hours = DecimalString(allow_none=True, load_default=None)
    supplements = fields.List(fields.Nested(SupplementIn), allow_none=True, load_default=None,
                              validate=validate.Length(max=20))
    reason = fields.String(required=True, validate=validate.OneOf(REASONS))


class RuleChangeIn(Schema):
    action = fields.String(required=True, validate=validate.OneOf(["add", "amend", "repeal"]))
    rule_key = Line(required=True, validate=validate.Length(1, limits.NAME))
    title = Line(allow_none=True, load_default=None, validate=validate.Length(max=limits.TITLE))
    text = Str(allow_none=True, load_default=None, validate=validate.Length(max=limits.BODY))
    parameters = fields.Dict(keys=Line(validate=validate.Length(1, limits.NAME)),
                             values=Line(validate=validate.Length(max=limits.PARAMETER_VALUE)),
                             allow_none=True, load_default=None,
                             validate=validate.Length(max=limits.RULE_PARAMETERS,
                                                      error=f"at most {limits.RULE_PARAMETERS} parameters in one rule"))
    entrenched = fields.Boolean(allow_none=True, load_default=None)


class ProposalText(Schema):
    """What every proposal has: a one-line title and a body (the portal's drafting forms load
    this too, so both faces take the same lengths)."""

    title = Line(required=True, validate=[
        validate.Length(min=1, error="a proposal needs a title"),
        validate.Length(max=limits.TITLE, error=f"a title has at most {limits.TITLE} characters")])
    body = Str(load_default="", validate=validate.Length(
        max=limits.BODY, error=f"at most {limits.BODY:,} characters"))


class ProposalCreate(ProposalText):
    kind = fields.String(required=True, validate=validate.OneOf(CREATABLE_KINDS))
    subject_member_id = Id(metadata={"description": "pay_adjustment: whose pay"})
    pay_change = fields.Nested(PayChangeIn, metadata={"description": "pay_adjustment: the change"})
    rule_change = fields.Nested(RuleChangeIn, metadata={"description": "rule_change: the change"})

    @validates_schema
    def _kind_fields(self, data: dict[str, Any], **kwargs: Any) -> None:
        # Shape only: which parts a kind needs. Whether the change is allowed is the services'.
        kind = data.get("kind")
        need = {"pay_adjustment": ("subject_member_id", "pay_change"),
                "rule_change": ("rule_change",)}.get(kind, ())  # type: ignore[arg-type]
        errors = {f: [f"required for a {kind} proposal"] for f in need if data.get(f) is None}
        extra = {"subject_member_id", "pay_change", "rule_change"} - set(need)
        errors.update({f: [f"not part of a {kind} proposal"] for f in extra if f in data})
        if errors:
            raise ValidationError(errors)


class TallyOut(Schema):
    yes = fields.Integer(dump_only=True)
    no = fields.Integer(dump_only=True)
    abstain = fields.Integer(dump_only=True)


class ProposalOut(Schema):
    id = fields.Integer(dump_only=True)
    kind = fields.String(dump_only=True, validate=validate.OneOf(PROPOSAL_KINDS))
    title = fields.String(dump_only=True)
    body = fields.String(dump_only=True)
    status = fields.String(dump_only=True, validate=validate.OneOf(STATUSES))
    author_id = fields.Integer(dump_only=True, allow_none=True)
    subject_member_id = fields.Integer(dump_only=True, allow_none=True)
    details = fields.Dict(dump_only=True, metadata={"description": "kind-specific content; money as decimal strings"})
    created_at = UTCDateTime(dump_only=True)
    deliberation_started_at = UTCDateTime(dump_only=True, allow_none=True)
    deliberation_ends_at = UTCDateTime(dump_only=True, allow_none=True)
    voting_opened_at = UTCDateTime(dump_only=True, allow_none=True)
    voting_closes_at = UTCDateTime(dump_only=True, allow_none=True)
    threshold = fields.String(dump_only=True, allow_none=True)
    quorum = fields.String(dump_only=True, allow_none=True)
    threshold_rule = fields.String(dump_only=True, allow_none=True)
    electorate_size = fields.Integer(dump_only=True, allow_none=True)
    closed_at = UTCDateTime(dump_only=True, allow_none=True)
    outcome = fields.String(dump_only=True, allow_none=True, validate=validate.OneOf(["passed", "failed"]))
    failed_test = fields.String(dump_only=True, allow_none=True)
    outcome_reason = fields.String(dump_only=True, allow_none=True)
    tally = fields.Nested(TallyOut, dump_only=True, allow_none=True,
                          metadata={"description": "set when closed"})
    executed_at = UTCDateTime(dump_only=True, allow_none=True)
    decision_entry_index = fields.Integer(dump_only=True, allow_none=True,
                                          metadata={"description": "the decision record in the ledger"})

    @pre_dump
    def _view(self, p: Any, **kwargs: Any) -> Any:
        return _ProposalView(p)


class ProposalDetailOut(ProposalOut):
    ballots_cast = fields.Integer(dump_only=True, allow_none=True,
                                  metadata={"description": "ballots cast so far (how, is secret until close)"})


class ProposalListQuery(PageQuery):
    status = fields.String(validate=validate.OneOf(STATUSES))
    kind = fields.String(validate=validate.OneOf(PROPOSAL_KINDS))


REACTIONS = ("agree", "disagree", "question")


class CommentCreate(Schema):
    body = Str(required=True, validate=validate.Length(1, limits.BODY))
    qualification_id = Id(allow_none=True, load_default=None, metadata={
        "description": "one of your verified qualifications: makes this an expert opinion"})
    parent_id = Id(allow_none=True, load_default=None, metadata={
        "description": "reply to this comment. Threads are one level deep: a reply to a reply joins "
                       "the thread under its root comment"})


def _reaction_counts() -> fields.Dict:
    return fields.Dict(keys=fields.String(validate=validate.OneOf(REACTIONS)), values=fields.Integer(),
                       dump_only=True, metadata={"description": "members who reacted, by reaction",
                                                 "example": {"agree": 3, "disagree": 0, "question": 1}})


class CommentOut(Schema):
    id = fields.Integer(dump_only=True)
    proposal_id = fields.Integer(dump_only=True)
    member_id = fields.Integer(dump_only=True)
    kind = fields.String(dump_only=True, validate=validate.OneOf(["comment", "expert_opinion"]))
    body = fields.String(dump_only=True)
    qualification_id = fields.Integer(dump_only=True, allow_none=True)
    parent_id = fields.Integer(dump_only=True, allow_none=True, metadata={
        "description": "the root comment of the thread this replies to; null for a root"})
    reactions = _reaction_counts()
    created_at = UTCDateTime(dump_only=True)


class ReactionIn(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(REACTIONS))


class ReactionOut(Schema):
    comment_id = fields.Integer(dump_only=True)
    kind = fields.String(dump_only=True, allow_none=True, validate=validate.OneOf(REACTIONS),
                         metadata={"description": "your reaction now; null when removed"})
    reactions = _reaction_counts()


class BallotIn(Schema):
    choice = fields.String(required=True, validate=validate.OneOf(["yes", "no", "abstain", "approve"]))
    approvals = fields.List(Id(), allow_none=True, load_default=None, validate=validate.Length(max=100),
                            metadata={"description": "elections: the candidates approved"})


class BallotOut(Schema):
    proposal_id = fields.Integer(dump_only=True)
    member_id = fields.Integer(dump_only=True)
    choice = fields.String(dump_only=True)
    approvals = fields.List(fields.Integer(), dump_only=True, allow_none=True)
    cast_at = UTCDateTime(dump_only=True)
    changes = fields.Integer(dump_only=True, metadata={"description": "times this ballot was changed"})


class OutcomeOut(Schema):
    proposal_id = fields.Integer(dump_only=True, attribute="id")
    kind = fields.String(dump_only=True)
    title = fields.String(dump_only=True)
    outcome = fields.String(dump_only=True, validate=validate.OneOf(["passed", "failed"]))
    failed_test = fields.String(dump_only=True, allow_none=True)
    reason = fields.String(dump_only=True, allow_none=True, attribute="outcome_reason")
    tally = fields.Nested(TallyOut, dump_only=True, allow_none=True)
    electorate_size = fields.Integer(dump_only=True, allow_none=True)
    threshold = fields.String(dump_only=True, allow_none=True)
    quorum = fields.String(dump_only=True, allow_none=True)
    threshold_rule = fields.String(dump_only=True, allow_none=True)
    closed_at = UTCDateTime(dump_only=True, allow_none=True)
    executed_at = UTCDateTime(dump_only=True, allow_none=True)
    decision_entry_index = fields.Integer(dump_only=True, allow_none=True)

    @pre_dump
    def _view(self, p: Any, **kwargs: Any) -> Any:
        return _ProposalView(p)


class _ProposalView:
    """A proposal with its tally as one object, for dumping."""

    def __init__(self, p: Any):
        self._p = p

    def __getattr__(self, name: str) -> Any:
        return getattr(self._p, name)

    @property
    def tally(self) -> dict[str, int] | None:
        p = self._p
        if p.yes_count is None:
            return None
        return {"yes": p.yes_count, "no": p.no_count, "abstain": p.abstain_count}


# -- search ----------------------------------------------------------------------------------

SEARCH_TYPES = ("proposal", "decision", "rule")


class SearchQuery(PageQuery):
    q = Line(required=True, validate=validate.Length(2, limits.SEARCH), metadata={
        "description": "words to find, 2 to 100 characters, matched case-insensitively as written "
                       "(% and _ are plain characters)"})
    type = fields.String(validate=validate.OneOf(SEARCH_TYPES), metadata={
        "description": "keep to one group; without it, proposals, then decisions, then rules"})


class SearchHitOut(Schema):
    type = fields.String(dump_only=True, validate=validate.OneOf(SEARCH_TYPES))
    title = fields.String(dump_only=True)
    proposal_id = fields.Integer(dump_only=True, allow_none=True, metadata={
        "description": "for a proposal or decision"})
    rule_key = fields.String(dump_only=True, allow_none=True, metadata={"description": "for a rule"})
    status = fields.String(dump_only=True, metadata={
        "description": "a proposal's status; for a rule, \"in force\" or \"repealed\""})
    snippet = fields.String(dump_only=True, metadata={"description": "the text around the first match"})
