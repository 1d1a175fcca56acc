"""Reads for the co-op's public pages: the salary table, a rule's history with the votes
that made each version, and what an outsider needs to verify the ledger.

Each is a constant number of queries whatever the number of members, rules or entries.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.ledger import checkpoint as notes
from coop.models import Checkpoint, Cooperative, LedgerHead, Member, Proposal, RuleVersion
from coop.pay import PayPolicy, PayStatistics, statistics
from coop.services import checkpoints, pay, pay_reports, rules


@dataclass(frozen=True)
class SalaryPage:
    lines: list[pay_reports.PayLine]
    stats: PayStatistics
    policy: PayPolicy
    #: proposal id → title, for the decision behind each line.
    decisions: dict[int, str]

    @property
    def within_ratio(self) -> bool:
        return self.stats.ratio is None or self.stats.ratio <= self.policy.max_ratio

    @property
    def lowest_allowed_top(self) -> Fraction | None:
        """The highest total hourly pay the ratio allows, given today's lowest."""
        return None if self.stats.minimum is None else Fraction(self.stats.minimum) * self.policy.max_ratio


def salary(session: Session, coop: Cooperative) -> SalaryPage:
    lines = pay_reports.pay_table(session, coop)
    policy = pay.policy(session, coop.id)
    ids = sorted({line.proposal_id for line in lines if line.proposal_id is not None})
    titles = dict(session.execute(
        select(Proposal.id, Proposal.title).where(Proposal.coop_id == coop.id, Proposal.id.in_(ids))
    ).all()) if ids else {}
    stats = statistics({line.member_id: line.pay for line in lines}, policy.weeks_per_year)
    return SalaryPage(lines, stats, policy, titles)


@dataclass(frozen=True)
class VersionLine:
    version: RuleVersion
    previous: RuleVersion | None
    #: The rule change that made it (None for the founding version).
    proposal: Proposal | None
    author: str | None


def rule_history(session: Session, coop: Cooperative, key: str) -> list[VersionLine]:
    """Every version of one rule, newest first, each with the vote that made it."""
    versions = rules.history(session, coop.id, key)
    ids = [v.proposal_id for v in versions if v.proposal_id is not None]
    found = {p.id: p for p in session.scalars(select(Proposal).where(Proposal.id.in_(ids)))} if ids else {}
    authors = [v.created_by_id for v in versions if v.created_by_id is not None]
    names = dict(session.execute(select(Member.id, Member.name).where(Member.id.in_(authors))).all()) \
        if authors else {}
    lines = []
    for i, v in enumerate(versions):
        lines.append(VersionLine(v, versions[i - 1] if i else None,
                                 found.get(v.proposal_id) if v.proposal_id else None,
                                 names.get(v.created_by_id) if v.created_by_id else None))
    return lines[::-1]


def current_rules(session: Session, coop: Cooperative) -> list[tuple[str, RuleVersion]]:
    keys = rules.rule_keys(session, coop.id)
    return [(keys[v.rule_id], v) for v in rules.current_versions(session, coop.id)]


@dataclass(frozen=True)
class VerifyInfo:
    checkpoint: Checkpoint | None
    ledger_size: int
    root_hex: str
    public_key_b64: str | None
    verifier_key: str | None
    origin: str


def verify_info(session: Session, coop: Cooperative) -> VerifyInfo:
    head = session.get(LedgerHead, coop.id)
    pk = bytes(coop.public_key) if coop.public_key else None
    return VerifyInfo(
        checkpoint=checkpoints.latest(session, coop),
        ledger_size=head.size if head else 0,
        root_hex=bytes(head.root).hex() if head else "",
        public_key_b64=base64.b64encode(pk).decode() if pk else None,
        verifier_key=notes.verifier_key(coop.origin, pk) if pk else None,
        origin=coop.origin,
    )
