"""`coop seed-demo`: the demo co-op is complete, consistent with the rules, and seeded once."""

from __future__ import annotations

from sqlalchemy import func, select

from coop.ledger import merkle
from coop.models import LedgerEntry, LedgerHead, Member, PayRecord, Proposal, Qualification
from coop.pay import check_policy
from coop.services import accounts, coops, pay
from tests.cli.conftest import Coop


def test_seeding_prints_the_demo_logins(coop: Coop) -> None:
    out = coop.ok("seed-demo").output
    assert "seeded Riverside Makers Co-operative (demo): 13 members, 11 proposals (3 open for voting)" in out
    for line in ("admin      ada@riverside.example", "secretary  grace@riverside.example",
                 "member     lena@riverside.example", "demo-password-1"):
        assert line in out


def test_seeding_twice_changes_nothing_and_says_so(demo: Coop) -> None:
    before = demo.counts()
    out = demo.ok("seed-demo").output
    assert out.strip() == "a co-op with slug 'demo' already exists; nothing changed"
    assert demo.counts() == before


def test_the_demo_logins_work_with_the_demo_password(demo: Coop, session_for) -> None:  # type: ignore[no-untyped-def]
    with session_for() as s:
        c = coops.get_by_slug(s, "demo")
        for email, role in (("ada@riverside.example", "admin"), ("grace@riverside.example", "secretary"),
                            ("lena@riverside.example", "member")):
            assert accounts.authenticate(s, c, email, "demo-password-1").role == role


def test_the_demo_has_members_qualifications_and_founding_pay_within_the_policy(demo: Coop, session_for) -> None:  # type: ignore[no-untyped-def]
    with session_for() as s:
        c = coops.get_by_slug(s, "demo")
        statuses = dict(s.execute(select(Member.status, func.count()).where(Member.coop_id == c.id)
                                  .group_by(Member.status)).all())
        assert statuses == {"active": 12, "applicant": 1}
        roles = sorted(s.scalars(select(Member.role).where(Member.role != "member")))
        assert roles == ["admin", "secretary"]
        verified = {(q.field, q.level) for q in s.scalars(select(Qualification)) if q.verified}
        assert {("accounting", 6), ("electrical engineering", 5), ("occupational safety", 4)} <= verified
        founding = list(s.scalars(select(PayRecord).where(PayRecord.authority == "founding")))
        assert len(founding) == 12
        table = pay.current_table(s, c.id)
        assert check_policy(table, pay.policy(s, c.id)) == []
        totals = sorted(p.total_hourly for p in table.values())
        assert str(totals[0]) == "18.50" and str(totals[-1]) == "34.00"
        assert any(r.supplements for r in founding)
        assert all(s_["reason"] for r in founding for s_ in r.supplements)


def test_the_demo_history_has_closed_and_open_votes_with_their_ledger_entries(demo: Coop, session_for) -> None:  # type: ignore[no-untyped-def]
    with session_for() as s:
        ps = {p.title: p for p in s.scalars(select(Proposal))}
        outcomes = sorted((p.kind, p.status, p.outcome, p.failed_test) for p in ps.values())
        assert outcomes == [
            ("election", "closed", "passed", None),
            ("election", "closed", "passed", None),
            ("election", "voting", None, None),
            ("general", "closed", "failed", "quorum"),
            ("general", "closed", "passed", None),
            ("general", "deliberation", None, None),
            ("general", "draft", None, None),
            ("pay_adjustment", "closed", "passed", None),
            ("pay_adjustment", "voting", None, None),
            ("rule_change", "closed", "passed", None),
            ("rule_change", "voting", None, None),
        ]
        raise_ = ps["Responsibility supplement for the safety officer"]
        entry = s.scalars(select(PayRecord).where(PayRecord.proposal_id == raise_.id)).one()
        assert entry.supplements[0]["kind"] == "safety officer"
        kinds = [e.kind for e in s.scalars(select(LedgerEntry).order_by(LedgerEntry.index))]
        # ... then the two past elections' decisions (coop.demo_offices).
        assert kinds == ["pay"] * 12 + ["decision", "decision", "pay", "decision", "decision"] + ["decision"] * 2
        # The stored root is the RFC 6962 root of the stored entries.
        head = s.scalars(select(LedgerHead)).one()
        leaves = [e.body for e in s.scalars(select(LedgerEntry).order_by(LedgerEntry.index))]
        assert head.size == 19 and head.root == merkle.root(leaves)
        open_pay = ps["Skills supplement for electrical installations"]
        assert open_pay.voting_closes_at is not None and open_pay.electorate_size == 11


