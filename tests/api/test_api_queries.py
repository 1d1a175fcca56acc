"""Every list issues the same number of SQL statements for 5 rows as for 50 (no N+1)."""

from __future__ import annotations

import pytest

from coop.services import checkpoints, proposals, rules, webhooks
from coop.services.actor import Actor
from tests.api.conftest import count_queries, make_token
from tests.clock import NOW
from tests.factories import as_member, make_coop, make_member, open_for_voting


def members(db, keys, n):
    coop = make_coop(db, keys)
    ms = [make_member(db, coop) for _ in range(n)]
    return coop, ms[0], "/members?limit=100"


def proposals_list(db, keys, n):
    coop = make_coop(db, keys)
    m = make_member(db, coop)
    for i in range(n):
        p = proposals.draft_general(db, as_member(m), coop, f"Motion {i}", "", now=NOW)
        proposals.open_deliberation(db, as_member(m), coop, p.id, now=NOW)
    return coop, m, "/proposals?limit=100&kind=general"


def entries(db, keys, n):
    coop = make_coop(db, keys)
    ms = [make_member(db, coop, hourly_rate="20.00") for _ in range(n)]
    return coop, ms[0], "/ledger/entries?limit=100"


def pay_table(db, keys, n):
    coop, m, _ = entries(db, keys, n)
    return coop, m, "/pay"


def pay_history(db, keys, n):
    from tests.factories import set_founding_pay

    coop = make_coop(db, keys)
    m = make_member(db, coop, hourly_rate="20.00")
    for i in range(n - 1):
        set_founding_pay(db, coop, m, f"{20 + i % 5}.00")
    return coop, m, f"/members/{m.id}/pay?limit=100"


def checkpoint_list(db, keys, n):
    coop = make_coop(db, keys)
    m = None
    for _ in range(n):
        m = make_member(db, coop, hourly_rate="20.00")
        checkpoints.sign(db, keys, coop, now=NOW)
    return coop, m, "/ledger/checkpoints?limit=100"


def audit_events(db, keys, n):
    coop = make_coop(db, keys)
    s = make_member(db, coop, role="secretary")
    for _ in range(n):
        make_member(db, coop)
    return coop, s, "/audit-events?limit=100"


def comments(db, keys, n):
    coop = make_coop(db, keys)
    m = make_member(db, coop)
    p = proposals.draft_general(db, as_member(m), coop, "Lathe", "", now=NOW)
    proposals.open_deliberation(db, as_member(m), coop, p.id, now=NOW)
    for i in range(n):
        proposals.comment(db, as_member(m), coop, p.id, f"comment {i}", now=NOW)
    return coop, m, f"/proposals/{p.id}/comments?limit=100"


def ballots(db, keys, n):
    coop = make_coop(db, keys)
    ms = [make_member(db, coop) for _ in range(n + 1)]
    _, version = rules.get_rule(db, coop.id, "voting.general")
    version.parameters = {**version.parameters, "voting.ballots_public": "true"}
    p = open_for_voting(db, coop, proposals.draft_general(db, as_member(ms[0]), coop, "Lathe", "", now=NOW), ms[0])
    for m in ms[1:]:
        proposals.cast_ballot(db, as_member(m), coop, p.id, "yes", now=p.voting_opened_at)
    return coop, ms[0], f"/proposals/{p.id}/ballots?limit=100"


def deliveries(db, keys, n):
    webhooks.install()
    coop = make_coop(db, keys)
    admin = make_member(db, coop, role="admin")
    sub, _ = webhooks.create_subscription(db, Actor.operator(), coop, "https://hooks.example.org/hook",
                                          ["ledger.appended"], now=NOW)
    for _ in range(n):
        make_member(db, coop, hourly_rate="20.00")
    return coop, admin, f"/webhooks/{sub.id}/deliveries?limit=100"


LISTS = [members, proposals_list, entries, pay_table, pay_history, checkpoint_list, audit_events,
         comments, ballots, deliveries]


@pytest.mark.parametrize("build", LISTS, ids=[f.__name__ for f in LISTS])
def test_a_list_costs_the_same_number_of_queries_for_5_and_50_rows(db, keys, api, engine, build):
    counts = []
    for n in (5, 50):
        coop, member, path = build(db, keys, n)
        token = make_token(db, coop, member)
        url = f"/api/v1/coops/{coop.slug}{path}"
        first = api.get(url, token=token)  # warms the token's last_used_at
        assert first.status_code == 200, first.get_data()[:300]
        db.flush()
        with count_queries(engine) as statements:
            r = api.get(url, token=token)
        body = r.get_json()
        rows = body.get("items", body.get("lines"))
        assert len(rows) >= n
        counts.append(len(statements))
    assert counts[0] == counts[1], f"{counts[0]} queries for 5 rows, {counts[1]} for 50"
    assert counts[0] <= 8


PAGED = [members, proposals_list, entries, audit_events, comments, ballots, deliveries]


@pytest.mark.parametrize("build", PAGED, ids=[f.__name__ for f in PAGED])
def test_every_page_costs_the_same_number_of_queries_and_pages_do_not_overlap(db, keys, api, engine, build):
    coop, member, path = build(db, keys, 25)
    token = make_token(db, coop, member)
    url = f"/api/v1/coops/{coop.slug}{path.replace('limit=100', 'limit=10')}"
    api.get(url, token=token)  # warms the token's last_used_at
    db.flush()
    counts, seen = [], []
    while url:
        with count_queries(engine) as statements:
            r = api.get(url, token=token)
        assert r.status_code == 200, r.get_data()[:300]
        counts.append(len(statements))
        seen.extend(item.get("id", item.get("index", item.get("member_id"))) for item in r.get_json()["items"])
        link = r.headers.get("Link")
        url = link[1:link.index(">")] if link else None
        assert (link is None) == (r.get_json()["next_cursor"] is None)
    assert len(counts) >= 3 and len(set(counts)) == 1, counts
    assert len(seen) == len(set(seen)) >= 25


def test_casting_a_ballot_costs_the_same_statements_for_an_electorate_of_5_and_of_50(db, keys, api, engine):
    """The ballot path is the API's hottest write: a fixed handful of statements, whatever the
    electorate's size; a changed ballot skips the count that closes a vote early."""
    counts = []
    for n in (5, 50):
        coop = make_coop(db, keys)
        ms = [make_member(db, coop) for _ in range(n)]
        p = open_for_voting(db, coop, proposals.draft_general(db, as_member(ms[0]), coop, "Lathe", "", now=NOW), ms[0])
        token = make_token(db, coop, ms[1], "read", "vote")
        url = f"/api/v1/coops/{coop.slug}/proposals/{p.id}/ballot"
        api.get(f"/api/v1/coops/{coop.slug}/members?limit=1", token=token)  # warms the token's last_used_at
        db.flush()
        with count_queries(engine) as first:
            assert api.put(url, token=token, json={"choice": "no"}).status_code == 200
        with count_queries(engine) as change:
            r = api.put(url, token=token, json={"choice": "yes"})
        assert r.status_code == 200 and r.get_json()["choice"] == "yes"
        counts.append((len(first), len(change)))
    assert counts[0] == counts[1], f"electorate of 5: {counts[0]}, of 50: {counts[1]} (first, change)"
    first, change = counts[0]
    # A changed ballot cannot complete the electorate (no early-close count), and the member's
    # "vote open" notices were settled by the first one (no notification update).
    assert change == first - 2, "a changed ballot: no early-close count, no notification update"
    assert first <= 8, first
