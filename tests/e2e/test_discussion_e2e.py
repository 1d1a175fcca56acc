"""Discussion and search in a real browser: a member replies in a thread and reacts to a
comment without writing one (and takes the reaction back), then finds the proposal through
the search box in the header."""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select

from coop.clock import utcnow
from coop.models import Comment, Cooperative, Member
from coop.services import proposals
from coop.services.actor import Actor
from tests.e2e.conftest import LiveServer, login, main_text, shot

pytestmark = pytest.mark.e2e
AGREE = re.compile(r"^Agree \d+$")


def test_a_member_replies_in_a_thread_reacts_takes_it_back_and_finds_the_proposal_by_search(
        live_server: LiveServer, make_coop: Any, page: Any) -> None:
    coop = make_coop({"lena": "24.00", "ben": "20.00"})
    with live_server.session() as s:
        c, lena = s.get(Cooperative, coop.id), s.get(Member, coop["lena"].id)
        p = proposals.draft_general(s, Actor.of(lena), c, "Buy a new lathe", "The old one is broken.", now=utcnow())
        proposals.open_deliberation(s, Actor.of(lena), c, p.id, now=utcnow())
        root = proposals.comment(s, Actor.of(lena), c, p.id, "Which model should we buy?", now=utcnow())
        pid, root_id = p.id, root.id

    login(page, coop, "ben")
    page.goto(coop.path(f"proposals/{pid}"))
    thread = page.locator(f"#c{root_id}").locator("xpath=..")
    thread.get_by_text("Reply", exact=True).click()
    thread.get_by_label("Your reply to Lena").fill("The mid-priced one: it includes training.")
    thread.get_by_role("button", name="Post reply").click()
    assert "Your reply is posted." in main_text(page)
    with live_server.session() as s:
        reply = s.scalars(select(Comment).where(Comment.parent_id == root_id)).one()
    assert page.locator(f"#c{reply.id}.reply").is_visible()

    agree = page.locator(f"#c{root_id}").get_by_role("button", name=AGREE)
    agree.click()
    agree = page.locator(f"#c{root_id}").get_by_role("button", name=AGREE)
    assert agree.get_attribute("aria-pressed") == "true" and agree.inner_text().split() == ["Agree", "1"]
    shot(page, "discussion-thread")
    agree.click()
    agree = page.locator(f"#c{root_id}").get_by_role("button", name=AGREE)
    assert agree.get_attribute("aria-pressed") == "false" and agree.inner_text().split() == ["Agree", "0"]

    page.get_by_role("searchbox", name="Search proposals, decisions and rules").fill("LATHE")
    page.get_by_role("search").get_by_role("button", name="Search").click()
    results = main_text(page)
    assert "Proposals under discussion" in results and f"#{pid} Buy a new lathe" in results
    shot(page, "search-results")
    page.get_by_role("link", name=f"#{pid} Buy a new lathe").click()
    page.wait_for_url(f"**{coop.path(f'proposals/{pid}')}")