def test_the_open_votes_are_still_open_and_the_history_is_listed(demo: Coop) -> None:
    assert demo.ok("proposals", "close-due").output.strip() == "closed 0 proposal(s)"
    voting = demo.ok("proposals", "list", "--status", "voting", "--kind", "pay_adjustment").output
    assert "Skills supplement for electrical installations" in voting


def test_the_demo_can_be_seeded_under_another_slug_beside_the_first(demo: Coop) -> None:
    demo.ok("seed-demo", "--slug", "demo-2")
    assert "demo-2" in demo.ok("coops", "list").output
    assert "ada@riverside.example" in demo.ok("members", "list", "--coop", "demo-2").output


def test_a_bad_demo_slug_is_refused_and_nothing_is_written(coop: Coop) -> None:
    assert coop.fails("seed-demo", "--slug", "Bad Slug").startswith("error: slug:")


def test_the_demo_leaves_pending_only_the_mail_of_votes_still_open(demo: Coop, session_for) -> None:  # type: ignore[no-untyped-def]
    from coop.models import Notification, OutboxMessage

    with session_for() as s:
        votes = list(s.scalars(select(Proposal)))
        pending = list(s.scalars(select(OutboxMessage).where(OutboxMessage.sent_at.is_(None))))
        unread = list(s.scalars(select(Notification).where(Notification.read_at.is_(None))))
        notices = list(s.scalars(select(Notification)))
    closed = [p for p in votes if p.status == "closed"]
    still_open = {f"/c/demo/proposals/{p.id}": p for p in votes if p.status == "voting"}
    assert closed and still_open
    # Only the openings of the votes still open wait in the outbox, as in a co-op that has
    # been sending its mail all along; no stale "vote open" for a vote decided months ago.
    assert pending and {m.link for m in pending} == set(still_open)
    assert all(m.subject.endswith(f"Vote open: {still_open[m.link].title}") for m in pending)
    assert {n.proposal_id for n in unread} == {p.id for p in still_open.values()}
    # Every notice is dated when its vote opened or closed, not when the demo was seeded.
    by_id = {p.id: p for p in votes}
    for n in notices:
        p = by_id[n.proposal_id]
        assert n.created_at == (p.voting_opened_at if n.kind == "vote_opened" else p.closed_at), (n.title, n.kind)
    assert any(n.kind == "vote_closed" for n in notices) and any(n.kind == "pay_changed" for n in notices)


def test_the_outbox_lists_the_open_votes_mail_dated_when_they_opened(demo: Coop, session_for) -> None:  # type: ignore[no-untyped-def]
    with session_for() as s:
        opened = {p.title: p.voting_opened_at for p in s.scalars(select(Proposal).where(Proposal.status == "voting"))}
    out = demo.ok("notifications", "list", "--coop", "demo").output
    for title, at in opened.items():
        assert f"{at:%Y-%m-%d %H:%M} pending" in out and f"Vote open: {title}" in out
    assert "Buy a CNC router" not in out  # decided two months ago


def test_the_demo_has_a_proposal_in_every_stage(demo: Coop, session_for) -> None:  # type: ignore[no-untyped-def]
    with session_for() as s:
        c = coops.get_by_slug(s, "demo")
        stages = set(s.scalars(select(Proposal.status).where(Proposal.coop_id == c.id)))
    assert {"draft", "deliberation", "voting", "closed"} <= stages
