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
from tests.e2e.conftest import E2ECoop, LiveServer, login, main_text, shot

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


def stand(page: Any, coop: E2ECoop, election_id: int, accept: bool = False, statement: str = "") -> str:
    page.goto(coop.path(f"elections/{election_id}"))
    if statement:
        page.get_by_label("Your statement to the voters (optional)").fill(statement)
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


def test_an_election_from_calling_to_results_names_the_people_elected(
        live_server: LiveServer, make_coop: Any, page: Any, visitor: Any) -> None:
    coop = make_coop(PEOPLE)
    found_council(live_server, coop)

    # Ada calls the election from the offices page and lands on the election's page, where
    # the button is named as the message names it.
    login(page, coop, "ada")
    page.goto(coop.path("offices"))
    assert "Works council" in main_text(page) and "2 vacant" in main_text(page)
    page.get_by_role("button", name="Call an election for Works council").click()
    assert 'Press "Open nominations" when you are ready' in main_text(page)
    assert "/elections/" in page.url
    eid = int(page.url.split("/elections/")[1].split("#")[0])
    page.get_by_role("button", name="Open nominations").click()
    assert "Nominations are open: members can now stand and nominate." in main_text(page)
    # Voting cannot open during the nomination period: the button says from when it can.
    opens = page.locator("#lifecycle button", has_text="Open voting")
    assert opens.is_disabled()
    assert "Voting can open from " in page.locator("#opens-at").inner_text()

    pitch = "I will publish the council's minutes within a week."
    assert "You are standing in this election." in stand(page, coop, eid, statement=pitch)
    # Nina is inside her first six months: she is not offered for nomination, and the page says why.
    options = page.locator("#f-member option").all_inner_texts()
    assert "Ben" in options and "Nina" not in options
    cannot = " ".join((page.locator("#cannot-stand").text_content() or "").split())
    assert "Nina" in cannot and "active for 1 month; the rules require 6" in cannot, cannot
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

    # Voting opens once the nomination period has passed, from the election's page.
    live_server.elapse_notice(eid)
    page.goto(coop.path(f"elections/{eid}"))
    page.get_by_role("button", name="Open voting").click()
    assert "Voting is open: members approve candidates on the ballot below." in main_text(page)
    assert pitch in page.locator("#f-approvals").locator("..").inner_text()  # the statement on the ballot

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

    # The decisions page states the outcome naming the people (the ledger keeps member numbers).
    public.goto(coop.path("decisions"))
    decision = " ".join(public.locator("tr", has_text="Election: Works council").inner_text().split())
    assert "elected Ben" in decision and f"member {coop['ben'].id} " not in decision, decision


def test_a_refused_form_then_a_reload_shows_the_page_again_not_a_405(
        live_server: LiveServer, make_coop: Any, page: Any) -> None:
    coop = make_coop(PEOPLE)
    found_council(live_server, coop)
    login(page, coop, "ada")
    page.goto(coop.path("offices"))
    page.get_by_role("button", name="Call an election for Works council").click()
    eid = int(page.url.split("/elections/")[1].split("#")[0])
    page.get_by_role("button", name="Open nominations").click()

    # Standing without ticking the box: one short message beside the box, at the page's address.
    page.get_by_role("button", name="Stand for Works council").click()
    assert "tick the box to affirm the pale" in page.locator("#e-affirmed_pale_version").inner_text()
    assert page.url.split("#")[0].endswith(f"/elections/{eid}")
    response = page.reload()
    assert response is not None and response.status == 200
    assert "Method Not Allowed" not in main_text(page) and "Stand for Works council" in main_text(page)

    # A refused qualification keeps what was typed, and a reload is the profile page again.
    page.goto(coop.path("me"))
    page.get_by_label("Field", exact=True).fill("accounting")
    page.get_by_label("Awarded by", exact=True).fill("Open University")
    page.get_by_label("Awarded on", exact=True).fill("2019-07-01")
    page.get_by_role("button", name="Add the qualification").click()  # no level chosen
    assert "choose an EQF level from 1 to 8" in page.locator(".error-summary").inner_text()
    assert page.get_by_label("Awarded by", exact=True).input_value() == "Open University"
    response = page.reload()
    assert response is not None and response.status == 200 and "Method Not Allowed" not in main_text(page)

    # Typing a form's address (or an old bookmark): a page in the portal's layout, with a way back.
    response = page.goto(coop.path(f"elections/{eid}/stand"))
    assert response is not None and response.status == 405
    assert "This address only takes a form" in main_text(page)
    page.get_by_role("link", name="Go to that page").click()
    assert page.url.endswith(f"/elections/{eid}")
    shot(page, "offices-05-after-a-refusal-and-reload")


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
