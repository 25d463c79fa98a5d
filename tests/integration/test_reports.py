"""Participation and pass rates against hand-computed figures, with exemptions and make-ups."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.models import Attempt, ExamCandidate
from app.services import reports
from app.services.exams import start_attempt
from tests.exam_setup import load_starter_bank, open_exam
from tests.factories import CadreFactory, UnitFactory


def finish(session, exam, cadre, score: int, passed: bool) -> Attempt:
    attempt, _ = start_attempt(session, exam, cadre)
    attempt.status, attempt.score, attempt.passed = "submitted", Decimal(score), passed
    session.commit()
    return attempt


@pytest.fixture
def city(db_session):
    """大石桥市 > 司法局 > 公证处, and 虎庄镇: eight cadres."""
    load_starter_bank(db_session)
    city = UnitFactory(name="大石桥市")
    bureau = UnitFactory(name="司法局", parent=city)
    office = UnitFactory(name="公证处", parent=bureau)
    town = UnitFactory(name="虎庄镇", parent=city)
    cadres = {
        "b1": CadreFactory(unit=bureau, category="leading_cadre", rank="一级调研员"),
        "b2": CadreFactory(unit=bureau),
        "b3": CadreFactory(unit=bureau),
        "o1": CadreFactory(unit=office, category="judicial"),
        "o2": CadreFactory(unit=office, category="judicial"),
        "t1": CadreFactory(unit=town),
        "t2": CadreFactory(unit=town),
        "t3": CadreFactory(unit=town),
    }
    return db_session, {"city": city, "bureau": bureau, "office": office, "town": town}, cadres


def test_exam_report_rolls_up_with_exemptions(city):
    session, _units, c = city
    exam = open_exam(session, blueprint="annual-standard", kind="annual", everyone=True)
    finish(session, exam, c["b1"], 90, True)
    finish(session, exam, c["b2"], 50, False)
    finish(session, exam, c["o1"], 70, True)
    finish(session, exam, c["t1"], 80, True)
    start_attempt(session, exam, c["t2"])  # still in progress: has not sat
    session.get(ExamCandidate, (exam.id, c["t3"].id)).exempt_reason = "病假"
    session.commit()
    # b3 and o2 never came.

    direct = reports.participation_by(session, [exam.id], [exam.id], reports.Scope())
    lines = {line.unit.name: line for line in reports.roll_up(session, direct)}
    bureau = lines["司法局"].total  # b1 b2 b3 o1 o2
    assert (bureau.eligible, bureau.sat, bureau.passed) == (5, 3, 2)
    assert bureau.participation_rate == pytest.approx(3 / 5)
    assert bureau.pass_rate == pytest.approx(2 / 3)
    assert bureau.mean_score == pytest.approx((90 + 50 + 70) / 3)
    assert (lines["司法局"].own.eligible, lines["公证处"].total.eligible) == (3, 2)
    town = lines["虎庄镇"].total  # t3 exempted: out of eligible
    assert (town.eligible, town.sat, town.passed) == (2, 1, 1)
    whole = lines["大石桥市"].total
    assert (whole.eligible, whole.sat, whole.passed) == (7, 4, 3)
    assert whole == reports.overall(direct)

    missing = reports.absentees(session, [exam.id], [exam.id], reports.Scope())
    assert {a.staff_no for a in missing} == {c["b3"].staff_no, c["o2"].staff_no, c["t2"].staff_no}

    by_category = reports.participation_by(
        session, [exam.id], [exam.id], reports.Scope(), "category"
    )
    assert by_category["judicial"] == reports.Participation(2, 1, 1, 70.0)
    assert by_category["leading_cadre"].passed == 1


def test_year_report_counts_a_make_up_pass(city):
    session, _units, c = city
    exam = open_exam(
        session,
        blueprint="annual-standard",
        kind="annual",
        staff_nos=(c["b1"].staff_no, c["b2"].staff_no, c["b3"].staff_no),
    )
    finish(session, exam, c["b1"], 90, True)
    finish(session, exam, c["b2"], 40, False)
    make_up = open_exam(
        session, blueprint="make-up-standard", kind="make_up", original=exam.id, title="补考"
    )
    finish(session, make_up, c["b2"], 75, True)
    finish(session, make_up, c["b3"], 30, False)

    assert reports.make_ups_of(session, [exam.id]) == [make_up.id]
    attempt_ids = [exam.id, make_up.id]
    year = reports.overall(
        reports.participation_by(session, [exam.id], attempt_ids, reports.Scope())
    )
    assert (year.eligible, year.sat, year.passed) == (3, 3, 2)
    assert year.mean_score == pytest.approx((90 + 75 + 30) / 3)  # best score per sitter
    alone = reports.overall(
        reports.participation_by(session, [exam.id], [exam.id], reports.Scope())
    )
    assert (alone.sat, alone.passed) == (2, 1)


def test_scope_limits_every_figure_to_the_subtree(city):
    session, units, c = city
    exam = open_exam(session, blueprint="annual-standard", kind="annual", everyone=True)
    finish(session, exam, c["o1"], 70, True)
    finish(session, exam, c["t1"], 80, True)
    scope = reports.Scope(units["bureau"])
    direct = reports.participation_by(session, [exam.id], [exam.id], scope)
    assert reports.overall(direct).eligible == 5
    assert {line.unit.name for line in reports.roll_up(session, direct)} == {
        "大石桥市",
        "司法局",
        "公证处",
    }
    assert c["t2"].staff_no not in {
        a.staff_no for a in reports.absentees(session, [exam.id], [exam.id], scope)
    }
    assert reports.exam_score_list(session, exam.id, scope) == [70.0]
