"""The default constitution: the first rule versions of a new co-op (DESIGN.md "Defaults").

Every figure here is a rule parameter, so the members can change it by vote. The rules
carrying voting thresholds and the pale are entrenched: changing the thresholds needs the
higher threshold itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DefaultRule:
    key: str
    title: str
    text: str
    entrenched: bool = False
    parameters: dict[str, str] = field(default_factory=dict)


DEFAULT_RULES: tuple[DefaultRule, ...] = (
    DefaultRule(
        "purpose", "Purpose and ownership",
        "The co-operative is owned and democratically governed by its worker members. Every "
        "member has one vote. Decisions rest on data and on the expertise of members.",
    ),
    DefaultRule(
        "pay.transparency", "Public pay",
        "Every member's pay is public. Pay changes only by a decision of the members, recorded "
        "in the public salary ledger with the decision that authorised it.",
        entrenched=True,
    ),
    DefaultRule(
        "voting.pay_adjustment", "Votes on pay",
        "A pay adjustment passes with more than half of the votes cast, when at least half of "
        "the electorate takes part. The member whose pay is in question does not vote on it.",
        entrenched=True,
        parameters={
            "voting.pay_adjustment.threshold": "1/2 of cast, strict",
            "voting.pay_adjustment.quorum": "1/2",
            "voting.pay_adjustment.notice_days": "3",
            "voting.pay_adjustment.recuse_subject": "true",
        },
    ),
    DefaultRule(
        "voting.general", "General motions",
        "A general motion passes with more than half of the votes cast, when at least half of "
        "the electorate takes part.",
        entrenched=True,
        parameters={
            "voting.general.threshold": "1/2 of cast, strict",
            "voting.general.quorum": "1/2",
            "voting.general.notice_days": "3",
        },
    ),
    DefaultRule(
        "voting.rule_change", "Changing the rules",
        "An ordinary rule changes with at least two thirds of the votes cast, when at least half "
        "of the electorate takes part, after seven days' notice.",
        entrenched=True,
        parameters={
            "voting.rule_change.threshold": "2/3 of cast",
            "voting.rule_change.quorum": "1/2",
            "voting.rule_change.notice_days": "7",
        },
    ),
    DefaultRule(
        "voting.entrenched", "Changing entrenched rules",
        "An entrenched rule — including every voting threshold and the pale — changes with at "
        "least three quarters of the votes cast, when at least two thirds of the electorate "
        "takes part, after fourteen days' notice.",
        entrenched=True,
        parameters={
            "voting.entrenched.threshold": "3/4 of cast",
            "voting.entrenched.quorum": "2/3",
            "voting.entrenched.notice_days": "14",
        },
    ),
    DefaultRule(
        "voting.period", "Voting period",
        "Voting on a proposal stays open for seven days, or until every member of the "
        "electorate has voted.",
        entrenched=True,
        parameters={"voting.period_days": "7"},
    ),
    DefaultRule(
        "voting.election", "Elections",
        "A candidate is elected with the approval of more than half of the ballots cast, when "
        "at least half of the electorate takes part, after a seven-day nomination period.",
        entrenched=True,
        parameters={
            "voting.election.threshold": "1/2 of cast, strict",
            "voting.election.quorum": "1/2",
            "voting.election.nomination_days": "7",
        },
    ),
    DefaultRule(
        "voting.recall", "Recalls",
        "An office holder is recalled with at least two thirds of the votes cast, when at least "
        "half of the electorate takes part. The holder does not vote on their own recall.",
        entrenched=True,
        parameters={
            "voting.recall.threshold": "2/3 of cast",
            "voting.recall.quorum": "1/2",
            "voting.recall.notice_days": "7",
        },
    ),
    DefaultRule(
        "pay.policy", "Pay policy",
        "The highest total hourly pay is at most three times the lowest. No member is paid "
        "below the pay floor.",
        parameters={"pay.max_ratio": "3", "pay.floor": "0.00", "pay.weeks_per_year": "52"},
    ),
    DefaultRule(
        "pale.standing", "Who may stand for office (the pale)",
        "A candidate for office has been an active member for at least six months and holds "
        "at most two offices at once. Candidates affirm that they have no conflict of "
        "interest with the office they seek.",
        entrenched=True,
        parameters={"pale.min_tenure_months": "6", "pale.max_offices": "2"},
    ),
    DefaultRule(
        "education.policy", "Lifelong education",
        "Every member is expected to spend forty hours a year on education, and forty hours a "
        "year of study count as paid working time.",
        parameters={
            "education.expected_hours_per_year": "40",
            "education.paid_hours_per_year": "40",
        },
    ),
)
