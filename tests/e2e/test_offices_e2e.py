"""Offices and elections in a real browser, as issue 7 says it will be checked: members call an
election, stand (affirming the pale), nominate and accept; a member outside the pale is shown
the boundary and the numbers; the members approve candidates (one changes their ballot); the
election closes and the results page shows the approvals per candidate, the elected and the
vacant seat; the offices page shows the new holder. Screenshots go to build/screenshots/.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select, update

from coop.clock import utcnow
from coop.governance.offices import Office
from coop.models import BallotChange, Candidacy, Cooperative, LearningRecord, Member
from coop.services import offices
from coop.services.actor import Actor
from tests.e2e.conftest import E2ECoop, LiveServer, login, main_text, proposal_id_of, shot

pytestmark = pytest.mark.e2e

PEOPLE = {"ada": "25.00", "ben": "24.00", "cleo": "26.00", "dan": "23.00", "nina": "22.00"}


def found_council(server: LiveServer, coop: E2ECoop) -> None:
    """A works council of two seats with no qualification required, in the founding
    constitution; Nina joined a month ago, inside the six months the pale asks for."""
    with server.session() as s:
        c = s.get(Cooperative, coop.id)
        offices.found_office(s, Actor.operator(), c, Office("council", "Works council", 2, 12),
                             "The co-op has a works council of two members.", now=utcnow())
        s.execute(update(Member).where(Member.id == coop["nina"].id)
                  .values(active_since=utcnow() - dt.timedelta(days=40)))


def stand(page: Any, coop: E2ECoop, election_id: int, accept: bool = False) -> str:
    page.goto(coop.path(f"elections/{election_id}"))
    page.get_by_label("I affirm the pale as written above").check()
    name = "Accept the nomination and stand" if accept else "Stand for Works council"
    page.get_by_role("button", name=name).click()
    return main_text(page)


def approve(page: Any, coop: E2ECoop, election_id: int, *names: str) -> str:
    page.goto(coop.path(f"elections/{election_id}"))
    boxes = page.locator("#f-approvals input[type=checkbox]")
    for i in range(boxes.count()):
        box = boxes.nth(i)
        label = page.locator("#f-approvals label").nth(i).inner_text().strip()
        box.set_checked(label in names)
    page.locator("form[action$='/ballot'] button[value=approve]").click()
    return main_text(page)


def test_members_stand_approve_candidates_and_the_results_show_approvals_and_the_elected(
        live_server: LiveServer, make_coop: Any, page: Any, visitor: Any) -> None:
    coop = make_coop(PEOPLE)
    found_council(live_server, coop)

    # Ada calls the election from the offices page and opens its nomination period.
    login(page, coop, "ada")
    page.goto(coop.path("offices"))
    assert "Works council" in main_text(page) and "2 vacant" in main_text(page)
    page.get_by_role("button", name="Call an election for Works council").click()
    assert "The election is drafted" in main_text(page)
    eid = proposal_id_of(page)
    page.get_by_role("button", name="Open deliberation").click()
    page.get_by_role("link", name="Candidates, standing and nominating").click()

    assert "You are standing in this election." in stand(page, coop, eid)
    page.get_by_label("Member to nominate").select_option(label="Ben")
    page.get_by_role("button", name="Nominate").click()
    assert "Ben is nominated. They stand once they accept." in main_text(page)

    ben = login(visitor(), coop, "ben")
    assert "You accepted the nomination: you are standing." in stand(ben, coop, eid, accept=True)
    cleo = login(visitor(), coop, "cleo")
    stand(cleo, coop, eid)

    # Nina is a month into her membership: the page says why she cannot stand, with numbers.
    nina = login(visitor(), coop, "nina")
    nina.goto(coop.path(f"elections/{eid}"))
    refusal = nina.locator("#my-pale").inner_text()
    assert "You cannot stand for Works council now" in refusal
    assert "active for 1 month; the rules require 6" in refusal
    assert nina.locator("#stand-form").count() == 0
    shot(nina, "offices-01-outside-the-pale")

    page.reload()
    candidates = main_text(page)
    with live_server.session() as s:
        standing = s.scalars(select(Candidacy.member_id).where(Candidacy.proposal_id == eid,
                                                               Candidacy.status == "standing")).all()
    assert sorted(standing) == sorted(coop[k].id for k in ("ada", "ben", "cleo")), candidates
    shot(page, "offices-02-candidates")

    # Voting opens once the nomination period has passed.
    live_server.elapse_notice(eid)
    page.goto(coop.path(f"proposals/{eid}"))
    page.get_by_role("button", name="Open voting").click()
    assert "Voting is open." in main_text(page)

    assert "Your ballot (approval of 2 candidate(s)) is recorded" in approve(page, coop, eid, "Ada", "Ben")
    approve(ben, coop, eid, "Ben")
    approve(cleo, coop, eid, "Cleo")
    changed = approve(cleo, coop, eid, "Ben", "Cleo")  # Cleo changes her ballot
    assert "Your current ballot: you approve Ben, Cleo" in changed
    shot(cleo, "offices-03-approval-ballot")
    dan = login(visitor(), coop, "dan")
    approve(dan, coop, eid, "Ada", "Ben")
    with live_server.session() as s:
        assert s.scalar(select(func.count()).select_from(BallotChange)
                        .where(BallotChange.proposal_id == eid)) == 5  # every change kept

    # Nina does not vote; the deadline passes and the next reader's request closes it.
    live_server.elapse_voting(eid)
    public = visitor()
    public.goto(coop.path(f"elections/{eid}"))
    results = " ".join(public.locator("#approvals").inner_text().split())
    # Four ballots: more than half (3 or more) elects. Ben 4, Ada 2, Cleo 1.
    assert "Ben 4 elected" in results, results
    assert "Ada 2 not elected" in results and "Cleo 1 not elected" in results
    text = main_text(public)
    assert "Results: passed" in text
    assert "4 ballots cast, 0 abstentions, of an electorate of 5" in text
    assert "1 of 2 seats filled; 1 vacant" in text
    assert "Elected: Ben. 1 seat remains vacant." in text
    shot(public, "offices-04-results")

    public.goto(coop.path("offices"))
    office = main_text(public)
    assert "Holders today: 1 of 2 seats, 1 vacant" in office
    assert "Ben" in office.split("Holders today")[1] and f"election #{eid}" in office


def test_a_member_imports_learning_from_a_csv_file_and_the_hours_add_up_on_the_report(
        live_server: LiveServer, make_coop: Any, page: Any, tmp_path: Any) -> None:
    coop = make_coop({"ada": "25.00", "ben": "24.00"})
    year = utcnow().year
    ada = coop["ada"].email
    bad = tmp_path / "bad.csv"
    bad.write_text("email,title,kind,hours,started_on,ended_on,status\n"
                   f"{ada},Cost accounting,course,12.50,{year}-01-10,{year}-01-20,completed\n"
                   f"{coop['ben'].email},Welding,course,3,{year}-02-01,{year}-02-02,completed\n", encoding="utf-8")
    good = tmp_path / "learning.csv"
    good.write_text("email,title,provider,kind,hours,started_on,ended_on,status\n"
                    f"{ada},Cost accounting,Open College,course,12.50,{year}-01-10,{year}-01-20,completed\n"
                    f"{ada},Reading group,,self-study,3.25,{year}-01-05,{year}-01-05,completed\n", encoding="utf-8")

    login(page, coop, "ada")
    page.goto(coop.path("me/learning"))
    page.get_by_label("CSV file").set_input_files(str(bad))
    page.get_by_role("button", name="Import", exact=True).click()
    refused = main_text(page)
    assert "1 error(s) in the file; nothing was imported" in refused
    assert "members import only their own records" in page.locator("#import-errors").inner_text()
    with live_server.session() as s:
        assert s.scalar(select(func.count()).select_from(LearningRecord)
                        .where(LearningRecord.coop_id == coop.id)) == 0
    shot(page, "offices-05-learning-import-refused")

    page.get_by_label("CSV file").set_input_files(str(good))
    page.get_by_role("button", name="Import", exact=True).click()
    mine = main_text(page)
    assert "Imported 2 learning record(s), 15.75 hours." in mine
    assert f"15.75 hours completed in {year}" in mine and "Reading group" in mine

    page.goto(coop.path("education"))
    rows = " ".join(page.locator("#members").locator("xpath=following::table[1]").inner_text().split())
    assert "Ada 15.75" in rows and "Ben 0.00" in rows, rows
    shot(page, "offices-06-education-report")
