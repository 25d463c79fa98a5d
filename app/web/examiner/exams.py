"""Exams (考试场次): the list, opening one, its page with the live monitor, extra time,
make-ups and regrading after a key correction."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from app.db import get_session
from app.domain.people import Role
from app.messages import describe, describe_shortfall
from app.models import Exam
from app.services import blueprints, delivery, exams, units
from app.services.errors import InvalidInput, NotFound, ServiceError
from app.services.reports import Scope, visible_exams
from app.timeutil import to_local, utcnow
from app.web.access import client_ip, role_required
from app.web.examiner.forms import KIND_LABELS, REVIEW_POLICY_LABELS, ExamForm, ExtensionForm
from app.web.examiner.views import bp
from app.web.labels import CATEGORY_LABELS
from app.web.pagination import Page, page_number
from app.web.templating import localtime

MONITOR_REFRESH_SECONDS = 15
COUNTS = [f.name for f in fields(exams.MonitorRow) if f.name != "unit"]
COUNT_LABELS = {
    "eligible": _l("Eligible"),
    "exempt": _l("Exempted"),
    "not_started": _l("Not started"),
    "in_progress": _l("In progress"),
    "submitted": _l("Submitted"),
    "expired": _l("Time ran out"),
}
EXAM_STATUS_LABELS = {
    "upcoming": _l("Upcoming"),
    "open": _l("Open"),
    "closed": _l("Closed"),
}
EXAM_STATUS_BADGES = {
    "upcoming": "text-bg-info",
    "open": "text-bg-success",
    "closed": "text-bg-secondary",
}


@bp.context_processor
def exam_labels() -> dict[str, Any]:
    return {
        "kind_labels": KIND_LABELS,
        "review_policy_labels": REVIEW_POLICY_LABELS,
        "exam_status": exam_status,
        "exam_status_labels": EXAM_STATUS_LABELS,
        "exam_status_badges": EXAM_STATUS_BADGES,
        "count_labels": COUNT_LABELS,
    }


def exam_status(exam: Exam, now: datetime | None = None) -> str:
    """upcoming, open or closed."""
    now = now or utcnow()
    if now < exam.opens_at:
        return "upcoming"
    return "open" if now < exam.closes_at else "closed"


def _exam_or_404(exam_id: int) -> Exam:
    try:
        return exams.get_exam(get_session(), exam_id)
    except NotFound:
        abort(404)


@dataclass(frozen=True)
class Totals:
    """The monitor's rows summed: the exam's figures as a whole."""

    counts: dict[str, int]

    @classmethod
    def of(cls, rows: list[exams.MonitorRow]) -> Totals:
        return cls({name: sum(getattr(row, name) for row in rows) for name in COUNTS})

    def __getattr__(self, name: str) -> int:
        try:
            return self.counts[name]
        except KeyError:
            raise AttributeError(name) from None


def _monitor(exam: Exam) -> list[exams.MonitorRow]:
    """The monitor's rows, after closing attempts whose time ran out (as any access does)."""
    session = get_session()
    delivery.close_expired(session, current_app.config["SAVE_GRACE_SECONDS"], exam_id=exam.id)
    return exams.monitor(session, exam)


# ---- the list -----------------------------------------------------------------------------


@bp.route("/exams")
@role_required(Role.EXAMINER)
def exam_list() -> str:
    session = get_session()
    every = visible_exams(session, Scope())
    number = page_number()
    per_page = current_app.config["PAGE_SIZE"]
    shown = every[(number - 1) * per_page : number * per_page]
    totals = {exam.id: Totals.of(exams.monitor(session, exam)) for exam in shown}
    return render_template(
        "examiner/exams.html",
        page=Page(shown, len(every), number, per_page),
        totals=totals,
        now=utcnow(),
    )


# ---- opening ------------------------------------------------------------------------------


