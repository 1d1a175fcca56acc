"""People by name where members read a result: "elected Ada Arendt", not "elected member 6".

An election's outcome is worded by the pure tally (``coop.governance.elections``), which knows
only member ids, and that wording is hashed into the ledger's decision record, so it must stay
as written. Names are put in at read time instead: one query for every id a page's outcomes
mention, whatever the number of proposals (no query per row).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from coop.models import Member, Proposal

#: "member 6", "members 6, 7", optionally followed by the name the close already added:
#: "member 6 (Ada Arendt)".
_MENTION = re.compile(r"\bmembers? (\d+(?:, \d+)*)( \([^()]*\))?")


def member_ids(text: str | None) -> set[int]:
    """The member ids a text mentions as "member N" / "members N, M"."""
    return {int(i) for m in _MENTION.finditer(text or "") for i in m.group(1).split(", ")}


def with_names(text: str, names: Mapping[int, str]) -> str:
    """``text`` with each "member N" as the member's name; ids with no known name stay."""
    def one(match: re.Match[str]) -> str:
        ids = [int(i) for i in match.group(1).split(", ")]
        if not all(i in names for i in ids):
            return match.group(0)
        return ", ".join(names[i] for i in ids)
    return _MENTION.sub(one, text)


def names_of(session: Session, coop_id: int, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    return dict(session.execute(
        select(Member.id, Member.name).where(Member.coop_id == coop_id, Member.id.in_(wanted))).all())  # type: ignore[arg-type]


def name_outcomes(session: Session, items: Iterable[Proposal]) -> None:
    """Give each proposal its ``outcome_words``: the outcome reason with names. One query."""
    items = list(items)
    ids = set().union(*(member_ids(p.outcome_reason) for p in items)) if items else set()
    coop_ids = {p.coop_id for p in items}
    names = names_of(session, coop_ids.pop(), ids) if len(coop_ids) == 1 else {}
    for p in items:
        p.outcome_words = with_names(p.outcome_reason, names) if p.outcome_reason else p.outcome_reason
