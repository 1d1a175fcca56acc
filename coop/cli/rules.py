"""`coop rules`: the co-op's rules (bylaws) in force, and how each came to be."""

from __future__ import annotations

import click
from sqlalchemy import select

from coop.cli.base import Context, cli, coop_option, handle_errors, pass_ctx, resolve_coop
from coop.cli.table import echo_table
from coop.models import Member, RuleVersion
from coop.services import rules as rule_service


@cli.group()
def rules() -> None:
    """The rules in force and their history."""


@rules.command("list")
@coop_option
@pass_ctx
@handle_errors
def list_(ctx: Context, coop_slug: str | None) -> None:
    """Every rule: key, version in force, entrenched or not, title."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        keys = rule_service.rule_keys(session, coop.id)
        rows = []
        for v in rule_service.current_versions(session, coop.id):
            flags = ", ".join(f for f, on in (("entrenched", v.entrenched), ("repealed", v.repealed)) if on)
            rows.append((keys[v.rule_id], v.version, flags, v.title))
        echo_table(("key", "version", "status", "title"), rows)


def _describe(v: RuleVersion, names: dict[int, str]) -> str:
    state = " [repealed]" if v.repealed else (" [entrenched]" if v.entrenched else "")
    if v.proposal_id:
        who = names.get(v.created_by_id or 0, "unknown")
        how = f"proposed by {who}, adopted by proposal {v.proposal_id}"
    else:
        how = "founding constitution"
    return f"version {v.version}{state}: {v.created_at:%Y-%m-%d %H:%M} UTC, {how}"


def _echo_version(v: RuleVersion) -> None:
    click.echo(f"{v.title}")
    click.echo("")
    click.echo(click.wrap_text(v.text, width=88, preserve_paragraphs=True))
    if v.parameters:
        click.echo("")
        click.echo("parameters:")
        for name in sorted(v.parameters):
            click.echo(f"  {name} = {v.parameters[name]}")


@rules.command("show")
@click.argument("key")
@coop_option
@click.option("--history", is_flag=True, help="every version, oldest first")
@pass_ctx
@handle_errors
def show(ctx: Context, key: str, coop_slug: str | None, history: bool) -> None:
    """One rule: its text, parameters, whether it is entrenched, and its versions."""
    with ctx.session() as session:
        coop = resolve_coop(session, coop_slug)
        rule, current = rule_service.get_rule(session, coop.id, key)
        versions = rule_service.history(session, coop.id, key) if history else [current]
        author_ids = {v.created_by_id for v in versions if v.created_by_id}
        names = dict(session.execute(
            select(Member.id, Member.name).where(Member.id.in_(author_ids))).all()) if author_ids else {}
        click.echo(f"{rule.key} (version {current.version} in force; "
                   f"{'entrenched' if current.entrenched else 'ordinary'}"
                   f"{', repealed' if current.repealed else ''})")
        if not history:
            click.echo(_describe(current, names))
            click.echo("")
            _echo_version(current)
            return
        for v in versions:
            click.echo("")
            click.echo(f"== {_describe(v, names)}")
            _echo_version(v)
