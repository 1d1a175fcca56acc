"""What a proposed rule change would be, before anyone submits it: the old and new text,
and which threshold, quorum and notice it needs and why (entrenched or not). Read-only."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from coop.models import Cooperative
from coop.services import rule_changes, rules


@dataclass(frozen=True)
class RulePreview:
    #: Exactly what drafting would store (``rule_changes.prepare``).
    details: dict[str, Any]
    #: The voting rule the change needs: threshold, quorum and notice.
    voting: rules.VotingRule

    @property
    def old_text(self) -> str:
        previous = self.details.get("previous")
        return "" if previous is None or previous.get("repealed") else previous["text"]

    @property
    def new_text(self) -> str:
        return "" if self.details["action"] == "repeal" else self.details["text"]

    @property
    def entrenched_threshold(self) -> bool:
        return self.details["requires"] == "entrenched"


def preview(session: Session, coop: Cooperative, change: dict[str, Any]) -> RulePreview:
    """``change`` as for ``proposals.draft_rule_change``; raises InvalidInput as it would."""
    details = rule_changes.prepare(session, coop, change)
    voting = rules.voting_rule(rules.parameters(session, coop.id), details["requires"])
    return RulePreview(details=details, voting=voting)
