"""Proposals, their electorate snapshot, ballots (with history) and deliberation."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from coop.db import Base


class ProposalKind(str, enum.Enum):
    PAY_ADJUSTMENT = "pay_adjustment"
    RULE_CHANGE = "rule_change"
    GENERAL = "general"
    ELECTION = "election"
    RECALL = "recall"


class ProposalStatus(str, enum.Enum):
    DRAFT = "draft"
    DELIBERATION = "deliberation"
    VOTING = "voting"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


class Outcome(str, enum.Enum):
    PASSED = "passed"
    FAILED = "failed"


class Secrecy(str, enum.Enum):
    """How a proposal's ballots are kept (DESIGN.md "Secret ballots"): ``open`` ballots are
    linked to their voters for good; ``secret`` ones only while voting is open."""

    OPEN = "open"
    SECRET = "secret"


class Choice(str, enum.Enum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"
    #: Approval ballot in an election: ``approvals`` lists the approved candidates.
    APPROVE = "approve"


class Proposal(Base):
    __tablename__ = "proposals"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('pay_adjustment','rule_change','general','election','recall')", name="kind"
        ),
        CheckConstraint(
            "status IN ('draft','deliberation','voting','closed','withdrawn')", name="status"
        ),
        CheckConstraint("outcome IS NULL OR outcome IN ('passed','failed')", name="outcome"),
        CheckConstraint("secrecy IN ('open','secret')", name="secrecy"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    coop_id: Mapped[int] = mapped_column(ForeignKey("cooperatives.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=ProposalStatus.DRAFT.value, index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)
    #: Pay adjustment: whose pay; recall: the office holder. Recused from the vote.
    subject_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), default=None)
    #: Kind-specific content, validated by the marshmallow schema of its kind (money as
    #: decimal strings).
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[dt.datetime] = mapped_column()
    deliberation_started_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: End of the notice period read from the rules; voting cannot open before it.
    deliberation_ends_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    voting_opened_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    voting_closes_at: Mapped[dt.datetime | None] = mapped_column(default=None, index=True)
    #: Threshold and quorum as read from the rules when voting opened. A rule change that
    #: passes later never changes an open vote.
    threshold: Mapped[str | None] = mapped_column(String(60), default=None)
    quorum: Mapped[str | None] = mapped_column(String(20), default=None)
    #: Which rule the threshold came from (``voting.entrenched`` …), shown to voters.
    threshold_rule: Mapped[str | None] = mapped_column(String(100), default=None)
    #: ``open`` or ``secret``, read from ``voting.secrecy.<kind>`` when voting opens, like the
    #: threshold; proposals that opened before secrecy existed are open.
    secrecy: Mapped[str] = mapped_column(String(8), default=Secrecy.OPEN.value, server_default="open")
    electorate_size: Mapped[int | None] = mapped_column(default=None)
    closed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    outcome: Mapped[str | None] = mapped_column(String(8), default=None)
    #: ``quorum``, ``threshold``, ``no_base`` or ``pay_policy``: which test failed.
    failed_test: Mapped[str | None] = mapped_column(String(20), default=None)
    outcome_reason: Mapped[str | None] = mapped_column(Text, default=None)
    yes_count: Mapped[int | None] = mapped_column(default=None)
    no_count: Mapped[int | None] = mapped_column(default=None)
    abstain_count: Mapped[int | None] = mapped_column(default=None)
    executed_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    #: Index of this proposal's decision record in the co-op's ledger.
    decision_entry_index: Mapped[int | None] = mapped_column(default=None)

    @property
    def outcome_words(self) -> str | None:
        """The outcome reason as members read it: with people's names once
        ``coop.services.naming.name_outcomes`` has run, the stored reason (ids) before."""
        return self.__dict__.get("_outcome_words", self.outcome_reason)

    @outcome_words.setter
    def outcome_words(self, value: str | None) -> None:
        self.__dict__["_outcome_words"] = value  # not a column: the stored reason is the record's


class ElectorateMember(Base):
    """The electorate, snapshotted when voting opens."""

    __tablename__ = "electorate_members"

    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), primary_key=True)


class Ballot(Base):
    """A member's live ballot. The unique constraint is what makes a second live ballot
    impossible, whatever requests race; changes overwrite it and are kept in history."""

    __tablename__ = "ballots"
    __table_args__ = (
        UniqueConstraint("proposal_id", "member_id"),
        CheckConstraint("choice IN ('yes','no','abstain','approve')", name="choice"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    choice: Mapped[str] = mapped_column(String(8))
    approvals: Mapped[list[Any] | None] = mapped_column(default=None)
    cast_at: Mapped[dt.datetime] = mapped_column()
    changes: Mapped[int] = mapped_column(default=0)


class BallotChange(Base):
    """Every ballot ever cast, in order. Append-only."""

    __tablename__ = "ballot_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    choice: Mapped[str] = mapped_column(String(8))
    approvals: Mapped[list[Any] | None] = mapped_column(default=None)
    cast_at: Mapped[dt.datetime] = mapped_column()


class Comment(Base):
    """Deliberation: a comment, or an expert opinion backed by a verified qualification.

    Threads are one level deep: ``parent_id`` is the thread's root, never a reply (a reply to
    a reply is attached to the root by the service), so a page shows every thread as a root
    and its replies in order, and no discussion drifts off the right edge of a phone."""

    __tablename__ = "comments"
    __table_args__ = (CheckConstraint("kind IN ('comment','expert_opinion')", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"))
    kind: Mapped[str] = mapped_column(String(16), default="comment")
    body: Mapped[str] = mapped_column(Text)
    qualification_id: Mapped[int | None] = mapped_column(
        ForeignKey("qualifications.id"), default=None
    )
    #: The root comment of the thread this replies to; None for a root.
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("comments.id"), default=None, index=True)
    created_at: Mapped[dt.datetime] = mapped_column()


class ReactionKind(str, enum.Enum):
    """A small fixed set, so a reaction says something a count can carry."""

    AGREE = "agree"
    DISAGREE = "disagree"
    QUESTION = "question"


class CommentReaction(Base):
    """A member's reaction to a comment, without writing one. At most one per member and
    comment — the unique constraint holds it whatever requests race; changing it overwrites."""

    __tablename__ = "comment_reactions"
    __table_args__ = (
        UniqueConstraint("comment_id", "member_id"),
        CheckConstraint("kind IN ('agree','disagree','question')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    comment_id: Mapped[int] = mapped_column(ForeignKey("comments.id"))
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column()
