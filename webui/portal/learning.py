"""My learning (add a record, my records, my hours this year against the expectation) and the
co-op's education report with its chart."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for

from coop.db import utcnow
from coop.errors import CoopError
from coop.services import education, office_pages
from webui.portal.education_chart import hours_by_year
from webui.portal.web import actor, bp, coop, db, int_field, me, member_required, render, text

FORM_FIELDS = education.FIELDS


def _mine(status: int = 200, errors: dict[str, str] | None = None, form: dict[str, str] | None = None) -> Any:
    member = me()
    assert member is not None
    return render("portal/learning.html", status, page=office_pages.learning_page(db(), coop(), member),
                  kinds=[(k, k) for k in education.KINDS],
                  statuses=[(s, s.replace("_", " ")) for s in education.STATUSES], errors=errors or {},
                  form=form or {"kind": "course", "status": "completed"})


@bp.route("/me/learning")
@member_required
def my_learning() -> Any:
    return _mine()


@bp.route("/me/learning", methods=["POST"])
@member_required
def add_learning() -> Any:
    form = {f: text(f) for f in FORM_FIELDS}
    member = me()
    assert member is not None
    try:
        # Blank optional fields read as "not given"; the service checks and normalises all.
        r = education.add_record(db(), actor(), coop(), member, dict(form))
    except CoopError as exc:
        db().rollback()
        status = exc.http_status if exc.http_status >= 400 else 400
        return _mine(status, {exc.field or "_form": exc.message}, form)
    flash(f"“{r.title}” is recorded: {r.hours} hours, {r.status.replace('_', ' ')}.")
    return redirect(url_for("portal.my_learning") + "#records")


@bp.route("/education")
@member_required
def education_report() -> Any:
    now = utcnow()
    year = int_field("year", request.args) or now.year
    if not 1900 <= year <= now.year + 1:
        year = now.year
    report = education.report(db(), coop(), year, now)
    chart = hours_by_year(report.years, title=f"Learning hours completed at {coop().name}, by year",
                          chart_id="education-chart")
    behind = sum(1 for m in report.members if m.status == "active" and m.behind)
    return render("portal/education.html", report=report, chart=chart, behind=behind)
