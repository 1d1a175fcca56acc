"""The portal's offices, election, learning and education pages: what they show, the actions
they take (each behind a CSRF token), refusals that name the boundary and change nothing, and
a constant number of queries per page whatever the size of the co-op."""

from __future__ import annotations

import datetime as dt
import io
import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from coop.governance.offices import add_months
from coop.models import Ballot, BallotChange, Candidacy, LearningRecord, Proposal
from coop.pay import Pay, Supplement, SupplementReason
from coop.services import education, elections, ledger, offices, pale, pay, proposals, recalls
from tests.clock import NOW
from tests.dbstate import assert_unchanged, snapshot
from tests.factories import as_member, make_coop, make_member
from tests.office_factories import approve, call, close, elect, found, open_vote, qualify, senior, stand
from tests.portal.conftest import text_of, with_password
from tests.querycount import count_queries


@pytest.fixture
def coop(db, keys):
    c = make_coop(db, keys)
    found(db, c)  # treasurer: one seat, 24 months, accounting:6
    found(db, c, "council", "Works council", seats=2, term_months=12, requires="")
    return c


@pytest.fixture
def people(db, coop):
    ms = [senior(db, coop, name=n) for n in ("Ada Arendt", "Ben Brecht", "Cleo Curie", "Dan Dewey")]
    with_password(db, *ms)
    return ms


def now() -> dt.datetime:
    return NOW


def call_now(db, coop, office_key, author, seats=None):
    """An election whose nomination period is open now (the portal reads the real clock)."""
    return call(db, coop, office_key, author, at=now(), seats=seats)


def open_vote_now(db, coop, p, author):
    """Voting opens now: the notice period is made to have passed a moment ago."""
    p.deliberation_ends_at = now() - dt.timedelta(seconds=1)
    db.flush()
    return proposals.open_voting(db, as_member(author), coop, p.id, now=now())


def url(coop, rest: str) -> str:
    return f"/c/{coop.slug}/{rest}"


# -- the offices page ------------------------------------------------------------------------

def test_offices_page_shows_requirements_holders_term_ends_vacancies_and_past_holders(db, coop, people, client):
    ada, ben, cleo, dan = people
    qualify(db, coop, ada, "accounting", 6)
    treasurer = elect(db, coop, "treasurer", [ada], people)
    # A works council elected long ago whose one-year term has run out: a past holder.
    council = elect(db, coop, "council", [ben], people, at=add_months(now(), -20))
    page = text_of(client.get(url(coop, "offices")))
    assert "Treasurer" in page and "a verified qualification in accounting at EQF level 6 or higher" in page
    assert "1 seat; terms of 24 months" in page and "2 seats; terms of 12 months" in page
    holders = page.split("Holders today: 1 of 1 seat")[1].split("Works council")[0]
    assert "Ada Arendt" in holders and f"election #{treasurer.id}" in holders
    assert add_months(treasurer.executed_at, 24).strftime("%Y-%m-%d") in holders  # the term's end
    council_part = page.split("Holders today: 0 of 2 seats, 2 vacant")[1]
    assert council_part.count("Vacant") == 2
    past = council_part.split("Past holders (1)")[1]
    assert "Ben Brecht" in past and "expiry" in past and f"election #{council.id}" in past
    assert "Active membership for at least 6 months" in page and "At most 2 offices held at once" in page


def test_after_a_recall_the_offices_page_shows_the_vacancy_and_the_recall_that_ended_the_term(db, coop, people, client):
    ada, ben, cleo, dan = people
    qualify(db, coop, ada, "accounting", 6)
    elect(db, coop, "treasurer", [ada], people, at=now() - dt.timedelta(days=90))
    [term] = offices.current_terms(db, coop.id, now(), office_key="treasurer")
    r = recalls.draft_recall(db, as_member(ben), coop, term.id, body="The books are late.",
                             now=now() - dt.timedelta(days=40))
    proposals.open_deliberation(db, as_member(ben), coop, r.id, now=now() - dt.timedelta(days=40))
    proposals.open_voting(db, as_member(ben), coop, r.id, now=r.deliberation_ends_at)
    for m in (ben, cleo, dan):  # Ada is recused; the whole electorate has voted, so it closes
        proposals.cast_ballot(db, as_member(m), coop, r.id, "yes", now=r.voting_opened_at)
    assert (r.outcome, term.end_reason, term.ended_at) == ("passed", "recall", r.voting_opened_at)
    page = text_of(client.get(url(coop, "offices")))
    treasurer = page.split("Treasurer", 1)[1].split("Works council")[0]
    assert "Holders today: 0 of 1 seat, 1 vacant" in treasurer and "Vacant" in treasurer
    past = treasurer.split("Past holders (1)")[1]
    assert "Ada Arendt" in past and f"recall #{r.id}" in past


