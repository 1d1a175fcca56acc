"""Drafting proposals: a general motion, a pay adjustment (with its impact shown before it
can be submitted) and a rule change (with its diff and the threshold it needs)."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for

from coop.errors import CoopError, InvalidInput, NotFound
from coop.pay import Supplement, SupplementReason, format_ratio
from coop.schemas.governance import ProposalText, RuleChangeIn
from coop.services import dashboard, members, pay_preview, proposals, rule_preview, rules
from webui.portal import charts
from webui.portal.diffs import parameter_changes, text_diff
from webui.portal.web import (
    actor,
    bp,
    coop,
    db,
    decimal_field,
    int_field,
    line,
    load_form,
    member_required,
    refused,
    render,
    text,
)
from webui.request_db import request_now

SUPPLEMENT_ROWS = 3
REASONS = [r.value for r in SupplementReason]


def _proposal_text(title_field: str = "title") -> tuple[str, str]:
    """The title and body, loaded by the API's schema: the same limits on both faces."""
    data = load_form(ProposalText, {"title": text(title_field), "body": request.form.get("body", "")},
                     rename={"title": title_field})
    return data["title"], data["body"]


def _created(p: Any) -> Any:
    flash(f"Proposal #{p.id} is drafted. Open deliberation when you are ready to put it to the members.")
    return redirect(url_for("portal.proposal", proposal_id=p.id))


@bp.route("/proposals/new", methods=["GET", "POST"])
@member_required
def new_general() -> Any:
    form = request.form.to_dict()
    if request.method == "GET":
        return render("portal/new_general.html", form={}, errors={})
    try:
        p = proposals.draft_general(db(), actor(), coop(), *_proposal_text(), now=request_now())
    except CoopError as exc:
        return refused("portal/new_general.html", exc, form=form)
    return _created(p)


# -- pay adjustments -----------------------------------------------------------------------

def _supplements() -> list[Supplement] | None:
    """None keeps the member's current supplements; "replace" takes the rows given."""
    if text("supplements_mode", "keep") != "replace":
        return None
    out = []
    for i in range(SUPPLEMENT_ROWS):
        kind, amount = line(f"supplement-{i}-kind"), text(f"supplement-{i}-amount")
        if not kind and not amount:
            continue
        if not kind:
            raise InvalidInput("name the supplement, e.g. first aid", field=f"supplement-{i}-kind")
        value = decimal_field(f"supplement-{i}-amount", "an amount per hour such as 0.75")
        if value is None:
            raise InvalidInput("give the amount per hour", field=f"supplement-{i}-amount")
        reason = text(f"supplement-{i}-reason")
        if reason not in REASONS:
            raise InvalidInput(f"choose one of {', '.join(REASONS)}", field=f"supplement-{i}-reason")
        try:
            out.append(Supplement(kind, value, SupplementReason(reason)))
        except (ValueError, TypeError) as exc:
            raise InvalidInput(str(exc), field=f"supplement-{i}-amount") from None
    return out


def _pay_input() -> tuple[Any, dict[str, Any]]:
    subject_id = int_field("subject_member_id")
    if subject_id is None:
        raise InvalidInput("choose whose pay this is about", field="subject_member_id")
    try:
        subject = members.get_member(db(), coop().id, subject_id)
    except NotFound as exc:
        raise InvalidInput(exc.message, field="subject_member_id") from None
    change = {
        "hourly_rate": decimal_field("hourly_rate"),
        "weekly_hours": decimal_field("weekly_hours", "a number of hours such as 37.50"),
        "supplements": _supplements(),
        "reason": text("reason"),
    }
    return subject, change


def _pay_charts(preview: pay_preview.PayPreview) -> charts.Histogram:
    before = [p.total_hourly for p in preview.before.values()]
    after = [p.total_hourly for p in preview.after.values()]
    i = preview.impact
    return charts.histogram(
        before, after=after, currency=coop().currency, chart_id="impact",
        title="Pay distribution before and after this change",
        desc=(f"Before: {i.before.count} paid members, {i.before.minimum} to {i.before.maximum}. "
              f"After: {i.after.count} paid members, {i.after.minimum} to {i.after.maximum} "
              f"{coop().currency} an hour."))


