"""Attacks on the candidate's side and on every state-changing route.

- another candidate's attempt and exam ids on every /api/ and /candidate/ route that
  takes one (enumerated from the URL map, so routes added later are walked too):
  404, and the victim's attempts and answers are left exactly as they were;
- choices outside the item, malformed and oversize bodies: a 4xx JSON error, never a 500;
- CSRF: every POST / PUT / PATCH / DELETE route refuses a missing, wrong or foreign
  token with 400, and nothing in the database changes.
"""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from werkzeug.routing import Rule

from app.db import Base
from app.domain.attempts import paper_from_json
from app.domain.people import Role
from app.models import Answer, Attempt, QuestionVersion
from app.timeutil import utcnow
from tests.conftest import Auth, csrf_token
from tests.exam_setup import load_starter_bank, open_exam
from tests.factories import make_user

WRITE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}
PARAM = re.compile(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>")
ERROR_KEYS = {"error", "message"}


# ---- helpers ------------------------------------------------------------------------------


def fill(rule: Rule, values: dict[str, object]) -> str:
    """The rule's path with each <converter:name> replaced by values[name] (default 1)."""
    return PARAM.sub(lambda m: str(values.get(m.group(2), 1)), rule.rule)


def rules_under(app, prefixes: tuple[str, ...], names: set[str] | None = None) -> list[Rule]:
    """Rules whose path starts with one of `prefixes` and, if given, names one of `names`."""
    found = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(prefixes):
            continue
        if names is not None and not names & set(rule.arguments):
            continue
        found.append(rule)
    return sorted(found, key=lambda r: r.rule)


def methods_of(rule: Rule) -> list[str]:
    return sorted(rule.methods - {"HEAD", "OPTIONS"})


def assert_json_error(response, status: int | tuple[int, ...], code: str | None = None) -> dict:
    statuses = (status,) if isinstance(status, int) else status
    assert response.status_code in statuses, (
        response.status_code,
        response.get_data(as_text=True)[:300],
    )
    assert response.is_json, response.headers.get("Content-Type")
    body = response.get_json()
    assert set(body) == ERROR_KEYS, body
    assert isinstance(body["message"], str) and body["message"].strip()
    if code is not None:
        assert body["error"] == code, body
    return body


def sign_in(client, user) -> str:
    """Sign in through the login form; the CSRF token a page of the session carries."""
    response = Auth(client).login(user.username)
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return csrf_token(client, "/auth/password")


def snapshot(session, cadre_id: int) -> dict:
    """Everything about a cadre's attempts and answers that an attacker must not change."""
    session.expire_all()
    attempts = session.scalars(
        select(Attempt).where(Attempt.cadre_id == cadre_id).order_by(Attempt.id)
    ).all()
    answers = session.scalars(
        select(Answer)
        .join(Attempt, Answer.attempt_id == Attempt.id)
        .where(Attempt.cadre_id == cadre_id)
        .order_by(Answer.attempt_id, Answer.position)
    ).all()
    return {
        "attempts": [
            (
                a.id,
                a.exam_id,
                a.status,
                a.deadline,
                a.finished_at,
                a.score,
                a.passed,
                a.graded_at,
                json.dumps(a.paper, sort_keys=True),
            )
            for a in attempts
        ],
        "answers": [(a.attempt_id, a.position, a.choice, a.seq, a.flagged) for a in answers],
    }


def table_counts(session) -> dict[str, int]:
    session.expire_all()
    return {
        table.name: session.scalar(select(func.count()).select_from(table))
        for table in Base.metadata.sorted_tables
    }


def items_of(session, attempt_id: int) -> list[tuple[int, object, QuestionVersion]]:
    session.expire_all()
    paper = paper_from_json(session.get(Attempt, attempt_id).paper)
    return [
        (position, item, session.get(QuestionVersion, item.version_id))
        for position, item in enumerate(paper.items, start=1)
    ]


# ---- the world: an attacker and a victim ---------------------------------------------------


@pytest.fixture
def world(app, client, db_session):
    """The victim has an attempt in progress with answers saved on a shared exam, an
    attempt past its deadline but not yet graded, and a submitted one; the attacker has
    an attempt of its own on the shared exam."""
    load_starter_bank(db_session)
    attacker, victim = make_user(Role.CANDIDATE), make_user(Role.CANDIDATE)
    both = (attacker.cadre.staff_no, victim.cadre.staff_no)
    shared = open_exam(db_session, staff_nos=both, title="共同考试")
    overdue_exam = open_exam(db_session, staff_nos=(victim.cadre.staff_no,), title="受害者专场")
    done_exam = open_exam(db_session, staff_nos=(victim.cadre.staff_no,), title="已交卷")
    closed_to_attacker = open_exam(db_session, staff_nos=(victim.cadre.staff_no,), title="未开始")

    victim_client = app.test_client()
    victim_token = sign_in(victim_client, victim)
    headers = {"X-CSRFToken": victim_token}

    def start(exam) -> int:
        response = victim_client.post(f"/api/exams/{exam.id}/attempts", headers=headers)
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    live, overdue, done = start(shared), start(overdue_exam), start(done_exam)
    for attempt_id in (live, overdue, done):
        saved = victim_client.put(
            f"/api/attempts/{attempt_id}/answers/1",
            json={"choice": ["A"], "seq": 3, "flagged": True},
            headers=headers,
        )
        assert saved.status_code == 200, saved.get_json()
    assert victim_client.post(f"/api/attempts/{done}/submit", headers=headers).status_code == 200
    row = db_session.get(Attempt, overdue)
    row.deadline = utcnow() - timedelta(minutes=5)  # time is up; nobody has looked yet
    db_session.commit()

    token = sign_in(client, attacker)
    own = client.post(f"/api/exams/{shared.id}/attempts", headers={"X-CSRFToken": token})
    assert own.status_code == 201
    return {
        "attacker": attacker,
        "victim": victim,
        "token": token,
        "own_attempt": own.get_json()["id"],
        "victim_attempts": {"live": live, "overdue": overdue, "done": done},
        "victim_exams": {"overdue": overdue_exam.id, "done": done_exam.id},
        "closed_exam": closed_to_attacker.id,
        "shared_exam": shared.id,
    }


# ---- another candidate's ids --------------------------------------------------------------

OBJECT_IDS = {"attempt_id", "exam_id"}


def test_the_candidate_routes_that_take_ids_are_found(app):
    found = {rule.rule for rule in rules_under(app, ("/api/", "/candidate/"), OBJECT_IDS)}
    # The contract's routes at least; any added later are walked as well.
    assert {
        "/api/exams/<int:exam_id>/attempts",
        "/api/attempts/<int:attempt_id>",
        "/api/attempts/<int:attempt_id>/answers/<int:position>",
        "/api/attempts/<int:attempt_id>/submit",
        "/api/attempts/<int:attempt_id>/result",
        "/candidate/attempts/<int:attempt_id>",
    } <= found


def _attack(client, token: str, method: str, path: str):
    headers = {"X-CSRFToken": token}
    if path.startswith("/api/"):
        body = {"choice": ["B"], "seq": 99, "flagged": False} if method == "PUT" else {}
        return client.open(path, method=method, json=body, headers=headers)
    data = {"csrf_token": token, "pledge": "y"}
    return client.open(path, method=method, data=data if method != "GET" else None)


def test_another_candidates_attempt_ids_are_404_on_every_route_and_change_nothing(
    app, client, db_session, world
):
    victim_cadre = world["victim"].cadre_id
    before = snapshot(db_session, victim_cadre)
    counts = table_counts(db_session)
    rules = rules_under(app, ("/api/", "/candidate/"), {"attempt_id"})
    tried = 0
    for which, attempt_id in world["victim_attempts"].items():
        for rule in rules:
            for method in methods_of(rule):
                path = fill(rule, {"attempt_id": attempt_id, "position": 1})
                response = _attack(client, world["token"], method, path)
                tried += 1
                where = f"{method} {path} ({which} attempt)"
                assert response.status_code == 404, (where, response.status_code)
                if path.startswith("/api/"):
                    assert_json_error(response, 404, "not_found")
                else:
                    text = response.get_data(as_text=True)
                    assert "共同考试" not in text and "受害者专场" not in text, where
    assert tried >= 3 * 6
    # A look at the overdue attempt must not even close it.
    assert snapshot(db_session, victim_cadre) == before
    assert table_counts(db_session) == counts


def test_another_candidates_exam_ids_start_nothing(app, client, db_session, world):
    """An exam the attacker is not on: the pages answer 404, the API refuses (404, or
    403 not_eligible as the contract allows), and no attempt is made for anyone."""
    victim_cadre = world["victim"].cadre_id
    before = snapshot(db_session, victim_cadre)
    counts = table_counts(db_session)
    rules = rules_under(app, ("/api/", "/candidate/"), {"exam_id"})
    assert rules
    exam_ids = [*world["victim_exams"].values(), world["closed_exam"]]
    for exam_id in exam_ids:
        for rule in rules:
            for method in methods_of(rule):
                path = fill(rule, {"exam_id": exam_id})
                response = _attack(client, world["token"], method, path)
                where = f"{method} {path}"
                if path.startswith("/api/"):
                    assert_json_error(response, (403, 404))
                    assert response.get_json()["error"] in {"not_found", "not_eligible"}, where
                else:
                    assert response.status_code == 404, (where, response.status_code)
    assert snapshot(db_session, victim_cadre) == before
    assert table_counts(db_session) == counts


def test_the_attackers_own_attempt_still_works(client, db_session, world):
    """The 404s above are about ownership, not a broken route."""
    own = world["own_attempt"]
    headers = {"X-CSRFToken": world["token"]}
    assert client.get(f"/api/attempts/{own}").status_code == 200
    saved = client.put(
        f"/api/attempts/{own}/answers/1", json={"choice": [], "seq": 1}, headers=headers
    )
    assert saved.status_code == 200
    assert client.get(f"/candidate/attempts/{own}").status_code == 200


# ---- choices outside the item -------------------------------------------------------------


def test_choices_outside_the_item_are_422_and_not_stored(client, db_session, world):
    own = world["own_attempt"]
    headers = {"X-CSRFToken": world["token"]}
    tried = 0
    for position, _item, version in items_of(db_session, own):
        count = 2 if version.type == "judge" else len(version.options)
        letters = "ABCDEFGH"
        beyond = letters[count] if count < len(letters) else "I"
        bad = [
            [beyond],  # the next letter after the item's last option
            ["I"],
            ["Z"],
            ["a"],
            [""],
            ["AB"],
            ["A "],
            ["Ａ"],  # a full-width A
            ["A", "A"],
            [letters[0]] * 2000,
            [str(n) for n in range(2000)],
        ]
        if version.type != "multiple":
            bad.append(["A", "B"])
        for choice in bad:
            response = client.put(
                f"/api/attempts/{own}/answers/{position}",
                json={"choice": choice, "seq": 5},
                headers=headers,
            )
            assert_json_error(response, (400, 422))
            tried += 1
    assert tried >= 20 * 11
    db_session.expire_all()
    assert db_session.scalars(select(Answer).where(Answer.attempt_id == own)).all() == []


# ---- malformed requests -------------------------------------------------------------------

BAD_BODIES = [
    ("broken-json", b"{not json", "application/json"),
    ("empty", b"", "application/json"),
    ("array", b"[]", "application/json"),
    ("array-of-answer", b'[{"choice": ["A"], "seq": 1}]', "application/json"),
    ("string", b'"A"', "application/json"),
    ("number", b"7", "application/json"),
    ("null", b"null", "application/json"),
    ("boolean", b"true", "application/json"),
    ("nan", b"NaN", "application/json"),
    ("seq-nan", b'{"choice": ["A"], "seq": NaN}', "application/json"),
    ("seq-infinity", b'{"choice": ["A"], "seq": Infinity}', "application/json"),
    ("seq-1e400", b'{"choice": ["A"], "seq": 1e400}', "application/json"),
    ("seq-4000-digits", b'{"choice": ["A"], "seq": 9' + b"9" * 4000 + b"}", "application/json"),
    ("seq-negative", b'{"choice": ["A"], "seq": -5}', "application/json"),
    ("seq-over-int32", b'{"choice": ["A"], "seq": 2147483648}', "application/json"),
    ("seq-fraction", b'{"choice": ["A"], "seq": 1.5}', "application/json"),
    ("seq-object", b'{"choice": ["A"], "seq": {"$gt": 0}}', "application/json"),
    ("choice-object", b'{"choice": {"0": "A"}, "seq": 1}', "application/json"),
    ("choice-nested", b'{"choice": [["A"]], "seq": 1}', "application/json"),
    ("choice-null", b'{"choice": [null], "seq": 1}', "application/json"),
    ("flagged-number", b'{"choice": ["A"], "seq": 1, "flagged": 1}', "application/json"),
    ("duplicate-key", b'{"choice": ["A"], "seq": 1, "choice": "B"}', "application/json"),
    ("nested-5000-deep", b"[" * 5000 + b"]" * 5000, "application/json"),
    (
        "choice-nested-3000-deep",
        b'{"choice": ' + b"[" * 3000 + b"]" * 3000 + b', "seq": 1}',
        "application/json",
    ),
    ("not-utf8", b"\xff\xfe{\x00}\x00", "application/json"),
    ("text-plain", b'{"choice": ["A"], "seq": 1}', "text/plain"),
    ("form", b"choice=A&seq=1", "application/x-www-form-urlencoded"),
    ("xml-type", b'{"choice": ["A"], "seq": 1}', "application/xml"),
    ("no-content-type", b'{"choice": ["A"], "seq": 1}', ""),
]


def test_malformed_answer_bodies_are_4xx_json_and_store_nothing(client, db_session, world):
    own = world["own_attempt"]
    for name, body, content_type in BAD_BODIES:
        headers = {"X-CSRFToken": world["token"]}
        if content_type:
            headers["Content-Type"] = content_type
        response = client.put(f"/api/attempts/{own}/answers/1", data=body, headers=headers)
        assert response.status_code in (400, 415, 422), (name, response.status_code)
        assert_json_error(response, (400, 415, 422))
    db_session.expire_all()
    assert db_session.scalars(select(Answer).where(Answer.attempt_id == own)).all() == []


def test_bodies_on_routes_that_take_none_never_cause_a_500(client, world):
    for name, body, content_type in BAD_BODIES:
        headers = {"X-CSRFToken": world["token"], "Content-Type": content_type or "text/plain"}
        for path in (
            f"/api/exams/{world['shared_exam']}/attempts",
            f"/api/attempts/{world['own_attempt']}/submit",
        ):
            response = client.post(path, data=body, headers=headers)
            assert response.status_code < 500, (name, path, response.status_code)
            assert response.is_json, (name, path)


ODD_API_PATHS = [
    "attempts/abc",
    "attempts/1.5",
    "attempts/-1",
    "attempts/0x10",
    "attempts/1e3",
    "attempts/%00",
    "attempts/%2e%2e",
    "attempts/%EF%BC%91",  # a full-width 1
    "attempts/" + "9" * 400,
    "attempts/{own}/answers/-1",
    "attempts/{own}/answers/0",
    "attempts/{own}/answers/abc",
    "attempts/{own}/answers/1.0",
    "attempts/{own}/answers/" + "9" * 400,
    "attempts/{own}/answers/2147483648",
    "attempts/{own}/result/extra",
    "exams/abc/attempts",
    "exams/-3/attempts",
    "exams/" + "9" * 40 + "/attempts",
    "nothing-here",
]


def test_odd_ids_and_paths_are_json_4xx(client, world):
    headers = {"X-CSRFToken": world["token"]}
    for suffix in ODD_API_PATHS:
        path = "/api/" + suffix.format(own=world["own_attempt"])
        for method in ("GET", "PUT", "POST"):
            response = client.open(
                path, method=method, json={"choice": ["A"], "seq": 1}, headers=headers
            )
            assert response.status_code in (404, 405), (method, path, response.status_code)
            assert_json_error(response, (404, 405))


def test_unknown_methods_are_405_json(client, world):
    own = world["own_attempt"]
    for method in ("DELETE", "PATCH", "TRACE"):
        for path in (f"/api/attempts/{own}", f"/api/attempts/{own}/answers/1", "/api/exams"):
            response = client.open(path, method=method, headers={"X-CSRFToken": world["token"]})
            assert_json_error(response, 405, "method_not_allowed")


def test_odd_ids_on_candidate_pages_are_404(client, world):
    for suffix in ("attempts/abc", "attempts/-1", "attempts/1.5", "exams/abc", "exams/" + "9" * 40):
        assert client.get("/candidate/" + suffix).status_code == 404, suffix
        assert client.get("/candidate/" + suffix + "/result").status_code == 404, suffix


# ---- oversize bodies ----------------------------------------------------------------------


def test_the_api_has_a_small_body_limit(app):
    limit = app.config["API_MAX_CONTENT_LENGTH"]
    assert 1024 <= limit <= 64 * 1024
    assert app.config["MAX_CONTENT_LENGTH"] and limit < app.config["MAX_CONTENT_LENGTH"]


def _big_answer(size: int) -> bytes:
    prefix, suffix = b'{"choice": ["A"], "seq": 1, "pad": "', b'"}'
    return prefix + b"x" * (size - len(prefix) - len(suffix)) + suffix


def test_an_answer_of_a_few_hundred_bytes_fits(client, db_session, world):
    own = world["own_attempt"]
    response = client.put(
        f"/api/attempts/{own}/answers/1",
        data=_big_answer(600),
        content_type="application/json",
        headers={"X-CSRFToken": world["token"]},
    )
    assert response.status_code == 200, response.get_json()


@pytest.mark.parametrize("over", ["api-limit", "app-limit"])
def test_oversize_api_bodies_are_413_json(app, client, db_session, world, over):
    limit = app.config["API_MAX_CONTENT_LENGTH" if over == "api-limit" else "MAX_CONTENT_LENGTH"]
    own = world["own_attempt"]
    headers = {"X-CSRFToken": world["token"]}
    body = _big_answer(limit + 1)
    response = client.put(
        f"/api/attempts/{own}/answers/1",
        data=body,
        content_type="application/json",
        headers=headers,
    )
    assert_json_error(response, 413, "too_large")
    for path in (f"/api/exams/{world['shared_exam']}/attempts", f"/api/attempts/{own}/submit"):
        refused = client.post(path, data=body, content_type="application/json", headers=headers)
        assert_json_error(refused, 413, "too_large")
    db_session.expire_all()
    assert db_session.scalars(select(Answer).where(Answer.attempt_id == own)).all() == []
    assert db_session.get(Attempt, own).status == "in_progress"


def test_an_oversize_api_body_is_refused_before_the_csrf_check_reads_it(app, client, world):
    limit = app.config["API_MAX_CONTENT_LENGTH"]
    own = world["own_attempt"]
    for content_type in ("multipart/form-data; boundary=x", "application/x-www-form-urlencoded"):
        response = client.put(
            f"/api/attempts/{own}/answers/1",
            data=b"a" * (limit + 1),
            content_type=content_type,
        )
        assert_json_error(response, 413, "too_large")


def test_an_oversize_api_body_without_a_length_is_413_json(app, client, db_session, world):
    """A body streamed without Content-Length is cut off at the limit, not read whole."""
    own = world["own_attempt"]
    limit = app.config["API_MAX_CONTENT_LENGTH"]
    response = client.put(
        f"/api/attempts/{own}/answers/1",
        input_stream=io.BytesIO(_big_answer(limit * 4)),
        content_type="application/json",
        headers={"X-CSRFToken": world["token"]},
    )
    assert_json_error(response, 413, "too_large")
    db_session.expire_all()
    assert db_session.scalars(select(Answer).where(Answer.attempt_id == own)).all() == []


def test_oversize_form_posts_are_413_pages(app, client):
    size = app.config["MAX_CONTENT_LENGTH"] + 1
    response = client.post(
        "/auth/login",
        data=b"username=" + b"x" * size,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    json_reply = client.post(
        "/auth/login",
        data=b"username=" + b"x" * size,
        content_type="application/x-www-form-urlencoded",
        headers={"Accept": "application/json"},
    )
    assert_json_error(json_reply, 413, "too_large")


def test_an_oversize_upload_is_413(app, client, db_session):
    hr = make_user(Role.HR)
    sign_in(client, hr)
    counts = table_counts(db_session)
    token = csrf_token(client, "/hr/roster/import")
    # The multipart body is built here: the test client would spool it to a temporary
    # file that it never closes.
    boundary = "attack-boundary"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f"--{boundary}\r\n"
            'Content-Disposition: form-data; name="file"; filename="r.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + b"0" * (app.config["MAX_CONTENT_LENGTH"] + 1)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post(
        "/hr/roster/import",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert table_counts(db_session) == counts


# ---- CSRF on every state-changing route ---------------------------------------------------


def _write_routes(app) -> list[tuple[str, Rule]]:
    return [
        (method, rule)
        for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
        if rule.endpoint != "static"
        for method in sorted(rule.methods & WRITE_METHODS)
    ]


@pytest.fixture
def everyone(app, world):
    """A user holding every role, signed in on a client of its own."""
    user = make_user(Role.CANDIDATE, Role.EXAMINER, Role.HR, Role.ADMIN)
    client = app.test_client()
    token = sign_in(client, user)
    return client, token, user


def _values(world, user) -> dict[str, object]:
    return {
        "attempt_id": world["own_attempt"],
        "exam_id": world["shared_exam"],
        "position": 1,
        "user_id": user.id,
        "unit_id": user.cadre.unit_id if user.cadre else 1,
        "cadre_id": world["victim"].cadre_id,
        "case_id": 1,
        "question_id": "xianfa-0001",
        "blueprint_id": "practice",
        "year": utcnow().year,
        "fmt": "csv",
    }


def _foreign_token(app) -> str:
    other = app.test_client()
    sign_in(other, make_user(Role.CANDIDATE, Role.EXAMINER, Role.HR, Role.ADMIN))
    return csrf_token(other, "/auth/password")


def test_every_write_route_is_found(app):
    routes = {(method, rule.rule) for method, rule in _write_routes(app)}
    assert ("POST", "/auth/login") in routes
    assert ("PUT", "/api/attempts/<int:attempt_id>/answers/<int:position>") in routes
    assert len(routes) >= 30


def test_every_write_route_refuses_a_missing_or_wrong_csrf_token(app, db_session, world, everyone):
    client, token, user = everyone
    values = _values(world, user)
    foreign = _foreign_token(app)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    counts = table_counts(db_session)
    victim_before = snapshot(db_session, world["victim"].cadre_id)
    refused = 0
    for method, rule in _write_routes(app):
        path = fill(rule, values)
        for bad in (None, "", "not-the-token", tampered, foreign):
            if path.startswith("/api/"):
                headers = {} if bad is None else {"X-CSRFToken": bad}
                response = client.open(
                    path, method=method, json={"choice": ["A"], "seq": 50}, headers=headers
                )
            else:
                data = {"username": user.username, "password": "x"}
                if bad is not None:
                    data["csrf_token"] = bad
                response = client.open(
                    path, method=method, data=data, headers={"Accept": "application/json"}
                )
            where = f"{method} {path} with token {bad!r}"
            assert response.status_code == 400, (where, response.status_code)
            assert_json_error(response, 400, "csrf_failed")
            refused += 1
    assert refused >= 5 * 30
    assert table_counts(db_session) == counts
    assert snapshot(db_session, world["victim"].cadre_id) == victim_before
    # The session is still signed in, and a page still answers: the refusals were CSRF's.
    assert client.get("/auth/password").status_code == 200


def test_a_refused_form_post_shows_a_page_not_a_500(client, world):
    response = client.post("/auth/logout", data={"csrf_token": "wrong"})
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    response = client.post(f"/candidate/exams/{world['shared_exam']}", data={"pledge": "y"})
    assert response.status_code == 400


def test_the_csrf_token_in_a_form_field_does_not_unlock_the_api_for_another_session(
    app, client, db_session, world
):
    own = world["own_attempt"]
    foreign = _foreign_token(app)
    response = client.put(
        f"/api/attempts/{own}/answers/1",
        json={"choice": ["A"], "seq": 1, "csrf_token": foreign},
        headers={"X-CSRFToken": foreign},
    )
    assert_json_error(response, 400, "csrf_failed")
    db_session.expire_all()
    assert db_session.scalars(select(Answer).where(Answer.attempt_id == own)).all() == []
