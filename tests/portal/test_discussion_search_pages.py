"""A proposal's discussion in the portal (threads, reactions) and the search page."""

from __future__ import annotations

from sqlalchemy import select

from coop.models import Comment, CommentReaction
from coop.services import proposals
from tests.clock import NOW
from tests.dbstate import assert_unchanged, snapshot
from tests.factories import as_member
from tests.portal.conftest import text_of
from tests.portal.test_proposal_pages import motion, w  # noqa: F401  (the fixture)


def _talking(db, w):  # noqa: F811
    p = motion(db, w)
    proposals.open_deliberation(db, as_member(w.ada), w.coop, p.id, now=NOW)
    return p, w.url(f"proposals/{p.id}")


def test_members_reply_in_threads_and_react_without_commenting_and_see_the_counts(db, w, portal):  # noqa: F811
    p, page = _talking(db, w)
    root = proposals.comment(db, as_member(w.ada), w.coop, p.id, "Which model?", now=NOW)
    portal.login(w.coop, w.ben)
    posted = portal.post(page + "/comment", {"body": "The mid-priced one.", "parent_id": str(root.id)}, form_page=page)
    assert posted.status_code == 302
    reply = db.scalars(select(Comment).where(Comment.parent_id == root.id)).one()
    assert posted.headers["Location"].endswith(f"#c{reply.id}")
    reacted = portal.post(page + f"/comments/{root.id}/react", {"kind": "agree"}, form_page=page)
    assert reacted.status_code == 302 and reacted.headers["Location"].endswith(f"#c{root.id}")
    body = text_of(portal.get(page))
    assert "Deliberation (2)" in body
    thread = body.split("Which model?")[1]
    assert "Agree 1 Disagree 0 Question 0" in thread and "The mid-priced one." in thread
    assert "Reply to this thread" in body
    html = portal.get(page).get_data(as_text=True)
    assert 'aria-pressed="true">Agree' in html
    # Pressing the held reaction again takes it back.
    portal.post(page + f"/comments/{root.id}/react", {"kind": "agree"}, form_page=page)
    assert db.scalar(select(CommentReaction).where(CommentReaction.comment_id == root.id)) is None


def test_a_refused_reaction_shows_a_message_and_changes_nothing(db, w, portal):  # noqa: F811
    p, page = _talking(db, w)
    root = proposals.comment(db, as_member(w.ada), w.coop, p.id, "Which model?", now=NOW)
    portal.login(w.coop, w.ben)
    before = snapshot(db)
    for kind, message in (("love", "one of agree, disagree, question"), ("", "choose a reaction")):
        refused = portal.refused(portal.post(page + f"/comments/{root.id}/react", {"kind": kind}, form_page=page))
        assert message in text_of(refused)
    assert_unchanged(db, before)


def test_a_closed_proposal_shows_threads_and_counts_without_reply_or_reaction_buttons(db, w, portal):  # noqa: F811
    from tests.factories import open_for_voting

    p = motion(db, w)
    open_for_voting(db, w.coop, p, w.ada)
    root = proposals.comment(db, as_member(w.ada), w.coop, p.id, "Which model?", now=p.voting_opened_at)
    proposals.comment(db, as_member(w.ben), w.coop, p.id, "This one.", parent_id=root.id, now=p.voting_opened_at)
    from coop.services import discussion

    discussion.react(db, as_member(w.ben), w.coop, p.id, root.id, "question", now=p.voting_opened_at)
    proposals.close(db, p, p.voting_closes_at)
    portal.login(w.coop, w.ben)
    html = portal.get(w.url(f"proposals/{p.id}")).get_data(as_text=True)
    assert "Question <span class=\"count\">1</span>" in html and "This one." in html
    assert "/react" not in html and "Reply" not in html


def test_the_search_page_groups_results_by_type_with_links_and_hides_others_drafts(db, w, portal):  # noqa: F811
    p, _ = _talking(db, w)
    hidden = proposals.draft_general(db, as_member(w.cleo), w.coop, "Cleo's lathe draft", "", now=NOW)
    portal.login(w.coop, w.ben)
    response = portal.get(w.url("search?q=LATHE"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'href="/c/{w.coop.slug}/proposals/{p.id}"' in html and "Proposals under discussion" in html
    assert f"/proposals/{hidden.id}" not in html
    rules = text_of(portal.get(w.url("search?q=electorate")))
    assert "Rules" in rules and "voting.general" in rules
    assert "Nothing found for “zzzz”" in text_of(portal.get(w.url("search?q=zzzz")))


def test_a_search_too_short_is_refused_beside_the_box_and_the_header_box_is_on_every_page(db, w, portal):  # noqa: F811
    refused = portal.get(w.url("search?q=a"))
    assert refused.status_code == 400 and "type at least 2 characters" in text_of(refused)
    assert 'role="search"' in portal.get(w.url("rules")).get_data(as_text=True)
    forged = portal.get(w.url("search?q=pay&type=rule&cursor=nonsense"))
    assert forged.status_code == 400


def test_a_visitor_searches_decisions_and_rules_only_where_the_coop_publishes(db, w, portal):  # noqa: F811
    p, _ = _talking(db, w)
    body = text_of(portal.get(w.url("search?q=lathe")))
    assert "Nothing found" in body
    w.coop.public_pages = False
    db.flush()
    assert portal.get(w.url("search?q=lathe")).status_code in (302, 401)
    assert 'role="search"' not in portal.get(w.url("login")).get_data(as_text=True)