@bp.route("/proposals/new/pay", methods=["GET", "POST"])
@member_required
def new_pay() -> Any:
    template = "portal/new_pay.html"
    context: dict[str, Any] = {"people_options": dashboard.names(db(), coop().id, status="active"),
                               "reason_options": [(r, r) for r in REASONS], "rows": range(SUPPLEMENT_ROWS),
                               "format_ratio": format_ratio, "preview": None, "chart": None}
    if request.method == "GET":
        form = {"subject_member_id": request.args.get("subject_member_id", ""), "supplements_mode": "keep"}
        return render(template, form=form, errors={}, **context)
    form = request.form.to_dict()
    try:
        subject, change = _pay_input()
        preview = pay_preview.preview(db(), coop(), subject, change)
    except CoopError as exc:
        return refused(template, exc, form=form, **context)
    context.update(preview=preview, chart=_pay_charts(preview))
    if request.form.get("action") != "submit":
        return render(template, form=form, errors={}, **context)
    try:
        p = proposals.draft_pay_adjustment(db(), actor(), coop(), *_proposal_text(), subject, change,
                                           now=request_now())
    except CoopError as exc:
        return refused(template, exc, form=form, **context)
    return _created(p)


# -- rule changes --------------------------------------------------------------------------

def _parameters(raw: str) -> dict[str, str] | None:
    """``name = value`` per line; blank keeps the rule's current parameters."""
    if not raw.strip():
        return None
    out: dict[str, str] = {}
    for n, row in enumerate(raw.splitlines(), start=1):
        if not row.strip():
            continue
        name, sep, value = row.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(f"line {n}: write name = value, e.g. pay.max_ratio = 3", field="parameters")
        out[name.strip()] = value.strip()
    return out


def _rule_input() -> dict[str, Any]:
    """The change, loaded by the API's schema (lengths, at most so many parameters)."""
    entrenched = text("entrenched", "keep")
    return load_form(RuleChangeIn, {
        "action": text("action"),
        "rule_key": text("rule_key"),
        "title": text("title") or None,
        "text": (request.form.get("text") or "").strip() or None,
        "parameters": _parameters(request.form.get("parameters", "")),
        "entrenched": None if entrenched == "keep" else entrenched == "yes",
    })


@bp.route("/proposals/new/rule", methods=["GET", "POST"])
@member_required
def new_rule() -> Any:
    template = "portal/new_rule.html"
    keys = sorted(rules.rule_keys(db(), coop().id).values())
    context: dict[str, Any] = {"keys": keys, "preview": None, "diff": None}
    if request.method == "GET":
        form = {"action": "amend", "entrenched": "keep"}
        key = request.args.get("rule_key")
        if key:
            _, v = rules.get_rule(db(), coop().id, key)
            form.update(rule_key=key, title=v.title, text=v.text,
                        parameters="\n".join(f"{k} = {val}" for k, val in sorted(v.parameters.items())))
        return render(template, form=form, errors={}, **context)
    form = request.form.to_dict()
    try:
        change = _rule_input()
        preview = rule_preview.preview(db(), coop(), change)
    except CoopError as exc:
        return refused(template, exc, form=form, **context)
    previous = preview.details.get("previous") or {}
    context.update(preview=preview, diff=(text_diff(preview.old_text, preview.new_text),
                                          parameter_changes(previous.get("parameters"),
                                                            preview.details["parameters"])))
    if request.form.get("action_step") != "submit":
        return render(template, form=form, errors={}, **context)
    try:
        p = proposals.draft_rule_change(db(), actor(), coop(), *_proposal_text("proposal_title"), change,
                                        now=request_now())
    except CoopError as exc:
        if exc.field == "title":
            exc.field = "proposal_title"
        return refused(template, exc, form=form, **context)
    return _created(p)
