"""The delivery service: the rules of time, seq-ordered saves, grading once, regrading.

Time is passed in as `now`, so nothing here sleeps.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.domain.attempts import paper_from_json
from app.domain.grading import DISPLAY_KEYS, displayed_keys, to_displayed
from app.models import Answer, Attempt, AuditEvent, Question, QuestionVersion
from app.services import bank_io, delivery, exams
from app.timeutil import utcnow
from tests.exam_setup import load_starter_bank, open_exam
from tests.factories import CadreFactory

GRACE = 10


@pytest.fixture
def bank(db_session):
    load_starter_bank(db_session)
    return db_session


# ---- helpers ------------------------------------------------------------------------------


def items_of(session, attempt):
    """(position, paper item, drawn version) for every item of the attempt's paper."""
    paper = paper_from_json(attempt.paper)
    return [
        (position, item, session.get(QuestionVersion, item.version_id))
        for position, item in enumerate(paper.items, start=1)
    ]


def right_choice(item, version) -> list[str]:
    answer = version.answer if isinstance(version.answer, bool) else tuple(version.answer)
    return list(to_displayed(item, answer))


def wrong_choice(item, version) -> list[str]:
    right = right_choice(item, version)
    wrong = [key for key in displayed_keys(item, version.type) if key not in right]
    return wrong[:1]


def answer_right(session, attempt, positions, now=None) -> None:
    for position, item, version in items_of(session, attempt):
        if position in positions:
            choice = right_choice(item, version)
            delivery.save_answer(session, attempt, position, choice, 1, GRACE, now=now)


def start(session, exam, cadre, now=None):
    attempt, created = exams.start_attempt(session, exam, cadre, now=now)
    assert created
    return attempt


def new_version(session, question_id: str, **changes) -> QuestionVersion:
    """A corrected version of a question, made current (as an examiner's edit would)."""
    question = session.get(Question, question_id)
    current = question.current
    content = replace(bank_io.content_of(current), **changes)
    version = bank_io.version_from(content, current.number + 1, None)
    version.question_id = question_id
    session.add(version)
    session.flush()
    question.current_version_id = version.id
    session.commit()
    session.expire_all()
    return version


def count(session, model, *where) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*where))


# ---- time ---------------------------------------------------------------------------------


def test_deadline_is_start_plus_limit_plus_extension(bank):
    cadre = CadreFactory()
    exam = open_exam(bank, staff_nos=(cadre.staff_no,), time_limit=20, hours=3)
    exams.set_extension(bank, None, exam, cadre.staff_no, 7)
    began = exam.opens_at + timedelta(minutes=10)
    attempt = start(bank, exam, cadre, now=began)
    assert attempt.started_at == began
    assert attempt.deadline == began + timedelta(minutes=27)


def test_deadline_is_capped_by_the_closing_time(bank):
    cadre = CadreFactory()
    exam = open_exam(bank, staff_nos=(cadre.staff_no,), time_limit=20, hours=1)
    exams.set_extension(bank, None, exam, cadre.staff_no, 30)
    attempt = start(bank, exam, cadre, now=exam.closes_at - timedelta(minutes=45))
    assert attempt.deadline == exam.closes_at  # 20 + 30 minutes would run past closing


def test_an_extension_moves_a_running_attempt_but_not_past_closing(bank):
    cadre = CadreFactory()
    exam = open_exam(bank, staff_nos=(cadre.staff_no,), time_limit=20, hours=1)
    began = exam.opens_at + timedelta(minutes=1)
    attempt = start(bank, exam, cadre, now=began)
    exams.set_extension(bank, None, exam, cadre.staff_no, 10)
    bank.refresh(attempt)
    assert attempt.deadline == began + timedelta(minutes=30)
    exams.set_extension(bank, None, exam, cadre.staff_no, 600)
    bank.refresh(attempt)
    assert attempt.deadline == exam.closes_at


def test_saves_are_accepted_until_deadline_plus_grace(bank):
    cadre = CadreFactory()
    exam = open_exam(bank, staff_nos=(cadre.staff_no,))
    attempt = start(bank, exam, cadre)
    at_the_end = attempt.deadline + timedelta(seconds=GRACE)
    saved = delivery.save_answer(bank, attempt, 1, ["A"], 1, GRACE, now=at_the_end)
    assert saved.applied and attempt.status == "in_progress"

    with pytest.raises(delivery.AttemptClosed):
        delivery.save_answer(
            bank, attempt, 2, ["A"], 2, GRACE, now=at_the_end + timedelta(seconds=1)
        )
    # The late save closed the attempt and graded it on what was saved before.
    bank.expire_all()
    attempt = bank.get(Attempt, attempt.id)
    assert attempt.status == "expired"
    assert attempt.graded_at is not None
    assert {a.position: a.choice for a in attempt.answers} == {1: ["A"]}


