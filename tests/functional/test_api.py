"""The exam delivery API against its contract (DESIGN.md): every error code, ownership,
deadline and grace, seq ordering, idempotent submit, and no key before review.

Requests go through the real login form and carry the CSRF token from a page's
<meta name="csrf-token">, as the exam page's script does. Time is moved by
editing the attempt's deadline in the database, never by sleeping.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.domain.attempts import paper_from_json
from app.domain.grading import DISPLAY_KEYS, to_displayed
from app.domain.people import Role
from app.models import Answer, Attempt, Exam, ExamCandidate, QuestionVersion
from app.timeutil import utcnow
from tests.conftest import Auth, csrf_token
from tests.exam_setup import load_starter_bank, open_exam
from tests.factories import make_user

GRACE = 10  # SAVE_GRACE_SECONDS in the test config


class Api:
    """A signed-in API client: the session cookie plus the X-CSRFToken header."""

    def __init__(self, client) -> None:
        self.client = client
        self.token = ""

    def sign_in(self, user) -> Api:
        response = Auth(self.client).login(user.username)
        assert response.status_code == 302, response.get_data(as_text=True)
        self.token = csrf_token(self.client, "/")
        return self

    def get(self, path: str):
        return self.client.get(path)

    def post(self, path: str, body: object = None):
        return self.client.post(path, json=body, headers={"X-CSRFToken": self.token})

    def put(self, path: str, body: object):
        return self.client.put(path, json=body, headers={"X-CSRFToken": self.token})

    def start(self, exam_id: int):
        return self.post(f"/api/exams/{exam_id}/attempts")

    def save(self, attempt_id: int, position: int, choice: list[str], seq: int):
        return self.put(
            f"/api/attempts/{attempt_id}/answers/{position}", {"choice": choice, "seq": seq}
        )


@pytest.fixture
def bank(db_session):
    load_starter_bank(db_session)
    return db_session


@pytest.fixture
def candidate(bank):
    return make_user(Role.CANDIDATE)


@pytest.fixture
def exam(bank, candidate):
    return open_exam(bank, staff_nos=(candidate.cadre.staff_no,))


@pytest.fixture
def api(client, candidate) -> Api:
    return Api(client).sign_in(candidate)


@pytest.fixture
def attempt(api, exam) -> dict:
    response = api.start(exam.id)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True))
    assert response.is_json
    body = response.get_json()
    assert set(body) == {"error", "message"}
    assert body["error"] == code
    assert isinstance(body["message"], str) and body["message"]
    return body


def attempt_row(session, attempt_id: int) -> Attempt:
    session.expire_all()
    return session.get(Attempt, attempt_id)


def move_deadline(session, attempt_id: int, deadline: datetime) -> None:
    row = attempt_row(session, attempt_id)
    row.deadline = deadline
    session.commit()


def answers_of(session, attempt_id: int) -> dict[int, tuple[list[str], int]]:
    session.expire_all()
    rows = session.scalars(select(Answer).where(Answer.attempt_id == attempt_id))
    return {row.position: (row.choice, row.seq) for row in rows}


def drawn(session, attempt_id: int):
    """(position, paper item, version) for each item of the attempt's frozen paper."""
    row = attempt_row(session, attempt_id)
    paper = paper_from_json(row.paper)
    return [
        (position, item, session.get(QuestionVersion, item.version_id))
        for position, item in enumerate(paper.items, start=1)
    ]


def key_of(item, version) -> list[str]:
    answer = version.answer if isinstance(version.answer, bool) else tuple(version.answer)
    return list(to_displayed(item, answer))


def first_of_type(session, attempt_id: int, qtype: str):
    return next((p, i, v) for p, i, v in drawn(session, attempt_id) if v.type == qtype)


# ---- who may call -------------------------------------------------------------------------


def test_signed_out_is_401_on_every_route(client, bank, exam):
    token = csrf_token(client)
    headers = {"X-CSRFToken": token}
    for method, path in (
        ("GET", "/api/exams"),
        ("POST", f"/api/exams/{exam.id}/attempts"),
        ("GET", "/api/attempts/1"),
        ("PUT", "/api/attempts/1/answers/1"),
        ("POST", "/api/attempts/1/submit"),
        ("GET", "/api/attempts/1/result"),
    ):
        body = {"choice": ["A"], "seq": 1} if method == "PUT" else None
        response = client.open(path, method=method, json=body, headers=headers)
        assert_error(response, 401, "unauthorized")


