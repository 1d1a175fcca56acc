"""The auditor's report: every pay change traced to the decision that authorised it.

DESIGN.md: pay changes only with the members' consent, given by a vote; every ledger entry
points at the decision behind it. This report checks that from the rows: each pay record is
either a founding record (the member's first), a departure (pay to zero for a departed
member) or the execution of a passed pay-adjustment vote whose decision record is on the
ledger; and each executed pay adjustment produced exactly one pay entry. Anything else is an
anomaly. Four queries whatever the size of the co-op.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from coop.ledger.canonical import decode
from coop.ledger.verify import as_bytes
from coop.models import Cooperative, LedgerEntry, Member, MemberStatus, PayRecord, Proposal, ProposalKind
from coop.services import ledger
from coop.services.pay_adjustments import pay_from_json
from coop.services.pay_reports import Decision, decision_of


@dataclass(frozen=True)
class Trace:
    entry_index: int
    member_id: int
    member_name: str
    effective_date: str
    total_hourly: str
    authority: str
    decision: Decision | None


@dataclass(frozen=True)
class Anomaly:
    message: str
    entry_index: int | None = None
    proposal_id: int | None = None

    def __str__(self) -> str:
        where = [f"entry {self.entry_index}"] if self.entry_index is not None else []
        where += [f"proposal {self.proposal_id}"] if self.proposal_id is not None else []
        return f"{', '.join(where)}: {self.message}" if where else self.message


@dataclass
class AuditReport:
    traces: list[Trace] = field(default_factory=list)
    #: Founding and departure records: legitimate, but no vote stands behind them.
    without_vote: list[Trace] = field(default_factory=list)
    anomalies: list[Anomaly] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.anomalies


def _decision_body(body: bytes | None) -> dict | None:
    # Strictly, as verify reads entries: a tally of 2.0 (or a body that is no object) must
    # not pass for the 2 votes the proposal counted.
    try:
        return decode(as_bytes(body)) if body is not None else None
    except ValueError:
        return None


#: A decision record's ids and counts: numbers, never true/false.
_ID_KEYS = ("proposal_id", "electorate_size")
_TALLY_KEYS = ("yes", "no", "abstain")


def _true_or_false(body: dict) -> list[str]:  # type: ignore[type-arg]
    """The id and count fields of a decision record that hold a JSON boolean. Python's bool
    is an int (True == 1), so a record saying ``"yes": true`` would otherwise pass for one
    vote and ``"proposal_id": true`` for proposal 1."""
    found = [k for k in _ID_KEYS if isinstance(body.get(k), bool)]
    tally = body.get("tally")
    if isinstance(tally, dict):
        found += [f"tally.{k}" for k in _TALLY_KEYS if isinstance(tally.get(k), bool)]
    return found


def report(session: Session, coop: Cooperative) -> AuditReport:
    out = AuditReport()
    rows = session.execute(
        select(PayRecord, Member.name, Member.status, Proposal)
        .join(Member, Member.id == PayRecord.member_id)
        .outerjoin(Proposal, Proposal.id == PayRecord.proposal_id)
        .where(PayRecord.coop_id == coop.id).order_by(PayRecord.entry_index)
    ).all()
    pay_proposals = list(session.scalars(
        select(Proposal).where(Proposal.coop_id == coop.id, Proposal.kind == ProposalKind.PAY_ADJUSTMENT.value)))
    decisions = dict(session.execute(
        select(LedgerEntry.index, LedgerEntry.body).join(Proposal, and_(
            Proposal.coop_id == LedgerEntry.coop_id, Proposal.decision_entry_index == LedgerEntry.index))
        .where(LedgerEntry.coop_id == coop.id, Proposal.kind == ProposalKind.PAY_ADJUSTMENT.value)
    ).all())

    seen_members: set[int] = set()
    per_proposal: Counter[int] = Counter()
    for record, name, status, proposal in rows:
        p = ledger.pay_from_record(record)
        decision = decision_of(proposal) if proposal is not None else None
        trace = Trace(record.entry_index, record.member_id, name, record.effective_date.isoformat(),
                      str(p.total_hourly), record.authority, decision)
        first_for_member = record.member_id not in seen_members
        seen_members.add(record.member_id)

        def flag(message: str) -> None:
            out.anomalies.append(Anomaly(message, record.entry_index, record.proposal_id))

        if record.authority == "founding":
            out.without_vote.append(trace)
            if not first_for_member:
                flag(f"a founding record for {name}, who was already paid: pay changed without a vote")
        elif record.authority == "departure":
            out.without_vote.append(trace)
            if p.is_paid:
                flag(f"a departure record for {name} that still pays {p.total_hourly} an hour")
            if status != MemberStatus.DEPARTED.value:
                flag(f"a departure record for {name}, who is {status}")
        elif record.authority == "proposal":
            out.traces.append(trace)
            if proposal is None:
                flag(f"pay change for {name} names no proposal")
            else:
                per_proposal[proposal.id] += 1
                for problem in _check_decision(record, proposal, p, decisions):
                    flag(problem)
        else:
            out.without_vote.append(trace)
            flag(f"pay change for {name} with unknown authority '{record.authority}'")
        if record.authority != "proposal" and record.proposal_id is not None:
            flag(f"a {record.authority} record that also names proposal {record.proposal_id}")

    for proposal in pay_proposals:
        if proposal.executed_at is not None and per_proposal[proposal.id] != 1:
            out.anomalies.append(Anomaly(
                f"executed pay adjustment '{proposal.title}' has {per_proposal[proposal.id]} pay "
                "entries; it must have exactly one", proposal_id=proposal.id))
    out.anomalies.sort(key=lambda a: (a.entry_index is None, a.entry_index or 0, a.proposal_id or 0))
    return out


def _check_decision(record: PayRecord, proposal: Proposal, p, decisions: dict[int, bytes]) -> list[str]:  # type: ignore[no-untyped-def]
    problems = []
    if proposal.kind != ProposalKind.PAY_ADJUSTMENT.value:
        problems.append(f"authorised by a {proposal.kind} proposal, not a pay adjustment")
        return problems
    if proposal.outcome != "passed" or proposal.executed_at is None:
        problems.append(f"no passed decision behind it: proposal '{proposal.title}' is "
                        f"{proposal.status}, outcome {proposal.outcome or 'none'}")
    if proposal.subject_member_id != record.member_id:
        problems.append(f"proposal '{proposal.title}' was about member {proposal.subject_member_id}, "
                        f"not member {record.member_id}")
    try:
        voted = pay_from_json(proposal.details["new"])
    except (KeyError, TypeError, ValueError):
        voted = None
    if voted != p:
        problems.append(f"pay differs from what proposal '{proposal.title}' put to the vote")
    index = proposal.decision_entry_index
    body = _decision_body(decisions.get(index)) if index is not None else None
    if index is None or body is None:
        problems.append("the decision is not on the ledger")
    else:
        if index > record.entry_index:
            problems.append(f"the decision record (entry {index}) comes after the pay change")
        tally = {"yes": proposal.yes_count, "no": proposal.no_count, "abstain": proposal.abstain_count}
        flags = _true_or_false(body)
        if flags:
            problems.append(f"the decision record (entry {index}) holds true or false where a number "
                            f"belongs ({', '.join(flags)}): JSON true is not the number 1")
        elif body.get("proposal_id") != proposal.id or body.get("outcome") != "passed" or body.get("tally") != tally:
            problems.append(f"the decision record (entry {index}) does not show this proposal passing "
                            f"with tally {tally['yes']}/{tally['no']}/{tally['abstain']}")
    return problems