def test_a_lower_seq_is_ignored(bank):
    cadre = CadreFactory()
    exam = open_exam(bank, staff_nos=(cadre.staff_no,))
    attempt = start(bank, exam, cadre)
    assert delivery.save_answer(bank, attempt, 3, ["B"], 5, GRACE).applied
    older = delivery.save_answer(bank, attempt, 3, ["C"], 4, GRACE)
    same = delivery.save_answer(bank, attempt, 3, ["D"], 5, GRACE)
    assert (older.applied, older.choice, older.seq) == (False, ["B"], 5)
    assert (same.applied, same.choice) == (False, ["B"])
    newer = delivery.save_answer(bank, attempt, 3, [], 6, GRACE)
    assert (newer.applied, newer.choice, newer.seq) == (True, [], 6)
    bank.expire_all()
    stored = bank.get(Answer, (attempt.id, 3))
    assert (stored.choice, stored.seq) == ([], 6)


def test_a_save_keeps_or_sets_the_flag(bank):
    cadre = CadreFactory()
    exam = open_exam(bank, staff_nos=(cadre.staff_no,))
    attempt = start(bank, exam, cadre)
    delivery.save_answer(bank, attempt, 1, ["A"], 1, GRACE, flagged=True)
    delivery.save_answer(bank, attempt, 1, ["B"], 2, GRACE)  # no flag given: kept
    assert delivery.saved_answers(bank, attempt)["1"] == {
        "choice": ["B"],
        "seq": 2,
        "flagged": True,
    }


def test_a_save_outside_the_paper_or_not_fitting_is_refused(bank):
    cadre = CadreFactory()
    exam = open_exam(bank, staff_nos=(cadre.staff_no,))
    attempt = start(bank, exam, cadre)
    size = len(paper_from_json(attempt.paper).items)
    for position in (0, size + 1):
        with pytest.raises(delivery.NotFound):
            delivery.save_answer(bank, attempt, position, ["A"], 1, GRACE)
    single = next(p for p, _, v in items_of(bank, attempt) if v.type == "single")
    with pytest.raises(delivery.InvalidChoice) as refused:
        delivery.save_answer(bank, attempt, single, ["A", "B"], 1, GRACE)
    assert refused.value.params == {"reason": "one_key_only"}
    assert count(bank, Answer) == 0


def test_an_expired_attempt_is_graded_lazily_on_what_was_saved(bank):
    cadre = CadreFactory()
    exam = open_exam(bank, staff_nos=(cadre.staff_no,))
    attempt = start(bank, exam, cadre)
    answer_right(bank, attempt, {1, 2, 3})
    within = attempt.deadline + timedelta(seconds=GRACE)
    assert not delivery.finalize_if_expired(bank, attempt, GRACE, now=within)
    assert attempt.status == "in_progress"
    late = within + timedelta(seconds=1)
    assert delivery.finalize_if_expired(bank, attempt, GRACE, now=late)
    assert (attempt.status, attempt.score, attempt.graded_at) == ("expired", Decimal(3), late)
    assert not delivery.finalize_if_expired(bank, attempt, GRACE, now=late)


def test_close_expired_grades_only_late_attempts_once(bank):
    cadres = [CadreFactory() for _ in range(4)]
    now = utcnow()
    exam = open_exam(
        bank,
        staff_nos=tuple(c.staff_no for c in cadres),
        time_limit=20,
        opens=now - timedelta(hours=1),
    )
    late = start(bank, exam, cadres[0], now=now - timedelta(minutes=25))
    in_grace = start(bank, exam, cadres[1], now=now - timedelta(minutes=20, seconds=5))
    running = start(bank, exam, cadres[2], now=now - timedelta(minutes=5))
    done = start(bank, exam, cadres[3], now=now - timedelta(minutes=30))
    delivery.submit(bank, done, GRACE, now=done.deadline - timedelta(minutes=1))
    answer_right(bank, late, {1, 2}, now=late.deadline)
    done_graded_at = done.graded_at

    assert delivery.close_expired(bank, GRACE, now=now) == 1
    bank.expire_all()
    statuses = {a.id: (a.status, a.score) for a in bank.scalars(select(Attempt))}
    assert statuses[late.id] == ("expired", Decimal(2))
    assert statuses[in_grace.id] == ("in_progress", None)
    assert statuses[running.id] == ("in_progress", None)
    assert statuses[done.id][0] == "submitted"
    late_graded_at = bank.get(Attempt, late.id).graded_at
    assert late_graded_at == now

    assert delivery.close_expired(bank, GRACE, now=now + timedelta(seconds=1)) == 0
    # Later, the one in its grace runs out too; the others are not graded again.
    assert delivery.close_expired(bank, GRACE, now=now + timedelta(minutes=1)) == 1
    bank.expire_all()
    assert bank.get(Attempt, late.id).graded_at == late_graded_at
    assert bank.get(Attempt, done.id).graded_at == done_graded_at
    assert bank.get(Attempt, in_grace.id).status == "expired"
    assert bank.get(Attempt, running.id).status == "in_progress"


