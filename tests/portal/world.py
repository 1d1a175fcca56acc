"""A small co-op for the portal's tests: four paid members who can log in (Ada is the
secretary), and helpers to run a proposal through to its close."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from coop.ledger.keys import KeyStore
from coop.models import Cooperative, Member, Proposal
from coop.pay import SupplementReason
from coop.services import proposals
from tests.clock import NOW
from tests.factories import as_member, make_coop, make_member, open_for_voting
from tests.portal.conftest import with_password


@dataclass
class World:
    coop: Cooperative
    ada: Member  # secretary
    ben: Member
    cleo: Member
    dan: Member

    @property
    def everyone(self) -> list[Member]:
        return [self.ada, self.ben, self.cleo, self.dan]

    def url(self, rest: str = "") -> str:
        return f"/c/{self.coop.slug}/{rest}"


def build_world(db: Session, keys: KeyStore, name: str = "Riverside Test Co-op") -> World:
    coop = make_coop(db, keys, name=name)
    ada = make_member(db, coop, "Ada Arendt", role="secretary", hourly_rate="24.00")
    ben = make_member(db, coop, "Ben Brecht", hourly_rate="20.00")
    cleo = make_member(db, coop, "Cleo Curie", hourly_rate="22.00")
    dan = make_member(db, coop, "Dan Dewey", hourly_rate="18.00")
    with_password(db, ada, ben, cleo, dan)
    return World(coop, ada, ben, cleo, dan)


def pay_change(rate: str, reason: str = "skills", **kw: Any) -> dict[str, Any]:
    change = {"hourly_rate": Decimal(rate), "weekly_hours": None, "supplements": None, "reason": reason}
    change.update(kw)
    assert reason in {r.value for r in SupplementReason}
    return change


def decide_all(db: Session, w: World, p: Proposal, choices: dict[str, str] | None = None) -> Proposal:
    """Open voting on a draft, then every member of the electorate votes (yes unless
    ``choices`` says otherwise, by first name); the last ballot closes it."""
    open_for_voting(db, w.coop, p, w.ada)
    choices = choices or {}
    for m in w.everyone:
        if proposals.my_ballot(db, p.id, m.id) is None and _in_electorate(db, p, m):
            first = m.name.split()[0].lower()
            proposals.cast_ballot(db, as_member(m), w.coop, p.id, choices.get(first, "yes"), now=NOW)
    db.flush()
    return p


def _in_electorate(db: Session, p: Proposal, m: Member) -> bool:
    from coop.models import ElectorateMember

    return db.get(ElectorateMember, (p.id, m.id)) is not None


def passed_raise(db: Session, w: World, rate: str = "21.50") -> Proposal:
    """Ben's raise, voted through by the other three."""
    p = proposals.draft_pay_adjustment(db, as_member(w.cleo), w.coop, "Raise for Ben",
                                       "He now leads the workshop.", w.ben, pay_change(rate), now=NOW)
    return decide_all(db, w, p)


def passed_rule_change(db: Session, w: World) -> Proposal:
    p = proposals.draft_rule_change(db, as_member(w.ada), w.coop, "Raise the pay ratio", "More room.", {
        "action": "amend", "rule_key": "pay.policy", "title": None,
        "text": "The highest total hourly pay is at most four times the lowest. No member is paid "
                "below the pay floor.",
        "parameters": {"pay.max_ratio": "4", "pay.floor": "0.00", "pay.weeks_per_year": "52"},
        "entrenched": None}, now=NOW)
    return decide_all(db, w, p)
