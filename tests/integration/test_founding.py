from sqlalchemy import select

from coop.constitution import DEFAULT_RULES
from coop.errors import Conflict, InvalidInput
from coop.models import AuditEvent, LedgerHead, RuleVersion
from coop.services import coops, rules
from coop.services.actor import Actor
from tests.clock import NOW
from tests.dbstate import assert_unchanged, snapshot
from tests.factories import make_coop


def test_new_coop_starts_with_the_default_constitution_as_founding_rule_versions(db, keys):
    coop = make_coop(db, keys, slug="riverside")
    versions = rules.current_versions(db, coop.id)
    assert len(versions) == len(DEFAULT_RULES)
    assert all(v.version == 1 and v.proposal_id is None for v in versions)
    params = rules.parameters(db, coop.id)
    assert params["voting.pay_adjustment.threshold"] == "1/2 of cast, strict"
    assert params["voting.pay_adjustment.quorum"] == "1/2"
    assert params["voting.rule_change.threshold"] == "2/3 of cast"
    assert params["voting.rule_change.notice_days"] == "7"
    assert params["voting.entrenched.threshold"] == "3/4 of cast"
    assert params["voting.entrenched.quorum"] == "2/3"
    assert params["voting.entrenched.notice_days"] == "14"
    assert params["voting.period_days"] == "7"
    assert params["pay.max_ratio"] == "3"
    assert params["voting.recall.threshold"] == "2/3 of cast"
    assert params["pale.min_tenure_months"] == "6"
    assert params["education.expected_hours_per_year"] == "40"
    entrenched = {rules.rule_keys(db, coop.id)[v.rule_id] for v in versions if v.entrenched}
    assert {"voting.rule_change", "voting.entrenched", "pale.standing"} <= entrenched
    assert "pay.policy" not in entrenched


def test_founding_is_recorded_in_the_audit_trail_and_opens_an_empty_ledger(db, keys):
    coop = make_coop(db, keys)
    event = db.scalars(select(AuditEvent).where(AuditEvent.coop_id == coop.id)).one()
    assert event.action == "coop.founded" and event.actor_id is None
    head = db.get(LedgerHead, coop.id)
    assert head.size == 0
    assert coop.public_key is not None and len(coop.public_key) == 32


def test_a_second_coop_with_the_same_slug_is_refused_and_nothing_is_written(db, keys):
    make_coop(db, keys, slug="twice")
    before = snapshot(db)
    try:
        coops.create_coop(db, Actor.operator(), keys, "twice", "Again", now=NOW)
    except Conflict as exc:
        assert exc.field == "slug"
    else:
        raise AssertionError("duplicate slug accepted")
    assert_unchanged(db, before)


def test_malformed_slug_is_refused_with_the_field_named(db, keys):
    before = snapshot(db)
    for bad in ("", "Upper", "-dash", "has space", "x" * 65):
        try:
            coops.create_coop(db, Actor.operator(), keys, bad, "Name", now=NOW)
        except InvalidInput as exc:
            assert exc.field == "slug"
        else:
            raise AssertionError(f"slug {bad!r} accepted")
    assert_unchanged(db, before)


def test_several_coops_keep_their_rules_apart(db, keys):
    a = make_coop(db, keys)
    b = make_coop(db, keys)
    assert db.scalar(select(RuleVersion.id).where(RuleVersion.coop_id == a.id).limit(1)) is not None
    assert {v.coop_id for v in rules.current_versions(db, b.id)} == {b.id}
