"""Every portal page issues the same number of SQL statements for a small co-op and for one
with 2,000 members and 20,000 ledger entries: no page runs a query per member, proposal or
entry.

Both co-ops are built once for the module (``tests/portal/bulk.py``), inside a transaction
that is rolled back at the end; each test works in a savepoint of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy.orm import Session

from coop.models import Cooperative, Member, Proposal
from coop.services import discussion, proposals, tokens
from tests.clock import NOW
from tests.factories import as_member
from tests.office_factories import qualify
from tests.portal import bulk
from tests.portal.conftest import Portal, with_password
from tests.querycount import count_queries


@dataclass(frozen=True)
class Sized:
    """Ids only: the objects belong to the builder's session, which is closed."""
    coop_id: int
    slug: str
    secretary_id: int
    member_id: int
    closed_id: int
    voting_id: int
    deliberation_id: int


def _grow(session: Session, keys, members: int, entries: int, open_votes: int) -> Sized:  # type: ignore[no-untyped-def]
    built = bulk.build(session, keys, members, entries)
    coop, people = built.coop, built.members
    secretary, member = people[0], people[1]
    with_password(session, secretary, member)
    for m in people[2:2 + open_votes * 3]:  # qualifications for the directory and expert opinions
        qualify(session, coop, m, "engineering", 5)
    closed = session.get(Proposal, max(p.id for p in session.query(Proposal.id).filter_by(coop_id=coop.id)))
    voting = None
    for n in range(open_votes):
        p = proposals.draft_general(session, as_member(secretary), coop, f"Open motion {n}", "Discuss.", now=NOW)
        proposals.open_deliberation(session, as_member(secretary), coop, p.id, now=NOW)
        p.deliberation_ends_at = NOW - dt.timedelta(seconds=1)
        session.flush()
        proposals.open_voting(session, as_member(secretary), coop, p.id, now=NOW)
        for voter in people[2:2 + n + 1]:
            proposals.cast_ballot(session, as_member(voter), coop, p.id, "yes", now=NOW)
        for author in people[2:2 + n + 1]:
            c = proposals.comment(session, as_member(author), coop, p.id, "A thought.", now=NOW)
            # Replies and reactions grow with the co-op too: the page reads them in one go.
            proposals.comment(session, as_member(member), coop, p.id, "A reply.", parent_id=c.id, now=NOW)
            for reactor, kind in zip(people[2:2 + n + 1], ("agree", "disagree", "question") * 2, strict=False):
                discussion.react(session, as_member(reactor), coop, p.id, c.id, kind, now=NOW)
        voting = p
    talk = proposals.draft_general(session, as_member(member), coop, "Still talking", "", now=NOW)
    proposals.open_deliberation(session, as_member(member), coop, talk.id, now=NOW)
    for n in range(open_votes):
        tokens.create_token(session, as_member(secretary), coop, secretary, ["read"], name=f"token {n}", now=NOW)
    assert voting is not None and closed is not None
    session.flush()
    return Sized(coop.id, coop.slug, secretary.id, member.id, closed.id, voting.id, talk.id)


@pytest.fixture(scope="module")
def coops(engine, keys) -> Iterator[tuple[Session, Sized, Sized]]:  # type: ignore[no-untyped-def]
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        small = _grow(session, keys, members=12, entries=60, open_votes=1)
        big = _grow(session, keys, members=2000, entries=20000, open_votes=3)
        session.commit()  # releases the builder's savepoint; the outer transaction stays open
        session.close()  # the tests read ids and slugs from the detached, loaded objects
        yield connection, small, big
    finally:
        outer.rollback()
        connection.close()


@pytest.fixture
def db(coops) -> Iterator[Session]:  # type: ignore[no-untyped-def]
    """Overrides the suite's ``db``: a savepoint inside the module's transaction."""
    connection = coops[0]
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()


