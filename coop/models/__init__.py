"""Typed SQLAlchemy 2 models, one module per aggregate. Importing this package registers
every table on ``coop.db.Base.metadata`` (Alembic and the drift test rely on it)."""

from coop.models.account import AccountToken
from coop.models.api import ApiToken, WebhookDelivery, WebhookEvent, WebhookSubscription
from coop.models.audit import AuditEvent
from coop.models.cooperative import Cooperative
from coop.models.education import LearningKind, LearningRecord, LearningStatus
from coop.models.ledger import Checkpoint, LedgerEntry, LedgerHead, LedgerNode, PayRecord
from coop.models.member import Member, MemberStatus, Qualification, Role
from coop.models.notification import (
    Notification,
    NotificationKind,
    NotificationPreference,
    OutboxMessage,
    ProposalNotice,
)
from coop.models.office import Candidacy, CandidacyStatus, EndReason, Term
from coop.models.proposal import (
    Ballot,
    BallotChange,
    Choice,
    Comment,
    CommentReaction,
    ElectorateMember,
    Outcome,
    Proposal,
    ProposalKind,
    ProposalStatus,
    ReactionKind,
    Secrecy,
)
from coop.models.rule import Rule, RuleVersion

__all__ = [
    "AccountToken", "AuditEvent", "Ballot", "BallotChange", "Checkpoint", "Choice", "Comment", "CommentReaction", "Cooperative",
    "ElectorateMember", "LedgerEntry", "LedgerHead", "LedgerNode", "Member", "MemberStatus",
    "Outcome", "PayRecord", "Proposal", "ProposalKind", "ProposalStatus", "Qualification", "ReactionKind", "Role", "Secrecy",
    "Rule", "RuleVersion",
    "Notification", "NotificationKind", "NotificationPreference", "OutboxMessage", "ProposalNotice",
    "ApiToken", "WebhookDelivery", "WebhookEvent", "WebhookSubscription",
    "Candidacy", "CandidacyStatus", "EndReason", "Term",
    "LearningKind", "LearningRecord", "LearningStatus",
]