@pytest.mark.parametrize("roles", [(Role.EXAMINER,), (Role.HR,), (Role.ADMIN,)])
def test_a_non_candidate_is_403_forbidden(client, bank, exam, roles):
    api = Api(client).sign_in(make_user(*roles))
    assert_error(api.get("/api/exams"), 403, "forbidden")
    assert_error(api.start(exam.id), 403, "forbidden")
    assert_error(api.get("/api/attempts/1"), 403, "forbidden")


def test_a_candidate_account_without_a_cadre_is_403_forbidden(client, bank, exam):
    api = Api(client).sign_in(make_user(Role.CANDIDATE, cadre=None))
    assert_error(api.get("/api/exams"), 403, "forbidden")


def test_missing_or_wrong_csrf_token_is_400_csrf_failed(api, exam, attempt, db_session):
    for headers in ({}, {"X-CSRFToken": "not-the-token"}):
        response = api.client.post(f"/api/exams/{exam.id}/attempts", headers=headers)
        assert_error(response, 400, "csrf_failed")
        response = api.client.put(
            f"/api/attempts/{attempt['id']}/answers/1",
            json={"choice": ["A"], "seq": 1},
            headers=headers,
        )
        assert_error(response, 400, "csrf_failed")
        response = api.client.post(f"/api/attempts/{attempt['id']}/submit", headers=headers)
        assert_error(response, 400, "csrf_failed")
    assert answers_of(db_session, attempt["id"]) == {}
    assert attempt_row(db_session, attempt["id"]).status == "in_progress"


# ---- listing and starting -----------------------------------------------------------------


def test_exam_listing_shape(api, exam, db_session):
    [row] = api.get("/api/exams").get_json()
    assert row == {
        "id": exam.id,
        "title": exam.title,
        "kind": "practice",
        "opens_at": exam.opens_at.isoformat() + "+00:00",
        "closes_at": exam.closes_at.isoformat() + "+00:00",
        "time_limit_minutes": 20,
        "attempts_allowed": 1,
        "attempt": None,
    }
    started = api.start(exam.id).get_json()
    [row] = api.get("/api/exams").get_json()
    assert row["attempt"] == {"id": started["id"], "status": "in_progress"}


def test_the_listing_holds_only_the_candidates_own_exams(api, bank, exam):
    open_exam(bank, staff_nos=(make_user(Role.CANDIDATE).cadre.staff_no,), title="别人的考试")
    assert [row["id"] for row in api.get("/api/exams").get_json()] == [exam.id]


def test_start_is_201_then_resume_is_200_with_the_same_attempt(api, exam, db_session):
    first = api.start(exam.id)
    second = api.start(exam.id)
    assert (first.status_code, second.status_code) == (201, 200)
    one, two = first.get_json(), second.get_json()
    assert one["id"] == two["id"]
    assert one["sections"] == two["sections"] and one["deadline"] == two["deadline"]
    assert db_session.scalar(select(func.count()).select_from(Attempt)) == 1


def test_an_unknown_exam_is_404(api, exam):
    assert_error(api.start(exam.id + 1000), 404, "not_found")


def test_a_candidate_not_on_the_exam_is_not_eligible(client, bank, exam):
    stranger = Api(client).sign_in(make_user(Role.CANDIDATE))
    assert_error(stranger.start(exam.id), 403, "not_eligible")
    assert stranger.get("/api/exams").get_json() == []


def test_an_exempted_candidate_is_not_eligible(api, exam, candidate, db_session):
    row = db_session.get(ExamCandidate, (exam.id, candidate.cadre.id))
    row.exempt_reason = "病假"
    db_session.commit()
    assert_error(api.start(exam.id), 403, "not_eligible")
    assert api.get("/api/exams").get_json() == []


