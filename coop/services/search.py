"""Search across proposals, decisions and rules: what a reader may see, grouped by type.

A case-insensitive substring match (``ILIKE`` on PostgreSQL, ``lower(…) LIKE lower(…)`` on
SQLite — which folds ASCII letters only) on titles and texts, with the reader's ``%``, ``_``
and ``\\`` taken literally. No full-text index: a co-op's proposals and rules are thousands,
not millions, and a substring finds "ratio" in "pay ratio" on both engines alike.

Results come as one keyset-paged list ordered by type (proposals under discussion, then
decisions, then rules) and within a type by newest proposal first or by rule key, so the
groups are contiguous and a page costs at most one query per type whatever the table sizes.

Who sees what is the portal's and the API's listing rule: proposals under discussion are for
members, and a draft only for its author and the secretary; decisions and rules for anyone
where the co-op publishes, else for members.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from coop.errors import InvalidInput
from coop.models import Cooperative, Member, Proposal, ProposalStatus, Rule, RuleVersion
from coop.schemas import limits
from coop.services import proposals, visibility
from coop.services.actor import Actor
from coop.services.paging import Page, check_limit, decode_cursor, encode_cursor

S = ProposalStatus
#: In result order: the groups of a result list.
TYPES = ("proposal", "decision", "rule")
MIN_QUERY, MAX_QUERY = 2, limits.SEARCH
SNIPPET = 160


@dataclass(frozen=True)
class Hit:
    type: str
    title: str
    #: A proposal's or decision's id; None for a rule.
    proposal_id: int | None
    #: A rule's key; None for a proposal.
    rule_key: str | None
    #: A proposal's status; for a rule, "repealed" or "in force".
    status: str
    #: Up to 160 characters of the text around the first match (or its start).
    snippet: str

    @property
    def key(self) -> int | str:
        return self.rule_key if self.rule_key is not None else self.proposal_id  # type: ignore[return-value]


def clean_query(text: str | None) -> str:
    """The query as searched: trimmed, 2 to 100 characters, no control characters."""
    q = " ".join((text or "").split())
    if len(q) < MIN_QUERY:
        raise InvalidInput(f"type at least {MIN_QUERY} characters to search", field="q")
    if len(q) > MAX_QUERY:
        raise InvalidInput(f"a search has at most {MAX_QUERY} characters", field="q")
    if limits.line_problem(q):
        raise InvalidInput("a search cannot contain control characters", field="q")
    return q


def like_pattern(q: str) -> str:
    """``%q%`` with LIKE's wildcards in ``q`` escaped (escape character: backslash)."""
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def readable_types(coop: Cooperative, member: Member | None) -> tuple[str, ...]:
    """What this reader may search. :raise Unauthenticated: nothing (pages kept for members)."""
    visibility.require_reader(coop, member)
    if visibility.is_member(coop, member):
        return TYPES
    return ("decision", "rule")


def search(session: Session, coop: Cooperative, member: Member | None, text: str | None, *,
           type: str | None = None, cursor: str | None = None, limit: int | None = None,
           now: dt.datetime) -> Page[Hit]:
    """One page of hits, grouped by type in ``TYPES`` order; ``type`` keeps to one group."""
    q = clean_query(text)
    if type is not None and type not in TYPES:
        raise InvalidInput(f"one of {', '.join(TYPES)}", field="type")
    n = check_limit(limit)
    after = _decode(cursor)
    allowed = readable_types(coop, member)
    proposals.close_due(session, now, coop_id=coop.id)  # a decision is found as a decision
    pattern = like_pattern(q)
    hits: list[Hit] = []
    more = False
    for t in TYPES:
        if t not in allowed or (type is not None and t != type):
            continue
        if after is not None and TYPES.index(t) < TYPES.index(after[0]):
            continue
        key_after = after[1] if after is not None and after[0] == t else None
        found = _find(session, coop, member, t, pattern, q, key_after, n + 1 - len(hits))
        hits.extend(found)
        if len(hits) > n:
            more = True
            break
    hits = hits[:n]
    return Page(hits, encode_cursor([hits[-1].type, hits[-1].key]) if more and hits else None)


def search_as(session: Session, actor: Actor | None, coop: Cooperative, text: str | None, *,
              type: str | None = None, cursor: str | None = None, limit: int | None = None,
              now: dt.datetime) -> Page[Hit]:
    """``search`` for an API caller: a token of a member (read scope), or nobody."""
    member = None
    if actor is not None:
        actor.require_scope("read")
        member = actor.member
    return search(session, coop, member, text, type=type, cursor=cursor, limit=limit, now=now)


def grouped(page: Page[Hit]) -> dict[str, list[Hit]]:
    """The page's hits by type, in ``TYPES`` order, empty groups left out."""
    out: dict[str, list[Hit]] = {}
    for hit in page.items:
        out.setdefault(hit.type, []).append(hit)
    return out


def _decode(cursor: str | None) -> tuple[str, Any] | None:
    key = decode_cursor(cursor, list)
    if key is None:
        return None
    if (len(key) != 2 or key[0] not in TYPES
            or type(key[1]) is not (str if key[0] == "rule" else int)):  # noqa: E721
        raise InvalidInput("not a cursor this API handed out", field="cursor")
    return key[0], key[1]


def _find(session: Session, coop: Cooperative, member: Member | None, t: str, pattern: str, q: str,
          after: Any, limit: int) -> list[Hit]:
    if t == "rule":
        stmt = (select(Rule.key, RuleVersion.title, RuleVersion.text, RuleVersion.repealed)
                .join(RuleVersion, and_(RuleVersion.rule_id == Rule.id, RuleVersion.version == Rule.current_version))
                .where(Rule.coop_id == coop.id,
                       or_(*(c.ilike(pattern, escape="\\") for c in (Rule.key, RuleVersion.title, RuleVersion.text)))))
        if after is not None:
            stmt = stmt.where(Rule.key > after)
        rows = session.execute(stmt.order_by(Rule.key).limit(limit)).all()
        return [Hit("rule", title, None, key, "repealed" if repealed else "in force", snippet(body, q))
                for key, title, body, repealed in rows]
    stmt = select(Proposal.id, Proposal.title, Proposal.body, Proposal.status).where(
        Proposal.coop_id == coop.id,
        or_(Proposal.title.ilike(pattern, escape="\\"), Proposal.body.ilike(pattern, escape="\\")))
    if t == "decision":
        stmt = stmt.where(Proposal.status == S.CLOSED.value)
    else:
        stmt = stmt.where(Proposal.status != S.CLOSED.value)
        assert member is not None  # proposals under discussion are searched by members only
        if not member.is_secretary:
            # A draft is its author's (and the secretary's) until it is put to the members.
            stmt = stmt.where(or_(Proposal.status != S.DRAFT.value, Proposal.author_id == member.id))
    if after is not None:
        stmt = stmt.where(Proposal.id < after)
    rows = session.execute(stmt.order_by(Proposal.id.desc()).limit(limit)).all()
    return [Hit(t, title, pid, None, status, snippet(body, q)) for pid, title, body, status in rows]


def snippet(body: str | None, q: str) -> str:
    """Up to ``SNIPPET`` characters of ``body`` around the first match of ``q``."""
    body = " ".join((body or "").split())
    at = body.lower().find(q.lower())
    start = 0 if at < 0 else max(0, at - SNIPPET // 3)
    piece = body[start:start + SNIPPET]
    return ("…" if start > 0 else "") + piece + ("…" if start + SNIPPET < len(body) else "")
