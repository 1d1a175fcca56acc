"""Sign a checkpoint after each batch of appends, so the published checkpoint is never behind.

The entry point (a web request, a CLI command) calls :func:`sign_appended` once, just before
it commits: every co-op whose ledger that transaction appended to gets a checkpoint of the
new size and root, in the same transaction, so the two are committed (or lost) together.
Requests that append nothing pay nothing. A co-op whose signing key is not on this server is
skipped: its entries still count, and the verify page says how far behind its checkpoint is
until an operator signs one (`coop ledger checkpoint`).
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
from typing import Any

from sqlalchemy.orm import Session

from coop.errors import Conflict
from coop.ledger.keys import KeyStore
from coop.models import Cooperative, LedgerHead
from coop.services.ledger import APPENDED

log = logging.getLogger(__name__)


def _signer() -> Any:
    """``checkpoints.sign``, looked up when called (an installation may replace the module)."""
    return importlib.import_module("coop.services.checkpoints").sign


def sign_appended(session: Session, keys: KeyStore, *, now: dt.datetime) -> list[Cooperative]:
    """Sign a checkpoint for each co-op this transaction appended to; the co-ops signed.
    Forgets the appends, so a second call in the same transaction signs nothing."""
    started: dict[int, int] = session.info.pop(APPENDED, {})
    signed = []
    for coop_id, size_before in sorted(started.items()):
        head = session.get(LedgerHead, coop_id)
        coop = session.get(Cooperative, coop_id)
        if head is None or coop is None or head.size <= size_before:
            continue  # the appends were rolled back (a preview in a savepoint)
        try:
            _signer()(session, keys, coop, now=now)
        except (Conflict, OSError) as exc:  # refused before writing: no (or the wrong, or an unreadable) key
            log.warning("no checkpoint signed for %s: %s", coop.slug, exc)
            continue
        signed.append(coop)
    return signed
