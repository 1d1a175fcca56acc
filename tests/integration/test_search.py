"""Search across proposals, decisions and rules: what the reader may see, grouped by type."""

from __future__ import annotations

import pytest

from coop.errors import InvalidInput, Unauthenticated
from coop.services import proposals, search
from tests.clock import NOW
from tests.factories import as_member, general_vote, make_coop, make_member


@pytest.fixture
def shop(db, keys):
    coop = make_coop(db, keys)
    sec = make_member(db, coop, "Sam Secretary", role="secretary")
    ada, ben = make_member(db, coop, "Ada"), make_member(db, coop, "Ben")
    talk = proposals.draft_general(db, as_member(ada), coop, "Buy a LATHE", "For the workshop.", now=NOW)
    proposals.open_deliberation(db, as_member(ada), coop, talk.id, now=NOW)
    decided = general_vote(db, coop, ada, title="Sell the old lathe")
    proposals.close(db, decided, decided.voting_closes_at)
    draft = proposals.draft_general(db, as_member(ben), coop, "Ben's lathe idea", "Secret plan", now=NOW)
    return coop, sec, ada, ben, talk, decided, draft


def _found(page):
    return [(h.type, h.proposal_id or h.rule_key) for h in page.items]


def test_search_finds_proposals_decisions_and_rules_case_insensitively_grouped_by_type(db, shop):
    coop, sec, ada, ben, talk, decided, draft = shop
    page = search.search(db, coop, ada, "Lathe", now=NOW)
    assert _found(page) == [("proposal", talk.id), ("decision", decided.id)]
    rules = search.search(db, coop, ada, "ELECTORATE", now=NOW)
    assert rules.items and {h.type for h in rules.items} == {"rule"}
    assert [h.rule_key for h in rules.items] == sorted(h.rule_key for h in rules.items)
    assert "electorate" in rules.items[0].snippet.lower()


def test_drafts_of_others_are_not_found_but_their_author_and_the_secretary_find_them(db, shop):
    coop, sec, ada, ben, talk, decided, draft = shop
    assert ("proposal", draft.id) not in _found(search.search(db, coop, ada, "lathe", now=NOW))
    assert ("proposal", draft.id) in _found(search.search(db, coop, ben, "lathe", now=NOW))
    assert ("proposal", draft.id) in _found(search.search(db, coop, sec, "lathe", now=NOW))
    assert _found(search.search(db, coop, ada, "secret plan", now=NOW)) == []


def test_a_visitor_finds_decisions_and_rules_but_not_proposals_under_discussion(db, shop):
    coop, *_, talk, decided, draft = shop
    assert _found(search.search(db, coop, None, "lathe", now=NOW)) == [("decision", decided.id)]
    coop.public_pages = False
    with pytest.raises(Unauthenticated):
        search.search(db, coop, None, "lathe", now=NOW)


def test_percent_underscore_and_backslash_in_a_search_are_plain_characters(db, shop):
    coop, sec, ada, *_ = shop
    proposals.draft_general(db, as_member(ada), coop, "Raise by 5% for the night_shift", "", now=NOW)
    proposals.draft_general(db, as_member(ada), coop, "Raise by 55 for the nightXshift", "a\\b", now=NOW)
    assert [h.title for h in search.search(db, coop, ada, "5%", now=NOW).items] == ["Raise by 5% for the night_shift"]
    assert [h.title for h in search.search(db, coop, ada, "t_s", now=NOW).items] == ["Raise by 5% for the night_shift"]
    assert _found(search.search(db, coop, ada, "%%", now=NOW)) == []
    assert len(search.search(db, coop, ada, "a\\b", now=NOW).items) == 1


def test_search_pages_through_the_groups_with_a_cursor_without_repeating_or_skipping(db, shop):
    coop, sec, ada, *_ = shop
    everything = search.search(db, coop, sec, "the", limit=200, now=NOW).items
    assert len(everything) > 4
    seen, cursor = [], None
    while True:
        page = search.search(db, coop, sec, "the", limit=3, cursor=cursor, now=NOW)
        seen.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == everything
    types = [h.type for h in seen]
    assert types == sorted(types, key=search.TYPES.index)  # groups are contiguous, in order
    only = search.search(db, coop, sec, "the", type="rule", limit=200, now=NOW).items
    assert only == [h for h in everything if h.type == "rule"]


@pytest.mark.parametrize("query, message", [
    ("a", "at least 2"), ("  ", "at least 2"), ("x" * 101, "at most 100"), ("pay\x07", "control characters")])
def test_a_search_too_short_too_long_or_with_control_characters_is_refused_naming_the_field(db, shop, query, message):
    coop, sec, *_ = shop
    with pytest.raises(InvalidInput) as refused:
        search.search(db, coop, sec, query, now=NOW)
    assert refused.value.field == "q" and message in refused.value.message


def test_a_forged_search_cursor_is_refused(db, shop):
    coop, sec, *_ = shop
    from coop.services.paging import encode_cursor

    for forged in ("nonsense", encode_cursor(["rule", 3]), encode_cursor(["member", 1]), encode_cursor(5)):
        with pytest.raises(InvalidInput) as refused:
            search.search(db, coop, sec, "the", cursor=forged, now=NOW)
        assert refused.value.field == "cursor"
