"""The rule lists: each item named by its key, paged like every list."""

from __future__ import annotations

from coop.services import listings
from coop.services.actor import Actor
from tests.factories import make_coop, make_member


def test_rules_and_a_rules_versions_are_listed_with_their_key_across_pages(db, keys, api):
    coop = make_coop(db, keys)
    make_member(db, coop, hourly_rate="20.00")
    base = f"/api/v1/coops/{coop.slug}"
    expected = [key for key, _ in listings.rules_page(db, Actor.operator(), coop, cursor=None, limit=200).items]
    assert len(expected) >= 2
    seen, url = [], base + "/rules?limit=1"
    while url:
        r = api.get(url)
        assert r.status_code == 200, r.get_json()
        body = r.get_json()
        assert len(body["items"]) == 1 and body["items"][0]["version"] >= 1
        seen += [item["key"] for item in body["items"]]
        url = r.headers["Link"].split(">")[0][1:] if body["next_cursor"] else None
    assert seen == expected
    key = expected[0]
    versions = api.get(f"{base}/rules/{key}/versions").get_json()["items"]
    assert [v["key"] for v in versions] == [key] * len(versions) and versions[0]["version"] == 1
