"""The co-op's public pages: home, salary table, pay histories, rules, decisions, and how to
verify the ledger. Readable without logging in unless the co-op keeps them for members."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from flask import Response, flash, redirect, request, url_for

from coop.errors import NotFound
from coop.pay import format_money, format_ratio
from coop.services import coops, dashboard, pay_reports, proofs, public_pages, verification, visibility
from webui.portal import charts, trend_chart
from webui.portal.diffs import parameter_changes, text_diff
from webui.portal.web import bp, coop, db, int_field, me, member_required, render, root
from webui.request_db import request_now

DOCS = Path(__file__).resolve().parents[2] / "docs"


@root.route("/")
def index() -> Any:
    everyone = coops.list_coops(db())
    if len(everyone) == 1:
        return redirect(url_for("portal.home", slug=everyone[0].slug))
    return render("portal/index.html", coops=everyone)


def _public() -> None:
    visibility.require_reader(coop(), me())


@bp.route("/")
def home() -> Any:
    _public()
    decisions, total = dashboard.closed(db(), coop(), per_page=5, now=request_now())
    return render("portal/home.html", decisions=decisions, total_decisions=total)


@bp.route("/pay")
def salary() -> Any:
    _public()
    page = public_pages.salary(db(), coop())
    limit = page.lowest_allowed_top
    markers = []
    if page.policy.floor > 0:
        markers.append(charts.Marker(page.policy.floor, f"floor {page.policy.floor}"))
    if limit is not None and page.stats.maximum is not None and limit <= page.stats.maximum * 2:
        # The highest pay the ratio would allow today, shown only when it fits the scale.
        markers.append(charts.Marker(_cents_floor(limit), f"ratio limit {format_ratio(page.policy.max_ratio)}:1"))
    chart = charts.histogram(
        [line.total_hourly for line in page.lines], currency=coop().currency, markers=markers,
        title=f"Pay distribution at {coop().name}",
        desc=_distribution_words(page), chart_id="pay-dist")
    # Two links a row: url_for on each cost a fifth of the request for 2,000 members.
    return render("portal/salary.html", page=page, chart=chart, format_ratio=format_ratio,
                  history_url=_id_prefix("portal.pay_history", "member_id"),
                  proposal_url=_id_prefix("portal.proposal", "proposal_id"))


@bp.route("/pay.csv")
def salary_csv() -> Any:
    """The salary table as a download; cells a spreadsheet would run as formulas are escaped."""
    _public()
    out = io.StringIO()
    public_pages.write_salary_csv(db(), coop(), out)
    name = f"{coop().slug}-pay-{request_now().date().isoformat()}.csv"
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _id_prefix(endpoint: str, name: str) -> str:
    """The URL of ``endpoint`` up to its trailing id, which is written as plain digits."""
    url = url_for(endpoint, **{name: 0})
    assert url.endswith("/0"), url
    return url[:-1]


def _cents_floor(value: Any) -> Any:
    from decimal import Decimal

    return Decimal(int(value * 100)) / 100


def _distribution_words(page: public_pages.SalaryPage) -> str:
    s = page.stats
    if not s.count:
        return "Nobody is paid yet."
    return (f"{s.count} paid members. Total hourly pay from {s.minimum} to {s.maximum} "
            f"{coop().currency}; median {s.median}, mean {s.mean}. Highest to lowest ratio "
            f"{format_ratio(s.ratio)}:1; the rules allow {format_ratio(page.policy.max_ratio)}:1.")


@bp.route("/pay/members/<coop_id:member_id>")
def pay_history(member_id: int) -> Any:
    _public()
    member, history = pay_reports.member_history(db(), coop(), str(member_id))
    today = request_now().date()
    by_date = {h.line.effective_date: h.line.total_hourly for h in history}  # the last record of a day holds
    points = [trend_chart.Point(day, total, format_money(total)) for day, total in sorted(by_date.items())]
    cur = coop().currency
    desc = (f"From {points[0].label} {cur} an hour on {points[0].on} to {points[-1].label} {cur} an hour "
            f"since {points[-1].on}, {len(points) - 1} change(s); the table below lists every record."
            if points else "")
    chart = trend_chart.step_chart(points, until=today, title=f"Total hourly pay of {member.name} over time",
                                   desc=desc, unit=f"{cur} an hour", chart_id="pay-trend")
    return render("portal/pay_history.html", member=member, history=history[::-1], chart=chart)


@bp.route("/pay/over-time")
def pay_over_time() -> Any:
    _public()
    found = pay_reports.ratio_over_time(db(), coop(), now=request_now())
    points = [trend_chart.Point(s.on, s.stats.ratio, f"{format_ratio(s.stats.ratio)}:1")
              for s in found.points if s.stats.ratio is not None]
    limit = trend_chart.Point(request_now().date(), found.max_ratio,
                              f"limit {format_ratio(found.max_ratio)}:1")
    desc = (f"The ratio of the highest to the lowest total hourly pay at each month end, from "
            f"{points[0].label} on {points[0].on} to {points[-1].label} on {points[-1].on}; the rules "
            f"allow at most {limit.label[6:]}. The table below gives every month." if points else "")
    chart = trend_chart.step_chart(points, until=request_now().date(), limit=limit, unit="highest : lowest",
                                   title=f"Pay ratio at {coop().name} over time", desc=desc,
                                   chart_id="ratio-trend")
    return render("portal/pay_over_time.html", points=found.points[::-1], chart=chart, format_ratio=format_ratio)


@bp.route("/rules")
def rules_index() -> Any:
    _public()
    return render("portal/rules.html", rules=public_pages.current_rules(db(), coop()))


@bp.route("/rules/<key>")
def rule(key: str) -> Any:
    _public()
    versions = public_pages.rule_history(db(), coop(), key)
    diffs = {
        line.version.version: (text_diff(line.previous.text, line.version.text),
                               parameter_changes(line.previous.parameters, line.version.parameters))
        for line in versions if line.previous is not None
    }
    return render("portal/rule.html", key=key, versions=versions, diffs=diffs)


@bp.route("/decisions")
def decisions() -> Any:
    _public()
    page = int_field("page", request.args) or 1
    items, total = dashboard.closed(db(), coop(), page=page, per_page=dashboard.PAGE, now=request_now())
    return render("portal/decisions.html", items=items, total=total, page=page,
                  per_page=dashboard.PAGE)


@bp.route("/verify")
def verify() -> Any:
    _public()
    return render("portal/verify.html", info=public_pages.verify_info(db(), coop()),
                  has_guide=(DOCS / "auditors.md").is_file(), result=None)


@bp.route("/verify", methods=["POST"])
@member_required
def verify_run() -> Any:
    """Recompute every hash from the rows now. Members only: it reads the whole ledger."""
    result = verification.verify_coop(db(), coop(), now=request_now())
    if result.ok:
        flash(f"The ledger verifies: {result.summary()}")
    return render("portal/verify.html", info=public_pages.verify_info(db(), coop()),
                  has_guide=(DOCS / "auditors.md").is_file(), result=result)


@bp.route("/ledger/<int:index>")
def ledger_entry(index: int) -> Any:
    """One ledger entry: its exact bytes, its inclusion proof and the decision behind it."""
    _public()
    page = proofs.entry_page(db(), coop(), index)
    return render("portal/ledger_entry.html", page=page, body=page.entry.body.decode("utf-8"))


@bp.route("/verify/auditors")
def auditors_guide() -> Any:
    _public()
    path = DOCS / "auditors.md"
    if not path.is_file():
        raise NotFound("the auditors' guide is not installed here; see docs/auditors.md in the source")
    return render("portal/guide.html", title="Auditors' guide", text=path.read_text(encoding="utf-8"))
