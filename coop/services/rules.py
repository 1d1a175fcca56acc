"""Reading the rules in force, and which threshold a change needs."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from coop.errors import InvalidInput, NotFound
from coop.governance import Threshold, parse_quorum, parse_threshold
from coop.models import Rule, RuleVersion


def current_versions(session: Session, coop_id: int) -> list[RuleVersion]:
    """The version in force of every rule (repealed ones included, flagged), by key. One query."""
    return list(
        session.scalars(
            select(RuleVersion)
            .join(Rule, and_(Rule.id == RuleVersion.rule_id, Rule.current_version == RuleVersion.version))
            .where(Rule.coop_id == coop_id)
            .order_by(Rule.key)
        )
    )


def rule_keys(session: Session, coop_id: int) -> dict[int, str]:
    return dict(session.execute(select(Rule.id, Rule.key).where(Rule.coop_id == coop_id)).all())


def parameters(session: Session, coop_id: int) -> dict[str, str]:
    """Every machine-readable parameter in force, merged across rules."""
    merged: dict[str, str] = {}
    for v in current_versions(session, coop_id):
        if not v.repealed:
            merged.update(v.parameters)
    return merged


def get_rule(session: Session, coop_id: int, key: str) -> tuple[Rule, RuleVersion]:
    rule = session.scalars(select(Rule).where(Rule.coop_id == coop_id, Rule.key == key)).one_or_none()
    if rule is None:
        raise NotFound(f"no rule with key '{key}'", field="rule_key")
    version = session.scalars(
        select(RuleVersion).where(RuleVersion.rule_id == rule.id, RuleVersion.version == rule.current_version)
    ).one()
    return rule, version


def history(session: Session, coop_id: int, key: str) -> list[RuleVersion]:
    rule, _ = get_rule(session, coop_id, key)
    return list(session.scalars(
        select(RuleVersion).where(RuleVersion.rule_id == rule.id).order_by(RuleVersion.version)
    ))


@dataclass(frozen=True)
class VotingRule:
    """Threshold, quorum and notice for one kind of decision, as read from the rules."""

    rule_key: str
    threshold: Threshold
    quorum: Fraction
    notice_days: int


def _param(params: dict[str, str], key: str) -> str:
    try:
        return params[key]
    except KeyError:
        raise InvalidInput(f"the rules in force define no '{key}'") from None


def voting_rule(params: dict[str, str], group: str) -> VotingRule:
    """``group`` is ``pay_adjustment``, ``general``, ``rule_change``, ``entrenched``,
    ``election`` or ``recall``."""
    prefix = f"voting.{group}"
    try:
        threshold = parse_threshold(_param(params, f"{prefix}.threshold"))
        quorum = parse_quorum(_param(params, f"{prefix}.quorum"))
    except ValueError as exc:
        raise InvalidInput(f"rule {prefix} is malformed: {exc}") from None
    notice_key = f"{prefix}.nomination_days" if group == "election" else f"{prefix}.notice_days"
    return VotingRule(prefix, threshold, quorum, int_param(params, notice_key, default=0))


#: Proposal kinds whose ballots are secret unless the rules say otherwise: people vote
#: differently on people when their colleagues can see the ballot (DESIGN.md "Secrecy").
SECRET_BY_DEFAULT = ("election", "recall")


def secrecy(params: dict[str, str], kind: str) -> str:
    """``open`` or ``secret`` for a proposal of ``kind``, from ``voting.secrecy.<kind>``."""
    value = params.get(f"voting.secrecy.{kind}")
    if value is None:
        return "secret" if kind in SECRET_BY_DEFAULT else "open"
    if value not in ("open", "secret"):
        raise InvalidInput(f"rule parameter voting.secrecy.{kind}={value!r} must be open or secret")
    return value


def int_param(params: dict[str, str], key: str, default: int | None = None) -> int:
    raw = params.get(key)
    if raw is None:
        if default is None:
            raise InvalidInput(f"the rules in force define no '{key}'")
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"rule parameter {key}={raw!r} is not a whole number") from None
    if value < 0:
        raise InvalidInput(f"rule parameter {key}={raw!r} must not be negative")
    return value


#: Parameters that steer governance itself. A rule carrying one of them needs the
#: entrenched threshold to change, even if someone un-flagged it as entrenched: otherwise
#: the thresholds could be lowered in two ordinary steps.
GOVERNANCE_PREFIXES = ("voting.", "pale.")


def needs_entrenched_threshold(
    old: RuleVersion | None, new_entrenched: bool, new_parameters: dict[str, Any]
) -> tuple[bool, str]:
    """Whether a rule change needs the entrenched threshold, and why (shown to voters)."""
    if old is not None and old.entrenched and not old.repealed:
        return True, "the rule is entrenched"
    if new_entrenched:
        return True, "the change entrenches the rule"
    keys = set(new_parameters) | set(old.parameters if old is not None else {})
    governing = sorted(k for k in keys if k.startswith(GOVERNANCE_PREFIXES))
    if governing:
        return True, f"it sets governance parameters ({', '.join(governing)})"
    return False, "it is an ordinary rule"
