"""The exam delivery API (the contract in DESIGN.md). Errors are {"error", "message"}.

The exam page's script and other clients (load tests, a mobile shell) use it
with the session cookie and the CSRF token in an X-CSRFToken header.
"""

from __future__ import annotations

import os
import time
from typing import Any

from flask import Blueprint, Response, current_app, g, jsonify, request
from flask_login import current_user
from sqlalchemy.orm import Session

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
# Ids and seqs are 32-bit integer columns; larger numbers in a URL or body would make
# the database raise (PostgreSQL: integer out of range) instead of answering.
MAX_INT = 2**31 - 1


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
    if any(isinstance(v, int) and v > MAX_INT for v in (request.view_args or {}).values()):
        return api_error("not_found", describe(ServiceError("not_found")), 404)
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
    session = get_session()
    rows = []
    for exam, attempt in delivery.exams_for(session, current_user.cadre):
        if attempt is not None:  # an attempt whose time is up is closed on any access
            delivery.finalize_if_expired(session, attempt, grace())
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
        attempt, created = exams.start_attempt(
            session, exam, current_user.cadre, grace_seconds=grace()
        )
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
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # "[[[[..." nested past what the parser follows: malformed
        data = None
    if not isinstance(data, dict):
        return api_error("invalid_input", describe(ServiceError("json_object_required")), 400)
    choice, seq, flagged = data.get("choice"), data.get("seq"), data.get("flagged")
    if isinstance(seq, float) and seq.is_integer():
        seq = int(seq)  # JSON has one number type: 7.0 is the integer 7 (as in JSON Schema)
    if (
        not isinstance(choice, list)
        or not all(isinstance(k, str) for k in choice)
        or isinstance(seq, bool)
        or not isinstance(seq, int)
        or not 0 <= seq <= MAX_INT
        or (flagged is not None and not isinstance(flagged, bool))
    ):
        return api_error("invalid_input", describe(ServiceError("answer_shape")), 400)
    held = _hold_commit_for_fault_test()
    try:
        attempt = _own_attempt(attempt_id)
        outcome = delivery.save_answer(
            get_session(), attempt, position, choice, seq, grace(), flagged
        )
    except ServiceError as error:
        return service_error(error)
    response = jsonify(
        position=outcome.position,
        choice=outcome.choice,
        seq=outcome.seq,
        applied=outcome.applied,
        deadline=utc_iso(attempt.deadline),
        server_time=utc_iso(utcnow()),
    )
    if held is not None:
        _commit_after_reply(held, response)
    return response


# ---- fault injection: the negative control of bench/kill_workers.py ----------------------


def _hold_commit_for_fault_test() -> Session | None:
    """With LAWEXAM_FAULT_ACK_BEFORE_COMMIT=1, and never in production, a save is
    acknowledged before it is committed: a deliberately broken build that the
    killed-worker test must catch losing answers. The service's commit only flushes."""
    if os.environ.get("LAWEXAM_FAULT_ACK_BEFORE_COMMIT") != "1":
        return None
    if current_app.config.get("ENV_NAME") == "production":
        return None
    session = get_session()
    session.commit = session.flush  # type: ignore[method-assign]
    return session


def _commit_after_reply(session: Session, response: Response) -> None:
    """Commit 100 ms after the reply has been sent, like a write-behind buffer."""
    g.pop("db_session", None)  # the request's teardown would roll it back
    response.headers["X-Fault-Injected"] = "ack-before-commit"

    def commit() -> None:
        time.sleep(0.1)
        Session.commit(session)
        session.close()

    response.call_on_close(commit)


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