def test_offices_page_is_for_members_only_when_the_coop_keeps_its_pages_private(db, coop, client):
    coop.public_pages = False
    db.flush()
    response = client.get(url(coop, "offices"))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_calling_an_election_drafts_it_and_a_bad_seat_count_is_refused_beside_the_field(db, coop, people, portal):
    ada = people[0]
    portal.login(coop, ada)
    before = snapshot(db)
    bad = portal.post(url(coop, "offices/council/election"), {"council-seats": "3"})
    assert bad.status_code == 422
    assert 'id="e-council-seats"' in bad.get_data(as_text=True)
    assert "Works council has 2 seat(s)" in text_of(bad)
    assert_unchanged(db, before)
    good = portal.post(url(coop, "offices/council/election"), {"council-seats": ""})
    assert good.status_code == 302
    p = db.scalars(select(proposals.Proposal).where(proposals.Proposal.coop_id == coop.id)).one()
    assert (p.kind, p.details["seats"], p.details["regular"]) == ("election", 2, True)


# -- standing, nominating, accepting ---------------------------------------------------------

def test_a_candidacy_outside_the_pale_is_refused_with_the_boundary_and_numbers_and_changes_nothing(db, coop, people, portal):
    newcomer = make_member(db, coop, name="Nina New", active_since=add_months(now(), -5) - dt.timedelta(days=2))
    with_password(db, newcomer)
    p = call_now(db, coop, "council", people[0])
    portal.login(coop, newcomer)
    page = text_of(portal.get(url(coop, f"elections/{p.id}")))
    # Shown before filing, too, so the member need not try to find out.
    assert "You cannot stand for Works council now" in page
    assert "pale.min_tenure_months: active for 5 months; the rules require 6" in page
    before = snapshot(db)
    response = portal.post(url(coop, f"elections/{p.id}/stand"),
                           {"affirm": "yes", "pale_version": "pale.standing v1"})
    assert "active for 5 months; the rules require 6" in text_of(portal.refused(response))
    assert_unchanged(db, before)


def test_standing_needs_the_pale_affirmed_and_records_the_affirmation(db, coop, people, portal):
    ada = people[0]
    p = call_now(db, coop, "council", ada)
    portal.login(coop, ada)
    page = portal.get(url(coop, f"elections/{p.id}")).get_data(as_text=True)
    version = re.search(r'name="pale_version" value="([^"]+)"', page).group(1)
    before = snapshot(db)
    refused = portal.refused(portal.post(url(coop, f"elections/{p.id}/stand"), {"pale_version": version}))
    assert "tick the box to affirm the pale" in text_of(refused)
    assert 'id="e-affirmed_pale_version"' in refused.get_data(as_text=True)
    assert_unchanged(db, before)
    done = portal.post(url(coop, f"elections/{p.id}/stand"), {"affirm": "yes", "pale_version": version})
    assert done.status_code == 302
    c = db.scalars(select(Candidacy).where(Candidacy.proposal_id == p.id)).one()
    assert (c.member_id, c.status, c.affirmed_pale_version) == (ada.id, "standing", version)
    assert "standing" in text_of(portal.get(url(coop, f"elections/{p.id}"))).split("Candidates")[1]


def test_expert_opinions_of_members_qualified_for_the_office_are_shown_beside_the_candidates(db, coop, people, portal):
    ada, ben, cleo, _ = people
    qualify(db, coop, ada, "accounting", 6)
    expert = qualify(db, coop, cleo, "accounting", 7)
    p = call_now(db, coop, "treasurer", ben)
    stand(db, coop, p, ada, at=now())
    proposals.comment(db, as_member(cleo), coop, p.id, "The role needs IFRS; Ada knows it.", expert.id, now=NOW)
    proposals.comment(db, as_member(ben), coop, p.id, "Who else will stand?", now=NOW)  # no expertise cited
    portal.login(coop, ben)
    page = text_of(portal.get(url(coop, f"elections/{p.id}")))
    candidates, opinions = page.split("Candidates", 1)[1].split("Expert opinions", 1)
    assert "Ada Arendt" in candidates
    assert "Cleo Curie · accounting, EQF 7" in opinions and "The role needs IFRS; Ada knows it." in opinions
    assert "Who else will stand?" not in page


