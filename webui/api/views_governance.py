"""Co-ops, the caller, members, rules, proposals, comments, ballots and outcomes.

Each view: load input → one service call → dump. The services decide (who may, whether).
"""

from __future__ import annotations

from flask import Response, g

from coop.errors import NotFound
from coop.pay import Supplement, SupplementReason
from coop.schemas import governance as s
from coop.schemas.common import Empty, PageQuery, page_of
from coop.services import coops, discussion, listings, members, proposals, search
from coop.services.paging import in_memory
from webui.api.core import (
    current_actor,
    dump,
    json_response,
    load_body,
    load_coop,
    load_query,
    operation,
    page_response,
    require_actor,
)
from webui.request_db import get_session, request_now

P = "/coops/{slug}"
READ_ERRORS = (401, 403, 404)
WRITE_ERRORS = (401, 403, 404, 409, 415, 422)


@operation("/coops", "GET", "List the co-ops on this installation", tag="co-ops", access="anyone",
           query=PageQuery, response=page_of(s.CoopOut), paginated=True)
def list_coops() -> Response:
    q = load_query(PageQuery)
    page = in_memory(coops.list_coops(get_session()), lambda c: c.slug, kind=str,
                     cursor=q.get("cursor"), limit=q.get("limit"))
    return page_response(s.CoopOut, page)


@operation(P, "GET", "A co-op", tag="co-ops", access="anyone", response=s.CoopOut, errors=(404,))
def get_coop(slug: str) -> Response:
    return dump(s.CoopOut, load_coop(slug))


@operation(P + "/me", "GET", "Who the token stands for", tag="co-ops", access="member", scope="read",
           response=s.MeOut, errors=READ_ERRORS)
def me(slug: str) -> Response:
    coop = load_coop(slug)
    actor = require_actor()
    member = actor.require_member(coop.id, scope="read")
    found = listings.member(get_session(), actor, coop, member.id)
    return dump(s.MeOut, {"member": found, "email": found.email, "token": g.get("api_token")})


# -- members ---------------------------------------------------------------------------------

@operation(P + "/members", "GET", "List members, with their qualifications", tag="members",
           access="member", scope="read", query=s.MemberListQuery, response=page_of(s.MemberOut),
           paginated=True, errors=READ_ERRORS)
def list_members(slug: str) -> Response:
    q = load_query(s.MemberListQuery)
    coop = load_coop(slug)
    page = listings.members_page(get_session(), current_actor(), coop, status=q.get("status"),
                                 cursor=q.get("cursor"), limit=q.get("limit"))
    return page_response(s.MemberOut, page)


@operation(P + "/members/{member_id}", "GET", "A member, with their qualifications", tag="members",
           access="member", scope="read", response=s.MemberOut, errors=READ_ERRORS)
def get_member(slug: str, member_id: int) -> Response:
    coop = load_coop(slug)
    return dump(s.MemberOut, listings.member(get_session(), current_actor(), coop, member_id))


# -- rules -----------------------------------------------------------------------------------

@operation(P + "/rules", "GET", "The rules in force (current version of each)", tag="rules",
           access="public", query=PageQuery, response=page_of(s.RuleVersionOut), paginated=True,
           errors=READ_ERRORS)
def list_rules(slug: str) -> Response:
    q = load_query(PageQuery)
    coop = load_coop(slug)
    page = listings.rules_page(get_session(), current_actor(), coop, cursor=q.get("cursor"), limit=q.get("limit"))
    return page_response(s.RuleVersionOut, page, lambda row: _rule(*row))


def _rule(key: str, v: object) -> dict[str, object]:
    return {"key": key, **{f: getattr(v, f) for f in (
        "version", "title", "text", "parameters", "entrenched", "repealed", "created_at", "proposal_id")}}


@operation(P + "/rules/{key}", "GET", "One rule, as in force", tag="rules", access="public",
           response=s.RuleVersionOut, errors=READ_ERRORS)
def get_rule(slug: str, key: str) -> Response:
    coop = load_coop(slug)
    return dump(s.RuleVersionOut, _rule(key, listings.rule(get_session(), current_actor(), coop, key)))