# ---- submitting ---------------------------------------------------------------------------


def test_submit_grades_once_and_again_returns_the_same(bank):
    cadre = CadreFactory()
    exam = open_exam(bank, staff_nos=(cadre.staff_no,))
    attempt = start(bank, exam, cadre)
    answer_right(bank, attempt, set(range(1, 13)))
    delivery.submit(bank, attempt, GRACE)
    first = (attempt.status, attempt.score, attempt.passed, attempt.graded_at)
    assert first[:3] == ("submitted", Decimal(12), True)
    assert not delivery.finish(bank, attempt, "submitted")
    delivery.submit(bank, attempt, GRACE, now=utcnow() + timedelta(hours=5))
    bank.expire_all()
    again = bank.get(Attempt, attempt.id)
    assert (again.status, again.score, again.passed, again.graded_at) == first
    with pytest.raises(delivery.AttemptClosed):
        delivery.save_answer(bank, again, 20, ["A"], 9, GRACE)


def test_a_late_submit_expires_the_attempt(bank):
    cadre = CadreFactory()
    exam = open_exam(bank, staff_nos=(cadre.staff_no,))
    attempt = start(bank, exam, cadre)
    delivery.submit(bank, attempt, GRACE, now=attempt.deadline + timedelta(seconds=GRACE + 1))
    assert attempt.status == "expired"
    assert attempt.score == 0 and attempt.passed is False


def test_sections_are_scored_separately(bank):
    cadre = CadreFactory()
    exam = open_exam(bank, staff_nos=(cadre.staff_no,))
    attempt = start(bank, exam, cadre)
    items = items_of(bank, attempt)
    singles = {p for p, _, v in items if v.type == "single"}
    multiples = [(p, i, v) for p, i, v in items if v.type == "multiple"]
    answer_right(bank, attempt, singles)
    # One correct option of a multiple-choice item: half of its point.
    position, item, version = multiples[0]
    delivery.save_answer(bank, attempt, position, right_choice(item, version)[:1], 1, GRACE)
    delivery.submit(bank, attempt, GRACE)
    view = delivery.result_view(bank, attempt)
    assert view["sections"] == [
        {"title": "单项选择题", "score": 10, "max_score": 10},
        {"title": "多项选择题", "score": 0.5, "max_score": 5},
        {"title": "判断题", "score": 0, "max_score": 5},
    ]
    assert (view["score"], view["max_score"], view["pass_score"]) == (10.5, 20, 12)
    assert view["passed"] is False


def test_a_new_version_does_not_change_a_running_paper(bank):
    cadre = CadreFactory()
    exam = open_exam(bank, staff_nos=(cadre.staff_no,))
    attempt = start(bank, exam, cadre)
    _, item, version = items_of(bank, attempt)[0]
    before = delivery.paper_view(bank, attempt)[0]["items"][0]
    new_version(bank, item.question_id, stem=version.stem + "（修订）")
    after = delivery.paper_view(bank, attempt)[0]["items"][0]
    assert after == before and after["stem"] == version.stem


# ---- regrading ----------------------------------------------------------------------------


@pytest.fixture
def graded(bank):
    """Two finished attempts: one passed at exactly the pass score (12 of 20), one failed
    with two right answers and a wrong one at position 3 (a single-choice item)."""
    at_line, below = CadreFactory(name="及格线"), CadreFactory(name="未及格")
    exam = open_exam(bank, staff_nos=(at_line.staff_no, below.staff_no))
    first = start(bank, exam, at_line)
    second = start(bank, exam, below)
    answer_right(bank, first, set(range(1, 13)))
    answer_right(bank, second, {1, 2})
    _, item, version = items_of(bank, second)[2]
    delivery.save_answer(bank, second, 3, wrong_choice(item, version), 1, GRACE)
    for attempt in (first, second):
        delivery.submit(bank, attempt, GRACE)
    assert (first.score, first.passed) == (Decimal(12), True)
    return exam, first, second


