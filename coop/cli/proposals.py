"""`coop proposals`: reading proposals, and closing those whose voting period has ended."""

from __future__ import annotations

from typing import Any

import click
from sqlalchemy import select

from coop.cli.base import Context, cli, coop_option, handle_errors, pass_ctx, resolve_coop
from coop.cli.table import echo_table
from coop.models import Cooperative, Member, Proposal, ProposalKind, ProposalStatus, Qualification
from coop.services import autosign
from coop.services import proposals as proposal_service


@cli.group()
def proposals() -> None:
    """Proposals put to the members."""


def _when(p: Proposal) -> str:
    if p.status == ProposalStatus.VOTING.value and p.voting_closes_at:
        return f"closes {p.voting_closes_at:%Y-%m-%d %H:%M}"
    if p.status == ProposalStatus.DELIBERATION.value and p.deliberation_ends_at:
        return f"notice ends {p.deliberation_ends_at:%Y-%m-%d %H:%M}"
    if p.closed_at:
        return f"closed {p.closed_at:%Y-%m-%d %H:%M}"
    return f"drafted {p.created_at:%Y-%m-%d}"


@proposals.command("list")
@coop_option
@click.option("--status", type=click.Choice([s.value for s in ProposalStatus]))
@click.option("--kind", type=click.Choice([k.value for k in ProposalKind]))
@pass_ctx
@handle_errors
def list_(ctx: Context, coop_slug: str | None, status: str | None, kind: str | None) -> None:
    """Proposals, newest first (overdue votes are closed first)."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        ps = proposal_service.list_proposals(session, coop, status=status, kind=kind, now=ctx.now)
        echo_table(("id", "kind", "status", "outcome", "when (UTC)", "title"),
                   [(p.id, p.kind, p.status, p.outcome or "", _when(p), p.title) for p in ps],
                   empty="no proposals")


def _change_lines(p: Proposal, names: dict[int, str]) -> list[str]:
    d = p.details or {}
    if p.kind == ProposalKind.PAY_ADJUSTMENT.value and "new" in d:
        def pay(x: dict[str, Any] | None) -> str:
            if not x:
                return "no pay"
            sup = "".join(f" + {s['amount']} {s['kind']} ({s['reason']})" for s in x.get("supplements", []))
            return f"{x['hourly_rate']}/h{sup}, {x['weekly_hours']} h/week"
        who = names.get(p.subject_member_id or 0, f"member {p.subject_member_id}")
        return [f"pay of {who} ({d.get('reason')}): {pay(d.get('previous'))} -> {pay(d['new'])}"]
    if p.kind == ProposalKind.RULE_CHANGE.value and "rule_key" in d:
        lines = [f"{d['action']} rule {d['rule_key']}: {d.get('title', '')}"]
        if d.get("parameters"):
            lines.append("parameters: " + ", ".join(f"{k}={v}" for k, v in sorted(d["parameters"].items())))
        lines.append(f"needs the {d.get('requires', '?').replace('_', ' ')} threshold: {d.get('requires_why', '')}")
        return lines
    return []


@proposals.command("show")
@click.argument("proposal_id", metavar="ID", type=int)
@coop_option
@pass_ctx
@handle_errors
def show(ctx: Context, proposal_id: int, coop_slug: str | None) -> None:
    """One proposal: what it changes, threshold, quorum, electorate, tally, outcome, comments."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        p = proposal_service.get(session, coop, proposal_id, now=ctx.now)
        comments = proposal_service.comments(session, p.id)
        ids = {i for i in (p.author_id, p.subject_member_id) if i} | {c.member_id for c in comments}
        names = dict(session.execute(select(Member.id, Member.name).where(Member.id.in_(ids))).all())
        q_ids = {c.qualification_id for c in comments if c.qualification_id}
        quals = {q.id: q for q in session.scalars(select(Qualification).where(Qualification.id.in_(q_ids)))} \
            if q_ids else {}
        echo = click.echo
        echo(f"proposal {p.id}: {p.title}")
        echo(f"kind: {p.kind}    status: {p.status}    author: {names.get(p.author_id or 0, '-')}")
        if p.body:
            echo("")
            echo(click.wrap_text(p.body, width=88, preserve_paragraphs=True))
        lines = _change_lines(p, names)
        if lines:
            echo("")
            for line in lines:
                echo(line)
        echo("")
        echo(f"drafted: {p.created_at:%Y-%m-%d %H:%M} UTC")
        if p.deliberation_ends_at:
            echo(f"notice period: until {p.deliberation_ends_at:%Y-%m-%d %H:%M} UTC")
        if p.voting_opened_at:
            echo(f"voting: {p.voting_opened_at:%Y-%m-%d %H:%M} to {p.voting_closes_at:%Y-%m-%d %H:%M} UTC")
            echo(f"threshold: {p.threshold}    quorum: {p.quorum} of the electorate")
            echo(f"why this threshold: {p.threshold_rule}")
            echo(f"electorate: {p.electorate_size} member(s)")
        if p.status == ProposalStatus.VOTING.value:
            t = proposal_service.tally(session, p.id)
            echo(f"tally so far: yes {t.yes}, no {t.no}, abstain {t.abstain}")
        elif p.status == ProposalStatus.CLOSED.value:
            taking_part = (p.yes_count or 0) + (p.no_count or 0) + (p.abstain_count or 0)
            echo(f"tally: yes {p.yes_count}, no {p.no_count}, abstain {p.abstain_count} "
                 f"({taking_part} of {p.electorate_size} took part)")
            echo(f"outcome: {p.outcome}" + (f" (failed on {p.failed_test})" if p.failed_test else ""))
            echo(f"reason: {p.outcome_reason}")
            if p.executed_at:
                echo(f"executed: {p.executed_at:%Y-%m-%d %H:%M} UTC")
            if p.decision_entry_index is not None:
                echo(f"decision record: ledger entry {p.decision_entry_index}")
        echo("")
        echo(f"comments ({len(comments)}):" if comments else "no comments")
        for c in comments:
            label = ""
            if c.kind == "expert_opinion" and c.qualification_id in quals:
                q = quals[c.qualification_id]
                label = f" [expert opinion: {q.field}, EQF {q.level}]"
            echo(f"- {names.get(c.member_id, c.member_id)}{label}, {c.created_at:%Y-%m-%d}: {c.body}")


@proposals.command("close-due")
@pass_ctx
@handle_errors
def close_due(ctx: Context) -> None:
    """Close every proposal whose voting period has ended, in every co-op (safe to repeat;
    run it from cron). Passed proposals are executed; each affected co-op's ledger gets a
    fresh signed checkpoint."""
    with ctx.session() as session:
        closed = proposal_service.close_due(session, now=ctx.now)
        click.echo(f"closed {len(closed)} proposal(s)")
        coop_ids = sorted({p.coop_id for p in closed})
        slugs = dict(session.execute(
            select(Cooperative.id, Cooperative.slug).where(Cooperative.id.in_(coop_ids))).all()) \
            if coop_ids else {}
        for p in closed:
            click.echo(f"  {slugs[p.coop_id]} #{p.id} {p.title}: {p.outcome}")
        # Signed here rather than by the command's commit so the operator sees it happen.
        for coop in autosign.sign_appended(session, ctx.keys, now=ctx.now):
            click.echo(f"signed a checkpoint of {coop.slug}'s ledger")
