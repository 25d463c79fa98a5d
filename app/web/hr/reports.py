"""Participation and pass-rate reports per exam and per year, with exemptions and downloads."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response

from app.db import get_session
from app.domain.analysis import Participation
from app.domain.people import Role
from app.models import Exam
from app.services import exemptions, exports, hr_reports, hr_scope
from app.services.errors import NotFound, ServiceError
from app.services.reports import Scope
from app.web.access import client_ip, role_required
from app.web.hr.charts import histogram_chart, rate_chart
from app.web.hr.common import current_scope, download, drill_scope, explain, timezone
from app.web.hr.forms import ActionForm, ExemptForm
from app.web.hr.views import bp
from app.web.labels import CATEGORY_LABELS

HR_READERS = (Role.HR, Role.ADMIN)
KINDS = ("annual", "pre_appointment", "make_up", "practice")


def _exam_or_404(exam_id: int, scope: Scope) -> Exam:
    try:
        return hr_reports.visible_exam(get_session(), exam_id, scope)
    except NotFound:
        abort(404)


def _unit_arg() -> int | None:
    value = request.args.get("unit", "")
    return int(value) if value.isdigit() else None


def _charts(report: hr_reports.Report) -> dict[str, object]:
    width = report.max_score / len(report.histogram) if report.histogram else report.max_score
    return {
        "histogram": histogram_chart(report.histogram, width),
        "rates": rate_chart([(line.unit.name, line.total) for line in report.chart_units]),
    }


# A row of a figures table: (label, link or None, depth, figures).
Row = tuple[object, str | None, int, Participation]


def _tables(report: hr_reports.Report, link: Callable[[int], str]) -> dict[str, list[Row]]:
    """The report's tables as rows for the template; units link to their drill-down."""
    top = report.units[0].depth if report.units else 0
    here = report.scope.unit.id if report.scope.unit is not None else None
    return {
        "exams": [
            (
                line.exam.title,
                url_for("hr.exam_report", exam_id=line.exam.id, unit=here),
                0,
                line.figures,
            )
            for line in report.exam_lines
        ],
        "units": [
            (
                line.unit.name,
                None if line.unit.id == here else link(line.unit.id),
                line.depth - top,
                line.total,
            )
            for line in report.units
        ],
        "categories": [
            (CATEGORY_LABELS.get(code, code), None, 0, figures)
            for code, figures in report.by_category
        ],
        "ranks": [
            (rank or gettext("(not given)"), None, 0, figures) for rank, figures in report.by_rank
        ],
    }


def _breadcrumbs(scope: Scope) -> list[tuple[int | None, str]]:
    """The way up from the drill-down unit to the reader's own top, as (unit id, name)."""
    top = current_scope()
    trail: list[tuple[int | None, str]] = []
    unit = scope.unit
    while unit is not None and hr_scope.contains(top, unit):
        trail.append((unit.id, unit.name))
        if top.unit is not None and unit.id == top.unit.id:
            break
        unit = unit.parent
    if top.unit is None:
        trail.append((None, gettext("All units")))
    return list(reversed(trail))


@bp.route("/reports")
@role_required(*HR_READERS)
def report_index() -> str:
    session = get_session()
    kind = request.args.get("kind", "")
    kind = kind if kind in KINDS else ""
    return render_template(
        "hr/reports.html",
        exams=hr_reports.reportable_exams(session, current_scope(), kind),
        years=hr_reports.report_years(session, timezone()),
        kind=kind,
        kinds=KINDS,
    )


@bp.route("/reports/exams/<int:exam_id>")
@role_required(*HR_READERS)
def exam_report(exam_id: int) -> str:
    scope = drill_scope(_unit_arg())
    exam = _exam_or_404(exam_id, scope)
    report = hr_reports.exam_report(get_session(), exam, scope)
    return render_template(
        "hr/report.html",
        report=report,
        exam=exam,
        year=None,
        crumbs=_breadcrumbs(scope),
        tables=_tables(report, lambda unit: url_for("hr.exam_report", exam_id=exam.id, unit=unit)),
        **_charts(report),
    )


