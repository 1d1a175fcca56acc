"""My learning (add a record, import records from CSV, my records, my hours this year against
the expectation) and the co-op's education report with its chart."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import flash, redirect, request, url_for

from coop.errors import CoopError
from coop.services import education, office_pages
from coop.services.education_import import import_records
from coop.services.members import ImportRejected
from webui.portal.education_chart import hours_by_year
from webui.portal.web import actor, bp, coop, db, int_field, me, member_required, render, text
from webui.request_db import request_now

FORM_FIELDS = education.FIELDS


def _mine(status: int = 200, errors: dict[str, str] | None = None, form: dict[str, str] | None = None,
          import_errors: list[Any] | None = None) -> Any:
    member = me()
    assert member is not None
    return render("portal/learning.html", status, page=office_pages.learning_page(db(), coop(), member,
                                                                                  now=request_now()),
                  kinds=[(k, k) for k in education.KINDS],
                  statuses=[(s, s.replace("_", " ")) for s in education.STATUSES], errors=errors or {},
                  form=form or {"kind": "course", "status": "completed"}, import_errors=import_errors or [])


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
        r = education.add_record(db(), actor(), coop(), member, dict(form), now=request_now())
    except CoopError as exc:
        db().rollback()
        status = exc.http_status if exc.http_status >= 400 else 400
        return _mine(status, {exc.field or "_form": exc.message}, form)
    flash(f"“{r.title}” is recorded: {r.hours} hours, {r.status.replace('_', ' ')}.")
    return redirect(url_for("portal.my_learning") + "#records")


@bp.route("/me/learning/import", methods=["POST"])
@member_required
def import_learning() -> Any:
    """A CSV of the member's own records (a secretary's may name anyone): all or nothing."""
    upload = request.files.get("file")
    form = {"kind": "course", "status": "completed", "csv": request.form.get("csv", "")}
    if upload and upload.filename:
        try:
            form["csv"] = upload.read().decode("utf-8-sig")  # Excel writes a byte-order mark
        except UnicodeDecodeError:
            return _mine(422, {"csv": f"{upload.filename} is not UTF-8 text; save it as CSV UTF-8"}, form)
    try:
        added = import_records(db(), actor(), coop(), form["csv"], now=request_now())
    except ImportRejected as exc:
        db().rollback()
        return _mine(422, {"csv": f"{len(exc.errors)} error(s) in the file; nothing was imported"}, form,
                     import_errors=exc.errors)
    except CoopError as exc:
        db().rollback()
        status = exc.http_status if exc.http_status >= 400 else 400
        return _mine(status, {"csv": exc.message}, form)
    total = sum((r.hours for r in added), start=Decimal("0.00"))
    flash(f"Imported {len(added)} learning record(s), {total} hours.")
    return redirect(url_for("portal.my_learning") + "#records")


@bp.route("/education")
@member_required
def education_report() -> Any:
    now = request_now()
    year = int_field("year", request.args) or now.year
    if not 1900 <= year <= now.year + 1:
        year = now.year
    report = education.report(db(), coop(), year, now=now)
    chart = hours_by_year(report.years, title=f"Learning hours completed at {coop().name}, by year",
                          chart_id="education-chart")
    behind = sum(1 for m in report.members if m.status == "active" and m.behind)
    return render("portal/education.html", report=report, chart=chart, behind=behind)
