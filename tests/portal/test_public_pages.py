"""The co-op's public pages: home, salary table with its chart, pay history, rules with
every version and the vote behind it, decisions, the verify page; and the switch that keeps
them for members."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from coop.services import checkpoints, coops
from tests.clock import NOW, TODAY
from tests.factories import OPERATOR
from tests.portal.conftest import text_of
from tests.portal.world import build_world, passed_raise, passed_rule_change


@pytest.fixture
def w(db, keys):
    return build_world(db, keys)


def test_home_names_the_coop_links_the_public_pages_and_lists_the_latest_decisions(db, w, client):
    raise_ = passed_raise(db, w)
    page = client.get(w.url())
    assert page.status_code == 200
    body = text_of(page)
    assert "Riverside Test Co-op" in body and "1 closed vote with tallies" in body
    assert f"#{raise_.id} Raise for Ben" in body and "passed" in body
    html = page.get_data(as_text=True)
    for rest in ("pay", "rules", "decisions", "verify", "login"):
        assert f'href="/c/{w.coop.slug}/{rest}"' in html


def test_the_salary_table_shows_every_members_pay_and_the_decision_behind_it(db, w, client):
    raise_ = passed_raise(db, w)
    body = text_of(client.get(w.url("pay")))
    assert "4 paid members" in body
    # Ben's line: the new rate from the vote, and the decision that made it.
    ben = body.split("Ben Brecht")[-1].split("Cleo Curie")[0]
    assert "21.50" in ben and f"#{raise_.id} Raise for Ben" in ben
    dan = body.split("Dan Dewey")[-1]
    assert "18.00" in dan and "founding" in dan and "37.50" in dan
    # 18.00 × 37.5 × 52 a year.
    assert "35,100.00" in dan


def test_the_salary_table_shows_each_supplement_with_its_reason_and_the_total(db, w, client):
    from decimal import Decimal

    from coop.pay import Supplement, SupplementReason
    from coop.services import proposals
    from tests.factories import as_member
    from tests.portal.world import decide_all, pay_change

    p = proposals.draft_pay_adjustment(db, as_member(w.cleo), w.coop, "First aider", "", w.ben, pay_change(
        "20.00", reason="responsibility",
        supplements=[Supplement("first aid", Decimal("0.75"), SupplementReason.RESPONSIBILITY),
                     Supplement("night shifts", Decimal("1.50"), SupplementReason.HOURS)]), now=NOW)
    assert decide_all(db, w, p).outcome == "passed", p.outcome_reason
    body = text_of(client.get(w.url("pay")))
    ben = body.split("Ben Brecht")[-1].split("Cleo Curie")[0]
    assert "first aid: +0.75/h (responsibility)" in ben and "night shifts: +1.50/h (hours)" in ben
    # Total per hour 20.00 + 0.75 + 1.50, and a year at 37.5 h for 52 weeks.
    assert "22.25" in ben and "43,387.50" in ben and f"#{p.id} First aider" in ben
    history = text_of(client.get(w.url(f"pay/members/{w.ben.id}")))
    assert "first aid: +0.75/h (responsibility)" in history


def test_the_salary_page_has_an_svg_chart_with_a_text_alternative_and_the_ratio(db, w, client):
    html = client.get(w.url("pay")).get_data(as_text=True)
    svg = re.search(r"<svg[^>]*>.*?</svg>", html, re.S)
    assert svg, "no inline SVG chart"
    assert 'role="img"' in svg.group(0) and "aria-labelledby" in svg.group(0)
    assert "<title" in svg.group(0) and "<desc" in svg.group(0)
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", svg.group(0), re.S).group(1)
    # The text alternative says what the chart shows: count, range, ratio and the limit.
    assert "4 paid members" in desc and "18.00" in desc and "24.00" in desc
    assert "1.33:1" in desc and "3:1" in desc
    body = text_of(client.get(w.url("pay")))
    assert "1.33:1 highest to lowest total hourly pay; the rules allow at most 3:1 (within the limit)" in body
    assert "the numbers behind the chart" in body


def test_the_salary_table_downloads_as_csv_with_formula_cells_escaped(db, w, client):
    import csv
    import io

    w.dan.name = "=HYPERLINK(\"http://evil.example\",\"Dan\")"
    db.flush()
    passed_raise(db, w)
    response = client.get(w.url("pay.csv"))
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{w.coop.slug}-pay-{TODAY}.csv"'
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert len(rows) == 4
    ben = next(r for r in rows if r["member"] == "Ben Brecht")
    assert (ben["total_per_hour"], ben["annualised"], ben["currency"]) == ("21.50", "41925.00", "EUR")
    assert ben["decision"] == "Raise for Ben" and ben["ledger_entry"].isdigit()
    dan = next(r for r in rows if r["member_id"] == str(w.dan.id))
    assert dan["member"] == "'" + w.dan.name  # shown as text, never run as a formula
    assert 'href="/c/%s/pay.csv"' % w.coop.slug in client.get(w.url("pay")).get_data(as_text=True)


def test_a_members_pay_history_lists_each_record_with_its_change_and_decision(db, w, client):
    raise_ = passed_raise(db, w)
    response = client.get(w.url(f"pay/members/{w.ben.id}"))
    assert response.status_code == 200
    body = text_of(response)
    assert "Pay history of Ben Brecht" in body
    rows = body.split("Entry")[1]
    assert rows.index("21.50") < rows.index("20.00")  # latest first
    assert "+1.50" in rows and f"#{raise_.id} Raise for Ben" in rows and "founding" in rows


def test_the_pay_history_of_someone_not_in_this_coop_is_a_404_page(db, w, client, keys):
    other = build_world(db, keys, name="Elsewhere")
    response = client.get(w.url(f"pay/members/{other.ben.id}"))
    assert response.status_code == 404
    assert "Not found" in text_of(response) and "Ben Brecht" not in text_of(response)


def test_rules_list_every_rule_in_force_and_a_rule_shows_versions_diff_and_the_vote(db, w, client):
    listing = text_of(client.get(w.url("rules")))
    assert "Pay policy" in listing and "Changing entrenched rules" in listing
    p = passed_rule_change(db, w)
    assert p.outcome == "passed", p.outcome_reason
    response = client.get(w.url("rules/pay.policy"))
    body = text_of(response)
    assert "version 2 in force" in body and "Version 1" in body
    assert f"Adopted by proposal #{p.id} “Raise the pay ratio” : 4 yes, 0 no, 0 abstain of an electorate of 4" in body
    assert "it needed at least 2/3 of votes cast with a quorum of 1/2 (voting.rule_change: it is an ordinary rule)" in body
    assert "Part of the founding rules" in body
    html = response.get_data(as_text=True)
    assert "<del" in html and "<ins" in html  # a readable word diff
    assert re.search(r"<del>(<span[^>]*>[^<]*</span>)?three", html) and re.search(r"<ins>(<span[^>]*>[^<]*</span>)?four", html)
    params = body.split("Parameters")[1]
    assert "pay.max_ratio 3 4" in params


def test_every_past_version_of_a_rule_is_shown_with_its_own_diff_and_vote(db, w, client):
    from coop.services import proposals
    from tests.factories import as_member
    from tests.portal.world import decide_all

    second = passed_rule_change(db, w)  # three → four times
    third = proposals.draft_rule_change(db, as_member(w.cleo), w.coop, "Five times", "", {
        "action": "amend", "rule_key": "pay.policy", "title": None,
        "text": "The highest total hourly pay is at most five times the lowest. No member is paid "
                "below the pay floor.",
        "parameters": {"pay.max_ratio": "5", "pay.floor": "0.00", "pay.weeks_per_year": "52"},
        "entrenched": None}, now=NOW)
    assert decide_all(db, w, third, {"dan": "no"}).outcome == "passed", third.outcome_reason
    rejected = proposals.draft_rule_change(db, as_member(w.dan), w.coop, "Six times", "", {
        "action": "amend", "rule_key": "pay.policy", "title": None, "text": "At most six times.",
        "parameters": None, "entrenched": None}, now=NOW)
    assert decide_all(db, w, rejected, {"ada": "no", "ben": "no"}).outcome == "failed"
    html = client.get(w.url("rules/pay.policy")).get_data(as_text=True)
    sections = dict(re.findall(r'<h2 id="v(\d+)">(.*?)</section>', html, re.S))
    assert sorted(sections) == ["1", "2", "3"]  # the failed vote made no version
    v3, v2, v1 = sections["3"], sections["2"], sections["1"]
    assert "(in force)" in v3 and f"proposal #{third.id}" in v3 and "3 yes, 1 no, 0 abstain" in v3
    assert re.search(r"<del>(<span[^>]*>[^<]*</span>)?four", v3) and re.search(r"<ins>(<span[^>]*>[^<]*</span>)?five", v3)
    assert "What changed from version 2" in v3
    assert f"proposal #{second.id}" in v2 and "What changed from version 1" in v2
    assert re.search(r"<del>(<span[^>]*>[^<]*</span>)?three", v2) and re.search(r"<ins>(<span[^>]*>[^<]*</span>)?four", v2)
    assert "five" not in v2 and "Part of the founding rules" in v1 and "<del" not in v1


def test_an_unknown_rule_is_a_404_page_not_a_stack_trace(w, client):
    response = client.get(w.url("rules/no.such.rule"))
    assert response.status_code == 404
    assert "no.such.rule" in text_of(response)


@pytest.mark.parametrize("page", ["\u00b2", "9" * 30, str(2**31)])
def test_a_page_number_no_database_takes_is_a_422_page_not_a_500(w, client, page):
    response = client.get(w.url("decisions"), query_string={"page": page})
    assert response.status_code == 422
    assert page in text_of(response)


def test_decisions_show_tallies_threshold_quorum_and_outcome(db, w, client):
    raise_ = passed_raise(db, w)
    body = text_of(client.get(w.url("decisions")))
    row = body.split(f"#{raise_.id} Raise for Ben")[1]
    # yes 3, no 0, abstain 0, electorate 3 (Ben does not vote on his own pay).
    assert re.match(r"\s*pay adjustment \S+ \S+ UTC 3 0 0 3 more than 1/2 of votes cast 1/2 passed passed: 3 yes of 3 votes cast", row), row[:200]


def test_decisions_are_paged(db, w, client):
    from coop.services import proposals
    from tests.factories import as_member
    from tests.portal.world import decide_all

    for n in range(3):
        decide_all(db, w, proposals.draft_general(db, as_member(w.ada), w.coop, f"Motion {n}", "", now=NOW))
    from coop.services import dashboard
    old = dashboard.PAGE
    dashboard.PAGE = 2
    try:
        first = text_of(client.get(w.url("decisions")))
        second = text_of(client.get(w.url("decisions?page=2")))
    finally:
        dashboard.PAGE = old
    assert "Motion 2" in first and "Motion 1" in first and "Motion 0" not in first
    assert "Page 1 of 2" in first and "Motion 0" in second and "Motion 2" not in second


def test_the_verify_page_shows_the_signed_checkpoint_the_key_and_how_to_check(db, w, client, keys):
    cp = checkpoints.sign(db, keys, w.coop, now=NOW)
    body = text_of(client.get(w.url("verify")))
    assert f"{cp.size} entries" in body
    html = client.get(w.url("verify")).get_data(as_text=True)
    assert cp.note.splitlines()[0] in html and w.coop.origin in html
    assert 'id="verifier-key"' in html
    assert "coop ledger verify --export ledger.json" in body and "consistency proof" in body


def test_a_member_can_have_the_ledger_recomputed_but_a_visitor_cannot(db, w, client, portal, keys):
    checkpoints.sign(db, keys, w.coop, now=NOW)
    anonymous = client.post(w.url("verify"), data={"csrf_token": portal.token(w.url("login"))})
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    portal.login(w.coop, w.ben)
    response = portal.post(w.url("verify"))
    assert response.status_code == 200
    assert "The ledger verifies" in text_of(response)


def test_the_verify_button_names_a_pay_record_edited_behind_the_applications_back(db, w, portal, keys):
    from sqlalchemy import text

    from coop.models import PayRecord

    passed_raise(db, w)
    checkpoints.sign(db, keys, w.coop, now=NOW)
    record = db.scalars(select(PayRecord).where(PayRecord.member_id == w.ben.id)
                        .order_by(PayRecord.entry_index.desc())).first()
    # An attacker with a database prompt: drops the append-only trigger and edits the row
    # (all inside this test's transaction, rolled back at the end).
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("DROP TRIGGER IF EXISTS pay_records_append_only ON pay_records"))
    else:
        db.execute(text("DROP TRIGGER IF EXISTS pay_records_no_update"))
    db.execute(text("UPDATE pay_records SET hourly_rate = '99.00' WHERE id = :id"), {"id": record.id})
    db.flush()
    portal.login(w.coop, w.ben)
    body = text_of(portal.post(w.url("verify"), form_page=w.url("verify")))
    assert "The ledger does NOT verify" in body and "The ledger verifies" not in body
    assert f"entry {record.entry_index}" in body


@pytest.mark.parametrize("path", ["", "pay", "pay/members/{ben}", "rules", "rules/pay.policy", "decisions",
                                  "proposals/{closed}", "verify", "verify/auditors"])
def test_a_coop_can_keep_its_pages_for_members(db, w, client, portal, path):
    closed = passed_raise(db, w)
    url = w.url(path.format(ben=w.ben.id, closed=closed.id))
    assert client.get(url).status_code == 200  # public by default
    coops.update_settings(db, OPERATOR, w.coop, public_pages=False, now=NOW)
    db.flush()
    response = client.get(url)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "Ben Brecht" not in response.get_data(as_text=True)
    login_page = text_of(client.get(response.headers["Location"]))
    assert "Riverside Test Co-op shows its pages to its members only: log in." in login_page
    assert "Raise for Ben" not in login_page
    portal.login(w.coop, w.ben)
    assert client.get(url).status_code == 200
    # Suspended while logged in: a visitor again.
    w.ben.status = "suspended"
    db.flush()
    assert client.get(url).status_code == 302


def test_private_pay_history_is_refused_to_visitors(db, w, client):
    coops.update_settings(db, OPERATOR, w.coop, public_pages=False, now=NOW)
    response = client.get(w.url(f"pay/members/{w.ben.id}"))
    assert response.status_code == 302 and "20.00" not in response.get_data(as_text=True)


def test_an_unknown_coop_is_a_404_page(client):
    response = client.get("/c/no-such-coop/pay")
    assert response.status_code == 404
    assert "Traceback" not in response.get_data(as_text=True)


# -- the salary page's own arithmetic ------------------------------------------------------------
# public_pages.salary reads the table as plain rows and works out each total once, for speed
# (docs/portal-performance.md); these tests hold it to pay_reports.pay_table and
# coop.pay.statistics, the definitions it must agree with exactly.

def _pay_weeks(db, w, weeks: int) -> None:
    from coop.services import proposals
    from tests.factories import as_member
    from tests.portal.world import decide_all

    p = proposals.draft_rule_change(db, as_member(w.ada), w.coop, f"Pay {weeks} weeks", "", {
        "action": "amend", "rule_key": "pay.policy", "title": None, "text": "Paid weeks changed.",
        "parameters": {"pay.max_ratio": "3", "pay.floor": "0.00", "pay.weeks_per_year": str(weeks)},
        "entrenched": None}, now=NOW)
    assert decide_all(db, w, p).outcome == "passed", p.outcome_reason


def _varied_pay(db, w, weeks: int) -> None:
    """Supplements, odd cents and hours, a member paid twice (the later record counts), one
    who departed (paid nothing: left out) and a pay decided by a vote."""
    from coop.pay import Pay, Supplement, SupplementReason
    from coop.services import ledger
    from tests.factories import make_member

    def record(m, rate, hours="37.50", *supplements, authority="founding"):
        ledger.append_pay_record(db, w.coop, m.id, m.name, Pay(Decimal(rate), Decimal(hours), supplements),
                                 weeks, authority=authority, effective_date=TODAY, now=NOW)

    passed_raise(db, w)  # Ben: 21.50, by proposal
    record(make_member(db, w.coop, "Eve Ely"), "18.01", "19.50",
           Supplement("stock", Decimal("0.74"), SupplementReason.SKILLS))
    record(make_member(db, w.coop, "Fay Fox"), "25.33", "37.33",
           Supplement("first aid", Decimal("1.05"), SupplementReason.RESPONSIBILITY),
           Supplement("nights", Decimal("0.50"), SupplementReason.HOURS))
    gus = make_member(db, w.coop, "Gus Gray", hourly_rate="30.00")
    record(gus, "18.01", "19.50")
    hal = make_member(db, w.coop, "Hal Hunt", hourly_rate="20.00")
    record(hal, "0.00", "0.00", authority="departure")


def _check_against_the_definitions(db, w):
    from coop.pay import statistics
    from coop.services import pay, pay_reports, public_pages

    page = public_pages.salary(db, w.coop)
    table = pay_reports.pay_table(db, w.coop)
    assert [(l.member_id, l.member_name, l.hourly_rate, l.weekly_hours, l.supplements, l.total_hourly,
             l.annualised, l.effective_date, l.entry_index, l.authority, l.proposal_id) for l in page.lines] == [
        (l.member_id, l.member_name, l.pay.hourly_rate, l.pay.weekly_hours, l.pay.supplements, l.total_hourly,
         l.annualised, l.effective_date, l.entry_index, l.authority, l.proposal_id) for l in table]
    expected = statistics({l.member_id: l.pay for l in table}, pay.policy(db, w.coop.id).weeks_per_year)
    assert page.stats == expected
    assert repr(page.stats) == repr(expected)  # the same digits too: the chart's words print them
    return page


@pytest.mark.parametrize("weeks", [52, 51])
def test_the_salary_pages_figures_equal_the_pay_tables_and_its_statistics(db, w, client, weeks):
    from tests.factories import make_member, set_founding_pay

    if weeks != 52:
        _pay_weeks(db, w, weeks)
    _varied_pay(db, w, weeks)
    page = _check_against_the_definitions(db, w)
    assert page.stats.count == 7 and "Hal Hunt" not in [l.member_name for l in page.lines]
    assert [l.total_hourly for l in page.lines if l.member_name == "Fay Fox"] == [Decimal("26.88")]
    if weeks == 51:
        # Gus's year is exactly half a cent (18.01 × 19.5 × 51 = 17,911.845): rounded to even.
        assert any(l.total_hourly * l.weekly_hours * weeks * 100 % 1 == Decimal("0.5") for l in page.lines)
    # An even count whose middle two are an odd number of cents apart: 21.50 and 21.75 make a
    # median of 21.625, rounded half to even to 21.62.
    set_founding_pay(db, w.coop, make_member(db, w.coop, "Ivy Ives"), "21.75")
    page = _check_against_the_definitions(db, w)
    assert page.stats.count == 8 and page.stats.median == Decimal("21.62")
    assert "21.62 median total hourly pay" in text_of(client.get(w.url("pay")))


def test_a_coop_nobody_is_paid_in_has_empty_statistics_equal_to_the_definition(db, keys, client):
    from coop.pay import statistics
    from coop.services import public_pages
    from tests.factories import make_coop, make_member

    coop = make_coop(db, keys, name="Unpaid Co-op")
    make_member(db, coop, "Una Unpaid")
    page = public_pages.salary(db, coop)
    assert page.lines == [] and page.stats == statistics({}, page.policy.weeks_per_year)
    assert "Nobody is paid yet." in text_of(client.get(f"/c/{coop.slug}/pay"))


def test_every_row_links_the_members_history_and_the_decision_as_url_for_writes_them(db, w, client, app):
    from flask import url_for

    raise_ = passed_raise(db, w)
    html = client.get(w.url("pay")).get_data(as_text=True)
    with app.test_request_context():
        for m in w.everyone:
            assert f'href="{url_for("portal.pay_history", slug=w.coop.slug, member_id=m.id)}">{m.name}</a>' in html
        assert f'href="{url_for("portal.proposal", slug=w.coop.slug, proposal_id=raise_.id)}">#{raise_.id} Raise for Ben</a>' in html


def test_every_page_names_a_favicon_that_is_served(db, w, client):
    html = client.get(w.url("pay")).get_data(as_text=True)
    href = re.search(r'<link rel="icon" href="([^"]+)"', html)
    assert href is not None
    icon = client.get(href.group(1))
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml"


def test_the_vote_that_closes_a_proposal_signs_a_checkpoint_so_verify_is_not_behind(db, w, portal, clock):
    import datetime as dt

    from coop.models import LedgerHead
    from coop.services import proposals
    from tests.factories import as_member, open_for_voting

    p = proposals.draft_general(db, as_member(w.ada), w.coop, "Paint the door", "Green.", now=NOW)
    open_for_voting(db, w.coop, p, w.ada)
    clock.now = p.voting_opened_at + dt.timedelta(hours=1)
    for m in (w.ada, w.cleo, w.dan):
        proposals.cast_ballot(db, as_member(m), w.coop, p.id, "yes", now=clock.now)
    page = w.url(f"proposals/{p.id}")
    portal.login(w.coop, w.ben)
    assert portal.post(page + "/vote", {"choice": "yes"}, form_page=page).status_code == 302  # the last ballot
    head = db.get(LedgerHead, w.coop.id)
    db.refresh(head)
    latest = checkpoints.latest(db, w.coop)
    assert latest is not None and latest.size == head.size and latest.signed_at == clock.now
    assert "It covers every entry in the ledger." in text_of(portal.get(w.url("verify")))


def test_the_verify_page_says_how_far_the_checkpoint_is_behind_the_ledger(db, w, client, keys):
    from coop.services import ledger

    cp = checkpoints.sign(db, keys, w.coop, now=NOW)
    ledger.append(db, w.coop.id, "decision", {"note": "appended without a checkpoint"}, now=NOW)
    body = text_of(client.get(w.url("verify")))
    assert "This checkpoint is behind the ledger: 1 entry has been appended since it was signed" in body
    assert checkpoints.latest(db, w.coop).id == cp.id  # a service's append alone signs nothing