@operation(P + "/rules/{key}/versions", "GET", "Every version of one rule, oldest first", tag="rules",
           access="public", query=PageQuery, response=page_of(s.RuleVersionOut), paginated=True,
           errors=READ_ERRORS)
def list_rule_versions(slug: str, key: str) -> Response:
    q = load_query(PageQuery)
    coop = load_coop(slug)
    page = listings.rule_versions_page(get_session(), current_actor(), coop, key,
                                       cursor=q.get("cursor"), limit=q.get("limit"))
    return page_response(s.RuleVersionOut, page, lambda v: _rule(key, v))


# -- proposals -------------------------------------------------------------------------------

@operation(P + "/proposals", "GET", "List proposals, newest first", tag="proposals", access="member",
           scope="read", query=s.ProposalListQuery, response=page_of(s.ProposalOut), paginated=True,
           errors=READ_ERRORS)
def list_proposals(slug: str) -> Response:
    """Filter by `status` and `kind`. Closed proposals (decisions) are public where the co-op
    publishes: `?status=closed` needs no token then."""
    q = load_query(s.ProposalListQuery)
    coop = load_coop(slug)
    page = listings.proposals_page(get_session(), current_actor(), coop, status=q.get("status"),
                                   kind=q.get("kind"), cursor=q.get("cursor"), limit=q.get("limit"), now=request_now())
    return page_response(s.ProposalOut, page)


@operation(P + "/proposals", "POST", "Draft a proposal", tag="proposals", access="member",
           scope="propose", body=s.ProposalCreate, response=s.ProposalOut, status=201,
           errors=WRITE_ERRORS)
def create_proposal(slug: str) -> Response:
    """`general`: title and body. `pay_adjustment`: also `subject_member_id` and `pay_change`
    (refused, naming the numbers, if it would break the pay policy). `rule_change`: also
    `rule_change` (add, amend or repeal one rule)."""
    data = load_body(s.ProposalCreate)
    coop = load_coop(slug)
    actor, session = require_actor(), get_session()
    kind, title, body = data["kind"], data["title"], data["body"]
    if kind == "general":
        p = proposals.draft_general(session, actor, coop, title, body, now=request_now())
    elif kind == "pay_adjustment":
        change = dict(data["pay_change"])
        if change["supplements"] is not None:
            change["supplements"] = [
                Supplement(kind=x["kind"], amount=x["amount"], reason=SupplementReason(x["reason"]),
                           qualification_id=x["qualification_id"]) for x in change["supplements"]]
        try:
            subject = members.get_member(session, coop.id, data["subject_member_id"])
        except NotFound as exc:
            exc.field = "subject_member_id"
            raise
        p = proposals.draft_pay_adjustment(session, actor, coop, title, body, subject, change, now=request_now())
    else:
        p = proposals.draft_rule_change(session, actor, coop, title, body, dict(data["rule_change"]), now=request_now())
    return dump(s.ProposalOut, p, status=201)


@operation(P + "/proposals/{proposal_id}", "GET", "A proposal", tag="proposals", access="member",
           scope="read", response=s.ProposalDetailOut, errors=READ_ERRORS)
def get_proposal(slug: str, proposal_id: int) -> Response:
    """A closed proposal (a decision) is public where the co-op publishes. While voting is
    open, only the number of ballots cast is shown: how they were cast is secret until close."""
    coop = load_coop(slug)
    session = get_session()
    p = listings.proposal(session, current_actor(), coop, proposal_id, now=request_now())
    out = s.ProposalDetailOut().dump(p)
    out["ballots_cast"] = listings.ballots_cast(session, p)
    return json_response(out)


def _action(slug: str, proposal_id: int, act: str) -> Response:
    load_body(Empty, required=False)
    coop = load_coop(slug)
    actor, session = require_actor(), get_session()
    fn = {"deliberation": proposals.open_deliberation, "voting": proposals.open_voting,
          "withdraw": proposals.withdraw}[act]
    return dump(s.ProposalOut, fn(session, actor, coop, proposal_id, now=request_now()))


