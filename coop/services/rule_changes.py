"""Rule changes: add, amend or repeal one rule. Which threshold a change needs is decided
from the rule (entrenched? governance parameters?) and stated to the voters."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.errors import InvalidInput
from coop.governance import parse_quorum, parse_threshold
from coop.governance.offices import validate_office_parameters
from coop.governance.pale import Pale
from coop.models import Cooperative, Proposal, Rule, RuleVersion
from coop.pay import PayPolicy
from coop.schemas import limits
from coop.services import rules

KEY = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$")
ACTIONS = ("add", "amend", "repeal")

#: Parameters the engine cannot run without. A change that would remove one is refused.
REQUIRED = tuple(
    f"voting.{g}.{p}"
    for g in ("pay_adjustment", "general", "rule_change", "entrenched", "election", "recall")
    for p in ("threshold", "quorum")
) + ("voting.period_days",)


def validate_parameters(params: dict[str, Any], complete: bool = False) -> None:
    """Every parameter must parse; raises InvalidInput naming the first that does not.
    ``complete``: these are all the parameters in force, so the pay policy must be whole."""
    for key, value in params.items():
        if not isinstance(key, str) or not KEY.match(key):
            raise InvalidInput(f"parameter name '{key}' is not of the form a.b_c", field="parameters")
        if not isinstance(value, str):
            raise InvalidInput(f"parameter {key} must be a string, e.g. \"2/3 of cast\"", field="parameters")
        try:
            if key.endswith(".threshold"):
                parse_threshold(value)
            elif key.endswith(".quorum"):
                parse_quorum(value)
            elif key.startswith("voting.secrecy."):
                if value not in ("open", "secret"):
                    raise ValueError(f"'{value}' is neither open nor secret")
            elif key.endswith(("_days", "_months", "_hours_per_year", ".max_offices")):
                if not value.isdigit():
                    raise ValueError(f"'{value}' is not a whole number")
        except ValueError as exc:
            raise InvalidInput(f"parameter {key}: {exc}", field="parameters") from None
    try:  # offices (office.<key>.*) and the pale's machine-readable boundaries
        validate_office_parameters(params, complete=complete)
        Pale.from_parameters(params)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="parameters") from None
    if not complete:
        return
    try:
        PayPolicy.from_parameters(params)
    except ValueError as exc:
        raise InvalidInput(f"pay policy: {exc}", field="parameters") from None


def _merged_after(session: Session, coop_id: int, key: str, new_params: dict[str, str] | None) -> dict[str, str]:
    merged: dict[str, str] = {}
    versions = rules.current_versions(session, coop_id)
    keys = rules.rule_keys(session, coop_id)
    for v in versions:
        if keys[v.rule_id] == key or v.repealed:
            continue
        merged.update(v.parameters)
    if new_params:
        clash = sorted(set(merged) & set(new_params))
        if clash:
            raise InvalidInput(f"parameter(s) {', '.join(clash)} belong to another rule", field="parameters")
        merged.update(new_params)
    return merged


def prepare(session: Session, coop: Cooperative, change: dict[str, Any]) -> dict[str, Any]:
    action = change.get("action")
    if action not in ACTIONS:
        raise InvalidInput("action must be add, amend or repeal", field="action")
    key = (change.get("rule_key") or "").strip()
    if not KEY.match(key):
        raise InvalidInput("a rule key such as pay.policy (lowercase, dots)", field="rule_key")
    existing = session.scalars(select(Rule).where(Rule.coop_id == coop.id, Rule.key == key)).one_or_none()
    old: RuleVersion | None = rules.get_rule(session, coop.id, key)[1] if existing else None
    if action == "add" and old is not None and not old.repealed:
        raise InvalidInput(f"rule '{key}' exists; amend it instead", field="rule_key")
    if action in ("amend", "repeal") and old is None:
        raise InvalidInput(f"there is no rule '{key}'", field="rule_key")
    if action == "repeal" and old is not None and old.repealed:
        raise InvalidInput(f"rule '{key}' is already repealed", field="rule_key")
    if action == "repeal":
        assert old is not None
        title, text, params, entrenched = old.title, old.text, {}, False
    else:
        title = (change.get("title") if change.get("title") is not None else (old.title if old else "")).strip()
        text = (change.get("text") if change.get("text") is not None else (old.text if old else "")).strip()
        params = change.get("parameters")
        if params is None:
            params = dict(old.parameters) if old else {}
        entrenched = change.get("entrenched")
        if entrenched is None:
            entrenched = old.entrenched if old else False
        if not title:
            raise InvalidInput("a rule needs a title", field="title")
        # Checked when drafted: the rule version is written only when the vote passes.
        limit = RuleVersion.__table__.c.title.type.length
        if len(title) > limit:
            raise InvalidInput(f"a rule's title has at most {limit} characters", field="title")
        if limits.line_problem(title):
            raise InvalidInput(f"a rule's title {limits.line_problem(title)}", field="title")
        if len(text) > limits.BODY:
            raise InvalidInput(f"a rule's text has at most {limits.BODY:,} characters", field="text")
        if not text:
            raise InvalidInput("a rule needs its text", field="text")
    if not isinstance(params, dict):
        raise InvalidInput("parameters are a mapping of name to string value", field="parameters")
    if len(params) > limits.RULE_PARAMETERS:
        raise InvalidInput(f"at most {limits.RULE_PARAMETERS} parameters in one rule; this change has "
                           f"{len(params)}", field="parameters")
    validate_parameters(params)
    merged = _merged_after(session, coop.id, key, params)
    missing = [k for k in REQUIRED if k not in merged]
    if missing:
        raise InvalidInput(f"the engine needs {', '.join(missing)}; this change would remove it",
                           field="parameters")
    validate_parameters(merged, complete=True)
    needs, why = rules.needs_entrenched_threshold(old, bool(entrenched), params)
    return {
        "action": action, "rule_key": key, "title": title, "text": text, "parameters": params,
        "entrenched": bool(entrenched), "base_version": existing.current_version if existing else 0,
        "previous": None if old is None else {
            "title": old.title, "text": old.text, "parameters": old.parameters,
            "entrenched": old.entrenched, "repealed": old.repealed, "version": old.version},
        "requires": "entrenched" if needs else "rule_change", "requires_why": why,
    }


def required_group(session: Session, p: Proposal) -> tuple[str, str]:
    """Re-decided from the rule as it stands when voting opens."""
    d = p.details
    existing = session.scalars(select(Rule).where(Rule.coop_id == p.coop_id, Rule.key == d["rule_key"])).one_or_none()
    old = rules.get_rule(session, p.coop_id, d["rule_key"])[1] if existing else None
    needs, why = rules.needs_entrenched_threshold(old, d["entrenched"], d["parameters"])
    return ("entrenched" if needs else "rule_change"), why


def check(session: Session, p: Proposal, now: dt.datetime) -> str | None:
    d = p.details
    rule = session.scalars(select(Rule).where(Rule.coop_id == p.coop_id, Rule.key == d["rule_key"])).one_or_none()
    current = rule.current_version if rule else 0
    if current != d["base_version"]:
        return (f"rule {d['rule_key']} was changed after this proposal was drafted "
                f"(version {d['base_version']} then, {current} now)")
    try:
        validate_parameters(_merged_after(session, p.coop_id, d["rule_key"], d["parameters"]), complete=True)
    except InvalidInput as exc:
        return exc.message
    return None


def apply(session: Session, p: Proposal, now: dt.datetime) -> None:
    d = p.details
    rule = session.scalars(select(Rule).where(Rule.coop_id == p.coop_id, Rule.key == d["rule_key"])).one_or_none()
    if rule is None:
        rule = Rule(coop_id=p.coop_id, key=d["rule_key"], current_version=0)
        session.add(rule)
        session.flush()
    version = rule.current_version + 1
    session.add(RuleVersion(
        coop_id=p.coop_id, rule_id=rule.id, version=version, title=d["title"], text=d["text"],
        parameters=d["parameters"], entrenched=d["entrenched"], repealed=d["action"] == "repeal",
        created_at=now, created_by_id=p.author_id, proposal_id=p.id,
    ))
    rule.current_version = version
    session.flush()
