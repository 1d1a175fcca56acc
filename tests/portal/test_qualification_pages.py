"""Qualifications in the portal: a member records one on their profile; a secretary or a peer
verified in the same field at the same level or higher verifies it on the page of those
awaiting verification. Refusals (bad input, a verifier the service does not allow, a missing
CSRF token) change nothing; only a verified qualification counts towards an office; the pages
issue the same number of queries whatever the size of the co-op."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from coop.models import Qualification
from coop.services import pale
from tests.clock import NOW
from tests.dbstate import assert_unchanged, snapshot
from tests.factories import make_coop
from tests.office_factories import found, qualify, senior
from tests.portal.conftest import Portal, text_of, with_password
from tests.portal.test_accessibility import unlabelled
from tests.querycount import count_queries


@pytest.fixture
def coop(db, keys):
    return make_coop(db, keys)


@pytest.fixture
def people(db, coop):
    """A secretary, a holder of a pending qualification, a senior peer and a junior one."""
    grace = senior(db, coop, name="Grace Hopper", role="secretary")
    ben = senior(db, coop, name="Ben Brecht")
    cleo = senior(db, coop, name="Cleo Curie")
    dan = senior(db, coop, name="Dan Dewey")
    with_password(db, grace, ben, cleo, dan)
    qualify(db, coop, cleo, "accounting", 7)  # verified: may vouch for accounting up to level 7
    qualify(db, coop, dan, "accounting", 5)   # verified, but below level 6
    return grace, ben, cleo, dan


@pytest.fixture
def pending_q(db, coop, people):
    """Ben's accounting qualification at EQF level 6, not yet verified."""
    return qualify(db, coop, people[1], "accounting", 6, verified=False)


def url(coop, rest: str) -> str:
    return f"/c/{coop.slug}/{rest}"


def as_(app, coop, member) -> Portal:
    p = Portal(app.test_client())
    p.login(coop, member)
    return p


def verify(p: Portal, coop, q):  # type: ignore[no-untyped-def]
    page = url(coop, "qualifications/pending")
    return p.post(url(coop, "qualifications/verify"), {"qualification_id": str(q.id)}, form_page=page)


def has_button(p: Portal, coop, q) -> bool:
    html = p.get(url(coop, "qualifications/pending")).get_data(as_text=True)
    return f'name="qualification_id" value="{q.id}"' in html


GOOD = {"field": "Accounting", "level": "6", "title": "BSc Accounting", "issuer": "Open University",
        "awarded_on": "2019-07-01"}


# -- adding one on my profile ----------------------------------------------------------------

def test_a_member_adds_a_qualification_on_their_profile_and_it_awaits_verification(db, app, coop, people):
    ben = people[1]
    p = as_(app, coop, ben)
    response = p.post(url(coop, "me/qualifications"), GOOD, form_page=url(coop, "me"))
    assert response.status_code == 302 and response.headers["Location"].endswith("/me#qualifications")
    q = db.scalars(select(Qualification).where(Qualification.member_id == ben.id)).one()
    assert (q.field, q.level, q.title, q.issuer, q.awarded_on) == (
        "accounting", 6, "BSc Accounting", "Open University", dt.date(2019, 7, 1))
    assert q.verified_at is None
    mine = text_of(p.get(url(coop, "me"))).split("My qualifications")[1]
    assert "BSc Accounting accounting 6 Open University 2019-07-01 awaiting verification" in mine