def test_exam_not_open_before_opening_or_after_closing(api, bank, candidate, db_session):
    staff = (candidate.cadre.staff_no,)
    later = open_exam(bank, staff_nos=staff, opens=utcnow() + timedelta(hours=1), title="未开")
    over = open_exam(bank, staff_nos=staff, opens=utcnow() - timedelta(hours=3), hours=1)
    assert_error(api.start(later.id), 409, "exam_not_open")
    assert_error(api.start(over.id), 409, "exam_not_open")
    assert db_session.scalar(select(func.count()).select_from(Attempt)) == 0


def test_no_attempts_left_after_the_only_one(api, exam, attempt):
    api.post(f"/api/attempts/{attempt['id']}/submit")
    assert_error(api.start(exam.id), 403, "no_attempts_left")


# ---- the paper ----------------------------------------------------------------------------


def test_attempt_shape_is_the_contract(api, exam, attempt, db_session):
    body = api.get(f"/api/attempts/{attempt['id']}").get_json()
    assert set(body) == {"id", "status", "deadline", "server_time", "exam", "sections", "answers"}
    assert body["status"] == "in_progress"
    assert body["exam"] == {"id": exam.id, "title": exam.title, "kind": "practice"}
    assert body["answers"] == {}
    row = attempt_row(db_session, attempt["id"])
    deadline = datetime.fromisoformat(body["deadline"])
    server_time = datetime.fromisoformat(body["server_time"])
    assert body["deadline"].endswith("+00:00") and body["server_time"].endswith("+00:00")
    assert deadline.replace(tzinfo=None) == row.deadline
    assert abs(server_time.replace(tzinfo=None) - utcnow()) < timedelta(minutes=1)

    assert [(s["title"], s["type"], s["points"]) for s in body["sections"]] == [
        ("单项选择题", "single", 1),
        ("多项选择题", "multiple", 1),
        ("判断题", "judge", 1),
    ]
    items = [item for section in body["sections"] for item in section["items"]]
    assert [item["position"] for item in items] == list(range(1, 21))
    judge_texts = set()
    for section in body["sections"]:
        assert set(section) == {"title", "type", "points", "items"}
        for item in section["items"]:
            assert set(item) == {"position", "type", "stem", "options"}
            assert item["type"] == section["type"]
            for option in item["options"]:
                assert set(option) == {"key", "text"} and option["text"]
            keys = [option["key"] for option in item["options"]]
            assert keys == list(DISPLAY_KEYS[: len(keys)])
            if item["type"] == "judge":
                assert keys == ["A", "B"]
                judge_texts.add(tuple(option["text"] for option in item["options"]))
    [(true_text, false_text)] = judge_texts  # every judge item reads the same A / B
    assert true_text != false_text

    # Each displayed option carries the text of the original option the paper put there.
    for position, item, version in drawn(db_session, attempt["id"]):
        shown = items[position - 1]
        assert shown["stem"] == version.stem
        if version.type != "judge":
            texts = dict(version.options)
            assert [o["text"] for o in shown["options"]] == [texts[k] for k in item.option_order]


def test_judge_options_read_true_and_false_in_english(client, bank):
    user = make_user(Role.CANDIDATE, locale="en")
    exam = open_exam(bank, staff_nos=(user.cadre.staff_no,))
    body = Api(client).sign_in(user).start(exam.id).get_json()
    judge = next(s for s in body["sections"] if s["type"] == "judge")
    for item in judge["items"]:
        assert item["options"] == [{"key": "A", "text": "True"}, {"key": "B", "text": "False"}]


# ---- ownership ----------------------------------------------------------------------------