def pages(s: Sized) -> dict[str, str]:
    """Page name → path inside the co-op."""
    return {
        "home": "", "salary": "pay", "pay history": f"pay/members/{s.member_id}", "pay over time": "pay/over-time",
        "salary csv": "pay.csv", "rules": "rules",
        "rule": "rules/pay.policy", "decisions": "decisions", "decisions page 2": "decisions?page=2",
        "verify": "verify", "closed proposal": f"proposals/{s.closed_id}",
        "voting proposal": f"proposals/{s.voting_id}", "deliberation": f"proposals/{s.deliberation_id}",
        "dashboard": "dashboard", "proposals": "proposals", "proposals voting": "proposals?status=voting",
        "new pay": "proposals/new/pay", "new rule": "proposals/new/rule", "new motion": "proposals/new",
        "directory": "members", "profile": "me", "tokens": "me/tokens", "notifications": "notifications",
        "admin members": "admin/members", "admin new member": "admin/members/new",
        "admin import": "admin/import", "admin settings": "admin/settings",
        "login": "login", "forgot": "forgot",
        "search": "search?q=motion", "search rules": "search?q=the&type=rule",
    }


def count(db: Session, portal: Portal, s: Sized, path: str, post: dict[str, str] | None = None) -> int:
    url = f"/c/{s.slug}/{path}"
    portal.get(url)  # warm: a first read may close overdue votes
    with count_queries(db) as counter:
        response = portal.post(url, post, form_page=url) if post is not None else portal.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return counter.count


@pytest.fixture
def logged_in(db, coops, app):  # type: ignore[no-untyped-def]
    _, small, big = coops
    portals = {}
    for name, s in (("small", small), ("big", big)):
        # The admin's settings page is for admins: make the secretary one in both co-ops.
        db.get(Member, s.secretary_id).role = "admin"
        db.flush()
        p = Portal(app.test_client())
        p.login(db.get(Cooperative, s.coop_id), db.get(Member, s.secretary_id))
        portals[name] = p
    return portals


PAGES = [
    "home", "salary", "salary csv", "pay history", "pay over time", "rules", "rule", "decisions", "decisions page 2", "verify",
    "closed proposal", "voting proposal", "deliberation", "dashboard", "proposals", "proposals voting",
    "new pay", "new rule", "new motion", "directory", "profile", "tokens", "notifications",
    "admin members", "admin new member", "admin import", "admin settings", "login", "forgot",
    "search", "search rules"]


@pytest.mark.parametrize("page", PAGES)
def test_a_page_issues_the_same_number_of_queries_for_12_members_and_for_2000(db, coops, logged_in, page):
    _, small, big = coops
    counts = [count(db, logged_in[name], s, pages(s)[page]) for name, s in (("small", small), ("big", big))]
    print(f"queries: {page}: {counts[0]} / {counts[1]}")  # shown with -s, for the record
    assert counts[0] == counts[1], f"{page}: {counts[0]} queries for the small co-op, {counts[1]} for the big one"


def test_the_same_for_a_visitor_reading_the_public_pages(db, coops, app):
    _, small, big = coops
    for page in ("home", "salary", "pay history", "rules", "rule", "decisions", "verify", "closed proposal",
                 "search"):
        counts = [count(db, Portal(app.test_client()), s, pages(s)[page]) for s in (small, big)]
        assert counts[0] == counts[1], (page, counts)


def test_previews_issue_the_same_number_of_queries(db, coops, logged_in):
    _, small, big = coops
    for name, form in (
        ("new pay", lambda s: {"subject_member_id": str(s.member_id), "hourly_rate": "25.00", "reason": "skills",
                               "supplements_mode": "keep", "action": "preview", "title": "x"}),
        ("new rule", lambda s: {"action": "amend", "rule_key": "pay.policy", "text": "Amended.", "entrenched": "keep",
                                "action_step": "preview"}),
    ):
        counts = [count(db, logged_in[size], s, pages(s)[name], post=form(s))
                  for size, s in (("small", small), ("big", big))]
        assert counts[0] == counts[1], (name, counts)


def test_the_big_coop_is_as_big_as_the_figure_says(db, coops):
    from sqlalchemy import func, select

    from coop.models import LedgerEntry

    _, _, big = coops
    assert db.scalar(select(func.count()).select_from(Member).where(Member.coop_id == big.coop_id)) == 2000
    assert db.scalar(select(func.count()).select_from(LedgerEntry).where(LedgerEntry.coop_id == big.coop_id)) >= 20000
