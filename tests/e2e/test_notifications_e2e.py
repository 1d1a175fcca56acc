"""Notifications in a real browser (issue 16): newest first by date, and a "vote open"
notice stops asking once the member has voted or the vote has closed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from coop.clock import utcnow
from coop.models import Cooperative, Member
from coop.services import proposals
from tests.e2e.conftest import E2ECoop, LiveServer, main_text, shot, signed_in
from tests.factories import as_member

pytestmark = pytest.mark.e2e


def open_vote(server: LiveServer, coop: E2ECoop, title: str, at: dt.datetime) -> int:
    """A general motion by Ada whose voting opened at ``at`` (its notices are dated then)."""
    with server.session() as s:
        row = s.get(Cooperative, coop.id)
        ada = s.get(Member, coop["ada"].id)
        assert row is not None and ada is not None
        actor = as_member(ada)
        p = proposals.draft_general(s, actor, row, title, "", now=at - dt.timedelta(days=8))
        proposals.open_deliberation(s, actor, row, p.id, now=at - dt.timedelta(days=8))
        p.deliberation_ends_at = at - dt.timedelta(seconds=1)
        s.flush()
        proposals.open_voting(s, actor, row, p.id, now=at)
        return p.id


def notices(page: Any) -> list[str]:
    return [" ".join(t.split()) for t in page.locator("#notification-list > li > p:first-child").all_inner_texts()]


def test_notifications_order_and_read_state(live_server: LiveServer, make_coop: Any, visitor: Any) -> None:
    coop = make_coop({"ada": None, "ben": None, "cara": None}, roles={"ada": "secretary"})
    now = utcnow()
    # Written in the other order than their dates: the newer vote's notice has the lower id.
    newer = open_vote(live_server, coop, "Paint the workshop", now)
    older = open_vote(live_server, coop, "Buy a new lathe", now - dt.timedelta(hours=3))
    ben = signed_in(visitor, live_server, coop, ["ben"])["ben"]
    ben.goto(coop.path("notifications"))
    listed = notices(ben)
    assert [n.split(" · ")[0] for n in listed] == ["Unread: Vote open: Paint the workshop",
                                                   "Unread: Vote open: Buy a new lathe"]
    assert main_text(ben).startswith("Notifications 2")
    shot(ben, "notifications-unread")

    # Ben votes on the newer motion: its notice no longer asks him to.
    ben.goto(coop.path(f"proposals/{newer}"))
    ben.get_by_role("radio", name="Yes", exact=True).check()
    ben.locator("form[action$='/vote'] button[type=submit]").click()
    ben.goto(coop.path("notifications"))
    listed = notices(ben)
    assert listed[0].startswith("Vote open: Paint the workshop") and listed[1].startswith("Unread: Vote open: Buy")

    # The older vote's deadline passes: any request closes it, and its "vote open" is settled
    # while the result itself is news.
    live_server.elapse_voting(older)
    ben.goto(coop.path("dashboard"))
    ben.goto(coop.path("notifications"))
    listed = notices(ben)
    unread = [n for n in listed if n.startswith("Unread: ")]
    assert len(unread) == 1 and "Buy a new lathe" in unread[0] and "Vote open" not in unread[0]
    assert "Unread: Vote open" not in main_text(ben)
    shot(ben, "notifications-read")