def _exam_form() -> ExamForm:
    """The form with today's choices: blueprints, earlier exams, the unit tree."""
    session = get_session()
    form = ExamForm()
    form.blueprint.choices = [
        SelectChoice(
            row.id,
            gettext(
                "%(id)s · %(title)s (%(minutes)s min)",
                id=row.id,
                title=row.title,
                minutes=row.definition.get("time_limit_minutes", "?"),
            ),
        )
        for row in blueprints.list_blueprints(session)
    ]
    form.original_exam.choices = [SelectChoice("", "—")] + [
        SelectChoice(str(exam.id), f"{exam.title} · {localtime(exam.opens_at, '%Y-%m-%d')}")
        for exam in visible_exams(session, Scope())
        if exam.kind != "practice"
    ]
    form.units.choices = [
        SelectChoice(unit.id, "　" * depth + unit.name)
        for depth, unit in units.flatten(units.unit_tree(session))
    ]
    return form


def _prefill(form: ExamForm) -> None:
    """Defaults for a new exam, from ?blueprint= or, for a make-up, ?original=."""
    session = get_session()
    zone = current_app.config["BABEL_DEFAULT_TIMEZONE"]
    start = to_local(utcnow(), zone).replace(minute=0, second=0, microsecond=0)
    start += timedelta(hours=1)
    form.opens_at.data = start.strftime("%Y-%m-%dT%H:%M")
    form.closes_at.data = (start + timedelta(days=7)).strftime("%Y-%m-%dT%H:%M")
    kind = request.args.get("kind", "")
    blueprint_id = request.args.get("blueprint", "")
    original_id = request.args.get("original", type=int)
    rows = blueprints.list_blueprints(session)
    if kind == "make_up" and original_id is not None:
        original = _exam_or_404(original_id)
        make_up = next((row.id for row in rows if row.kind == "make_up"), None)
        blueprint_id = blueprint_id or make_up or original.blueprint_id
        form.original_exam.data = str(original.id)
        form.title.data = gettext("%(title)s (make-up)", title=original.title)
        form.review_policy.data = original.review_policy
    for row in rows:
        if row.id == blueprint_id:
            form.blueprint.data = row.id
            form.kind.data = row.kind
            form.title.data = form.title.data or row.title
    if kind in KIND_LABELS:
        form.kind.data = kind


def _eligible_count(form: ExamForm) -> int:
    """How many cadres the form's rule (and, for a make-up, the original) lets sit."""
    session = get_session()
    rule = form.rule()
    chosen = exams.resolve_cadres(session, rule) if (rule.filters or rule.staff_nos) else []
    original_id = form.original_exam_id
    if form.kind.data == "make_up" and original_id is None:
        raise InvalidInput("make_up_needs_original")
    if original_id is None:
        return len(chosen)
    owed = exams.make_up_pool(session, exams.get_exam(session, original_id))
    if rule.filters or rule.staff_nos:
        return sum(1 for cadre in chosen if cadre.id in owed)
    return len(owed)


@bp.route("/exams/new", methods=["GET", "POST"])
@role_required(Role.EXAMINER)
def exam_new() -> Response | str:
    """Open an exam. "Check who may sit" counts the eligible cadres without opening it."""
    form = _exam_form()
    eligible = None
    if not form.is_submitted():
        _prefill(form)
        if form.original_exam_id is not None:
            eligible = _eligible_count(form)
    elif form.validate():
        session = get_session()
        try:
            if "preview" in request.form:
                eligible = _eligible_count(form)
            else:
                exam = exams.open_exam(session, current_user.id, form.exam_request(), client_ip())
                flash(
                    gettext("Exam opened: %(n)s cadres may sit it.", n=len(exam.candidates)),
                    "success",
                )
                return redirect(url_for("examiner.exam_detail", exam_id=exam.id))
        except exams.BlueprintInfeasible as error:
            session.rollback()
            form.general_errors.append(describe(error))
            form.shortfalls = [describe_shortfall(s) for s in error.shortfalls]
        except ServiceError as error:
            session.rollback()
            form.show_error(error.code, describe(error))
    read = form.keep_uploaded_numbers()
    return render_template(
        "examiner/exam_form.html",
        form=form,
        eligible=eligible,
        read=read,
        original_still_open=_original_still_open(form),
    )


def _original_still_open(form: ExamForm) -> bool:
    """True when a make-up is counted before its original closed (a warning, not a rule)."""
    if form.original_exam_id is None:
        return False
    try:
        return exams.get_exam(get_session(), form.original_exam_id).closes_at > utcnow()
    except NotFound:
        return False


