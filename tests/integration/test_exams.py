"""Opening exams: who may sit, make-ups, extensions, and the paper frozen at the start."""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.domain.attempts import paper_from_json
from app.domain.papers import draw_paper
from app.models import Attempt, AuditEvent, ExamCandidate
from app.services import blueprints, exams
from app.services.blueprints import question_pool, to_blueprint
from app.services.errors import InvalidInput
from tests.exam_setup import load_starter_bank, open_exam
from tests.factories import CadreFactory, UnitFactory


@pytest.fixture
def bank(db_session):
    load_starter_bank(db_session)
    return db_session


def eligible_staff(session, exam) -> set[str]:
    return {
        row.cadre.staff_no
        for row in session.scalars(select(ExamCandidate).where(ExamCandidate.exam_id == exam.id))
    }


def test_eligibility_by_unit_subtree(bank):
    city = UnitFactory(name="大石桥市")
    bureau = UnitFactory(name="司法局", parent=city)
    office = UnitFactory(name="公证处", parent=bureau)
    other = UnitFactory(name="虎庄镇", parent=city)
    inside = [CadreFactory(unit=bureau, staff_no="S1"), CadreFactory(unit=office, staff_no="S2")]
    CadreFactory(unit=other, staff_no="S3")
    exam = open_exam(bank, unit_ids=(bureau.id,))
    assert eligible_staff(bank, exam) == {c.staff_no for c in inside}
    everyone = open_exam(bank, everyone=True, title="全体")
    assert eligible_staff(bank, everyone) == {"S1", "S2", "S3"}


def test_eligibility_records_the_unit_at_opening(bank):
    bureau, town = UnitFactory(name="司法局"), UnitFactory(name="虎庄镇")
    cadre = CadreFactory(unit=bureau)
    exam = open_exam(bank, staff_nos=(cadre.staff_no,))
    cadre.unit = town
    bank.commit()
    row = bank.get(ExamCandidate, (exam.id, cadre.id))
    assert row.unit_id == bureau.id


def test_unknown_staff_numbers_are_named(bank):
    CadreFactory(staff_no="S1")
    with pytest.raises(InvalidInput) as refused:
        open_exam(bank, staff_nos=("S1", "NOPE1", "NOPE2"))
    assert refused.value.code == "unknown_staff_numbers"
    assert "NOPE1" in refused.value.params["staff_nos"]


def test_make_up_is_open_only_to_those_who_failed_or_missed(bank):
    passed, failed, _missed, exempt = (CadreFactory(staff_no=s) for s in ("P", "F", "M", "E"))
    original = open_exam(
        bank, blueprint="annual-standard", kind="annual", staff_nos=("P", "F", "M", "E")
    )
    for cadre, result in ((passed, True), (failed, False)):
        attempt, _ = exams.start_attempt(bank, original, cadre)
        attempt.status, attempt.passed, attempt.score = "submitted", result, Decimal(50)
    row = bank.get(ExamCandidate, (original.id, exempt.id))
    row.exempt_reason = "病假"
    bank.commit()
    make_up = open_exam(
        bank, blueprint="make-up-standard", kind="make_up", original=original.id, title="补考"
    )
    assert eligible_staff(bank, make_up) == {"F", "M"}
    assert make_up.original_exam_id == original.id
    with pytest.raises(InvalidInput):
        open_exam(bank, blueprint="make-up-standard", kind="make_up", staff_nos=("F",))


def test_infeasible_blueprint_cannot_open(bank):
    CadreFactory(staff_no="S1")
    definition = blueprints.get_row(bank, "practice").definition | {"id": "huge"}
    definition["sections"] = [dict(definition["sections"][0], count=400)]
    definition["pass_score"] = 1
    blueprints.save_blueprint(bank, None, definition)
    with pytest.raises(exams.BlueprintInfeasible) as refused:
        open_exam(bank, blueprint="huge", staff_nos=("S1",))
    [shortfall] = refused.value.shortfalls
    assert shortfall.needed == 400 and shortfall.available == 238


