"""The demo's offices, elections and learning records, seeded through the services."""

import datetime as dt

from sqlalchemy import select

from coop.models import AuditEvent
from coop.services import education, elections, members, offices
from coop.services.demo import seed_demo

NOW = dt.datetime(2026, 11, 20, 10, 0)


def test_the_demo_has_offices_past_terms_an_open_election_and_a_refused_candidacy(db, keys):
    seeded = seed_demo(db, keys, slug="demo-offices", now=NOW)
    coop = seeded.coop
    people = {m.email: m for m in members.list_members(db, coop.id)}
    result = seeded.offices
    assert result is not None and result.elections == 3 and result.open_elections == 1
    by_login = {e.split("@")[0]: m.id for e, m in people.items()}
    assert set(offices.defined(db, coop.id)) == {"treasurer", "safety_officer", "technical_lead"}
    held = {s.key: [t.member_id for t in s.holders] for s in offices.holders(db, coop.id, NOW)}
    assert held == {"treasurer": [by_login["marisol"]], "safety_officer": [by_login["tomasz"]],
                    "technical_lead": []}
    p = elections.get_election(db, coop, result.open_election_id, now=NOW)
    assert p.status == "voting"
    standing = {c.member_id for c in elections.candidacies(db, p.id) if c.status == "standing"}
    assert standing == {by_login["rahul"], by_login["samuel"], by_login["kenji"]}
    refused = db.scalars(select(AuditEvent).where(AuditEvent.coop_id == coop.id,
                                                  AuditEvent.action == "candidacy.refused")).one()
    assert "active for 5 months; the rules require 6" in refused.details["reason"]
    hours = {r.member_id: r.completed for r in education.report(db, coop, NOW.year, now=NOW).members}
    assert hours[by_login["lena"]] > 0 and result.learning_records >= 8


def test_the_demo_seeds_offices_once_and_counts_the_elections_among_its_proposals(db, keys):
    seeded = seed_demo(db, keys, slug="demo-offices", now=NOW)
    assert seeded.proposals == 11 and seeded.open_votes == 3  # with a draft and one in deliberation
    assert seed_demo(db, keys, slug="demo-offices", now=NOW) is None
    assert len(offices.defined(db, seeded.coop.id)) == 3