def test_a_nominee_accepts_or_declines_and_the_page_says_who_nominated_them(db, coop, people, portal):
    ada, ben, cleo, _ = people
    p = call_now(db, coop, "council", ada)
    portal.login(coop, ada)
    assert portal.post(url(coop, f"elections/{p.id}/nominate"), {"member": str(ben.id)}).status_code == 302
    assert portal.post(url(coop, f"elections/{p.id}/nominate"), {"member": str(cleo.id)}).status_code == 302
    before = snapshot(db)
    again = portal.refused(portal.post(url(coop, f"elections/{p.id}/nominate"), {"member": str(ben.id)}))
    assert "Ben Brecht is nominated in this election already" in text_of(again)
    assert_unchanged(db, before)
    portal.logout(coop)

    portal.login(coop, ben)
    page = portal.get(url(coop, f"elections/{p.id}")).get_data(as_text=True)
    assert "Accept the nomination and stand" in page
    version = re.search(r'name="pale_version" value="([^"]+)"', page).group(1)
    assert portal.post(url(coop, f"elections/{p.id}/stand"), {"affirm": "yes", "pale_version": version}).status_code == 302
    portal.logout(coop)
    portal.login(coop, cleo)
    assert portal.post(url(coop, f"elections/{p.id}/decline")).status_code == 302

    status = {c.member_id: (c.status, c.nominated_by_id) for c in elections.candidacies(db, p.id)}
    assert status == {ben.id: ("standing", ada.id), cleo.id: ("declined", ada.id)}
    table = text_of(portal.get(url(coop, f"elections/{p.id}"))).split("Candidates")[1]
    assert "Ben Brecht standing (affirmed" in table and "Ada Arendt" in table


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(db, coop, people, portal):
    p = call_now(db, coop, "council", people[0])
    portal.login(coop, people[0])
    before = snapshot(db)
    response = portal.client.post(url(coop, f"elections/{p.id}/stand"),
                                  data={"affirm": "yes", "pale_version": "pale.standing v1"})
    assert response.status_code == 400
    assert_unchanged(db, before)


# -- the approval ballot and the results -----------------------------------------------------

@pytest.fixture
def voting(db, coop, people):
    """A works-council election (two seats) with three candidates, voting open now."""
    ada, ben, cleo, dan = people
    p = call_now(db, coop, "council", ada)
    for m in (ada, ben, cleo):
        stand(db, coop, p, m, at=now())
    return open_vote_now(db, coop, p, ada)


def ballot(portal, coop, p, *approve_ids, choice="approve"):
    return portal.post(url(coop, f"elections/{p.id}/ballot"),
                       {"choice": choice, "approve": [str(i) for i in approve_ids]})


def test_an_approval_ballot_can_be_changed_until_close_and_its_history_is_shown(db, coop, people, voting, portal):
    ada, ben, cleo, dan = people
    portal.login(coop, dan)
    page = text_of(portal.get(url(coop, f"elections/{voting.id}")))
    assert "You have not voted yet" in page and "I approve of Ada Arendt Ben Brecht Cleo Curie" in page
    assert ballot(portal, coop, voting, ada.id, ben.id).status_code == 302
    assert ballot(portal, coop, voting, cleo.id).status_code == 302
    live = db.scalars(select(Ballot).where(Ballot.proposal_id == voting.id)).one()
    assert (live.choice, live.approvals) == ("approve", [cleo.id])
    assert db.scalars(select(BallotChange).where(BallotChange.proposal_id == voting.id)).all().__len__() == 2
    html = portal.get(url(coop, f"elections/{voting.id}")).get_data(as_text=True)
    assert re.search(rf'value="{cleo.id}"\s+checked', html) and not re.search(rf'value="{ada.id}"\s+checked', html)
    page = text_of(portal.get(url(coop, f"elections/{voting.id}")))
    assert "Your current ballot: you approve Cleo Curie" in page
    assert "7 days 0 h left; turnout so far 1 of 4, 25%" in page  # one voter, however often he changes
    assert "Your ballot's history (2 ballots)" in page and "approve Ada Arendt, Ben Brecht" in page
    assert ballot(portal, coop, voting, choice="abstain").status_code == 302
    db.expire_all()  # the portal wrote through its own session
    assert db.scalars(select(Ballot).where(Ballot.proposal_id == voting.id)).one().choice == "abstain"


def test_a_ballot_for_someone_not_standing_or_for_no_one_is_refused_and_changes_nothing(db, coop, people, voting, portal):
    dan = people[3]
    portal.login(coop, dan)
    before = snapshot(db)
    stranger = portal.refused(ballot(portal, coop, voting, dan.id))
    assert f"not standing in this election: member(s) {dan.id}" in text_of(stranger)
    assert 'id="e-approvals"' in stranger.get_data(as_text=True)
    empty = portal.refused(ballot(portal, coop, voting))
    assert "approve at least one candidate, or abstain" in text_of(empty)
    junk = portal.post(url(coop, f"elections/{voting.id}/ballot"), {"choice": "approve", "approve": "x"})
    assert "approvals are candidates on the ballot" in text_of(portal.refused(junk))
    assert_unchanged(db, before)