def test_another_candidates_attempt_is_404_everywhere_and_untouched(
    app, api, bank, candidate, db_session
):
    other = make_user(Role.CANDIDATE)
    exam = open_exam(bank, staff_nos=(candidate.cadre.staff_no, other.cadre.staff_no))
    theirs = Api(app.test_client()).sign_in(other)
    their_attempt = theirs.start(exam.id).get_json()["id"]
    assert theirs.save(their_attempt, 1, ["A"], 1).status_code == 200
    # Their time is up: a stranger's look must not even close it.
    move_deadline(db_session, their_attempt, utcnow() - timedelta(minutes=5))
    before = attempt_row(db_session, their_attempt)
    snapshot = (before.status, before.score, before.graded_at, before.deadline)

    assert_error(api.get(f"/api/attempts/{their_attempt}"), 404, "not_found")
    assert_error(api.save(their_attempt, 1, ["B"], 99), 404, "not_found")
    assert_error(api.save(their_attempt, 2, ["B"], 99), 404, "not_found")
    assert_error(api.post(f"/api/attempts/{their_attempt}/submit"), 404, "not_found")
    assert_error(api.get(f"/api/attempts/{their_attempt}/result"), 404, "not_found")
    # An attempt that does not exist answers exactly the same.
    missing = their_attempt + 1000
    assert (
        api.get(f"/api/attempts/{missing}").get_json()
        == api.get(f"/api/attempts/{their_attempt}").get_json()
    )

    after = attempt_row(db_session, their_attempt)
    assert (after.status, after.score, after.graded_at, after.deadline) == snapshot
    assert answers_of(db_session, their_attempt) == {1: (["A"], 1)}
    # Their own finished result stays theirs too.
    assert theirs.get(f"/api/attempts/{their_attempt}/result").status_code == 200
    assert_error(api.get(f"/api/attempts/{their_attempt}/result"), 404, "not_found")


# ---- saving -------------------------------------------------------------------------------


def test_save_replies_and_stores(api, attempt, db_session):
    response = api.save(attempt["id"], 2, ["B"], 1)
    assert response.status_code == 200
    body = response.get_json()
    assert set(body) == {"position", "choice", "seq", "applied", "deadline", "server_time"}
    assert (body["position"], body["choice"], body["seq"], body["applied"]) == (2, ["B"], 1, True)
    assert answers_of(db_session, attempt["id"]) == {2: (["B"], 1)}
    got = api.get(f"/api/attempts/{attempt['id']}").get_json()["answers"]
    assert got == {"2": {"choice": ["B"], "seq": 1, "flagged": False}}


def test_a_lower_seq_is_ignored(api, attempt, db_session):
    assert api.save(attempt["id"], 1, ["C"], 7).get_json()["applied"] is True
    older = api.save(attempt["id"], 1, ["A"], 3)
    assert older.status_code == 200
    assert older.get_json() | {"deadline": None, "server_time": None} == {
        "position": 1,
        "choice": ["C"],
        "seq": 7,
        "applied": False,
        "deadline": None,
        "server_time": None,
    }
    assert api.save(attempt["id"], 1, ["B"], 7).get_json()["applied"] is False
    assert answers_of(db_session, attempt["id"]) == {1: (["C"], 7)}
    assert api.save(attempt["id"], 1, [], 8).get_json()["applied"] is True
    assert answers_of(db_session, attempt["id"]) == {1: ([], 8)}


def test_invalid_choices_are_422(api, attempt, db_session):
    single, _, _ = first_of_type(db_session, attempt["id"], "single")
    multiple, _, _ = first_of_type(db_session, attempt["id"], "multiple")
    judge, _, _ = first_of_type(db_session, attempt["id"], "judge")
    for position, choice in (
        (single, ["Z"]),
        (single, ["a"]),
        (single, ["A", "B"]),
        (judge, ["A", "B"]),
        (judge, ["C"]),
        (multiple, ["A", "A"]),
        (multiple, ["H"]),
    ):
        assert_error(api.save(attempt["id"], position, choice, 1), 422, "invalid_choice")
    assert answers_of(db_session, attempt["id"]) == {}


def test_a_position_off_the_paper_is_404(api, attempt, db_session):
    for position in (0, 21, 500):
        assert_error(api.save(attempt["id"], position, ["A"], 1), 404, "not_found")
    assert answers_of(db_session, attempt["id"]) == {}


@pytest.mark.parametrize(
    "body",
    [
        "{not json",
        "[]",
        '"A"',
        "null",
        '{"seq": 1}',
        '{"choice": ["A"]}',
        '{"choice": "A", "seq": 1}',
        '{"choice": [1], "seq": 1}',
        '{"choice": ["A"], "seq": "1"}',
        '{"choice": ["A"], "seq": 1.5}',
        '{"choice": ["A"], "seq": true}',
        '{"choice": ["A"], "seq": -1}',
        '{"choice": ["A"], "seq": 2147483648}',  # beyond the column: Date.now() is too big
        '{"choice": ["A"], "seq": 100000000000000000000000000000}',
        '{"choice": ["A"], "seq": 1, "flagged": "yes"}',
    ],
)
def test_malformed_bodies_are_400_invalid_input(api, attempt, db_session, body):
    response = api.client.put(
        f"/api/attempts/{attempt['id']}/answers/1",
        data=body,
        content_type="application/json",
        headers={"X-CSRFToken": api.token},
    )
    assert_error(response, 400, "invalid_input")
    assert answers_of(db_session, attempt["id"]) == {}


