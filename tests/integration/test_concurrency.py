"""Races the database must settle: threads released together by a barrier.

Each thread has its own test client (its own request sessions and database
connections), signed in as the same candidate, as tabs and retries would be:
- twenty simultaneous submits grade once and all answer the same result;
- twenty simultaneous starts make one attempt;
- tabs saving the same question keep the highest seq;
- a save racing a submit is either refused or counted in the grade.
Runs against the test database: SQLite (a file, WAL) or PostgreSQL.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.domain.attempts import paper_from_json
from app.domain.grading import to_displayed
from app.domain.people import Role
from app.models import Answer, Attempt, AuditEvent, QuestionVersion
from app.services import delivery
from tests.conftest import Auth, csrf_token
from tests.exam_setup import load_starter_bank, open_exam
from tests.factories import make_user

THREADS = 20


class Tab:
    """One signed-in client with its CSRF token."""

    def __init__(self, app, user) -> None:
        self.client = app.test_client()
        assert Auth(self.client).login(user.username).status_code == 302
        self.headers = {"X-CSRFToken": csrf_token(self.client, "/")}

    def post(self, path: str):
        return self.client.post(path, headers=self.headers)

    def put(self, path: str, body: dict):
        return self.client.put(path, json=body, headers=self.headers)


def together(calls: list[Callable[[], object]]) -> list[object]:
    """Run the calls in threads released at once; return their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = call()
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index, call)) for index, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    assert not errors, errors
    return results


def sign_in_tabs(app, db_session, attempts: int = 1):
    """A candidate on a practice exam, with THREADS signed-in tabs."""
    load_starter_bank(db_session)
    user = make_user(Role.CANDIDATE)
    exam = open_exam(db_session, staff_nos=(user.cadre.staff_no,), attempts=attempts)
    return exam, [Tab(app, user) for _ in range(THREADS)]


@pytest.fixture
def setting(app, db_session):
    return sign_in_tabs(app, db_session)


def count(session, model, *where) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.mark.parametrize("attempts", [1, 3])
def test_simultaneous_starts_make_one_attempt(app, db_session, attempts):
    exam, tabs = sign_in_tabs(app, db_session, attempts)
    responses = together(
        [lambda tab=tab: tab.post(f"/api/exams/{exam.id}/attempts") for tab in tabs]
    )
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 1, 200: THREADS - 1}, statuses
    assert len({response.get_json()["id"] for response in responses}) == 1
    assert len({str(response.get_json()["sections"]) for response in responses}) == 1
    assert count(db_session, Attempt) == 1


def test_simultaneous_submits_grade_once(setting, db_session, monkeypatch):
    exam, tabs = setting
    attempt_id = tabs[0].post(f"/api/exams/{exam.id}/attempts").get_json()["id"]
    for position in range(1, 6):
        assert (
            tabs[0]
            .put(f"/api/attempts/{attempt_id}/answers/{position}", {"choice": ["A"], "seq": 1})
            .status_code
            == 200
        )
    finishes: list[bool] = []
    real_finish = delivery.finish

    def counted(*args, **kwargs) -> bool:
        done = real_finish(*args, **kwargs)
        finishes.append(done)
        return done

    monkeypatch.setattr(delivery, "finish", counted)

    responses = together(
        [lambda tab=tab: tab.post(f"/api/attempts/{attempt_id}/submit") for tab in tabs]
    )

    assert [r.status_code for r in responses] == [200] * THREADS
    bodies = [response.get_json() for response in responses]
    assert all(body == bodies[0] for body in bodies)
    assert bodies[0]["status"] == "submitted"
    assert finishes.count(True) == 1, finishes
    db_session.expire_all()
    row = db_session.get(Attempt, attempt_id)
    assert row.graded_at is not None and row.score == Decimal(str(bodies[0]["score"]))
    graded_at = row.graded_at
    again = tabs[1].post(f"/api/attempts/{attempt_id}/submit")
    assert again.get_json() == bodies[0]
    db_session.expire_all()
    assert db_session.get(Attempt, attempt_id).graded_at == graded_at
    assert count(db_session, AuditEvent, AuditEvent.action.like("attempt.%")) == 0


def test_tabs_saving_the_same_question_keep_the_highest_seq(setting, db_session):
    exam, tabs = setting
    attempt_id = tabs[0].post(f"/api/exams/{exam.id}/attempts").get_json()["id"]
    path = f"/api/attempts/{attempt_id}/answers/1"
    letters = "ABCD"
    for round_number in range(3):
        seqs = [round_number * THREADS + index + 1 for index in range(THREADS)]
        calls = [
            lambda tab=tab, seq=seq: tab.put(path, {"choice": [letters[seq % 4]], "seq": seq})
            for tab, seq in zip(tabs, seqs, strict=True)
        ]
        responses = together(calls)
        assert [r.status_code for r in responses] == [200] * THREADS
        for seq, response in zip(seqs, responses, strict=True):
            body = response.get_json()
            # The reply holds the stored answer: this one, or a newer one; never older.
            assert body["seq"] >= seq
        top = max(seqs)
        assert any(r.get_json()["applied"] for r in responses)
        db_session.expire_all()
        stored = db_session.get(Answer, (attempt_id, 1))
        assert (stored.seq, stored.choice) == (top, [letters[top % 4]])
    assert count(db_session, Answer) == 1


def test_saves_racing_a_submit_are_refused_or_graded(setting, db_session):
    """Every acknowledged save is in the grade; every later one is refused."""
    exam, tabs = setting
    attempt_id = tabs[0].post(f"/api/exams/{exam.id}/attempts").get_json()["id"]
    attempt = db_session.get(Attempt, attempt_id)
    paper = paper_from_json(attempt.paper)
    keys = {}
    for position, item in enumerate(paper.items, start=1):
        version = db_session.get(QuestionVersion, item.version_id)
        answer = version.answer if isinstance(version.answer, bool) else tuple(version.answer)
        keys[position] = list(to_displayed(item, answer))
    savers = tabs[: THREADS - 1]
    calls: list[Callable[[], object]] = [
        lambda tab=tab, position=position: tab.put(
            f"/api/attempts/{attempt_id}/answers/{position}",
            {"choice": keys[position], "seq": 1},
        )
        for position, tab in enumerate(savers, start=1)
    ]
    calls.append(lambda: tabs[-1].post(f"/api/attempts/{attempt_id}/submit"))

    *saves, submitted = together(calls)

    assert submitted.status_code == 200
    assert {r.status_code for r in saves} <= {200, 409}
    acknowledged = [r.get_json()["position"] for r in saves if r.status_code == 200]
    assert all(r.get_json()["error"] == "attempt_closed" for r in saves if r.status_code == 409)
    db_session.expire_all()
    stored = {
        a.position
        for a in db_session.scalars(select(Answer).where(Answer.attempt_id == attempt_id))
    }
    assert stored == set(acknowledged)
    # Each right answer is worth one point: the grade counts exactly what was acknowledged.
    assert submitted.get_json()["score"] == len(acknowledged)
    assert db_session.get(Attempt, attempt_id).score == len(acknowledged)
