"""The dashboard and a proposal's page: deliberation with comments and expert opinions,
voting and changing a vote, live results only where the rules allow, final results."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from coop.models import Ballot, BallotChange, Comment
from coop.services import proposals
from tests.clock import NOW
from tests.dbstate import assert_unchanged, snapshot
from tests.factories import as_member
from tests.office_factories import qualify
from tests.portal.conftest import Portal, text_of
from tests.portal.world import build_world, decide_all, passed_raise, pay_change


@pytest.fixture
def w(db, keys):
    return build_world(db, keys)


def motion(db, w, title="Buy a new lathe"):
    return proposals.draft_general(db, as_member(w.ada), w.coop, title, "The old one is broken.", now=NOW)


def voting_now(db, w, p):
    """Voting opened a moment ago, so the page (which reads the real clock) sees it open."""
    proposals.open_deliberation(db, as_member(w.ada), w.coop, p.id, now=NOW)
    p.deliberation_ends_at = NOW - dt.timedelta(seconds=1)
    db.flush()
    return proposals.open_voting(db, as_member(w.ada), w.coop, p.id, now=NOW)


def test_the_dashboard_lists_votes_awaiting_me_with_deadlines_deliberations_decisions_and_my_pay(db, w, portal):
    decided = passed_raise(db, w)
    awaiting = voting_now(db, w, motion(db, w, "Awaiting motion"))
    voted = voting_now(db, w, motion(db, w, "Voted motion"))
    proposals.cast_ballot(db, as_member(w.ben), w.coop, voted.id, "no", now=NOW)
    talking = motion(db, w, "Talking motion")
    proposals.open_deliberation(db, as_member(w.ada), w.coop, talking.id, now=NOW)
    portal.login(w.coop, w.ben)
    body = text_of(portal.get(w.url("dashboard")))
    waiting = body.split("Votes awaiting you (1)")[1].split("Open votes you have voted in")[0]
    assert f"#{awaiting.id} Awaiting motion" in waiting
    assert f"closes {awaiting.voting_closes_at:%Y-%m-%d %H:%M} UTC" in waiting
    assert f"#{voted.id} Voted motion — your vote: no" in body
    assert f"#{talking.id} Talking motion" in body.split("Under deliberation")[1]
    # My pay, after the raise the members voted.
    assert "21.50 EUR an hour, 37.50 hours a week: 41,925.00 EUR a year" in body.split("Your pay")[1]
    assert f"#{decided.id} Raise for Ben" in body.split("Recent decisions")[1]


def test_the_dashboard_gives_my_total_pay_per_hour_with_supplements(db, w, portal):
    from decimal import Decimal

    from coop.pay import Supplement, SupplementReason

    extra = (Supplement(kind="responsibility", amount=Decimal("2.50"), reason=SupplementReason.RESPONSIBILITY),)
    decide_all(db, w, proposals.draft_pay_adjustment(db, as_member(w.cleo), w.coop, "Ben leads", "", w.ben,
                                                     pay_change("20.00", supplements=extra), now=NOW))
    portal.login(w.coop, w.ben)
    mine = text_of(portal.get(w.url("dashboard"))).split("Your pay")[1]
    assert "22.50 EUR an hour in total (20.00 base rate plus supplements), 37.50 hours a week: " \
           "43,875.00 EUR a year" in mine


def test_members_comment_during_deliberation_and_an_empty_comment_is_refused(db, w, portal):
    p = motion(db, w)
    proposals.open_deliberation(db, as_member(w.ada), w.coop, p.id, now=NOW)
    portal.login(w.coop, w.ben)
    page = w.url(f"proposals/{p.id}")
    posted = portal.post(page + "/comment", {"body": "Second-hand ones are fine."}, form_page=page)
    assert posted.status_code == 302
    assert "Ben Brecht" in text_of(portal.get(page)) and "Second-hand ones are fine." in text_of(portal.get(page))
    before = snapshot(db)
    empty = portal.post(page + "/comment", {"body": "   "}, form_page=page)
    empty = portal.refused(empty)
    assert "write something" in text_of(empty)
    assert_unchanged(db, before)


def test_only_a_member_with_a_verified_qualification_posts_an_expert_opinion(db, w, portal):
    p = motion(db, w)
    proposals.open_deliberation(db, as_member(w.ada), w.coop, p.id, now=NOW)
    verified = qualify(db, w.coop, w.cleo, "engineering", 6)
    unverified = qualify(db, w.coop, w.ben, "engineering", 6, verified=False)
    page = w.url(f"proposals/{p.id}")

    portal.login(w.coop, w.ben)
    assert 'name="qualification_id"' not in portal.get(page).get_data(as_text=True)
    before = snapshot(db)
    refused = portal.post(page + "/comment", {"body": "As an engineer…", "qualification_id": str(unverified.id)},
                          form_page=page)
    refused = portal.refused(refused)
    assert "needs a verified qualification" in text_of(refused)
    someone_elses = portal.post(page + "/comment", {"body": "As an engineer…", "qualification_id": str(verified.id)},
                                form_page=page)
    someone_elses = portal.refused(someone_elses)
    assert "cite one of your own qualifications" in text_of(someone_elses)
    assert_unchanged(db, before)
    portal.logout(w.coop)

    portal.login(w.coop, w.cleo)
    form = portal.get(page).get_data(as_text=True)
    assert 'name="qualification_id"' in form and "engineering, EQF 6 (Test Institute)" in form
    ok = portal.post(page + "/comment", {"body": "The spindle is worn.", "qualification_id": str(verified.id)},
                     form_page=page)
    assert ok.status_code == 302
    body = text_of(portal.get(page))
    assert "Cleo Curie · expert opinion : engineering, EQF 6 (Test Institute)" in body
    assert db.scalar(select(Comment.kind).where(Comment.proposal_id == p.id)) == "expert_opinion"


def test_a_member_votes_changes_the_vote_and_the_page_shows_the_current_choice(db, w, portal):
    p = voting_now(db, w, motion(db, w))
    page = w.url(f"proposals/{p.id}")
    portal.login(w.coop, w.ben)
    assert "You have not voted yet" in text_of(portal.get(page))
    assert portal.post(page + "/vote", {"choice": "yes"}, form_page=page).status_code == 302
    assert "Your current vote: yes" in text_of(portal.get(page))
    changed = portal.post(page + "/vote", {"choice": "no"}, form_page=page)
    assert changed.status_code == 302
    body = text_of(portal.get(page))
    assert "Your current vote: no" in body and "Change my vote" in body
    assert db.scalar(select(func.count()).select_from(Ballot).where(Ballot.proposal_id == p.id)) == 1
    assert db.scalar(select(func.count()).select_from(BallotChange).where(BallotChange.proposal_id == p.id)) == 2


def test_a_bad_or_missing_choice_and_a_vote_from_outside_the_electorate_change_nothing(db, w, portal, app):
    p = proposals.draft_pay_adjustment(db, as_member(w.cleo), w.coop, "Raise for Ben", "", w.ben, pay_change("21.00"),
                                       now=NOW)
    voting_now(db, w, p)
    page = w.url(f"proposals/{p.id}")
    portal.login(w.coop, w.ben)
    before = snapshot(db)
    subject = portal.post(page + "/vote", {"choice": "yes"}, form_page=page)
    subject = portal.refused(subject)
    assert "not in the electorate" in text_of(subject)
    cleo = Portal(app.test_client())  # her own browser: logging Ben out would be a write
    cleo.login(w.coop, w.cleo)
    for data, message in (({}, "choose yes, no or abstain"), ({"choice": "maybe"}, "choose one of abstain, no, yes")):
        response = cleo.refused(cleo.post(page + "/vote", data, form_page=page))
        assert message in text_of(response)
    assert_unchanged(db, before)


def test_the_subject_of_a_pay_vote_is_told_why_they_cannot_vote(db, w, portal):
    p = proposals.draft_pay_adjustment(db, as_member(w.cleo), w.coop, "Raise for Ben", "", w.ben, pay_change("21.00"),
                                       now=NOW)
    voting_now(db, w, p)
    portal.login(w.coop, w.ben)
    body = text_of(portal.get(w.url(f"proposals/{p.id}")))
    assert "the member whose pay is in question does not vote on it" in body


def test_results_stay_hidden_while_voting_unless_the_rules_show_them_live(db, w, portal):
    p = voting_now(db, w, motion(db, w))
    proposals.cast_ballot(db, as_member(w.cleo), w.coop, p.id, "yes", now=NOW)
    portal.login(w.coop, w.ben)
    page = w.url(f"proposals/{p.id}")
    body = text_of(portal.get(page))
    assert "Results are hidden until the vote closes" in body and "1 yes" not in body

    live = proposals.draft_rule_change(db, as_member(w.ada), w.coop, "Show results live", "", {
        "action": "add", "rule_key": "voting.results", "title": "Live results",
        "text": "Results are shown while a vote is open.", "parameters": {"voting.live_results": "true"},
        "entrenched": None}, now=NOW)
    assert decide_all(db, w, live).outcome == "passed", live.outcome_reason
    body = text_of(portal.get(page))
    assert "Live results (the rules show them while voting is open): 1 yes, 0 no, 0 abstain; 1 of 4 have voted." in body


def test_after_the_close_the_page_shows_the_tally_threshold_quorum_outcome_and_my_vote(db, w, portal):
    p = decide_all(db, w, motion(db, w), {"ben": "no", "cleo": "no", "dan": "abstain"})
    portal.login(w.coop, w.ben)
    body = text_of(portal.get(w.url(f"proposals/{p.id}")))
    assert "Result: failed" in body
    assert "Yes No Abstain Turnout Electorate 1 2 1 4 4" in body
    assert "Threshold: more than 1/2 of votes cast" in body and "Quorum: at least 1/2 of the electorate must take part: 2 of 4" in body
    assert p.outcome_reason in body and "Your vote was no" in body
    assert f"decision record at ledger entry {p.decision_entry_index}" in body


def test_a_closed_proposal_is_public_but_a_draft_and_a_vote_under_way_are_for_members(db, w, client):
    closed = decide_all(db, w, motion(db, w, "Closed motion"))
    draft = motion(db, w, "Draft motion")
    open_ = voting_now(db, w, motion(db, w, "Open motion"))
    assert client.get(w.url(f"proposals/{closed.id}")).status_code == 200
    for p in (draft, open_):
        response = client.get(w.url(f"proposals/{p.id}"))
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_draft_is_seen_by_its_author_and_the_secretary_only(db, w, portal):
    draft = proposals.draft_general(db, as_member(w.ben), w.coop, "Ben's draft", "", now=NOW)
    portal.login(w.coop, w.cleo)
    response = portal.get(w.url(f"proposals/{draft.id}"))
    assert response.status_code in (403, 404) and "Ben's draft" not in text_of(response)
    assert "Ben's draft" not in text_of(portal.get(w.url("proposals")))


def test_the_author_opens_deliberation_and_voting_and_another_member_cannot(db, w, portal, app):
    p = proposals.draft_general(db, as_member(w.ben), w.coop, "Ben's motion", "", now=NOW)
    page = w.url(f"proposals/{p.id}")
    portal.login(w.coop, w.ben)
    assert portal.post(page + "/deliberate", form_page=page).status_code == 302
    db.refresh(p)
    assert p.status == "deliberation"
    before = snapshot(db)
    early = portal.post(page + "/open-voting", form_page=page)
    early = portal.refused(early)
    assert "the notice period runs until" in text_of(early)
    assert_unchanged(db, before)
    cleo = Portal(app.test_client())  # her own browser: logging Ben out would be a write
    cleo.login(w.coop, w.cleo)
    other = cleo.refused(cleo.post(page + "/withdraw", form_page=page))
    assert "There is a problem" in text_of(other)
    assert_unchanged(db, before)


def test_an_unknown_proposal_is_a_404_page(w, portal):
    portal.login(w.coop, w.ben)
    assert portal.get(w.url("proposals/999999")).status_code == 404


def test_the_proposals_list_filters_by_status(db, w, portal):
    decide_all(db, w, motion(db, w, "Closed motion"))
    voting_now(db, w, motion(db, w, "Open motion"))
    portal.login(w.coop, w.ben)
    response = portal.get(w.url("proposals?status=voting"))
    assert response.status_code == 200
    voting = text_of(response)
    assert '<option value="voting" selected>' in response.get_data(as_text=True)
    assert "Open motion" in voting and "Closed motion" not in voting
    every = text_of(portal.get(w.url("proposals")))
    assert "Open motion" in every and "Closed motion" in every


def test_the_proposals_list_shows_time_left_turnout_so_far_and_whether_i_have_voted(db, w, portal, clock):
    voted = voting_now(db, w, motion(db, w, "Voted motion"))
    waiting = voting_now(db, w, motion(db, w, "Waiting motion"))
    for m in (w.ben, w.cleo):
        proposals.cast_ballot(db, as_member(m), w.coop, voted.id, "yes", now=NOW)
    decide_all(db, w, motion(db, w, "Closed motion"))
    clock.advance(days=5, hours=2, minutes=30)  # voting opened at NOW and lasts 7 days
    portal.login(w.coop, w.ben)
    rows = {line.split(" ", 1)[0]: line for line in text_of(portal.get(w.url("proposals"))).split(" #")}
    assert "1 day 21 h left 2 of 4 (50%) you have voted" in rows[str(voted.id)]
    assert "1 day 21 h left 0 of 4 (0%) not voted yet" in rows[str(waiting.id)]
    assert "left" not in [r for k, r in rows.items() if "Closed motion" in r][0]
    page = text_of(portal.get(w.url(f"proposals/{voted.id}")))
    assert "1 day 21 h left; turnout so far 2 of 4 (50%)." in page


def test_a_vote_cannot_be_changed_after_the_close_and_the_page_offers_no_ballot(db, w, portal):
    p = decide_all(db, w, motion(db, w), {"ben": "no"})
    assert p.status == "closed"
    portal.login(w.coop, w.ben)
    page = w.url(f"proposals/{p.id}")
    html = portal.get(page).get_data(as_text=True)
    assert "form" in html and f'action="{page}/vote"' not in html
    before = snapshot(db)
    late = portal.post(page + "/vote", {"choice": "yes"}, form_page=page)
    late = portal.refused(late)
    assert "There is a problem voting on this proposal has closed" in text_of(late)
    assert_unchanged(db, before)
    assert "Your vote was no" in text_of(portal.get(page))


# -- issue 16: post/redirect/get, the 405 page, "Open voting" and "New proposal" ----------------

def test_a_refused_action_redirects_to_its_page_which_shows_the_message_once(db, w, portal):
    p = motion(db, w)
    proposals.open_deliberation(db, as_member(w.ada), w.coop, p.id, now=NOW)
    page = w.url(f"proposals/{p.id}")
    portal.login(w.coop, w.ada)
    early = portal.post(page + "/open-voting", form_page=page)
    assert early.status_code == 303 and early.headers["Location"] == page
    shown = text_of(portal.get(early.headers["Location"]))
    assert "the notice period runs until" in shown
    assert "the notice period runs until" not in text_of(portal.get(page))  # shown once, not on every visit


@pytest.mark.parametrize("rest", ["proposals/{id}/open-voting", "proposals/{id}/vote", "elections/{id}/stand",
                                  "elections/{id}/nominate", "me/qualifications"])
def test_a_get_of_a_form_only_address_is_a_styled_page_linking_to_the_forms_page(db, w, portal, rest):
    p = motion(db, w)
    portal.login(w.coop, w.ada)
    response = portal.get(w.url(rest.format(id=p.id)))
    assert response.status_code == 405 and "POST" in response.headers["Allow"]
    html = response.get_data(as_text=True)
    assert "This address only takes a form" in text_of(response) and "Method Not Allowed" not in html
    assert 'href="/static/' in html or "<nav" in html  # the portal's layout, not Werkzeug's bare page
    parent = w.url(rest.format(id=p.id).rsplit("/", 1)[0])
    assert f'<a href="{parent}">Go to that page</a>' in html


def test_open_voting_is_shown_disabled_with_the_date_it_opens_during_the_notice_period(db, w, portal, clock):
    p = motion(db, w)
    proposals.open_deliberation(db, as_member(w.ada), w.coop, p.id, now=NOW)
    page = w.url(f"proposals/{p.id}")
    portal.login(w.coop, w.ada)
    html = portal.get(page).get_data(as_text=True)
    assert '<button type="button" disabled aria-describedby="opens-at">Open voting</button>' in html
    assert f"Voting can open from {p.deliberation_ends_at:%Y-%m-%d %H:%M} UTC" in text_of(portal.get(page))
    assert f'action="{page}/open-voting"' not in html
    clock.now = p.deliberation_ends_at
    html = portal.get(page).get_data(as_text=True)
    assert f'action="{page}/open-voting"' in html and "disabled" not in html.split('id="lifecycle"')[1][:600]


def test_the_proposals_list_offers_a_new_proposal_of_every_kind(db, w, portal):
    portal.login(w.coop, w.ben)
    html = portal.get(w.url("proposals")).get_data(as_text=True)
    nav = html.split('aria-label="New proposal"')[1].split("</nav>")[0]
    for path in ("proposals/new/pay", "proposals/new/rule", "proposals/new", "offices"):
        assert f'href="{w.url(path)}"' in nav
    assert "Rule change" in nav