def test_the_largest_seq_is_accepted(api, attempt, db_session):
    assert api.save(attempt["id"], 1, ["A"], 2**31 - 1).get_json()["applied"] is True
    assert answers_of(db_session, attempt["id"]) == {1: (["A"], 2**31 - 1)}


def test_ids_beyond_the_columns_are_404_not_500(api, attempt):
    for big in (2**31, 10**20):
        assert_error(api.get(f"/api/attempts/{big}"), 404, "not_found")
        assert_error(api.start(big), 404, "not_found")
        assert_error(api.save(big, 1, ["A"], 1), 404, "not_found")
        assert_error(api.save(attempt["id"], big, ["A"], 1), 404, "not_found")
        assert_error(api.post(f"/api/attempts/{big}/submit"), 404, "not_found")
        assert_error(api.get(f"/api/attempts/{big}/result"), 404, "not_found")


# ---- time ---------------------------------------------------------------------------------


def test_saves_within_the_grace_are_accepted_and_later_refused(api, attempt, db_session):
    move_deadline(db_session, attempt["id"], utcnow() - timedelta(seconds=GRACE - 5))
    accepted = api.save(attempt["id"], 1, ["A"], 1)
    assert accepted.status_code == 200 and accepted.get_json()["applied"] is True

    move_deadline(db_session, attempt["id"], utcnow() - timedelta(seconds=GRACE + 5))
    assert_error(api.save(attempt["id"], 2, ["A"], 2), 409, "attempt_closed")
    assert answers_of(db_session, attempt["id"]) == {1: (["A"], 1)}
    row = attempt_row(db_session, attempt["id"])
    assert row.status == "expired" and row.graded_at is not None


def test_an_expired_attempt_is_graded_lazily_on_get(api, attempt, db_session):
    right = [(p, key_of(i, v)) for p, i, v in drawn(db_session, attempt["id"])][:3]
    for position, choice in right:
        assert api.save(attempt["id"], position, choice, 1).status_code == 200
    move_deadline(db_session, attempt["id"], utcnow() - timedelta(minutes=1))
    assert attempt_row(db_session, attempt["id"]).graded_at is None

    body = api.get(f"/api/attempts/{attempt['id']}").get_json()

    assert body["status"] == "expired"
    assert "sections" not in body  # the paper is no longer served once time is up
    assert set(body["answers"]) == {"1", "2", "3"}
    row = attempt_row(db_session, attempt["id"])
    assert (row.status, row.score) == ("expired", 3)
    result = api.get(f"/api/attempts/{attempt['id']}/result").get_json()
    assert (result["status"], result["score"], result["max_score"]) == ("expired", 3, 20)
    assert_error(api.save(attempt["id"], 4, ["A"], 1), 409, "attempt_closed")


def test_the_listing_closes_an_attempt_whose_time_is_up(api, exam, attempt, db_session):
    api.save(attempt["id"], 1, ["A"], 1)
    move_deadline(db_session, attempt["id"], utcnow() - timedelta(minutes=1))
    [row] = api.get("/api/exams").get_json()
    assert row["attempt"] == {"id": attempt["id"], "status": "expired"}
    assert attempt_row(db_session, attempt["id"]).graded_at is not None


def test_a_deadline_past_on_resume_closes_the_attempt(api, exam, attempt, db_session):
    move_deadline(db_session, attempt["id"], utcnow() - timedelta(minutes=1))
    response = api.start(exam.id)
    assert response.status_code == 200
    assert response.get_json()["status"] == "expired"
    assert attempt_row(db_session, attempt["id"]).graded_at is not None


# ---- submitting and results ---------------------------------------------------------------


