"""`coop rules` and `coop proposals`, on the demo co-op and on a proposal whose vote is overdue."""

from __future__ import annotations

import datetime as dt
import re
import sys
import types

from sqlalchemy import select

from coop.ledger.keys import KeyStore
from coop.models import LedgerEntry, Proposal
from coop.services import proposals
from tests.cli.conftest import Coop
from tests.clock import NOW
from tests.factories import as_member, make_coop, make_member


def test_rules_list_shows_every_rule_with_its_version_and_entrenchment(demo: Coop) -> None:
    lines = demo.ok("rules", "list").output.splitlines()
    assert lines[0].split() == ["key", "version", "status", "title"]
    by_key = {line.split()[0]: line for line in lines[2:]}
    assert by_key["education.policy"].split()[1] == "2"  # amended by the demo's rule change
    assert "entrenched" in by_key["voting.entrenched"]
    assert "entrenched" not in by_key["pay.policy"]


def test_the_demos_rule_history_runs_forward_from_its_founding(demo: Coop) -> None:
    # The demo is founded two years back: its founding rules must not post-date the
    # amendments its members voted since.
    out = demo.ok("rules", "show", "education.policy", "--history").output
    dates = re.findall(r"^== version \d+: (\S+ \S+) UTC", out, re.M)
    assert len(dates) == 2 and dates == sorted(dates), out


def test_rules_show_prints_text_parameters_and_the_version_in_force(demo: Coop) -> None:
    out = demo.ok("rules", "show", "pay.policy").output
    assert out.startswith("pay.policy (version 1 in force; ordinary)")
    assert "founding constitution" in out
    assert "pay.max_ratio = 3" in out and "pay.floor = 0.00" in out
    assert "highest total hourly pay is at most three times the lowest" in out


def test_rules_history_names_each_version_its_author_and_proposal(demo: Coop) -> None:
    out = demo.ok("rules", "show", "education.policy", "--history").output
    assert "== version 1:" in out and "founding constitution" in out
    assert "== version 2:" in out and "proposed by Lena Fischer, adopted by proposal 3" in out
    assert "education.expected_hours_per_year = 40" in out
    assert "education.expected_hours_per_year = 48" in out


def test_an_unknown_rule_is_named(demo: Coop) -> None:
    assert demo.fails("rules", "show", "no.such.rule") == "error: rule_key: no rule with key 'no.such.rule'"


def test_proposals_list_filters_by_status_and_kind(demo: Coop) -> None:
    everything = demo.ok("proposals", "list").output.splitlines()
    assert len(everything) == 2 + 11  # 8 proposals and 3 elections (coop.demo_offices)
    voting = demo.ok("proposals", "list", "--status", "voting").output.splitlines()[2:]
    assert {line.split()[0] for line in voting} == {"5", "6", "9"}
    pay_votes = demo.ok("proposals", "list", "--kind", "pay_adjustment", "--status", "voting").output
    assert "Skills supplement for electrical installations" in pay_votes
    assert "Remote work" not in pay_votes


def test_proposals_show_gives_tally_threshold_quorum_electorate_outcome_and_comments(demo: Coop) -> None:
    out = demo.ok("proposals", "show", "4").output
    assert "proposal 4: Open a second workshop in Eastside" in out
    assert "threshold: 1/2 of cast, strict" in out and "quorum: 1/2 of the electorate" in out
    assert "electorate: 12 member(s)" in out
    assert "tally: yes 3, no 1, abstain 0 (4 of 12 took part)" in out
    assert "outcome: failed (failed on quorum)" in out
    assert "reason: failed on quorum" in out
    assert "Owen Gallagher" in out  # the comment's author


def test_proposals_show_for_an_open_pay_vote_shows_the_change_and_the_expert_opinion(demo: Coop) -> None:
    out = demo.ok("proposals", "show", "6").output
    assert "status: voting" in out and "tally so far: yes 4, no 1, abstain 0" in out
    assert "pay of Rahul Iyer (skills): 27.00/h, 40.00 h/week -> 27.00/h + 1.25 electrical installations" in out
    assert "electorate: 11 member(s)" in out  # the subject is recused
    assert "[expert opinion: accounting, EQF 6]" in out


def test_showing_a_proposal_issues_as_many_queries_with_one_comment_as_with_five(
        demo: Coop, session_for) -> None:  # type: ignore[no-untyped-def]
    from coop.models import Member
    from coop.services import coops

    before = demo.count_queries("proposals", "show", "5")  # an open vote with one comment
    with session_for() as s:
        c = coops.get_by_slug(s, "demo")
        for login in ("ada", "grace", "rahul", "ingrid"):
            m = s.scalars(select(Member).where(Member.email == f"{login}@riverside.example")).one()
            proposals.comment(s, as_member(m), c, 5, f"A thought from {m.name}.", now=NOW)
    out = demo.ok("proposals", "show", "5").output
    assert "comments (5):" in out and "A thought from Ingrid Johansson." in out
    assert demo.count_queries("proposals", "show", "5") == before


def test_an_unknown_proposal_is_named(demo: Coop) -> None:
    assert demo.fails("proposals", "show", "99") == "error: proposal: no proposal 99 in this co-op"


def _overdue_vote(coop: Coop, session_for) -> int:  # type: ignore[no-untyped-def]
    """A general vote that opened ten days ago: its 7-day period has ended, nobody closed it."""
    with session_for() as s:
        c = make_coop(s, KeyStore(coop.tmp / "keys"), slug="acme")
        author, other = make_member(s, c), make_member(s, c)
        p = proposals.draft_general(s, as_member(author), c, "Paint the workshop", "Green.", now=NOW)
        start = NOW - dt.timedelta(days=13)
        proposals.open_deliberation(s, as_member(author), c, p.id, now=start)
        proposals.open_voting(s, as_member(author), c, p.id, now=start + dt.timedelta(days=3))
        proposals.cast_ballot(s, as_member(other), c, p.id, "yes", now=start + dt.timedelta(days=4))
        return p.id


def test_close_due_closes_an_overdue_vote_once_and_then_reports_zero(coop: Coop, session_for) -> None:  # type: ignore[no-untyped-def]
    pid = _overdue_vote(coop, session_for)
    first = coop.ok("proposals", "close-due").output
    assert first.startswith("closed 1 proposal(s)")
    assert f"acme #{pid} Paint the workshop: passed" in first
    after_first = coop.counts()
    assert coop.ok("proposals", "close-due").output.startswith("closed 0 proposal(s)")
    assert coop.counts() == after_first
    with session_for() as s:
        p = s.get(Proposal, pid)
        assert p is not None and p.status == "closed" and p.outcome == "passed"
        decisions = list(s.scalars(select(LedgerEntry).where(LedgerEntry.kind == "decision")))
    assert len(decisions) == 1


def test_close_due_signs_a_checkpoint_per_affected_coop_when_signing_is_installed(
        coop: Coop, session_for, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    signed: list[str] = []
    fake = types.ModuleType("coop.services.checkpoints")
    fake.sign = lambda session, keys, c, now: signed.append(c.slug)  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "coop.services.checkpoints", fake)
    _overdue_vote(coop, session_for)
    assert "signed a checkpoint of acme's ledger" in coop.ok("proposals", "close-due").output
    coop.ok("proposals", "close-due")
    assert signed == ["acme"]  # nothing closed the second time, nothing signed


def test_close_due_with_nothing_due_on_a_fresh_installation_reports_zero(coop: Coop) -> None:
    assert coop.ok("proposals", "close-due").output.strip() == "closed 0 proposal(s)"
