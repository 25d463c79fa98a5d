"""Item analysis: which questions are too easy, too hard or do not discriminate."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from app.db import get_session
from app.domain.analysis import TOO_EASY, TOO_HARD, WEAK_DISCRIMINATION
from app.domain.people import Role
from app.messages import describe
from app.services import exports, item_analysis
from app.services.errors import NotFound, ServiceError
from app.web.access import client_ip, role_required
from app.web.examiner.views import bp
from app.web.hr.charts import histogram_chart
from app.web.hr.common import download
from app.web.hr.labels import KIND_LABELS

FLAG_LABELS = {
    "too_easy": _l("Too easy"),
    "too_hard": _l("Too hard"),
    "weak_discrimination": _l("Weak discrimination"),
}
REVIEW_MESSAGES = {
    "review_needs_approved": _l(
        "%(question_id)s is not an approved question; only approved questions are sent to review."
    ),
}


@bp.route("/analysis")
@role_required(Role.EXAMINER)
def analysis_list() -> str:
    return render_template(
        "examiner/item_analysis_list.html",
        exams=item_analysis.analysable_exams(get_session()),
        kind_labels=KIND_LABELS,
    )


@bp.route("/analysis/exams/<int:exam_id>")
@role_required(Role.EXAMINER)
def analysis_exam(exam_id: int) -> str:
    try:
        analysis = item_analysis.analyse_exam(get_session(), exam_id)
    except NotFound:
        abort(404)
    flagged_only = request.args.get("show") != "all"  # the flagged ones first of all
    width = analysis.max_score / len(analysis.histogram) if analysis.histogram else 1
    return render_template(
        "examiner/item_analysis.html",
        analysis=analysis,
        items=analysis.flagged if flagged_only else analysis.items,
        flagged_only=flagged_only,
        histogram=histogram_chart(analysis.histogram, width),
        flag_labels=FLAG_LABELS,
        thresholds={"easy": TOO_EASY, "hard": TOO_HARD, "weak": WEAK_DISCRIMINATION},
        min_uses=item_analysis.MIN_USES,
    )


@bp.route("/analysis/exams/<int:exam_id>/export.<fmt>")
@role_required(Role.EXAMINER)
def analysis_export(exam_id: int, fmt: str) -> Response:
    try:
        analysis = item_analysis.analyse_exam(get_session(), exam_id)
    except NotFound:
        abort(404)
    return download(exports.item_analysis_sheets(analysis), fmt, f"试题分析-{exam_id}")


@bp.route("/analysis/questions/<question_id>/review", methods=["POST"])
@role_required(Role.EXAMINER)
def analysis_send_to_review(question_id: str) -> Response:
    """Send a flagged question to the review queue (out of new papers until reviewed)."""
    exam_id = request.form.get("exam_id", type=int)
    flags = tuple(f for f in request.form.getlist("flag") if f in FLAG_LABELS)
    back = (
        url_for("examiner.analysis_exam", exam_id=exam_id)
        if exam_id
        else url_for("examiner.analysis_list")
    )
    try:
        item_analysis.send_to_review(
            get_session(),
            current_user.id,
            question_id,
            exam_id=exam_id,
            flags=flags,
            ip=client_ip(),
        )
    except ServiceError as error:
        get_session().rollback()
        template = REVIEW_MESSAGES.get(error.code)
        flash(str(template) % error.params if template else describe(error), "danger")
    else:
        flash(gettext("%(id)s was sent to the review queue.", id=question_id), "success")
    return redirect(back)