@pytest.mark.parametrize("change, field, message", [
    ({"level": "9"}, "level", "an EQF level from 1 to 8"),
    ({"level": ""}, "level", "choose an EQF level from 1 to 8"),
    ({"level": "six"}, "level", "'six' is not a number"),
    ({"level": "\u00b2"}, "level", "'\u00b2' is not a number"),  # str.isdigit() says yes, int() says no
    ({"level": "9" * 30}, "level", "is too large"),
    ({"field": ""}, "field", "name the field, e.g. accounting"),
    ({"field": "x" * 101}, "field", "at most 100 characters"),
    ({"issuer": " "}, "issuer", "who awarded it"),
    ({"awarded_on": "1/7/2019"}, "awarded_on", "'1/7/2019' is not a date; write it as YYYY-MM-DD"),
    ({"awarded_on": "2999-01-01"}, "awarded_on", "cannot be awarded in the future"),
    ({"awarded_on": "0001-01-01"}, "awarded_on", "a date from 1900-01-01 on"),
    ({"field": "account\ning"}, "field", "must be a single line"),
    ({"issuer": "Open\r\nUniversity"}, "issuer", "must be a single line"),
])
def test_bad_input_is_refused_beside_its_field_and_writes_nothing(db, app, coop, people, change, field, message):
    p = as_(app, coop, people[1])
    before = snapshot(db)
    response = p.refused(p.post(url(coop, "me/qualifications"), {**GOOD, **change}, form_page=url(coop, "me")))
    html = response.get_data(as_text=True)
    assert f'<p class="field-error" id="e-{field}">' in html and message in text_of(response)
    assert f'href="#f-{field}"' in html  # the summary links to the field
    assert 'value="Open University"' in html or field == "issuer"  # what was typed is kept
    assert_unchanged(db, before)


# -- verifying ---------------------------------------------------------------------------------

@pytest.mark.parametrize("raw", ["\u00b2", "9" * 30])
def test_an_id_that_is_no_integer_column_value_is_a_422_not_a_500(db, app, coop, people, pending_q, raw):
    p = as_(app, coop, people[0])
    before = snapshot(db)
    response = p.post(url(coop, "qualifications/verify"), {"qualification_id": raw},
                      form_page=url(coop, "qualifications/pending"))
    assert response.status_code == 422
    assert_unchanged(db, before)


def test_a_secretary_sees_the_button_and_verifies(db, app, coop, people, pending_q):
    grace, ben = people[0], people[1]
    p = as_(app, coop, grace)
    assert has_button(p, coop, pending_q)
    response = verify(p, coop, pending_q)
    assert response.status_code == 302 and response.headers["Location"].endswith("/qualifications/pending")
    db.refresh(pending_q)
    assert pending_q.verified_by_id == grace.id and pending_q.verified_at is not None
    page = text_of(p.get(url(coop, "qualifications/pending")))
    assert "Verified: the accounting qualification at EQF level 6" in page
    assert "Ben Brecht" not in page and "Nothing is awaiting verification" in page
    profile = text_of(as_(app, coop, ben).get(url(coop, "me"))).split("My qualifications")[1]
    assert "verified" in profile and "by Grace Hopper" in profile


def test_a_peer_verified_at_a_higher_level_in_the_field_verifies(db, app, coop, people, pending_q):
    cleo = people[2]
    p = as_(app, coop, cleo)
    assert has_button(p, coop, pending_q)
    assert verify(p, coop, pending_q).status_code == 302
    db.refresh(pending_q)
    assert pending_q.verified_by_id == cleo.id


@pytest.mark.parametrize("who, message", [
    ("dan", "only a secretary or a member verified in accounting at EQF level 6 or higher may verify this"),
    ("ben", "members cannot verify their own qualifications"),
])
def test_a_peer_below_the_level_and_the_holder_get_no_button_and_a_forced_post_is_refused(
        db, app, coop, people, pending_q, who, message):
    member = {"dan": people[3], "ben": people[1]}[who]
    p = as_(app, coop, member)
    assert not has_button(p, coop, pending_q)
    before = snapshot(db)
    response = verify(p, coop, pending_q)
    assert response.status_code == 403 and message in text_of(response)
    assert_unchanged(db, before)


def test_a_secretary_cannot_verify_her_own(db, app, coop, people):
    grace = people[0]
    own = qualify(db, coop, grace, "law", 7, verified=False)
    p = as_(app, coop, grace)
    assert not has_button(p, coop, own)
    assert "yours: someone else verifies it" in text_of(p.get(url(coop, "qualifications/pending")))
    before = snapshot(db)
    response = verify(p, coop, own)
    assert response.status_code == 403 and "members cannot verify their own" in text_of(response)
    assert_unchanged(db, before)


