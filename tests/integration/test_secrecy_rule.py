"""Ballot secrecy is a rule, read when voting opens and kept on the proposal
(DESIGN.md "Secret ballots, proxies and general meetings")."""

import pytest

from coop.errors import InvalidInput
from coop.services import proposals, rules
from tests.clock import NOW
from tests.dbstate import assert_unchanged, snapshot
from tests.factories import as_member, general_vote, make_coop, make_members
from tests.office_factories import call, office_coop, open_vote, senior, stand


@pytest.fixture
def coop(db, keys):
    return make_coop(db, keys)


def amend_general(db, coop, voters, **parameters):
    """Amend voting.general through a real vote that everyone answers yes."""
    _, current = rules.get_rule(db, coop.id, "voting.general")
    p = proposals.draft_rule_change(db, as_member(voters[0]), coop, "Secret motions", "", {
        "action": "amend", "rule_key": "voting.general",
        "parameters": {**current.parameters, **parameters}}, now=NOW)
    proposals.open_deliberation(db, as_member(voters[0]), coop, p.id, now=NOW)
    proposals.open_voting(db, as_member(voters[0]), coop, p.id, now=p.deliberation_ends_at)
    for m in voters:
        proposals.cast_ballot(db, as_member(m), coop, p.id, "yes", now=p.voting_opened_at)
    proposals.close_due(db, p.voting_closes_at, coop_id=coop.id)
    return p


def test_general_motions_are_open_and_elections_secret_by_default(db, keys):
    coop = office_coop(db, keys, council=True)  # the works council asks no qualification
    chair = senior(db, coop)
    motion = general_vote(db, coop, chair)
    election = call(db, coop, "council", chair)
    stand(db, coop, election, chair)
    open_vote(db, coop, election, chair)
    assert (motion.secrecy, election.secrecy) == ("open", "secret")


def test_a_passed_rule_change_makes_later_motions_secret_but_not_one_already_open(db, coop):
    voters = make_members(db, coop, 4)
    already_open = general_vote(db, coop, voters[0], "Paint the door")
    change = amend_general(db, coop, voters, **{"voting.secrecy.general": "secret"})
    # Secrecy steers governance, so the change needs the entrenched threshold.
    assert (change.details["requires"], change.outcome) == ("entrenched", "passed")
    later = general_vote(db, coop, voters[0], "Paint the walls")
    assert (already_open.secrecy, later.secrecy) == ("open", "secret")


@pytest.mark.parametrize("bad", ["hidden", "Secret", ""])
def test_a_secrecy_that_is_neither_open_nor_secret_is_refused_and_writes_nothing(db, coop, bad):
    voters = make_members(db, coop, 2)
    _, current = rules.get_rule(db, coop.id, "voting.general")
    before = snapshot(db)
    with pytest.raises(InvalidInput, match="voting.secrecy.general") as exc:
        proposals.draft_rule_change(db, as_member(voters[0]), coop, "Bad", "", {
            "action": "amend", "rule_key": "voting.general",
            "parameters": {**current.parameters, "voting.secrecy.general": bad}}, now=NOW)
    assert exc.value.field == "parameters"
    assert_unchanged(db, before)


def test_secrecy_read_from_the_rules_defaults_by_kind_and_refuses_a_bad_stored_value():
    assert rules.secrecy({}, "recall") == "secret"
    assert rules.secrecy({}, "pay_adjustment") == "open"
    assert rules.secrecy({"voting.secrecy.election": "open"}, "election") == "open"
    with pytest.raises(InvalidInput, match="must be open or secret"):
        rules.secrecy({"voting.secrecy.general": "maybe"}, "general")