def test_the_results_show_approvals_per_candidate_the_elected_and_the_vacant_seats(db, coop, people, voting, portal, client):
    ada, ben, cleo, dan = people
    approve(db, coop, voting, ada, ada, ben)
    approve(db, coop, voting, ben, ben)
    approve(db, coop, voting, cleo, ben)
    portal.login(coop, dan)
    # The last voter closes the vote: everyone in the electorate has voted.
    response = ballot(portal, coop, voting, ben.id)
    assert response.status_code == 302 and response.headers["Location"].endswith("#results")
    db.refresh(voting)
    assert voting.status == "closed" and voting.outcome == "passed"
    page = text_of(client.get(url(coop, f"elections/{voting.id}")))
    results = page.split("Results: passed")[1]
    assert "4 ballots cast, 0 abstentions, of an electorate of 4" in results
    assert "1 of 2 seats filled; 1 vacant" in results
    assert "Ben Brecht 4 elected" in results and "Ada Arendt 1 not elected" in results
    assert "Cleo Curie 0 not elected" in results
    assert "Elected: Ben Brecht. 1 seat remains vacant." in results
    # The proposal page sums the election up and links to the results.
    summary = text_of(client.get(url(coop, f"proposals/{voting.id}")))
    assert "Elected: Ben Brecht (4 approvals); 1 seat vacant." in summary


def test_election_results_name_the_people_where_members_read_them(db, coop, people, voting, portal, client):
    from coop.models import LedgerEntry, Notification
    from coop.services import dashboard

    ada, ben, cleo, dan = people
    for voter in (ada, ben, cleo, dan):
        approve(db, coop, voting, voter, ben)
    db.refresh(voting)
    # The decision record keeps ids (its bytes are hashed); only the reading puts names in.
    assert f"elected member {ben.id}" in voting.outcome_reason
    record = db.scalars(select(LedgerEntry).where(LedgerEntry.coop_id == coop.id,
                                                  LedgerEntry.index == voting.decision_entry_index)).one()
    assert f"member {ben.id} had 4".encode() in record.body
    said = "elected Ben Brecht with"
    notice = db.scalars(select(Notification).where(Notification.member_id == dan.id,
                                                   Notification.kind == "vote_closed")).one()
    assert said in notice.body and "Ben Brecht had 4" in notice.body and f"member {ben.id}" not in notice.body
    portal.login(coop, dan)
    for page in ("", "dashboard", "decisions", f"proposals/{voting.id}"):
        body = text_of(portal.get(url(coop, page)))
        assert said in body and f"member {ben.id} had" not in body, page
    # One query names every decision on a page, however many there are.
    with count_queries(db) as counter:
        dashboard.closed(db, coop, now=NOW)
    assert len(counter.matching("FROM members")) == 1


def test_a_tie_at_the_last_seat_shows_the_lot_and_its_inputs(db, coop, people, client):
    ada, ben, cleo, dan = people
    p = call(db, coop, "council", ada)
    for m in (ada, ben, cleo):
        stand(db, coop, p, m)
    open_vote(db, coop, p, ada)
    approve(db, coop, p, ada, ada, ben, cleo)
    approve(db, coop, p, ben, ada, ben, cleo)
    approve(db, coop, p, cleo)
    close(db, coop, p)
    lot = p.details["result"]["lot"]
    assert lot and len(lot["tied"]) == 3
    html = client.get(url(coop, f"elections/{p.id}")).get_data(as_text=True)
    assert "broken by lot" in html and lot["root"] in html
    for t in lot["tied"]:
        assert t["key"] in html
    order = [html.index(t["key"]) for t in lot["tied"]]
    assert order == sorted(order)  # shown in the lot's order


def test_an_election_under_way_is_for_members_and_a_draft_for_its_author(db, coop, people, portal, client):
    ada, ben = people[:2]
    draft = elections.draft_election(db, as_member(ada), coop, "council", now=NOW)
    assert client.get(url(coop, f"elections/{draft.id}")).status_code == 302  # to the login page
    portal.login(coop, ben)
    assert portal.get(url(coop, f"elections/{draft.id}")).status_code == 404
    assert portal.get(url(coop, "elections/999999")).status_code == 404
    general = proposals.draft_general(db, as_member(ben), coop, "Buy a lathe", "", now=NOW)
    assert "is not an election" in text_of(portal.get(url(coop, f"elections/{general.id}")))
    assert portal.get(url(coop, "education?year=abc")).status_code == 422


