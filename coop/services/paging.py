"""Keyset pagination: stable pages at a constant cost whatever the page number.

A page is fetched with ``WHERE key > last_key ORDER BY key LIMIT n + 1`` (one query, an index
seek, however deep the page), never with OFFSET, and rows appended meanwhile never shift a
page. The cursor handed to the client is opaque: the last key, JSON in URL-safe base64.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select
from sqlalchemy.orm import Session

from coop.errors import InvalidInput

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    #: Pass back as ``cursor`` for the next page; None on the last page.
    next_cursor: str | None


def encode_cursor(key: Any) -> str:
    raw = json.dumps([key], separators=(",", ":")).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_cursor(cursor: str | None, kind: type) -> Any:
    """The key inside ``cursor`` (None for the first page); it must be of type ``kind``."""
    if cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        (key,) = json.loads(raw)
    except (ValueError, TypeError, binascii.Error):
        raise InvalidInput("not a cursor this API handed out", field="cursor") from None
    if type(key) is not kind:  # noqa: E721  (bool is not an int here)
        raise InvalidInput("not a cursor this API handed out", field="cursor")
    return key


def check_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"from 1 to {MAX_LIMIT}", field="limit")
    return limit


def keyset(session: Session, stmt: Select[Any], key_column: Any, *, cursor: str | None,
           limit: int | None, descending: bool = False, kind: type = int,
           key_of: Callable[[Any], Any] | None = None, scalars: bool = True) -> Page[Any]:
    """One page of ``stmt`` ordered by the unique ``key_column``. One query."""
    n = check_limit(limit)
    after = decode_cursor(cursor, kind)
    if after is not None:
        stmt = stmt.where(key_column < after if descending else key_column > after)
    stmt = stmt.order_by(key_column.desc() if descending else key_column.asc()).limit(n + 1)
    rows = list(session.scalars(stmt)) if scalars else list(session.execute(stmt).all())
    more = len(rows) > n
    rows = rows[:n]
    key_of = key_of or (lambda row: getattr(row, key_column.key))
    return Page(rows, encode_cursor(key_of(rows[-1])) if more and rows else None)


def in_memory(items: list[T], key_of: Callable[[T], Any], *, cursor: str | None,
              limit: int | None, kind: type = int) -> Page[T]:
    """The same contract over a list a service already built (small, bounded lists)."""
    n = check_limit(limit)
    after = decode_cursor(cursor, kind)
    rest = [i for i in items if after is None or key_of(i) > after]
    page = rest[:n]
    return Page(page, encode_cursor(key_of(page[-1])) if len(rest) > n else None)
