"""What a proposed pay adjustment would do, before anyone submits it.

Read-only: the same merge of the change into the member's current pay that drafting uses
(``pay_adjustments.new_pay``), judged by ``coop.pay.impact`` against the policy in force.
The portal shows it beside the draft; drafting itself re-checks and refuses a change that
breaks the policy, naming the numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from coop.errors import InvalidInput
from coop.models import Cooperative, Member
from coop.pay import Impact, Pay, PayPolicy, SupplementReason, apply_change, impact
from coop.services import pay, pay_adjustments


@dataclass(frozen=True)
class PayPreview:
    subject: Member
    current: Pay | None
    proposed: Pay
    policy: PayPolicy
    impact: Impact
    #: The violations this change creates or worsens: exactly what drafting refuses. A co-op
    #: that already breaks its policy (after raising the floor, say) may still move towards it,
    #: so ``impact.violations`` (everything wrong after the change) is not the test.
    blocking: tuple[Any, ...]
    #: member id → pay before and after, for the before/after distribution chart.
    before: dict[int, Pay]
    after: dict[int, Pay]

    @property
    def allowed(self) -> bool:
        return not self.blocking

    @property
    def annual_before(self) -> Any:
        return None if self.current is None else self.current.annualised(self.policy.weeks_per_year)

    @property
    def annual_after(self) -> Any:
        return self.proposed.annualised(self.policy.weeks_per_year)


def preview(session: Session, coop: Cooperative, subject: Member, change: dict[str, Any]) -> PayPreview:
    """``change`` as for ``proposals.draft_pay_adjustment``. Raises InvalidInput for a change
    that is malformed; a change that breaks the pay policy is returned with its violations."""
    if subject.coop_id != coop.id:
        raise InvalidInput("no such member in this co-op", field="subject_member_id")
    if not subject.is_active:
        raise InvalidInput(f"{subject.name} is {subject.status}; pay adjustments are for active members",
                           field="subject_member_id")
    if change.get("reason") not in {r.value for r in SupplementReason}:
        raise InvalidInput("state the reason: hours, skills, responsibility, seniority or other",
                           field="reason")
    table = pay.current_table(session, coop.id)
    current = table.get(subject.id)
    proposed = pay_adjustments.new_pay(current, change)
    policy = pay.policy(session, coop.id)
    return PayPreview(subject=subject, current=current, proposed=proposed, policy=policy,
                      impact=impact(table, subject.id, proposed, policy),
                      blocking=tuple(pay_adjustments.violations_caused(table, subject.id, proposed, policy)),
                      before=table, after=apply_change(table, subject.id, proposed))