def test_start_freezes_the_paper_and_resumes(bank):
    cadre = CadreFactory()
    exam = open_exam(bank, staff_nos=(cadre.staff_no,), time_limit=20)
    attempt, created = exams.start_attempt(bank, exam, cadre)
    assert created
    again, created_again = exams.start_attempt(bank, exam, cadre)
    assert (again.id, created_again) == (attempt.id, False)
    paper = paper_from_json(attempt.paper)
    assert len(paper.items) == 20
    assert attempt.deadline - attempt.started_at == timedelta(minutes=20)
    # The same seed over the same pool rebuilds the very same paper (an appeal).
    blueprint = to_blueprint(exam.blueprint_snapshot)
    rebuilt = draw_paper(blueprint, question_pool(bank), random.Random(attempt.seed), attempt.seed)
    assert rebuilt == paper


def test_deadline_is_capped_by_closing_time_and_extended_per_person(bank):
    cadre = CadreFactory()
    exam = open_exam(bank, staff_nos=(cadre.staff_no,), hours=0.25, time_limit=20)
    attempt, _ = exams.start_attempt(bank, exam, cadre)
    assert attempt.deadline == exam.closes_at
    other = CadreFactory()
    long_exam = open_exam(bank, staff_nos=(other.staff_no,), time_limit=20, title="延时")
    exams.set_extension(bank, None, long_exam, other.staff_no, 15)
    attempt, _ = exams.start_attempt(bank, long_exam, other)
    assert attempt.deadline - attempt.started_at == timedelta(minutes=35)
    event = bank.scalar(select(AuditEvent).where(AuditEvent.action == "exam.extension"))
    assert event.detail == {"staff_no": other.staff_no, "minutes": [0, 15]}


def test_start_refused_outside_the_window_or_when_not_eligible(bank):
    cadre, stranger = CadreFactory(), CadreFactory()
    later = open_exam(bank, staff_nos=(cadre.staff_no,), opens=exams.utcnow() + timedelta(hours=1))
    with pytest.raises(exams.ExamNotOpen):
        exams.start_attempt(bank, later, cadre)
    with pytest.raises(exams.NotEligible):
        exams.start_attempt(bank, later, stranger)


def test_attempts_allowed_is_enforced(bank):
    cadre = CadreFactory()
    exam = open_exam(bank, staff_nos=(cadre.staff_no,), attempts=1)
    attempt, _ = exams.start_attempt(bank, exam, cadre)
    attempt.status = "submitted"
    bank.commit()
    with pytest.raises(exams.NotEligible) as refused:
        exams.start_attempt(bank, exam, cadre)
    assert refused.value.code == "no_attempts_left"
    assert bank.scalar(select(func.count()).select_from(Attempt)) == 1


def test_monitor_counts_per_unit(bank):
    unit_a, unit_b = UnitFactory(name="甲单位"), UnitFactory(name="乙单位")
    a1, a2, b1 = CadreFactory(unit=unit_a), CadreFactory(unit=unit_a), CadreFactory(unit=unit_b)
    exam = open_exam(bank, staff_nos=(a1.staff_no, a2.staff_no, b1.staff_no))
    attempt, _ = exams.start_attempt(bank, exam, a1)
    exams.start_attempt(bank, exam, b1)
    attempt.status = "submitted"
    bank.commit()
    rows = {row.unit: row for row in exams.monitor(bank, exam)}
    assert (rows["甲单位"].eligible, rows["甲单位"].submitted, rows["甲单位"].not_started) == (
        2,
        1,
        1,
    )
    assert (rows["乙单位"].eligible, rows["乙单位"].in_progress) == (1, 1)


def test_starting_again_after_time_ran_out_grades_the_old_attempt_first(bank):
    cadre = CadreFactory()
    exam = open_exam(bank, staff_nos=(cadre.staff_no,), attempts=2)
    first, _ = exams.start_attempt(bank, exam, cadre)
    first.deadline = exams.utcnow() - timedelta(minutes=5)
    bank.commit()
    second, created = exams.start_attempt(bank, exam, cadre)
    assert created and second.number == 2
    bank.refresh(first)
    assert first.status == "expired" and first.graded_at is not None


def test_the_cached_pool_follows_every_change_to_the_bank(bank):
    from app.models import Question

    first = question_pool(bank)
    assert question_pool(bank) is first  # unchanged bank: read once
    approved = [item.question_id for item in first if item.status == "approved"]
    question = bank.get(Question, approved[0])
    question.status = "retired"
    bank.commit()
    after = {item.question_id: item.status for item in question_pool(bank)}
    assert after[approved[0]] == "retired"