@bp.route("/reports/exams/<int:exam_id>/export.<fmt>")
@role_required(*HR_READERS)
def exam_report_export(exam_id: int, fmt: str) -> Response:
    scope = drill_scope(_unit_arg())
    exam = _exam_or_404(exam_id, scope)
    report = hr_reports.exam_report(get_session(), exam, scope)
    return download(exports.report_sheets(report), fmt, f"考试统计-{exam.id}")


@bp.route("/reports/exams/<int:exam_id>/absentees.<fmt>")
@role_required(*HR_READERS)
def exam_absentees_export(exam_id: int, fmt: str) -> Response:
    scope = drill_scope(_unit_arg())
    exam = _exam_or_404(exam_id, scope)
    report = hr_reports.exam_report(get_session(), exam, scope)
    return download([exports.absentee_sheet(report)], fmt, f"缺考名单-{exam.id}")


@bp.route("/reports/years/<int:year>")
@role_required(*HR_READERS)
def year_report(year: int) -> str:
    scope = drill_scope(_unit_arg())
    report = hr_reports.year_report(get_session(), year, scope, timezone())
    return render_template(
        "hr/report.html",
        report=report,
        exam=None,
        year=year,
        crumbs=_breadcrumbs(scope),
        tables=_tables(report, lambda unit: url_for("hr.year_report", year=year, unit=unit)),
        **_charts(report),
    )


@bp.route("/reports/years/<int:year>/export.<fmt>")
@role_required(*HR_READERS)
def year_report_export(year: int, fmt: str) -> Response:
    scope = drill_scope(_unit_arg())
    report = hr_reports.year_report(get_session(), year, scope, timezone())
    return download(exports.report_sheets(report, year=True), fmt, f"年度考试统计-{year}")


@bp.route("/reports/years/<int:year>/absentees.<fmt>")
@role_required(*HR_READERS)
def year_absentees_export(year: int, fmt: str) -> Response:
    scope = drill_scope(_unit_arg())
    report = hr_reports.year_report(get_session(), year, scope, timezone())
    return download([exports.absentee_sheet(report)], fmt, f"缺考名单-{year}")


# ---- exemptions (免考) ---------------------------------------------------------------------


@bp.route("/reports/exams/<int:exam_id>/exemptions", methods=["GET", "POST"])
@role_required(*HR_READERS)
def exam_exemptions(exam_id: int) -> Response | str:
    scope = current_scope()
    exam = _exam_or_404(exam_id, scope)
    session = get_session()
    form = ExemptForm()
    if request.method == "GET" and not form.staff_no.data:
        form.staff_no.data = request.args.get("staff_no", "")[:40]
    if form.validate_on_submit():
        try:
            exemptions.exempt(
                session,
                current_user.id,
                exam,
                form.staff_no.data,
                form.reason.data,
                scope,
                ip=client_ip(),
            )
        except ServiceError as error:
            session.rollback()
            flash(explain(error), "danger")
        else:
            flash(gettext("Exempted; the cadre no longer counts as eligible."), "success")
            return redirect(url_for("hr.exam_exemptions", exam_id=exam.id))
    return render_template(
        "hr/exemptions.html",
        exam=exam,
        form=form,
        rows=exemptions.exemptions(session, exam, scope),
        action=ActionForm(),
    )


@bp.route("/reports/exams/<int:exam_id>/exemptions/<int:cadre_id>/lift", methods=["POST"])
@role_required(*HR_READERS)
def exam_exemption_lift(exam_id: int, cadre_id: int) -> Response:
    scope = current_scope()
    exam = _exam_or_404(exam_id, scope)
    if ActionForm().validate_on_submit():
        try:
            exemptions.lift(get_session(), current_user.id, exam, cadre_id, scope, ip=client_ip())
        except NotFound:
            abort(404)
        except ServiceError as error:
            get_session().rollback()
            flash(explain(error), "danger")
        else:
            flash(gettext("The exemption was lifted."), "success")
    return redirect(url_for("hr.exam_exemptions", exam_id=exam.id))