# -- learning and the education report -------------------------------------------------------

def test_my_learning_adds_a_record_and_shows_hours_this_year_against_the_expectation(db, coop, people, portal):
    ada = people[0]
    portal.login(coop, ada)
    today = now().date()
    response = portal.post(url(coop, "me/learning"), {
        "title": "Double-entry bookkeeping", "provider": "Open College", "kind": "course", "hours": "12.50",
        "started_on": today.replace(day=1).isoformat(), "ended_on": today.isoformat(), "status": "completed",
        "qualification_field": "Accounting", "qualification_level": "5"})
    assert response.status_code == 302
    r = db.scalars(select(LearningRecord).where(LearningRecord.member_id == ada.id)).one()
    assert (r.hours, r.qualification_field, r.qualification_level) == (Decimal("12.50"), "accounting", 5)
    page = text_of(portal.get(url(coop, "me/learning")))
    mine = next(m for m in education.report(db, coop, today.year, now=NOW).members if m.member_id == ada.id)
    assert f"12.50 hours completed in {today.year}" in page
    assert f"{mine.expected} hours expected in {today.year}" in page
    assert "Double-entry bookkeeping Open College course 12.50" in page
    assert "accounting, EQF 5 not yet verified" in page


def learning_csv(email: str, year: int, extra: str = "") -> str:
    return ("email,title,provider,kind,hours,started_on,ended_on,status\n"
            f"{email},Cost accounting,Open College,course,12.50,{year}-01-10,{year}-01-20,completed\n"
            f"{email},Reading group,,self-study,3.25,{year}-01-05,{year}-01-05,completed\n"
            f"{email},Lathe safety,Makerspace,workshop,6,{year}-12-01,,planned\n" + extra)


def test_a_member_imports_a_csv_on_my_learning_and_the_hours_add_up_on_the_report(db, coop, people, portal):
    ada, ben = people[:2]
    portal.login(coop, ada)
    year = now().year
    before = {m.member_id: m.completed for m in education.report(db, coop, year, now=NOW).members}
    upload = (io.BytesIO(("\ufeff" + learning_csv(ada.email, year)).encode("utf-8")), "learning.csv")
    response = portal.post(url(coop, "me/learning/import"), {"file": upload}, form_page=url(coop, "me/learning"))
    assert response.status_code == 302
    added = db.scalars(select(LearningRecord).where(LearningRecord.member_id == ada.id)).all()
    assert sorted(r.hours for r in added) == [Decimal("3.25"), Decimal("6.00"), Decimal("12.50")]
    after = {m.member_id: m for m in education.report(db, coop, year, now=NOW).members}
    assert after[ada.id].completed - before[ada.id] == Decimal("15.75")  # the planned course does not count
    assert after[ben.id].completed == before[ben.id]
    page = text_of(portal.get(url(coop, "me/learning")))
    assert "Imported 3 learning record(s), 21.75 hours." in page
    assert f"15.75 hours completed in {year}" in page
    report = text_of(portal.get(url(coop, "education")))
    assert "Ada Arendt 15.75" in report


@pytest.mark.parametrize("extra, line, column, problem", [
    ("{me},Welding,TWI,course,2.505,{y}-02-01,{y}-02-02,completed\n", 5, "hours", "at most two decimal places"),
    ("{other},Welding,TWI,course,2,{y}-02-01,{y}-02-02,completed\n", 5, "email", "only their own records"),
    ("nobody@example.org,Welding,TWI,course,2,{y}-02-01,{y}-02-02,completed\n", 5, "email", "no member"),
])
def test_a_refused_csv_row_on_my_learning_names_the_line_and_writes_nothing(db, coop, people, portal,
                                                                          extra, line, column, problem):
    ada, ben = people[:2]
    portal.login(coop, ada)
    year = now().year
    text = learning_csv(ada.email, year, extra.format(me=ada.email, other=ben.email, y=year))
    before = snapshot(db)
    response = portal.post(url(coop, "me/learning/import"), {"csv": text}, form_page=url(coop, "me/learning"))
    assert response.status_code == 422
    body = text_of(response)
    assert "1 error(s) in the file; nothing was imported" in body
    assert re.search(rf"{line} {column} [^|]*{problem}", body), body
    assert "Cost accounting,Open College" in response.get_data(as_text=True)  # the text is kept to fix
    assert_unchanged(db, before)