def test_result_before_submit_is_409(api, attempt):
    assert_error(api.get(f"/api/attempts/{attempt['id']}/result"), 409, "attempt_in_progress")


def test_submit_twice_returns_the_same_result_and_grades_once(api, attempt, db_session):
    for position, item, version in drawn(db_session, attempt["id"])[:12]:
        api.save(attempt["id"], position, key_of(item, version), 1)
    first = api.post(f"/api/attempts/{attempt['id']}/submit")
    assert first.status_code == 200
    graded_at = attempt_row(db_session, attempt["id"]).graded_at
    second = api.post(f"/api/attempts/{attempt['id']}/submit")
    assert second.status_code == 200
    assert first.get_json() == second.get_json()
    body = first.get_json()
    assert (body["status"], body["score"], body["max_score"], body["passed"]) == (
        "submitted",
        12,
        20,
        True,
    )
    assert [s["max_score"] for s in body["sections"]] == [10, 5, 5]
    assert sum(s["score"] for s in body["sections"]) == 12
    assert attempt_row(db_session, attempt["id"]).graded_at == graded_at
    assert api.get(f"/api/attempts/{attempt['id']}/result").get_json() == body
    assert_error(api.save(attempt["id"], 13, ["A"], 5), 409, "attempt_closed")


REVIEW_FIELDS = {"key", "explanation", "law", "article", "correct", "earned"}


def test_review_after_submit_shows_keys_and_explanations(api, attempt, db_session):
    position, item, version = first_of_type(db_session, attempt["id"], "multiple")
    api.save(attempt["id"], position, key_of(item, version), 1)
    body = api.post(f"/api/attempts/{attempt['id']}/submit").get_json()
    assert body["review_allowed"] is True
    review = body["review"]
    assert [row["position"] for row in review] == list(range(1, 21))
    assert set(review[0]) >= REVIEW_FIELDS
    mine = review[position - 1]
    assert (mine["choice"], mine["key"], mine["correct"]) == (
        key_of(item, version),
        key_of(item, version),
        True,
    )
    assert mine["explanation"] == version.explanation


def test_review_never_keeps_keys_back(client, bank, candidate, db_session):
    exam = open_exam(bank, staff_nos=(candidate.cadre.staff_no,), review="never")
    api = Api(client).sign_in(candidate)
    attempt_id = api.start(exam.id).get_json()["id"]
    body = api.post(f"/api/attempts/{attempt_id}/submit").get_json()
    assert body["review_allowed"] is False and "review" not in body
    assert "review" not in api.get(f"/api/attempts/{attempt_id}/result").get_json()


def test_review_after_close_waits_for_the_closing_time(client, bank, candidate, db_session):
    exam = open_exam(bank, staff_nos=(candidate.cadre.staff_no,), review="after_close")
    api = Api(client).sign_in(candidate)
    attempt_id = api.start(exam.id).get_json()["id"]
    body = api.post(f"/api/attempts/{attempt_id}/submit").get_json()
    assert body["review_allowed"] is False and "review" not in body
    row = db_session.get(Exam, exam.id)
    row.closes_at = utcnow() - timedelta(seconds=1)
    db_session.commit()
    later = api.get(f"/api/attempts/{attempt_id}/result").get_json()
    assert later["review_allowed"] is True and len(later["review"]) == 20


# ---- nothing secret leaks during the exam -------------------------------------------------

FORBIDDEN_FIELDS = {
    "answer",
    "answers_key",
    "explanation",
    "seed",
    "option_order",
    "question_id",
    "version_id",
    "version",
    "review",
    "correct",
    "law",
    "article",
    "paper",
}


def walk(value, path="$"):
    """Every (path, dict) and (path, scalar) in a JSON value."""
    if isinstance(value, dict):
        yield path, value
        for name, inner in value.items():
            yield from walk(inner, f"{path}.{name}")
    elif isinstance(value, list):
        yield path, value
        for index, inner in enumerate(value):
            yield from walk(inner, f"{path}[{index}]")
    else:
        yield path, value