def test_verifying_twice_or_another_coops_qualification_is_refused(db, app, keys, coop, people, pending_q):
    other = make_coop(db, keys)
    foreign = qualify(db, other, senior(db, other), "accounting", 6, verified=False)
    p = as_(app, coop, people[0])
    assert verify(p, coop, pending_q).status_code == 302
    before = snapshot(db)
    again = verify(p, coop, pending_q)
    assert again.status_code == 409 and "already verified" in text_of(again)
    elsewhere = verify(p, coop, foreign)
    assert elsewhere.status_code == 404 and "no such qualification in this co-op" in text_of(elsewhere)
    assert_unchanged(db, before)


def test_an_unverified_qualification_does_not_count_for_an_office_until_verified(db, app, coop, people, pending_q):
    treasurer = found(db, coop)  # requires accounting at EQF level 6
    ben = people[1]
    before = pale.breaches(db, coop.id, treasurer, {ben.id}, NOW)[ben.id]
    assert len(before) == 1 and "needs a verified qualification in accounting" in str(before[0])
    assert verify(as_(app, coop, people[2]), coop, pending_q).status_code == 302
    assert pale.breaches(db, coop.id, treasurer, {ben.id}, NOW)[ben.id] == []


@pytest.mark.parametrize("path, data", [
    ("me/qualifications", GOOD),
    ("qualifications/verify", None),
])
def test_a_post_without_its_csrf_token_is_refused_and_changes_nothing(db, app, coop, people, pending_q, path, data):
    p = as_(app, coop, people[0])
    before = snapshot(db)
    response = p.client.post(url(coop, path), data=data or {"qualification_id": str(pending_q.id)})
    assert response.status_code == 400 and "security token did not match" in text_of(response)
    assert_unchanged(db, before)


def test_a_visitor_is_sent_to_log_in(client, coop):
    response = client.get(url(coop, "qualifications/pending"))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_pages_are_linked_from_the_nav_for_secretaries_and_from_the_directory(app, coop, people):
    pending = url(coop, "qualifications/pending")
    secretary, member = as_(app, coop, people[0]), as_(app, coop, people[1])
    assert f'href="{pending}"' in secretary.get(url(coop, "proposals")).get_data(as_text=True)
    assert f'href="{pending}"' not in member.get(url(coop, "proposals")).get_data(as_text=True)
    assert f'href="{pending}"' in member.get(url(coop, "members")).get_data(as_text=True)


def test_every_control_on_the_pages_has_a_label(db, app, coop, people, pending_q):
    p = as_(app, coop, people[0])
    pages = [p.get(url(coop, "me")), p.get(url(coop, "qualifications/pending")),
             p.post(url(coop, "me/qualifications"), {**GOOD, "level": "9", "field": ""}, form_page=url(coop, "me"))]
    assert [unlabelled(r.get_data(as_text=True)) for r in pages] == [[], [], []]


# -- queries -----------------------------------------------------------------------------------

def _coop_of(db, keys, size: int):  # type: ignore[no-untyped-def]
    """A co-op of ``size`` members, each with a pending qualification and half of them with a
    verified one (so the page decides a button per row), plus a secretary and a peer."""
    c = make_coop(db, keys)
    secretary = senior(db, c, role="secretary")
    peer = senior(db, c)
    with_password(db, secretary, peer)
    qualify(db, c, peer, "accounting", 8)
    for n in range(size):
        m = senior(db, c)
        qualify(db, c, m, "accounting" if n % 2 else "engineering", 1 + n % 8, verified=False)
        if n % 2:
            qualify(db, c, m, "law", 4)
    return c, secretary, peer


def test_the_pages_issue_the_same_number_of_queries_for_3_members_and_for_40(db, app, keys):
    counts: dict[str, list[int]] = {}
    for size in (3, 40):
        c, secretary, peer = _coop_of(db, keys, size)
        for who in (secretary, peer):
            p = as_(app, c, who)
            for path in ("qualifications/pending", "me"):
                p.get(url(c, path))  # warm: a first read may close overdue votes
                with count_queries(db) as counter:
                    assert p.get(url(c, path)).status_code == 200
                counts.setdefault(f"{path} as {who.role}", []).append(counter.count)
        assert text_of(as_(app, c, peer).get(url(c, "qualifications/pending"))).count("Verify accounting") \
            == sum(1 for n in range(size) if n % 2)
    print(f"queries: {counts}")
    assert all(small == big for small, big in counts.values()), counts