def test_my_learning_with_its_import_form_labels_every_control_even_after_a_refusal(db, coop, people, portal):
    from tests.portal.test_accessibility import unlabelled

    portal.login(coop, people[0])
    page = portal.get(url(coop, "me/learning")).get_data(as_text=True)
    assert 'id="f-file"' in page and 'id="f-csv"' in page and unlabelled(page) == []
    refused = portal.post(url(coop, "me/learning/import"), {"csv": "email,title\n"}, form_page=url(coop, "me/learning"))
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'href="#f-csv"' in html and unlabelled(html) == []


def test_a_learning_csv_that_is_not_utf8_or_has_no_rows_is_refused_and_writes_nothing(db, coop, people, portal):
    portal.login(coop, people[0])
    before = snapshot(db)
    latin1 = (io.BytesIO("email,title\nada,Caf\u00e9\n".encode("latin-1")), "learning.csv")
    response = portal.post(url(coop, "me/learning/import"), {"file": latin1}, form_page=url(coop, "me/learning"))
    assert response.status_code == 422 and "learning.csv is not UTF-8 text" in text_of(response)
    response = portal.post(url(coop, "me/learning/import"), {"csv": "email,title,kind,hours,started_on,status\n"},
                           form_page=url(coop, "me/learning"))
    assert response.status_code == 422 and "the file has no records" in text_of(response)
    assert_unchanged(db, before)


