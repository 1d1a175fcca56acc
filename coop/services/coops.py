"""Founding a co-op: its first rules (the default constitution), its ledger and its key."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from coop.constitution import DEFAULT_RULES
from coop.errors import Conflict, InvalidInput, NotFound
from coop.ledger import checkpoint
from coop.ledger.keys import KeyStore
from coop.models import Cooperative, Rule, RuleVersion
from coop.schemas import limits
from coop.services import audit, ledger
from coop.services.actor import Actor

SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


def _check_name(name: str) -> None:
    """The name heads every mail subject ("[Name] Vote open: …"): one line, as the column holds."""
    if not (name or "").strip():
        raise InvalidInput("a co-op needs a name", field="name")
    if len(name.strip()) > limits.TITLE:
        raise InvalidInput(f"at most {limits.TITLE} characters", field="name")
    if limits.line_problem(name.strip()):
        raise InvalidInput(f"a name {limits.line_problem(name.strip())}", field="name")


def create_coop(
    session: Session, actor: Actor, keys: KeyStore, slug: str, name: str, currency: str = "EUR",
    founded_at: dt.datetime | None = None, *, now: dt.datetime,
) -> Cooperative:
    """Only the operator founds co-ops on an installation. ``founded_at`` (default: ``now``) dates
    the co-op and its founding rules, for a co-op whose history is being entered after the
    fact (the demo); the audit trail still records when the founding was entered."""
    if not actor.is_operator:
        raise InvalidInput("only the installation's operator can found a co-op")
    if not SLUG.match(slug or ""):
        raise InvalidInput("use 1–64 lowercase letters, digits and dashes", field="slug")
    _check_name(name)
    if not re.fullmatch(r"[A-Z]{3}", currency or ""):
        raise InvalidInput("an ISO 4217 code such as EUR", field="currency")
    founded = founded_at or now
    coop = Cooperative(slug=slug, name=name.strip(), currency=currency, created_at=founded)
    session.flush()  # anything pending belongs outside the savepoint below
    try:
        # A savepoint, so a duplicate refused by the unique constraint (even one racing in
        # from another request) leaves the rest of the transaction usable.
        with session.begin_nested():
            session.add(coop)
            session.flush()
    except IntegrityError:
        raise Conflict(f"a co-op with slug '{slug}' already exists", field="slug") from None
    coop.public_key = checkpoint.public_key_bytes(keys.load_or_create(slug))
    for default in DEFAULT_RULES:
        rule = Rule(coop_id=coop.id, key=default.key, current_version=1)
        session.add(rule)
        session.flush()
        session.add(RuleVersion(
            coop_id=coop.id, rule_id=rule.id, version=1, title=default.title, text=default.text,
            parameters=dict(default.parameters), entrenched=default.entrenched, created_at=founded,
        ))
    ledger.create_head(session, coop)
    audit.record(session, actor, coop.id, "coop.founded", "cooperative", coop.id,
                 slug=slug, rules=[d.key for d in DEFAULT_RULES], now=now)
    session.flush()
    return coop


#: Built once: every request that names a co-op runs it.
_BY_SLUG = select(Cooperative).where(Cooperative.slug == bindparam("slug"))


def get_by_slug(session: Session, slug: str) -> Cooperative:
    coop = session.scalars(_BY_SLUG, {"slug": slug}).one_or_none()
    if coop is None:
        raise NotFound(f"no co-op with slug '{slug}'", field="coop")
    return coop


def list_coops(session: Session) -> list[Cooperative]:
    return list(session.scalars(select(Cooperative).order_by(Cooperative.slug)))


def update_settings(session: Session, actor: Actor, coop: Cooperative, *, name: str | None = None,
                    public_pages: bool | None = None, now: dt.datetime) -> Cooperative:
    actor.require_admin(coop.id)
    changes: dict[str, object] = {}
    if name is not None:
        _check_name(name)
        coop.name = changes["name"] = name.strip()
    if public_pages is not None:
        coop.public_pages = changes["public_pages"] = bool(public_pages)
    audit.record(session, actor, coop.id, "coop.settings_changed", "cooperative", coop.id, **changes, now=now)
    session.flush()
    return coop