# ---- one exam -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSummary:
    """The eligibility rule as people read it."""

    everyone: bool
    units: list[str]
    categories: list[str]
    ranks: list[str]
    staff_nos: int


def _rule_summary(exam: Exam) -> RuleSummary:
    rule = exam.eligibility_rule or {}
    names = []
    for unit_id in rule.get("unit_ids", []):
        try:
            names.append(units.unit_label(units.get_unit(get_session(), unit_id)))
        except NotFound:
            names.append(f"#{unit_id}")
    return RuleSummary(
        bool(rule.get("everyone")),
        names,
        [str(CATEGORY_LABELS.get(code, code)) for code in rule.get("categories", [])],
        list(rule.get("ranks", [])),
        len(rule.get("staff_nos", [])),
    )


@bp.route("/exams/<int:exam_id>")
@role_required(Role.EXAMINER)
def exam_detail(exam_id: int) -> str:
    exam = _exam_or_404(exam_id)
    rows = _monitor(exam)
    extended = sorted(
        (c for c in exam.candidates if c.extra_minutes), key=lambda c: c.cadre.staff_no
    )
    return render_template(
        "examiner/exam.html",
        exam=exam,
        rows=rows,
        totals=Totals.of(rows),
        counts=COUNTS,
        rule=_rule_summary(exam),
        paper=blueprints.to_blueprint(exam.blueprint_snapshot),
        extended=extended,
        extension_form=ExtensionForm(formdata=None),
        updated_at=localtime(utcnow(), "%H:%M:%S"),
        refresh_seconds=MONITOR_REFRESH_SECONDS,
        now=utcnow(),
    )


@bp.route("/exams/<int:exam_id>/monitor.json")
@role_required(Role.EXAMINER)
def exam_monitor(exam_id: int) -> Response:
    """The monitor's figures per unit and in total, for the page to refresh itself."""
    exam = _exam_or_404(exam_id)
    rows = _monitor(exam)
    return jsonify(
        exam_id=exam.id,
        status=exam_status(exam),
        updated_at=localtime(utcnow(), "%H:%M:%S"),
        rows=[{"unit": row.unit, **{name: getattr(row, name) for name in COUNTS}} for row in rows],
        totals=Totals.of(rows).counts,
    )


@bp.route("/exams/<int:exam_id>/extension", methods=["POST"])
@role_required(Role.EXAMINER)
def exam_extension(exam_id: int) -> Response:
    """Give one candidate extra minutes; a running attempt's deadline moves with it."""
    exam = _exam_or_404(exam_id)
    form = ExtensionForm()
    back = url_for("examiner.exam_detail", exam_id=exam.id, _anchor="extension")
    if not form.validate():
        for field in (form.staff_no, form.minutes):
            for message in field.errors:
                flash(f"{field.label.text}: {message}", "danger")
        return redirect(back)
    try:
        exams.set_extension(
            get_session(), current_user.id, exam, form.staff_no.data, form.minutes.data, client_ip()
        )
    except ServiceError as error:
        get_session().rollback()
        flash(describe(error), "danger")
        return redirect(back)
    flash(
        gettext(
            "%(staff_no)s now has %(n)s extra minutes.",
            staff_no=form.staff_no.data,
            n=form.minutes.data,
        ),
        "success",
    )
    return redirect(back)


@bp.route("/exams/<int:exam_id>/regrade", methods=["GET", "POST"])
@role_required(Role.EXAMINER)
def exam_regrade(exam_id: int) -> Response | str:
    """GET: whose score would change if graded with the current keys. POST: apply it."""
    exam = _exam_or_404(exam_id)
    session = get_session()
    if request.method == "GET":
        changes = delivery.regrade_exam(session, current_user.id, exam, dry_run=True)
        return render_template("examiner/exam_regrade.html", exam=exam, changes=changes)
    changes = delivery.regrade_exam(session, current_user.id, exam, dry_run=False, ip=client_ip())
    if changes:
        flash(gettext("%(n)s scores were corrected.", n=len(changes)), "success")
    else:
        flash(gettext("Nothing needed correcting."), "info")
    return redirect(url_for("examiner.exam_detail", exam_id=exam.id))