@pytest.mark.parametrize("field,value,message", [
    ("hours", "twelve", "is not a number of hours"),
    ("hours", "0", "hours must be more than 0"),
    ("ended_on", "", "a completed record needs the date it ended"),
    ("qualification_level", "9", "an EQF level from 1 to 8"),
])
def test_a_bad_learning_record_is_refused_beside_its_field_and_writes_nothing(db, coop, people, portal, field, value, message):
    ada = people[0]
    portal.login(coop, ada)
    today = now().date().isoformat()
    data = {"title": "Welding", "kind": "workshop", "hours": "8", "started_on": today, "ended_on": today,
            "status": "completed", "qualification_field": "welding", "qualification_level": "3", field: value}
    before = snapshot(db)
    response = portal.post(url(coop, "me/learning"), data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'id="e-{field}"' in html and message in text_of(response)
    assert 'value="Welding"' in html  # the form keeps what was typed
    assert_unchanged(db, before)


def test_the_education_report_has_an_svg_chart_with_a_text_alternative_and_each_member(db, coop, people, portal, client):
    ada, ben = people[:2]
    this_year = now().date()
    for who, hours, ended in ((ada, "10.00", this_year), (ben, "4.50", this_year),
                              (ada, "30.00", this_year.replace(year=this_year.year - 1, day=1))):
        education.add_record(db, as_member(who), coop, who, {
            "title": "Course", "kind": "course", "hours": hours, "started_on": ended.isoformat(),
            "ended_on": ended.isoformat(), "status": "completed"}, now=NOW)
    assert client.get(url(coop, "education")).status_code == 302  # members only
    portal.login(coop, ada)
    response = portal.get(url(coop, "education"))
    html = response.get_data(as_text=True)
    svg = re.search(r"<svg role=\"img\".*?</svg>", html, flags=re.S).group(0)
    assert "<title id=\"education-chart-title\">" in svg and "<desc id=\"education-chart-desc\">" in svg
    assert f"{this_year.year - 1}: 30.00 hours from 1 record by 1 member" in svg
    assert f"{this_year.year}: 14.50 hours from 2 records by 2 members" in svg
    assert svg.count("<rect") == 2
    page = text_of(response)
    assert f"14.50 hours completed in {this_year.year}" in page
    assert f"{this_year.year} 14.50 2 2" in page  # the chart's numbers as a table
    assert "Ada Arendt 10.00" in page and "Ben Brecht 4.50" in page
    earlier = text_of(portal.get(url(coop, f"education?year={this_year.year - 1}")))
    assert f"30.00 hours completed in {this_year.year - 1}" in earlier


# -- a pay adjustment for skills citing a qualification --------------------------------------

def test_a_skills_supplement_citing_a_qualification_shows_it_on_the_proposal_page_and_salary_table(db, coop, people, portal, client):
    ada, ben = people[:2]
    q = qualify(db, coop, ben, "first aid", 4)
    weeks = pay.policy(db, coop.id).weeks_per_year
    for m in people:
        ledger.append_pay_record(db, coop, m.id, m.name, Pay(Decimal("25.00"), Decimal("37.50")), weeks,
                                 authority="founding", effective_date=now().date(), now=NOW)
    cited = Supplement("first aid", Decimal("0.75"), SupplementReason.SKILLS, qualification_id=q.id)
    p = proposals.draft_pay_adjustment(db, as_member(ada), coop, "First aid supplement", "", ben,
                                       {"reason": "skills", "supplements": [cited]}, now=NOW)
    portal.login(coop, ada)
    page = text_of(portal.get(url(coop, f"proposals/{p.id}")))
    assert "first aid: +0.75/h (skills) citing first aid, EQF 4 (Test Institute)" in page
    # Once in force, the salary table shows the citation too.
    ledger.append_pay_record(db, coop, ben.id, ben.name, Pay(Decimal("25.00"), Decimal("37.50"), (cited,)),
                             weeks, authority="founding", effective_date=now().date(), now=NOW)
    salary = text_of(client.get(url(coop, "pay")))
    assert "first aid: +0.75/h (skills) citing first aid, EQF 4 (Test Institute)" in salary


# -- a constant number of queries per page ---------------------------------------------------

def _grow(db, coop, n):
    """``n`` more members, each with a qualification and a learning record, and a past
    treasurer term each, so every list on the pages grows."""
    extra = [senior(db, coop) for _ in range(n)]
    for m in extra:
        qualify(db, coop, m, "accounting", 6)
        education.add_record(db, as_member(m), coop, m, {
            "title": "Audit", "kind": "course", "hours": "3", "started_on": now().date().isoformat(),
            "ended_on": now().date().isoformat(), "status": "completed"}, now=NOW)
    return extra


def _counts(db, coop, people, portal, p):
    pages = {"offices": "offices", "election": f"elections/{p.id}", "education": "education",
             "learning": "me/learning", "proposal": f"proposals/{p.id}"}
    result = {}
    for name, path in pages.items():
        portal.get(url(coop, path))  # warm: the first read may close or cache
        with count_queries(db) as counter:
            assert portal.get(url(coop, path)).status_code == 200
        result[name] = counter.count
    return result


@pytest.mark.parametrize("phase", ["nominations", "voting", "closed"])
def test_each_page_issues_the_same_number_of_queries_for_a_small_and_a_larger_coop(db, keys, portal, phase):
    counts = []
    for size in (2, 12):
        c = make_coop(db, keys)
        found(db, c)
        found(db, c, "council", "Works council", seats=2, term_months=12, requires="")
        base = [senior(db, c) for _ in range(3)]
        with_password(db, *base)
        extra = _grow(db, c, size)
        voters = base + extra
        qualify(db, c, base[0], "accounting", 6)
        elect(db, c, "treasurer", [base[0]], voters)
        p = call_now(db, c, "council", base[0])
        for m in voters[1:]:
            stand(db, c, p, m, at=now())
        if phase != "nominations":
            open_vote_now(db, c, p, base[0])
            for m in voters[:-1]:
                proposals.cast_ballot(db, as_member(m), c, p.id, "approve", approvals=[v.id for v in voters[1:3]],
                                      now=now())
        if phase == "closed":
            proposals.cast_ballot(db, as_member(voters[-1]), c, p.id, "abstain", now=now())
            assert p.status == "closed"
        portal.login(c, base[0])
        counts.append(_counts(db, c, base, portal, p))
        portal.logout(c)
    assert counts[0] == counts[1], counts


# -- issue 16: calling, nominating, standing with a statement, recalls --------------------------

def test_calling_an_election_lands_on_its_page_where_the_author_opens_nominations_in_the_same_words(
        db, coop, people, portal):
    ada = people[0]
    portal.login(coop, ada)
    called = portal.post(url(coop, "offices/council/election"), form_page=url(coop, "offices"))
    p = db.scalars(select(Proposal).where(Proposal.kind == "election")).one()
    assert called.status_code == 302 and called.headers["Location"].endswith(f"/elections/{p.id}")
    page = text_of(portal.get(called.headers["Location"]))
    assert 'Press "Open nominations" when you are ready' in page
    assert "Open nominations" in page and "Open deliberation" not in page
    opened = portal.post(url(coop, f"proposals/{p.id}/deliberate"), {"from": "election"},
                         form_page=url(coop, f"elections/{p.id}"))
    assert opened.headers["Location"].endswith(f"/elections/{p.id}")
    assert "Nominations are open: members can now stand and nominate." in text_of(portal.get(opened.headers["Location"]))


def test_the_nominate_list_offers_only_members_within_the_pale_and_says_why_the_others_cannot(db, coop, people, portal):
    ada = people[0]
    newcomer = make_member(db, coop, name="Nina New", active_since=add_months(now(), -5) - dt.timedelta(days=2))
    p = call_now(db, coop, "council", ada)
    portal.login(coop, ada)
    html = portal.get(url(coop, f"elections/{p.id}")).get_data(as_text=True)
    options = re.search(r'<select id="f-member".*?</select>', html, re.S).group(0)
    assert "Ben Brecht" in options and "Nina New" not in options and f'value="{newcomer.id}"' not in options
    why = text_of(portal.get(url(coop, f"elections/{p.id}"))).split("Who cannot stand now, and why (1)")[1]
    assert "Nina New : pale.min_tenure_months: active for 5 months; the rules require 6" in why


def test_forgetting_the_pale_affirmation_says_tick_the_box_without_repeating_the_pale_text(db, coop, people, portal):
    ada = people[0]
    p = call_now(db, coop, "council", ada)
    portal.login(coop, ada)
    page = portal.get(url(coop, f"elections/{p.id}")).get_data(as_text=True)
    version = re.search(r'name="pale_version" value="([^"]+)"', page).group(1)
    pale_text = pale.statement(db, coop.id).text
    refused = portal.refused(portal.post(url(coop, f"elections/{p.id}/stand"), {"pale_version": version}))
    html = refused.get_data(as_text=True)
    error = re.search(r'<p class="field-error" id="e-affirmed_pale_version">(.*?)</p>', html, re.S).group(1)
    assert "tick the box to affirm the pale" in error
    assert pale_text.split(".")[0] not in error
    assert html.count(pale_text.split(".")[0]) == 1  # the text once, above the box, not again in red


def test_a_candidates_statement_and_verified_qualifications_show_on_the_election_page_and_the_ballot(
        db, coop, people, portal):
    ada, ben, cleo, dan = people
    qualify(db, coop, ada, "accounting", 6)
    p = call_now(db, coop, "council", dan)
    portal.login(coop, ada)
    page = portal.get(url(coop, f"elections/{p.id}")).get_data(as_text=True)
    version = re.search(r'name="pale_version" value="([^"]+)"', page).group(1)
    pitch = "I will publish the council's minutes within a week."
    assert portal.post(url(coop, f"elections/{p.id}/stand"),
                       {"affirm": "yes", "pale_version": version, "statement": pitch}).status_code == 302
    c = db.scalars(select(Candidacy).where(Candidacy.proposal_id == p.id)).one()
    assert c.statement == pitch
    stand(db, coop, p, ben, at=now())
    table = text_of(portal.get(url(coop, f"elections/{p.id}"))).split("Candidates")[1]
    assert pitch in table and "Verified: accounting, EQF 6" in table
    open_vote_now(db, coop, p, dan)
    ballot_ = text_of(portal.get(url(coop, f"elections/{p.id}"))).split("I approve of")[1]
    assert pitch in ballot_ and "Verified: accounting, EQF 6" in ballot_


def test_a_statement_longer_than_the_limit_is_refused_beside_its_field_and_changes_nothing(db, coop, people, portal):
    ada = people[0]
    p = call_now(db, coop, "council", people[1])
    portal.login(coop, ada)
    page = portal.get(url(coop, f"elections/{p.id}")).get_data(as_text=True)
    version = re.search(r'name="pale_version" value="([^"]+)"', page).group(1)
    before = snapshot(db)
    refused = portal.refused(portal.post(url(coop, f"elections/{p.id}/stand"),
                                         {"affirm": "yes", "pale_version": version, "statement": "x" * 1001}))
    assert "a statement is at most 1000 characters; this one has 1001" in text_of(refused)
    assert 'id="e-statement"' in refused.get_data(as_text=True)
    assert_unchanged(db, before)


def test_a_member_starts_a_recall_of_an_office_holder_from_the_offices_page(db, coop, people, portal):
    ada, ben, cleo, dan = people
    elect(db, coop, "council", [ada], people)
    term = offices.current_terms(db, coop.id, now(), office_key="council")[0]
    portal.login(coop, ben)
    page = portal.get(url(coop, "offices")).get_data(as_text=True)
    assert f'action="/c/{coop.slug}/offices/terms/{term.id}/recall"' in page
    started = portal.post(url(coop, f"offices/terms/{term.id}/recall"), form_page=url(coop, "offices"))
    assert started.status_code == 302
    p = db.scalars(select(Proposal).where(Proposal.kind == "recall")).one()
    assert started.headers["Location"].endswith(f"/proposals/{p.id}")
    assert (p.subject_member_id, p.details["term_id"], p.author_id) == (ada.id, term.id, ben.id)
    assert "The recall is drafted" in text_of(portal.get(started.headers["Location"]))
