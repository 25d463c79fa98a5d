"""Pre-appointment cases: register, follow, open a make-up, cancel, print, verify."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app.db import get_session
from app.domain.people import Role
from app.models import Appointment
from app.services import appointments, exports, hr_scope
from app.services.errors import NotFound, ServiceError
from app.timeutil import utcnow
from app.web.access import client_ip, role_required
from app.web.hr.common import current_scope, download, explain, make_ups_allowed, timezone
from app.web.hr.forms import ActionForm, CancelForm, CaseForm
from app.web.hr.views import bp
from app.web.pagination import Page, page_number

HR_READERS = (Role.HR, Role.ADMIN)
GROUPS = ("pending", "decided", "all")


def _case_or_404(case_id: int) -> Appointment:
    try:
        return appointments.get_case(get_session(), case_id, current_scope())
    except NotFound:
        abort(404)


@bp.route("/cases")
@role_required(*HR_READERS)
def case_list() -> str:
    which = request.args.get("state", "pending")
    which = which if which in GROUPS else "pending"
    text = request.args.get("q", "").strip()[:100]
    number = page_number()
    per_page = current_app.config["PAGE_SIZE"]
    rows, total, counts = appointments.list_cases(
        get_session(),
        current_scope(),
        which,
        make_ups_allowed(),
        text=text,
        page=number,
        per_page=per_page,
    )
    return render_template(
        "hr/cases.html",
        page=Page(rows, total, number, per_page),
        which=which,
        counts=counts,
        query=text,
    )


@bp.route("/cases/export.<fmt>")
@role_required(*HR_READERS)
def case_export(fmt: str) -> Response:
    session = get_session()
    scope = current_scope()
    rows = appointments.cases_in_scope(session, scope, make_ups_allowed())
    sheet = exports.cases_sheet(rows, hr_scope.unit_labels(session), timezone())
    return download([sheet], fmt, "任前考试登记")


def _case_form(form: CaseForm) -> CaseForm:
    session = get_session()
    form.blueprint_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(row.id, f"{row.title} ({row.id})")
        for row in appointments.pre_appointment_blueprints(session)
    ]
    form.exam_id.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(exam.id), exam.title) for exam in appointments.linkable_exams(session)
    ]
    return form


@bp.route("/cases/new", methods=["GET", "POST"])
@role_required(*HR_READERS)
def case_new() -> Response | str:
    form = _case_form(CaseForm())
    if request.method == "GET":
        form.staff_no.data = request.args.get("staff_no", "")[:40]
        if not form.blueprint_id.data and len(form.blueprint_id.choices) == 2:
            form.blueprint_id.data = form.blueprint_id.choices[1].value
    if not form.validate_on_submit():
        return render_template("hr/case_new.html", form=form)
    exam_id = form.exam_id.data or ""
    request_data = appointments.CaseRequest(
        staff_no=form.staff_no.data,
        proposed_post=form.proposed_post.data,
        appointing_body=form.appointing_body.data,
        needed_by=form.needed_by.data,
        blueprint_id="" if exam_id else (form.blueprint_id.data or ""),
        exam_id=int(exam_id) if exam_id.isdigit() else None,
        note=form.note.data or "",
    )
    try:
        case = appointments.register_case(
            get_session(),
            current_user.id,
            request_data,
            current_scope(),
            timezone=timezone(),
            ip=client_ip(),
        )
    except ServiceError as error:
        get_session().rollback()
        flash(explain(error), "danger")
        return render_template("hr/case_new.html", form=form)
    flash(gettext("Case registered; the pre-appointment exam is open."), "success")
    return redirect(url_for("hr.case_detail", case_id=case.id))


@bp.route("/cases/<int:case_id>")
@role_required(*HR_READERS)
def case_detail(case_id: int) -> str:
    case = _case_or_404(case_id)
    view = appointments.case_view(get_session(), case, make_ups_allowed())
    return render_template(
        "hr/case.html", view=view, action=ActionForm(), cancel=CancelForm(prefix="cancel")
    )


@bp.route("/cases/<int:case_id>/make-up", methods=["POST"])
@role_required(*HR_READERS)
def case_make_up(case_id: int) -> Response:
    case = _case_or_404(case_id)
    if ActionForm().validate_on_submit():
        try:
            appointments.open_make_up(
                get_session(),
                current_user.id,
                case,
                make_ups_allowed(),
                timezone=timezone(),
                ip=client_ip(),
            )
        except ServiceError as error:
            get_session().rollback()
            flash(explain(error), "danger")
        else:
            flash(gettext("The make-up exam is open."), "success")
    return redirect(url_for("hr.case_detail", case_id=case_id))


@bp.route("/cases/<int:case_id>/cancel", methods=["POST"])
@role_required(*HR_READERS)
def case_cancel(case_id: int) -> Response:
    case = _case_or_404(case_id)
    form = CancelForm(prefix="cancel")
    if form.validate_on_submit():
        try:
            appointments.cancel_case(
                get_session(),
                current_user.id,
                case,
                form.reason.data or "",
                make_ups_allowed=make_ups_allowed(),
                ip=client_ip(),
            )
        except ServiceError as error:
            get_session().rollback()
            flash(explain(error), "danger")
        else:
            flash(gettext("The case was cancelled."), "success")
    return redirect(url_for("hr.case_detail", case_id=case_id))


@bp.route("/cases/<int:case_id>/report")
@role_required(*HR_READERS)
def case_report(case_id: int) -> str:
    """The printable score report (成绩单) for the cadre's file."""
    case = _case_or_404(case_id)
    view = appointments.case_view(get_session(), case, make_ups_allowed())
    verify_url = url_for("hr.case_verify", code=view.code, _external=True)
    return render_template(
        "hr/case_report.html",
        view=view,
        verify_url=verify_url,
        state_zh=exports.CASE_STATE_ZH,
        now=utcnow(),
    )


@bp.route("/verify")
@role_required(*HR_READERS)
def case_verify() -> str:
    """Check a printed score report: its code shows the case it belongs to."""
    code = request.args.get("code", "").strip()[:64]
    view = None
    if code:
        view = appointments.verify(get_session(), code, current_scope(), make_ups_allowed())
    return render_template("hr/verify.html", code=code, view=view)