_ACTION = dict(tag="proposals", access="member", scope="propose", body=Empty, body_required=False,
               response=s.ProposalOut, errors=WRITE_ERRORS)


@operation(P + "/proposals/{proposal_id}/open-deliberation", "POST", "Open deliberation (notice period)", **_ACTION)
def open_deliberation(slug: str, proposal_id: int) -> Response:
    """The author or the secretary. The notice period comes from the rules."""
    return _action(slug, proposal_id, "deliberation")


@operation(P + "/proposals/{proposal_id}/open-voting", "POST", "Open voting", **_ACTION)
def open_voting(slug: str, proposal_id: int) -> Response:
    """After the notice period. Fixes the electorate, threshold and quorum."""
    return _action(slug, proposal_id, "voting")


@operation(P + "/proposals/{proposal_id}/withdraw", "POST", "Withdraw (before voting opens)", **_ACTION)
def withdraw(slug: str, proposal_id: int) -> Response:
    return _action(slug, proposal_id, "withdraw")


@operation(P + "/proposals/{proposal_id}/comments", "GET", "Comments and expert opinions", tag="proposals",
           access="member", scope="read", query=PageQuery, response=page_of(s.CommentOut), paginated=True,
           errors=READ_ERRORS)
def list_comments(slug: str, proposal_id: int) -> Response:
    q = load_query(PageQuery)
    coop = load_coop(slug)
    page = listings.comments_page(get_session(), current_actor(), coop, proposal_id,
                                  cursor=q.get("cursor"), limit=q.get("limit"), now=request_now())
    return page_response(s.CommentOut, page, lambda row: _comment(*row))


def _comment(c: object, counts: dict[str, int]) -> dict[str, object]:
    return {**{f: getattr(c, f) for f in (
        "id", "proposal_id", "member_id", "kind", "body", "qualification_id", "parent_id", "created_at")},
        "reactions": counts}


@operation(P + "/proposals/{proposal_id}/comments", "POST", "Comment, or give an expert opinion",
           tag="proposals", access="member", scope="propose", body=s.CommentCreate,
           response=s.CommentOut, status=201, errors=WRITE_ERRORS)
def create_comment(slug: str, proposal_id: int) -> Response:
    """Citing one of your verified qualifications (`qualification_id`) makes it an expert
    opinion: advisory, shown beside the proposal, never counted. `parent_id` makes it a reply;
    threads are one level deep, so a reply to a reply joins its thread under the root comment
    (the answer's `parent_id` is the root). Only during deliberation or voting (409 otherwise)."""
    data = load_body(s.CommentCreate)
    coop = load_coop(slug)
    c = proposals.comment(get_session(), require_actor(), coop, proposal_id, data["body"],
                          qualification_id=data["qualification_id"], parent_id=data["parent_id"],
                          now=request_now())
    return dump(s.CommentOut, _comment(c, dict.fromkeys(s.REACTIONS, 0)), status=201)


@operation(P + "/proposals/{proposal_id}/comments/{comment_id}/reaction", "PUT", "React to a comment",
           tag="proposals", access="member", scope="propose", body=s.ReactionIn, response=s.ReactionOut,
           errors=WRITE_ERRORS)
def set_reaction(slug: str, proposal_id: int, comment_id: int) -> Response:
    """Agree, disagree or question, without writing a comment. One reaction per member and
    comment: a new one replaces yours. Only during deliberation or voting (409 otherwise)."""
    data = load_body(s.ReactionIn)
    return _reaction(slug, proposal_id, comment_id, data["kind"])


@operation(P + "/proposals/{proposal_id}/comments/{comment_id}/reaction", "DELETE", "Take back your reaction",
           tag="proposals", access="member", scope="propose", response=s.ReactionOut, errors=WRITE_ERRORS)
def delete_reaction(slug: str, proposal_id: int, comment_id: int) -> Response:
    """Succeeds whether or not you had reacted."""
    return _reaction(slug, proposal_id, comment_id, None)


