"""Domain events, delivered to in-process listeners inside the same transaction.

The services emit (``proposal.closed``, ``ledger.appended``…); listeners such as the webhook
outbox and member notifications write their own rows in the same transaction, so an event is
recorded if and only if the change that caused it commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

#: ``listener(session, coop_id, event, payload, now)``: ``now`` is the time of the change.
Listener = Callable[[Session, int, str, dict[str, Any], dt.datetime], None]
_listeners: list[Listener] = []


def subscribe(listener: Listener) -> Listener:
    if listener not in _listeners:
        _listeners.append(listener)
    return listener


def emit(session: Session, coop_id: int, event: str, payload: dict[str, Any], *, now: dt.datetime) -> None:
    for listener in list(_listeners):
        listener(session, coop_id, event, payload, now)
