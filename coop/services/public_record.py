"""The public record as integrations read it: pay, the ledger, checkpoints, proofs, the
signing key and the audit report, each with who may read it (``listings.require_reader``:
anyone where the co-op publishes, else a member).

Thin on purpose: the reads themselves belong to ``pay_reports``, ``proofs``, ``checkpoints``
and ``verification``; this module only adds the access decision, so the API's handlers stay
one service call each.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.errors import NotFound
from coop.ledger.keys import KeyStore
from coop.ledger.verify import VerifyResult
from coop.models import Checkpoint, Cooperative, LedgerHead, Member
from coop.pay import PayStatistics
from coop.services import audit_report as audit_report_service
from coop.services import checkpoints, pay, pay_reports, proofs, verification
from coop.services.actor import Actor
from coop.services.listings import require_reader


def pay_table(session: Session, actor: Actor | None, coop: Cooperative,
              as_of: dt.date | None = None) -> list[pay_reports.PayLine]:
    require_reader(actor, coop, public=True)
    return pay_reports.pay_table(session, coop, as_of)


def pay_statistics(session: Session, actor: Actor | None, coop: Cooperative,
                   as_of: dt.date | None = None) -> tuple[PayStatistics, int]:
    """The figures, and the weeks per year they annualise with."""
    require_reader(actor, coop, public=True)
    return pay_reports.statistics(session, coop, as_of), pay.policy(session, coop.id).weeks_per_year


def pay_history(session: Session, actor: Actor | None, coop: Cooperative,
                member_id: int) -> tuple[Member, list[pay_reports.HistoryLine]]:
    require_reader(actor, coop, public=True)
    member = session.get(Member, member_id)
    if member is None or member.coop_id != coop.id:
        raise NotFound(f"no member {member_id} in this co-op", field="member")
    return pay_reports.member_history(session, coop, member)


def head(session: Session, actor: Actor | None, coop: Cooperative) -> tuple[LedgerHead, Checkpoint | None]:
    require_reader(actor, coop, public=True)
    row = session.scalars(select(LedgerHead).where(LedgerHead.coop_id == coop.id)).one_or_none()
    if row is None:
        raise NotFound(f"co-op '{coop.slug}' has no ledger")
    return row, checkpoints.latest(session, coop)


def public_key(actor: Actor | None, coop: Cooperative) -> bytes | None:
    require_reader(actor, coop, public=True)
    return None if coop.public_key is None else bytes(coop.public_key)


def inclusion(session: Session, actor: Actor | None, coop: Cooperative, index: int,
              size: int | None = None) -> proofs.InclusionProof:
    require_reader(actor, coop, public=True)
    proofs.entry(session, coop, index)  # 404 for an entry that does not exist
    return proofs.inclusion(session, coop, index, size)


def consistency(session: Session, actor: Actor | None, coop: Cooperative, first: int,
                second: int | None = None) -> proofs.ConsistencyProof:
    require_reader(actor, coop, public=True)
    return proofs.consistency(session, coop, first, second)


def sign_checkpoint(session: Session, actor: Actor, keys: KeyStore, coop: Cooperative,
                    *, now: dt.datetime) -> Checkpoint:
    """The secretary may ask for a checkpoint now (the scheduler signs them too)."""
    actor.require_secretary(coop.id)
    return checkpoints.sign(session, keys, coop, now=now)


def audit_report(session: Session, actor: Actor | None, coop: Cooperative, *, now: dt.datetime
                 ) -> tuple[audit_report_service.AuditReport, VerifyResult]:
    """Every pay change traced to its decision (``audit_report``), and the ledger re-verified
    from the rows (``verification``). Members only: it reads the whole ledger, which is not
    something to offer anonymous callers on demand."""
    require_reader(actor, coop)
    return audit_report_service.report(session, coop), verification.verify_coop(session, coop, now=now)
