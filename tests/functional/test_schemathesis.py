"""Schemathesis against /api/openapi.json, in process through the WSGI app.

A candidate is signed in with an attempt in progress; every generated request carries
the session cookie and the X-CSRFToken header, as the exam page's script sends them.
Each operation gets a bounded number of examples (derandomized, so a run is repeatable)
and the whole run stops at a wall-clock budget. No response may be a 5xx or break the
document: status codes, content types, headers and bodies must all be the declared ones.
Invalid requests (negative mode) must be refused with a 4xx.
"""

from __future__ import annotations

import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, example, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from app.domain.people import Role
from tests.exam_setup import load_starter_bank, open_exam
from tests.factories import make_user
from tests.functional.test_attacks import sign_in

MAX_EXAMPLES = 50
USER_AGENT = "lawexam-tests/1.0"
BUDGET_SECONDS = 45
POSITIVE_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
ORDER = {
    label: rank
    for rank, label in enumerate(
        [
            "GET /api/exams",
            "POST /api/exams/{exam_id}/attempts",
            "GET /api/attempts/{attempt_id}",
            "PUT /api/attempts/{attempt_id}/answers/{position}",
            "POST /api/attempts/{attempt_id}/submit",
            "GET /api/attempts/{attempt_id}/result",
        ]
    )
}
NEGATIVE_CHECKS = [not_a_server_error, negative_data_rejection, response_schema_conformance]


@pytest.fixture
def candidate_session(app, client, db_session):
    """A signed-in candidate with an attempt in progress (answers saved) and a second
    open exam not yet started."""
    load_starter_bank(db_session)
    candidate = make_user(Role.CANDIDATE)
    staff = (candidate.cadre.staff_no,)
    exam = open_exam(db_session, staff_nos=staff, title="接口测试")
    open_exam(db_session, staff_nos=staff, title="第二场", attempts=3)
    client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
    token = sign_in(client, candidate)
    headers = {"X-CSRFToken": token}
    started = client.post(f"/api/exams/{exam.id}/attempts", headers=headers)
    assert started.status_code == 201
    attempt_id = started.get_json()["id"]
    saved = client.put(
        f"/api/attempts/{attempt_id}/answers/1", json={"choice": ["A"], "seq": 1}, headers=headers
    )
    assert saved.status_code == 200
    return client, token, {"attempt_id": attempt_id, "exam_id": exam.id, "position": 1}


def _headers(token: str) -> dict[str, str]:
    """The CSRF token, and the browser that signed in: the session is bound to it
    (session protection "strong"), so schemathesis's own User-Agent would sign it out."""
    return {"X-CSRFToken": token, "User-Agent": USER_AGENT}


def _operations(app):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 6
    # Submit before asking for the result, so that the result's 200 is walked too.
    return sorted(operations, key=lambda operation: ORDER.get(operation.label, len(ORDER)))


def _own_case(operation, ids: dict[str, int]):
    """A case naming the candidate's own attempt and exam, so the 200 paths are walked."""
    names = {parameter.name for parameter in operation.path_parameters}
    body = (
        {"choice": ["A"], "seq": 5, "flagged": True} if operation.method.upper() == "PUT" else None
    )
    kwargs = {"body": body, "media_type": "application/json"} if body is not None else {}
    return operation.Case(
        path_parameters={name: ids[name] for name in names},
        headers={"X-CSRFToken": "from-the-page"},
        **kwargs,
    )


def _run(operation, mode, session, checks, stop_at: float) -> int:
    client, token, ids = session
    calls = 0

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    @example(case=_own_case(operation, ids))
    def run(case) -> None:
        nonlocal calls
        if time.monotonic() > stop_at:
            return
        response = case.call(session=client, headers=_headers(token))
        calls += 1
        case.validate_response(response, checks=checks)
        if mode is GenerationMode.POSITIVE:
            # A request the document calls valid is never refused as malformed.
            assert response.status_code != 400, (case.path_parameters, case.body, response.text)

    run()
    return calls


def test_schemathesis_finds_no_5xx_and_no_schema_violation(app, candidate_session):
    started = time.monotonic()
    stop_at = started + BUDGET_SECONDS
    calls = 0
    for operation in _operations(app):
        calls += _run(
            operation, GenerationMode.POSITIVE, candidate_session, POSITIVE_CHECKS, stop_at
        )
    assert calls >= 6 * 5, calls
    assert time.monotonic() - started < BUDGET_SECONDS + 15


def test_schemathesis_invalid_requests_are_refused_with_4xx(app, candidate_session):
    started = time.monotonic()
    stop_at = started + BUDGET_SECONDS
    calls = 0
    for operation in _operations(app):
        if operation.method.upper() == "GET" and not operation.path_parameters:
            continue  # nothing to make invalid
        calls += _run(
            operation, GenerationMode.NEGATIVE, candidate_session, NEGATIVE_CHECKS, stop_at
        )
    assert calls >= 4 * 5, calls
    assert time.monotonic() - started < BUDGET_SECONDS + 15


def test_the_session_was_the_candidates_throughout(candidate_session):
    """The runs above spoke as the candidate: the API answers it, not 401."""
    client, _, _ = candidate_session
    listing = client.get("/api/exams")
    assert listing.status_code == 200 and len(listing.get_json()) == 2