def single_item(session, attempt, positions):
    """A single-choice item among `positions`, with its drawn version."""
    return next(
        (p, i, v) for p, i, v in items_of(session, attempt) if v.type == "single" and p in positions
    )


def other_key(version) -> list[str]:
    keys = [key for key, _ in version.options]
    return [next(key for key in keys if key not in version.answer)]


def test_regrade_after_a_key_correction(bank, graded):
    exam, first, second = graded
    position, item, version = single_item(bank, first, set(range(1, 13)))
    corrected = other_key(version)
    new_version(bank, item.question_id, answer=tuple(corrected))
    before = {a.id: (a.score, a.passed, a.section_scores) for a in (first, second)}
    events = count(bank, AuditEvent)

    preview = delivery.regrade_exam(bank, None, exam, dry_run=True)

    [change] = [c for c in preview if c.attempt_id == first.id]
    assert (change.staff_no, change.name) == (first.cadre.staff_no, "及格线")
    assert (change.old_score, change.new_score) == (12, 11)
    assert (change.old_passed, change.new_passed) == (True, False)
    bank.expire_all()
    for attempt_id, values in before.items():
        attempt = bank.get(Attempt, attempt_id)
        assert (attempt.score, attempt.passed, attempt.section_scores) == values
    assert count(bank, AuditEvent) == events

    applied = delivery.regrade_exam(bank, None, exam, dry_run=False)

    assert applied == preview
    bank.expire_all()
    first = bank.get(Attempt, first.id)
    assert (first.score, first.passed) == (Decimal(11), False)
    assert first.paper["sections"][0]["items"][position - 1]["version_id"] == item.version_id
    regraded = bank.scalars(select(AuditEvent).where(AuditEvent.action == "attempt.regrade")).all()
    assert {e.object_id for e in regraded} == {str(c.attempt_id) for c in applied}
    mine = next(e for e in regraded if e.object_id == str(first.id))
    assert mine.detail["passed"] == [True, False]
    summary = bank.scalar(select(AuditEvent).where(AuditEvent.action == "exam.regrade"))
    assert (summary.object_id, summary.detail) == (str(exam.id), {"changed": len(applied)})
    # Done once, a second regrade finds nothing more to change.
    assert delivery.regrade_exam(bank, None, exam, dry_run=False) == []


def test_regrade_can_also_raise_a_score(bank, graded):
    exam, _, second = graded
    _, item, _ = items_of(bank, second)[2]
    [chosen] = bank.get(Answer, (second.id, 3)).choice
    new_version(bank, item.question_id, answer=(item.option_order[DISPLAY_KEYS.index(chosen)],))
    changes = delivery.regrade_exam(bank, None, exam, dry_run=False)
    mine = [c for c in changes if c.attempt_id == second.id]
    assert [(c.old_score, c.new_score, c.new_passed) for c in mine] == [(2, 3, False)]
    bank.expire_all()
    assert bank.get(Attempt, second.id).score == Decimal(3)


def test_a_new_version_with_other_options_keeps_the_old_key(bank, graded):
    exam, first, _ = graded
    _, item, version = single_item(bank, first, set(range(1, 13)))
    keys = [key for key, _ in version.options]
    corrected = other_key(version)
    # More options: the candidate never saw the new ones.
    extra_key = DISPLAY_KEYS[len(keys)]
    new_version(
        bank,
        item.question_id,
        options=(*((k, t) for k, t in version.options), (extra_key, "以上都不对")),
        answer=(extra_key,),
    )
    assert delivery.regrade_exam(bank, None, exam, dry_run=True) == []
    # The same letters but other texts: what the candidate read is not what the key means.
    reworded = tuple(
        (key, f"{text}（改）" if key in corrected else text) for key, text in version.options
    )
    new_version(bank, item.question_id, options=reworded, answer=tuple(corrected))
    assert delivery.regrade_exam(bank, None, exam, dry_run=True) == []
    bank.expire_all()
    first = bank.get(Attempt, first.id)
    assert first.score == Decimal(12)


def test_regrade_leaves_attempts_in_progress_alone(bank):
    cadre = CadreFactory()
    exam = open_exam(bank, staff_nos=(cadre.staff_no,))
    attempt = start(bank, exam, cadre)
    answer_right(bank, attempt, {1})
    _, item, version = single_item(bank, attempt, {1})
    new_version(bank, item.question_id, answer=tuple(other_key(version)))
    assert delivery.regrade_exam(bank, None, exam, dry_run=False) == []
    bank.expire_all()
    attempt = bank.get(Attempt, attempt.id)
    assert (attempt.status, attempt.score, attempt.graded_at) == ("in_progress", None, None)
