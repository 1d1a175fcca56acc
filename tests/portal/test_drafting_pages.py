"""Drafting proposals in the portal: a pay adjustment shows its impact before it can be
submitted and is refused with the numbers when it breaks the pay policy; a rule change shows
its diff and the threshold it needs, and why."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from coop.models import Proposal
from coop.services import proposals
from tests.clock import NOW
from tests.dbstate import assert_unchanged, snapshot
from tests.factories import as_member
from tests.portal.conftest import text_of
from tests.portal.world import build_world, decide_all


@pytest.fixture
def w(db, keys, portal):
    world = build_world(db, keys)
    portal.login(world.coop, world.cleo)
    return world


def pay_form(w, rate, action="preview", **kw):
    data = {"subject_member_id": str(w.ben.id), "hourly_rate": rate, "weekly_hours": "",
            "reason": "skills", "supplements_mode": "keep", "title": "Raise for Ben",
            "body": "He leads the workshop now.", "action": action}
    data.update(kw)
    return data


def drafted(db, w):
    return db.scalars(select(Proposal).where(Proposal.coop_id == w.coop.id)).all()


def test_a_pay_preview_shows_payroll_change_ratio_against_the_limit_and_both_distributions(db, w, portal):
    before = snapshot(db)
    response = portal.post(w.url("proposals/new/pay"), pay_form(w, "21.00"), form_page=w.url("proposals/new/pay"))
    assert response.status_code == 200
    body = text_of(response)
    # Ben 20.00 → 21.00 at 37.5 h for 52 weeks: +1,950.00 a year.
    assert "+1,950.00 change in annual payroll (EUR): 163,800.00 → 165,750.00" in body
    assert "1.33:1 pay ratio after (now 1.33:1); the rules allow at most 3:1" in body  # 24/18 either way
    assert "Within the pay policy" in body and "Submit the proposal" in body
    html = response.get_data(as_text=True)
    svg = re.search(r"<svg[^>]*>.*?</svg>", html, re.S).group(0)
    assert "<desc" in svg and "Before: 4 paid members" in svg and "After: 4 paid members" in svg
    assert "Members before" in body and "Members after" in body
    assert_unchanged(db, before)  # a preview writes nothing


def test_submitting_a_previewed_pay_adjustment_drafts_it(db, w, portal):
    response = portal.post(w.url("proposals/new/pay"), pay_form(w, "21.00", action="submit"),
                           form_page=w.url("proposals/new/pay"))
    assert response.status_code == 302
    (p,) = drafted(db, w)
    assert p.kind == "pay_adjustment" and p.subject_member_id == w.ben.id and p.author_id == w.cleo.id
    assert p.details["new"]["hourly_rate"] == "21.00"
    assert response.headers["Location"].endswith(w.url(f"proposals/{p.id}"))


def test_a_pay_adjustment_that_breaks_the_ratio_is_refused_with_the_numbers_and_writes_nothing(db, w, portal):
    before = snapshot(db)
    preview = portal.post(w.url("proposals/new/pay"), pay_form(w, "60.00"), form_page=w.url("proposals/new/pay"))
    body = text_of(preview)
    assert "This change would break the pay policy" in body
    assert "would make the ratio 3.34:1; the rules allow 3:1 (rule pay.max_ratio )" in body
    # 60/18 = 3.333…: above the limit, the card rounds up like the message, never down to 3.33.
    assert "3.34:1 pay ratio after (now 1.33:1); the rules allow at most 3:1" in body
    assert "+78,000.00 change in annual payroll" in body
    assert "Submit the proposal" not in body
    # Submitting anyway (a crafted request) is refused by the service, naming the numbers.
    forced = portal.post(w.url("proposals/new/pay"), pay_form(w, "60.00", action="submit"),
                         form_page=w.url("proposals/new/pay"))
    assert forced.status_code in (409, 422)
    assert "would make the ratio 3.34:1; the rules allow 3:1" in text_of(forced)
    assert 'id="e-hourly_rate"' in forced.get_data(as_text=True)
    assert_unchanged(db, before)


@pytest.mark.parametrize("field", ["title", "body", "reason"])
def test_a_nul_in_any_field_is_a_422_page_not_a_database_error(db, w, portal, field):
    before = snapshot(db)
    response = portal.post(w.url("proposals/new/pay"), pay_form(w, "21.00", action="submit", **{field: "a\x00b"}),
                           form_page=w.url("proposals/new/pay"))
    assert response.status_code == 422
    assert "contains a character text cannot hold (NUL)" in text_of(response)
    assert_unchanged(db, before)


@pytest.mark.parametrize("field, value, message", [
    ("hourly_rate", "twenty", "'twenty' is not an amount such as 23.50"),
    ("hourly_rate", "NaN", "'NaN' is not an amount such as 23.50"),
    ("hourly_rate", "1e999999", "'1e999999' is too large"),  # int() of it would raise in coop.pay
    ("subject_member_id", "", "choose whose pay this is about"),
    ("subject_member_id", "999999", "no member"),
    ("reason", "because", "state the reason"),
    ("title", "", "a proposal needs a title"),
])
def test_bad_pay_adjustment_input_is_refused_beside_its_field_and_writes_nothing(db, w, portal, field, value, message):
    before = snapshot(db)
    response = portal.post(w.url("proposals/new/pay"), pay_form(w, "21.00", action="submit", **{field: value}),
                           form_page=w.url("proposals/new/pay"))
    assert response.status_code == 422
    assert message in text_of(response)
    assert f'id="e-{field}"' in response.get_data(as_text=True)
    assert_unchanged(db, before)


def test_replacing_supplements_is_previewed_and_a_row_without_amount_names_its_field(db, w, portal):
    ok = portal.post(w.url("proposals/new/pay"), pay_form(
        w, "", supplements_mode="replace", **{"supplement-0-kind": "first aid", "supplement-0-amount": "0.75",
                                              "supplement-0-reason": "skills"}), form_page=w.url("proposals/new/pay"))
    assert ok.status_code == 200
    assert "Supplements none first aid: +0.75/h (skills) Total per hour 20.00 20.75" in text_of(ok)
    bad = portal.post(w.url("proposals/new/pay"), pay_form(
        w, "", supplements_mode="replace", **{"supplement-0-kind": "first aid", "supplement-0-reason": "skills"}),
        form_page=w.url("proposals/new/pay"))
    assert bad.status_code == 422 and "give the amount per hour" in text_of(bad)
    assert 'id="e-supplement-0-amount"' in bad.get_data(as_text=True)


def rule_form(key="pay.policy", step="preview", **kw):
    data = {"action": "amend", "rule_key": key, "title": "", "text": "", "parameters": "",
            "entrenched": "keep", "proposal_title": "Change " + key, "body": "", "action_step": step}
    data.update(kw)
    return data


def test_an_ordinary_rule_change_shows_its_diff_and_the_two_thirds_threshold(db, w, portal):
    before = snapshot(db)
    response = portal.post(w.url("proposals/new/rule"), rule_form(
        text="The highest total hourly pay is at most four times the lowest. No member is paid below the pay floor.",
        parameters="pay.max_ratio = 4\npay.floor = 0.00\npay.weeks_per_year = 52"), form_page=w.url("proposals/new/rule"))
    assert response.status_code == 200
    body = text_of(response)
    assert "This change needs the ordinary rule-change threshold because" in body
    assert "at least 2/3 of votes cast" in body and "at least 1/2 of the electorate" in body and "after 7 days" in body
    assert "[removed: three ]" in body and "[added: four ]" in body
    assert "pay.max_ratio 3 4" in body
    assert_unchanged(db, before)


def test_a_change_to_an_entrenched_rule_needs_three_quarters_and_says_why(db, w, portal):
    response = portal.post(w.url("proposals/new/rule"), rule_form(
        "voting.general", parameters="voting.general.threshold = 2/3 of cast\nvoting.general.quorum = 1/2\n"
                                     "voting.general.notice_days = 3"), form_page=w.url("proposals/new/rule"))
    body = text_of(response)
    assert "This change needs the entrenched-rule threshold because" in body
    assert "at least 3/4 of votes cast" in body and "at least 2/3 of the electorate" in body and "after 14 days" in body
    assert "voting.general.threshold 1/2 of cast, strict 2/3 of cast" in body


def test_entrenching_an_ordinary_rule_needs_the_entrenched_threshold(db, w, portal):
    body = text_of(portal.post(w.url("proposals/new/rule"), rule_form(entrenched="yes"),
                               form_page=w.url("proposals/new/rule")))
    assert "This change needs the entrenched-rule threshold because" in body


def test_a_new_ordinary_rule_that_sets_voting_parameters_needs_the_entrenched_threshold(db, w, portal):
    """Thresholds can never be lowered by an ordinary vote, not even from a new rule."""
    sneaky = portal.post(w.url("proposals/new/rule"), rule_form(
        "workshop.hours", action="add", title="Workshop hours", text="The workshop opens at eight.",
        parameters="voting.workshop.quorum = 1/3"), form_page=w.url("proposals/new/rule"))
    body = text_of(sneaky)
    assert sneaky.status_code == 200, body[body.find("Propose a rule change"):][:1500]
    assert "This change needs the entrenched-rule threshold because it sets governance parameters " \
           "(voting.workshop.quorum)" in body
    plain = text_of(portal.post(w.url("proposals/new/rule"), rule_form(
        "workshop.hours", action="add", title="Workshop hours", text="The workshop opens at eight."),
        form_page=w.url("proposals/new/rule")))
    assert "This change needs the ordinary rule-change threshold because it is an ordinary rule" in plain
    assert "[added: The workshop opens at eight. ]" in plain or "[added: The workshop opens at eight.]" in plain


def test_submitting_a_rule_change_drafts_it_and_its_page_shows_diff_and_threshold(db, w, portal):
    response = portal.post(w.url("proposals/new/rule"), rule_form(
        text="The highest total hourly pay is at most four times the lowest. No member is paid below the pay floor.",
        step="submit"), form_page=w.url("proposals/new/rule"))
    assert response.status_code == 302
    (p,) = drafted(db, w)
    assert p.kind == "rule_change" and p.details["rule_key"] == "pay.policy"
    body = text_of(portal.get(w.url(f"proposals/{p.id}")))
    assert "needs the ordinary rule-change threshold" in body and "[added: four ]" in body
    assert "Threshold: at least 2/3 of votes cast (from the rules in force now; fixed when voting opens)" in body


@pytest.mark.parametrize("data, field, message", [
    ({"rule_key": "no.such.rule"}, "rule_key", "there is no rule 'no.such.rule'"),
    ({"rule_key": "Bad Key"}, "rule_key", "a rule key such as pay.policy"),
    ({"parameters": "pay.max_ratio 4"}, "parameters", "line 1: write name = value"),
    ({"parameters": "pay.max_ratio = 4\npay.floor = 0.00\npay.weeks_per_year = 52\nvoting.general.threshold = lots"},
     "parameters", "parameter voting.general.threshold"),
    ({"action": "add", "rule_key": "work.remote", "title": "Remote work", "text": ""}, "text", "a rule needs its text"),
    ({"proposal_title": "", "action_step": "submit"}, "proposal_title", "a proposal needs a title"),
])
def test_bad_rule_change_input_is_refused_beside_its_field_and_writes_nothing(db, w, portal, data, field, message):
    before = snapshot(db)
    response = portal.post(w.url("proposals/new/rule"), rule_form(**data), form_page=w.url("proposals/new/rule"))
    assert response.status_code == 422, text_of(response)[:500]
    assert message in text_of(response)
    assert f'id="e-{field}"' in response.get_data(as_text=True)
    assert_unchanged(db, before)


def test_the_rule_form_loads_a_rules_current_text_and_parameters(w, portal):
    html = portal.get(w.url("proposals/new/rule?rule_key=pay.policy")).get_data(as_text=True)
    assert "at most three times the lowest" in html and "pay.max_ratio = 3" in html


def test_a_general_motion_is_drafted_and_a_missing_title_is_refused(db, w, portal):
    before = snapshot(db)
    refused = portal.post(w.url("proposals/new"), {"title": " ", "body": "x"}, form_page=w.url("proposals/new"))
    assert refused.status_code == 422 and "a proposal needs a title" in text_of(refused)
    assert_unchanged(db, before)
    assert portal.post(w.url("proposals/new"), {"title": "Paint the door", "body": "Green."},
                       form_page=w.url("proposals/new")).status_code == 302
    assert [p.title for p in drafted(db, w)] == ["Paint the door"]


def test_an_entrenched_rule_change_fails_at_two_thirds_and_passes_at_three_quarters(db, w, keys):
    """The threshold the page announced is the one the vote applies."""
    change = {"action": "amend", "rule_key": "voting.general", "title": None, "text": None,
              "parameters": {"voting.general.threshold": "2/3 of cast", "voting.general.quorum": "1/2",
                             "voting.general.notice_days": "3"}, "entrenched": None}
    # Three members: 2 of 3 yes is 2/3, below 3/4.
    small = build_world(db, keys, name="Three")
    small.dan.status = "suspended"
    db.flush()
    p = proposals.draft_rule_change(db, as_member(small.ada), small.coop, "Lower it", "", change, now=NOW)
    assert decide_all(db, small, p, {"cleo": "no"}).outcome == "failed"
    q = proposals.draft_rule_change(db, as_member(w.ada), w.coop, "Lower it", "", change, now=NOW)
    assert decide_all(db, w, q, {"dan": "no"}).outcome == "passed"  # 3 of 4 is 3/4


def test_a_coop_already_above_its_ratio_can_still_propose_pay_that_moves_towards_it(db, w, portal, client):
    from tests.factories import set_founding_pay

    set_founding_pay(db, w.coop, w.ada, "60.00")  # 60/18: the co-op now breaks its own 3:1
    salary = text_of(client.get(w.url("pay")))
    assert "3.34:1 highest to lowest total hourly pay; the rules allow at most 3:1 (above the limit)" in salary
    body = text_of(portal.post(w.url("proposals/new/pay"), pay_form(w, "19.00", subject_member_id=str(w.dan.id)),
                               form_page=w.url("proposals/new/pay")))
    assert "The co-op's pay already breaks its policy, and this change does not make it worse" in body
    assert "3.16:1 pay ratio after (now 3.34:1)" in body  # 60/19, rounded up
    assert "This change would break the pay policy" not in body and "Submit the proposal" in body
    done = portal.post(w.url("proposals/new/pay"), pay_form(w, "19.00", action="submit", subject_member_id=str(w.dan.id)),
                       form_page=w.url("proposals/new/pay"))
    assert done.status_code == 302
    # Making it worse is still refused.
    worse = text_of(portal.post(w.url("proposals/new/pay"), pay_form(w, "17.00", subject_member_id=str(w.dan.id)),
                                form_page=w.url("proposals/new/pay")))
    assert "This change would break the pay policy" in worse and "Submit the proposal" not in worse


# -- the same limits as the API ----------------------------------------------------------------

@pytest.mark.parametrize("path, data, field", [
    ("proposals/new", {"title": "Harmless\r\nBcc: attacker@evil.example", "body": "x"}, "title"),
    ("proposals/new/pay", {"action": "submit", "title": "Raise\nBcc: attacker@evil.example"},
     "title"),
    ("proposals/new/rule", {"proposal_title": "Change\r\nBcc: attacker@evil.example", "action_step": "submit"},
     "proposal_title"),
    ("proposals/new/rule", {"title": "Pay\rpolicy"}, "title"),
])
def test_a_line_break_in_a_title_is_refused_beside_its_field_and_writes_nothing(db, w, portal, path, data, field):
    """A title goes into mail subjects: a line break there adds mail headers (and used to jam
    the outbox)."""
    form = {"proposals/new": lambda: data, "proposals/new/pay": lambda: pay_form(w, "21.00", **data),
            "proposals/new/rule": lambda: rule_form(**data)}[path]()
    before = snapshot(db)
    response = portal.post(w.url(path), form, form_page=w.url(path))
    assert response.status_code == 422, text_of(response)[:500]
    assert "must be a single line without control characters" in text_of(response)
    assert f'id="e-{field}"' in response.get_data(as_text=True)
    assert_unchanged(db, before)


def test_the_portal_refuses_a_proposal_body_longer_than_the_api_takes(db, w, portal):
    before = snapshot(db)
    response = portal.post(w.url("proposals/new"), {"title": "Long", "body": "x" * 20_001},
                           form_page=w.url("proposals/new"))
    assert response.status_code == 422 and "at most 20,000 characters" in text_of(response)
    assert 'id="e-body"' in response.get_data(as_text=True)
    assert_unchanged(db, before)
    assert portal.post(w.url("proposals/new"), {"title": "Long", "body": "x" * 20_000},
                       form_page=w.url("proposals/new")).status_code == 302


def test_a_rule_change_with_more_parameters_than_one_rule_may_carry_is_refused(db, w, portal):
    current = "pay.max_ratio = 3\npay.floor = 0.00\npay.weeks_per_year = 52\n"
    extra = "".join(f"pay.note_{i} = {i}\n" for i in range(98))  # 3 + 98 = 101 parameters
    before = snapshot(db)
    response = portal.post(w.url("proposals/new/rule"), rule_form(parameters=current + extra),
                           form_page=w.url("proposals/new/rule"))
    assert response.status_code == 422 and "at most 100 parameters in one rule" in text_of(response)
    assert 'id="e-parameters"' in response.get_data(as_text=True)
    assert_unchanged(db, before)
