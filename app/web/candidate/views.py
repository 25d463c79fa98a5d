"""The candidate's own pages: home, an exam's start page, the exam itself, the result.

The exam page is a shell; app/static/js/exam.js fills it from the JSON API.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from app.db import get_session
from app.domain.people import Role
from app.messages import describe
from app.models import Attempt, Exam, ExamCandidate
from app.services import delivery, exams
from app.services.errors import NotFound
from app.timeutil import utcnow
from app.web.access import role_required
from app.web.candidate.board import exam_board
from app.web.candidate.forms import StartForm
from app.web.candidate.labels import KIND_LABELS, STATUS_LABELS, TYPE_LABELS
from app.web.candidate.rules import exam_rules
from app.web.candidate.strings import exam_strings

bp = Blueprint("candidate", __name__, url_prefix="/candidate")

# Ids are 32-bit integer columns: a larger number in a URL would make PostgreSQL raise.
MAX_ID = 2**31 - 1


@bp.context_processor
def labels() -> dict[str, Any]:
    return {
        "kind_labels": KIND_LABELS,
        "type_labels": TYPE_LABELS,
        "status_labels": STATUS_LABELS,
    }


def grace() -> int:
    return current_app.config["SAVE_GRACE_SECONDS"]


def own_exam_or_404(exam_id: int) -> tuple[Exam, ExamCandidate]:
    """The exam if the candidate may sit it; 404 otherwise (no hint that it exists)."""
    if exam_id > MAX_ID:
        abort(404)
    session = get_session()
    cadre = current_user.cadre
    try:
        exam = exams.get_exam(session, exam_id)
    except NotFound:
        abort(404)
    row = exams.candidate_row(session, exam.id, cadre.id) if cadre else None
    if row is None or row.exempt_reason:
        abort(404)
    return exam, row


def own_attempt_or_404(attempt_id: int) -> Attempt:
    """The candidate's own attempt, graded first if its time ran out; 404 for anyone else's."""
    if attempt_id > MAX_ID:
        abort(404)
    session = get_session()
    try:
        attempt = delivery.own_attempt(session, attempt_id, current_user.cadre_id)
    except NotFound:
        abort(404)
    delivery.finalize_if_expired(session, attempt, grace())
    return attempt


@bp.route("/")
@role_required(Role.CANDIDATE)
def home() -> str:
    cadre = current_user.cadre
    session = get_session()
    board = exam_board(session, cadre, grace(), utcnow()) if cadre else None
    history = delivery.finished_attempts(session, cadre) if cadre else []
    return render_template("candidate/home.html", cadre=cadre, board=board, history=history)


@bp.route("/exams/<int:exam_id>", methods=["GET", "POST"])
@role_required(Role.CANDIDATE)
def start(exam_id: int) -> Response | str:
    exam, row = own_exam_or_404(exam_id)
    session = get_session()
    form = StartForm()
    if form.validate_on_submit():
        try:
            attempt, _ = exams.start_attempt(
                session,
                exam,
                current_user.cadre,
                grace_seconds=current_app.config["SAVE_GRACE_SECONDS"],
            )
        except (exams.NotEligible, exams.ExamNotOpen, exams.BlueprintInfeasible) as error:
            flash(describe(error), "danger")
            return redirect(url_for(".home"))
        return redirect(url_for(".sitting", attempt_id=attempt.id))
    now = utcnow()
    latest = {e.id: a for e, a in delivery.exams_for(session, current_user.cadre)}.get(exam.id)
    if latest is not None:
        delivery.finalize_if_expired(session, latest, grace(), now)
    return render_template(
        "candidate/start.html",
        exam=exam,
        form=form,
        rules=exam_rules(exam, row.extra_minutes, now),
        current=latest if latest is not None and latest.status == "in_progress" else None,
        latest=latest,
        used=delivery.attempts_used(session, exam, current_user.cadre),
        now=now,
    )


@bp.route("/attempts/<int:attempt_id>")
@role_required(Role.CANDIDATE)
def sitting(attempt_id: int) -> Response | str:
    attempt = own_attempt_or_404(attempt_id)
    if attempt.status != "in_progress":
        return redirect(url_for(".result", attempt_id=attempt.id))
    return render_template("candidate/sitting.html", attempt=attempt, strings=exam_strings())


@bp.route("/attempts/<int:attempt_id>/result")
@role_required(Role.CANDIDATE)
def result(attempt_id: int) -> Response | str:
    attempt = own_attempt_or_404(attempt_id)
    if attempt.status == "in_progress":
        return redirect(url_for(".sitting", attempt_id=attempt.id))
    return render_template(
        "candidate/result.html",
        attempt=attempt,
        exam=attempt.exam,
        result=delivery.result_view(get_session(), attempt),
    )