def _reaction(slug: str, proposal_id: int, comment_id: int, kind: str | None) -> Response:
    coop = load_coop(slug)
    session = get_session()
    held = discussion.react(session, require_actor(), coop, proposal_id, comment_id, kind, now=request_now())
    counts = discussion.reaction_counts(session, [comment_id])[comment_id]
    return dump(s.ReactionOut, {"comment_id": comment_id, "kind": held, "reactions": counts})


# -- ballots and outcomes ----------------------------------------------------------------------

@operation(P + "/proposals/{proposal_id}/ballot", "PUT", "Cast or change your ballot", tag="ballots",
           access="member", scope="vote", body=s.BallotIn, response=s.BallotOut, errors=WRITE_ERRORS)
def cast_ballot(slug: str, proposal_id: int) -> Response:
    """Until close; the last ballot counts and every change is kept in the ballot history.
    When the whole electorate has voted, the proposal closes at once."""
    data = load_body(_BALLOT_IN)
    coop = load_coop(slug)
    actor, session = require_actor(), get_session()
    cast = proposals.record_ballot(session, actor, coop, proposal_id, data["choice"], approvals=data["approvals"],
                                   now=request_now())
    return json_response(_BALLOT_OUT.dump(cast))


# The busiest write's schemas, made once: a marshmallow 4 schema keeps no per-call state.
_BALLOT_IN, _BALLOT_OUT = s.BallotIn(), s.BallotOut()


@operation(P + "/proposals/{proposal_id}/ballot", "GET", "Your ballot", tag="ballots", access="member",
           scope="read", response=s.BallotOut, errors=READ_ERRORS)
def my_ballot(slug: str, proposal_id: int) -> Response:
    coop = load_coop(slug)
    actor, session = require_actor(), get_session()
    p = listings.proposal(session, actor, coop, proposal_id, now=request_now())
    ballot = proposals.my_ballot(session, p.id, actor.member_id)  # type: ignore[arg-type]
    if ballot is None:
        raise NotFound("you have not voted on this proposal", field="ballot")
    return dump(s.BallotOut, ballot)


@operation(P + "/proposals/{proposal_id}/ballots", "GET", "Every member's ballot, where ballots are public",
           tag="ballots", access="member", scope="read", query=PageQuery, response=page_of(s.BallotOut),
           paginated=True, errors=READ_ERRORS)
def list_ballots(slug: str, proposal_id: int) -> Response:
    """Ballots are secret (403) unless the co-op's rules set the parameter
    `voting.ballots_public` to `"true"`."""
    q = load_query(PageQuery)
    coop = load_coop(slug)
    page = listings.ballots_page(get_session(), current_actor(), coop, proposal_id,
                                 cursor=q.get("cursor"), limit=q.get("limit"), now=request_now())
    return page_response(s.BallotOut, page)


@operation(P + "/proposals/{proposal_id}/outcome", "GET", "The outcome of a closed proposal",
           tag="ballots", access="public", response=s.OutcomeOut, errors=(401, 403, 404, 409))
def get_outcome(slug: str, proposal_id: int) -> Response:
    """409 while the proposal is not closed yet."""
    coop = load_coop(slug)
    return dump(s.OutcomeOut, listings.outcome(get_session(), current_actor(), coop, proposal_id, now=request_now()))


# -- search ----------------------------------------------------------------------------------

@operation(P + "/search", "GET", "Search proposals, decisions and rules", tag="search", access="public",
           query=s.SearchQuery, response=page_of(s.SearchHitOut), paginated=True, errors=READ_ERRORS)
def search_all(slug: str) -> Response:
    """A case-insensitive substring match on titles and texts (rule keys too). Results come
    grouped by `type`: proposals under discussion (members only; drafts only your own, or
    all for the secretary), then decisions, then rules (anyone where the co-op publishes)."""
    q = load_query(s.SearchQuery)
    coop = load_coop(slug)
    page = search.search_as(get_session(), current_actor(), coop, q["q"], type=q.get("type"),
                            cursor=q.get("cursor"), limit=q.get("limit"), now=request_now())
    return page_response(s.SearchHitOut, page)
