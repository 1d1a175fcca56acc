"""Who may read what in the portal.

A co-op publishes its salary ledger, rules, decisions and checkpoints unless it has turned
``public_pages`` off; then only its members read them. Proposals that are still being
decided are for members; a draft is for its author and the secretary until it is put to
the members.
"""

from __future__ import annotations

from coop.errors import NotFound, Unauthenticated
from coop.models import Cooperative, Member, Proposal, ProposalStatus


def is_member(coop: Cooperative, member: Member | None) -> bool:
    return member is not None and member.coop_id == coop.id and member.is_active


def require_reader(coop: Cooperative, member: Member | None) -> None:
    """The public pages: anyone, unless the co-op keeps them for members."""
    if not coop.public_pages and not is_member(coop, member):
        raise Unauthenticated(f"{coop.name} shows its pages to its members only: log in")


def require_proposal_reader(coop: Cooperative, member: Member | None, p: Proposal) -> None:
    if p.coop_id != coop.id:
        raise NotFound(f"no proposal {p.id} in this co-op", field="proposal")
    if p.status == ProposalStatus.CLOSED.value:
        require_reader(coop, member)
        return
    if not is_member(coop, member):
        raise Unauthenticated("proposals under discussion are for members: log in")
    assert member is not None
    if p.status == ProposalStatus.DRAFT.value and member.id != p.author_id and not member.is_secretary:
        # Said as "not found": a draft is not yet anyone else's business.
        raise NotFound(f"no proposal {p.id} in this co-op", field="proposal")
