"""The exam delivery API (the contract in DESIGN.md). Errors are {"error", "message"}.

The exam page's script and other clients (load tests, a mobile shell) use it
with the session cookie and the CSRF token in an X-CSRFToken header.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from flask_login import current_user

from app.db import get_session
from app.domain.people import Role
from app.messages import describe
from app.models import Attempt, Exam
from app.services import delivery, exams
from app.services.errors import ServiceError
from app.timeutil import utc_iso, utcnow
from app.web.api.openapi import openapi_document

bp = Blueprint("api", __name__, url_prefix="/api")

STATUS_FOR = {
    "not_found": 404,
    "forbidden": 403,
    "not_eligible": 403,
    "no_attempts_left": 403,
    "exam_not_open": 409,
    "attempt_closed": 409,
    "invalid_choice": 422,
    "invalid_input": 400,
    "attempt_in_progress": 409,
    "blueprint_infeasible": 503,
}


def api_error(code: str, message: str, status: int) -> Response:
    response = jsonify(error=code, message=message)
    response.status_code = status
    return response


def service_error(error: ServiceError) -> Response:
    status = STATUS_FOR.get(error.code, STATUS_FOR.get(type(error).code, 400))
    code = error.code if error.code in STATUS_FOR else type(error).code
    return api_error(code, describe(error), status)


@bp.before_request
def require_candidate() -> Response | None:
    if request.endpoint == "api.openapi":
        return None
    if not current_user.is_authenticated:
        return api_error("unauthorized", describe(ServiceError("login_required")), 401)
    if not current_user.has_role(Role.CANDIDATE) or current_user.cadre is None:
        return api_error("forbidden", describe(ServiceError("candidate_only")), 403)
    return None


def grace() -> int:
    return current_app.config["SAVE_GRACE_SECONDS"]


def _exam_summary(exam: Exam) -> dict[str, Any]:
    return {"id": exam.id, "title": exam.title, "kind": exam.kind}


def attempt_body(attempt: Attempt) -> dict[str, Any]:
    session = get_session()
    body = {
        "id": attempt.id,
        "status": attempt.status,
        "deadline": utc_iso(attempt.deadline),
        "server_time": utc_iso(utcnow()),
        "exam": _exam_summary(attempt.exam),
        "answers": delivery.saved_answers(session, attempt),
    }
    if attempt.status == "in_progress":
        body["sections"] = delivery.paper_view(session, attempt)
    return body


def _own_attempt(attempt_id: int) -> Attempt:
    session = get_session()
    attempt = delivery.own_attempt(session, attempt_id, current_user.cadre_id)
    delivery.finalize_if_expired(session, attempt, grace())
    return attempt


@bp.get("/exams")
def list_exams() -> Response:
    rows = []
    for exam, attempt in delivery.exams_for(get_session(), current_user.cadre):
        rows.append(
            _exam_summary(exam)
            | {
                "opens_at": utc_iso(exam.opens_at),
                "closes_at": utc_iso(exam.closes_at),
                "time_limit_minutes": exam.time_limit_minutes,
                "attempts_allowed": exam.attempts_allowed,
                "attempt": {"id": attempt.id, "status": attempt.status} if attempt else None,
            }
        )
    return jsonify(rows)


@bp.post("/exams/<int:exam_id>/attempts")
def start_attempt(exam_id: int) -> Response:
    session = get_session()
    try:
        exam = exams.get_exam(session, exam_id)
        attempt, created = exams.start_attempt(session, exam, current_user.cadre)
        delivery.finalize_if_expired(session, attempt, grace())
    except ServiceError as error:
        if error.code == "exam_not_found":
            return api_error("not_found", describe(error), 404)
        return service_error(error)
    response = jsonify(attempt_body(attempt))
    response.status_code = 201 if created else 200
    return response


@bp.get("/attempts/<int:attempt_id>")
def get_attempt(attempt_id: int) -> Response:
    try:
        return jsonify(attempt_body(_own_attempt(attempt_id)))
    except ServiceError as error:
        return service_error(error)


@bp.put("/attempts/<int:attempt_id>/answers/<int:position>")
def save_answer(attempt_id: int, position: int) -> Response:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        return api_error("invalid_input", describe(ServiceError("json_object_required")), 400)
    choice, seq, flagged = data.get("choice"), data.get("seq"), data.get("flagged")
    if (
        not isinstance(choice, list)
        or not all(isinstance(k, str) for k in choice)
        or isinstance(seq, bool)
        or not isinstance(seq, int)
        or seq < 0
        or (flagged is not None and not isinstance(flagged, bool))
    ):
        return api_error("invalid_input", describe(ServiceError("answer_shape")), 400)
    try:
        attempt = _own_attempt(attempt_id)
        outcome = delivery.save_answer(
            get_session(), attempt, position, choice, seq, grace(), flagged
        )
    except ServiceError as error:
        return service_error(error)
    return jsonify(
        position=outcome.position,
        choice=outcome.choice,
        seq=outcome.seq,
        applied=outcome.applied,
        deadline=utc_iso(attempt.deadline),
        server_time=utc_iso(utcnow()),
    )


@bp.post("/attempts/<int:attempt_id>/submit")
def submit(attempt_id: int) -> Response:
    try:
        attempt = _own_attempt(attempt_id)
        delivery.submit(get_session(), attempt, grace())
        return jsonify(delivery.result_view(get_session(), attempt))
    except ServiceError as error:
        return service_error(error)


@bp.get("/attempts/<int:attempt_id>/result")
def result(attempt_id: int) -> Response:
    try:
        attempt = _own_attempt(attempt_id)
        return jsonify(delivery.result_view(get_session(), attempt))
    except ServiceError as error:
        return service_error(error)


@bp.get("/openapi.json")
def openapi() -> Response:
    return jsonify(openapi_document())