def test_no_key_explanation_seed_or_canonical_order_reaches_the_candidate(
    api, bank, exam, candidate, db_session
):
    # A second exam in the listing, not started, and one the candidate is not on.
    open_exam(bank, staff_nos=(candidate.cadre.staff_no,), title="第二场")
    open_exam(bank, staff_nos=(make_user(Role.CANDIDATE).cadre.staff_no,), title="别人的")
    responses = [api.get("/api/exams"), api.start(exam.id), api.start(exam.id)]
    attempt_id = responses[1].get_json()["id"]
    items = drawn(db_session, attempt_id)
    for position, item, version in items:
        responses.append(api.save(attempt_id, position, key_of(item, version), 1))
    responses.append(api.save(attempt_id, 1, ["A"], 0))  # an ignored one
    responses.append(api.save(attempt_id, 1, ["Z"], 5))  # a refused one
    responses += [
        api.get(f"/api/attempts/{attempt_id}"),
        api.get("/api/exams"),
        api.get(f"/api/attempts/{attempt_id}/result"),
    ]

    row = attempt_row(db_session, attempt_id)
    explanations = [v.explanation for _, _, v in items if v.explanation.strip()]
    assert len(explanations) == 20
    for response in responses:
        assert response.is_json
        body = response.get_json()
        strings = []
        for path, value in walk(body):
            if isinstance(value, dict):
                leaked = FORBIDDEN_FIELDS & set(value)
                assert not leaked, (path, leaked)
                if "key" in value:  # only options carry a key: the displayed letter
                    assert set(value) == {"key", "text"} and re.fullmatch("[A-H]", value["key"]), (
                        path
                    )
            elif isinstance(value, str):
                strings.append(value)
            elif isinstance(value, int) and not isinstance(value, bool):
                assert value != row.seed, path
        text = "\n".join(strings)
        assert str(row.seed) not in text
        for explanation in explanations:
            assert explanation not in text
        for _, item, _ in items:
            if list(item.option_order) != sorted(item.option_order):
                assert "".join(item.option_order) not in strings
                assert not any(
                    isinstance(value, list) and value == list(item.option_order)
                    for _, value in walk(body)
                )
        raw = response.get_data(as_text=True)
        assert '"answer"' not in raw and '"seed"' not in raw and "option_order" not in raw
    # Items only ever appear with displayed letters A.. in order and the shuffled texts.
    paper = responses[-2 - 1].get_json()
    shown = [i for s in paper["sections"] for i in s["items"]]
    for position, item, version in items:
        if version.type != "judge":
            texts = dict(version.options)
            assert [(o["key"], o["text"]) for o in shown[position - 1]["options"]] == [
                (DISPLAY_KEYS[index], texts[key]) for index, key in enumerate(item.option_order)
            ]


# ---- the OpenAPI document -----------------------------------------------------------------

METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def test_openapi_document_is_valid_3_1_in_shape_and_covers_every_route(app, client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.is_json
    document = response.get_json()
    assert re.fullmatch(r"3\.1\.\d+", document["openapi"])
    assert document["info"]["title"] and document["info"]["version"]
    schemas = document["components"]["schemas"]

    for path, operations in document["paths"].items():
        assert path.startswith("/api/")
        names = set(re.findall(r"{(\w+)}", path))
        assert operations and set(operations) <= METHODS, path
        for method, operation in operations.items():
            assert operation["responses"], (method, path)
            for status, reply in operation["responses"].items():
                assert re.fullmatch(r"[1-5]\d\d|default", status), (path, status)
                assert reply["description"], (path, status)
            declared = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert declared == names, (method, path)
            for parameter in operation.get("parameters", []):
                assert parameter["in"] in {"path", "query", "header", "cookie"}
                if parameter["in"] == "path":
                    assert parameter["required"] is True
                assert "schema" in parameter
            if method in {"get", "head"}:
                assert "requestBody" not in operation

    references = {
        value
        for _, node in walk(document)
        if isinstance(node, dict)
        for name, value in node.items()
        if name == "$ref"
    }
    assert references
    for reference in references:
        assert reference.startswith("#/components/schemas/"), reference
        assert reference.rsplit("/", 1)[1] in schemas, reference

    documented = {
        (path, method.upper())
        for path, operations in document["paths"].items()
        for method in operations
    }
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/"):
            continue
        path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule.rule)
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method))
    assert routes and routes <= documented, routes - documented
    assert json.loads(json.dumps(document)) == document
