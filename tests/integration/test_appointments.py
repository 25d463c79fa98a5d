"""Pre-appointment cases: registering opens or links the exam, the state follows the results."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.domain.people import Role
from app.models import Appointment, Attempt, AuditEvent, Exam, ExamCandidate, User
from app.services import appointments
from app.services.appointments import CaseRequest, SittingState, decide
from app.services.errors import Conflict, InvalidInput, NotFound
from app.services.exams import start_attempt
from app.services.reports import Scope
from app.timeutil import local_midnight_as_utc, utcnow
from tests.exam_setup import load_starter_bank, open_exam
from tests.factories import CadreFactory, UnitFactory, make_user

ZONE = "Asia/Shanghai"
BLUEPRINT = "pre-appointment-standard"


@pytest.fixture
def bank(db_session):
    load_starter_bank(db_session)
    return db_session


@pytest.fixture
def cadre(bank):
    return CadreFactory(name="张伟", position="副局长")


@pytest.fixture
def hr(bank):
    return make_user(Role.HR)


def register(session, cadre, **kwargs) -> Appointment:
    request = CaseRequest(
        staff_no=cadre.staff_no,
        proposed_post=kwargs.pop("post", "司法局局长"),
        appointing_body=kwargs.pop("body", "中共大石桥市委"),
        **({"blueprint_id": BLUEPRINT} | kwargs),
    )
    actor = session.scalar(select(User.id).order_by(User.id))
    return appointments.register_case(session, actor, request, Scope(), timezone=ZONE)


def sit(session, exam: Exam, cadre, score: int, passed: bool) -> Attempt:
    attempt, _ = start_attempt(session, exam, cadre)
    attempt.status, attempt.score, attempt.passed = "submitted", Decimal(score), passed
    attempt.finished_at = utcnow()
    session.commit()
    return attempt


def refreshed(session, case: Appointment, make_ups: int = 1, now: datetime | None = None) -> str:
    appointments.refresh_cases(session, [case], make_ups, now)
    return case.status


# ---- the rule, on plain values -----------------------------------------------------------

NOW = datetime(2026, 11, 26, 8, 0)
OPEN = NOW + timedelta(days=3)
CLOSED = NOW - timedelta(days=1)


@pytest.mark.parametrize(
    ("sittings", "used", "allowed", "expected"),
    [
        ([], 0, 1, "awaiting_exam"),
        ([SittingState(OPEN, 1, ())], 0, 1, "awaiting_exam"),
        ([SittingState(OPEN, 1, (("in_progress", None),))], 0, 1, "awaiting_exam"),
        ([SittingState(OPEN, 1, (("submitted", True),))], 0, 1, "passed"),
        ([SittingState(OPEN, 1, (("expired", False),))], 0, 1, "failed_make_up_pending"),
        ([SittingState(OPEN, 2, (("submitted", False),))], 0, 1, "awaiting_exam"),
        ([SittingState(CLOSED, 1, ())], 0, 1, "failed_make_up_pending"),  # missed it
        ([SittingState(CLOSED, 1, (("submitted", False),))], 0, 0, "failed"),
        (
            [SittingState(CLOSED, 1, (("submitted", False),)), SittingState(OPEN, 1, ())],
            1,
            1,
            "awaiting_exam",
        ),
        (
            [
                SittingState(CLOSED, 1, (("submitted", False),)),
                SittingState(OPEN, 1, (("submitted", False),)),
            ],
            1,
            1,
            "failed",
        ),
        (
            [
                SittingState(CLOSED, 1, (("submitted", False),)),
                SittingState(OPEN, 1, (("submitted", True),)),
            ],
            1,
            1,
            "passed",
        ),
        (
            [
                SittingState(CLOSED, 1, (("submitted", False),)),
                SittingState(CLOSED, 1, (("submitted", False),)),
            ],
            1,
            2,
            "failed_make_up_pending",
        ),
    ],
)
def test_the_state_follows_the_sittings(sittings, used, allowed, expected):
    assert decide("awaiting_exam", sittings, used, allowed, NOW) == expected


def test_a_cancelled_case_stays_cancelled():
    passed = [SittingState(OPEN, 1, (("submitted", True),))]
    assert decide("cancelled", passed, 0, 1, NOW) == "cancelled"


# ---- registering -------------------------------------------------------------------------


def test_registering_opens_an_exam_for_that_cadre_alone(bank, cadre, hr):
    CadreFactory()  # someone else, not in the exam
    needed = (utcnow() + timedelta(days=10)).date()
    case = register(bank, cadre, needed_by=needed)
    assert case.status == "awaiting_exam"
    exam = case.exam
    assert exam.kind == "pre_appointment"
    assert exam.blueprint_id == BLUEPRINT
    assert "张伟" in exam.title
    candidates = bank.scalars(
        select(ExamCandidate.cadre_id).where(ExamCandidate.exam_id == exam.id)
    )
    assert list(candidates) == [cadre.id]
    # Open from now until the end of the needed-by day, local time.
    assert exam.opens_at <= utcnow()
    assert exam.closes_at == local_midnight_as_utc(needed + timedelta(days=1), ZONE)
    assert len(case.verification_code) == 16
    assert set(case.verification_code) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    event = bank.scalar(select(AuditEvent).where(AuditEvent.action == "appointment.register"))
    assert (event.actor_id, event.object_id, event.detail["exam"]) == (hr.id, str(case.id), exam.id)


def test_without_a_date_or_with_one_too_soon_the_exam_stays_open_two_weeks(bank, cadre):
    case = register(bank, cadre, needed_by=utcnow().date())
    window = case.exam.closes_at - case.exam.opens_at
    assert window == timedelta(days=14)


def test_registering_links_an_open_exam_the_cadre_may_sit(bank, cadre):
    shared = open_exam(
        bank, blueprint=BLUEPRINT, kind="pre_appointment", staff_nos=(cadre.staff_no,), hours=48
    )
    case = register(bank, cadre, blueprint_id="", exam_id=shared.id)
    assert case.exam_id == shared.id
    assert bank.scalar(select(Exam.id).where(Exam.id != shared.id)) is None  # nothing new


def test_linking_refuses_an_exam_the_cadre_is_not_in_or_of_another_kind(bank, cadre):
    other = CadreFactory()
    theirs = open_exam(
        bank, blueprint=BLUEPRINT, kind="pre_appointment", staff_nos=(other.staff_no,)
    )
    with pytest.raises(InvalidInput) as refused:
        register(bank, cadre, blueprint_id="", exam_id=theirs.id)
    assert refused.value.code == "cadre_not_in_exam"
    annual = open_exam(bank, blueprint="annual-standard", kind="annual", everyone=True)
    with pytest.raises(InvalidInput) as refused:
        register(bank, cadre, blueprint_id="", exam_id=annual.id)
    assert refused.value.code == "exam_not_linkable"
    assert bank.scalar(select(Appointment.id)) is None


def test_registering_refuses_what_it_cannot_do(bank, cadre):
    with pytest.raises(InvalidInput):
        register(bank, cadre, post=" ")
    with pytest.raises(InvalidInput) as refused:
        register(bank, cadre, blueprint_id="annual-standard")
    assert refused.value.code == "not_a_pre_appointment_blueprint"
    with pytest.raises(NotFound):
        register(bank, CadreFactory.build(staff_no="NOBODY"))
    register(bank, cadre)
    with pytest.raises(Conflict) as refused:
        register(bank, cadre, post="另一职务")
    assert refused.value.code == "case_already_pending"


def test_a_scoped_reader_cannot_register_a_cadre_outside(bank):
    town, bureau = UnitFactory(name="虎庄镇"), UnitFactory(name="司法局")
    outsider = CadreFactory(unit=town)
    request = CaseRequest(outsider.staff_no, "镇长", "市委", blueprint_id=BLUEPRINT)
    with pytest.raises(NotFound):
        appointments.register_case(bank, None, request, Scope(bureau), timezone=ZONE)


# ---- following the results ---------------------------------------------------------------


def test_a_passed_attempt_decides_the_case(bank, cadre):
    case = register(bank, cadre)
    attempt = sit(bank, case.exam, cadre, 82, True)
    later = utcnow() + timedelta(days=3)  # HR looks at it days later
    assert refreshed(bank, case, now=later) == "passed"
    assert case.decided_at == attempt.finished_at  # decided when the attempt was finished
    view = appointments.case_view(bank, case, 1)
    assert view.deciding.attempt.score == Decimal(82)
    assert view.make_ups_left == 1


def test_a_fail_leaves_one_make_up_then_the_appointment_is_deferred(bank, cadre, hr):
    case = register(bank, cadre)
    sit(bank, case.exam, cadre, 41, False)
    assert refreshed(bank, case) == "failed_make_up_pending"
    assert case.decided_at is None

    make_up = appointments.open_make_up(bank, hr.id, case, 1, timezone=ZONE)
    assert (make_up.kind, make_up.original_exam_id) == ("make_up", case.exam_id)
    assert [c.cadre_id for c in make_up.candidates] == [cadre.id]
    assert "补考" in make_up.title
    assert (case.status, case.make_ups_used, case.make_up_exam_id) == (
        "awaiting_exam",
        1,
        make_up.id,
    )
    assert bank.scalar(select(AuditEvent).where(AuditEvent.action == "appointment.make_up"))

    sit(bank, make_up, cadre, 55, False)
    assert refreshed(bank, case) == "failed"  # 暂缓任用: no make-up left
    with pytest.raises(Conflict):
        appointments.open_make_up(bank, hr.id, case, 1, timezone=ZONE)
    # With two make-ups allowed (PRE_APPOINTMENT_MAKE_UPS = 2) one more is due.
    assert refreshed(bank, case, make_ups=2) == "failed_make_up_pending"


def test_a_make_up_pass_decides_the_case_passed(bank, cadre):
    case = register(bank, cadre)
    sit(bank, case.exam, cadre, 41, False)
    make_up = appointments.open_make_up(bank, None, case, 1, timezone=ZONE)
    sit(bank, make_up, cadre, 77, True)
    assert refreshed(bank, case) == "passed"
    view = appointments.case_view(bank, case, 1)
    assert [s.is_make_up for s in view.sittings] == [False, True]
    assert view.deciding.exam.id == make_up.id
    assert view.make_ups_left == 0


def test_missing_the_exam_counts_as_a_fail_once_it_closes(bank, cadre):
    case = register(bank, cadre)
    assert refreshed(bank, case) == "awaiting_exam"
    later = case.exam.closes_at + timedelta(minutes=1)
    assert refreshed(bank, case, now=later) == "failed_make_up_pending"


def test_a_make_up_is_not_opened_before_a_fail(bank, cadre):
    case = register(bank, cadre)
    with pytest.raises(Conflict) as refused:
        appointments.open_make_up(bank, None, case, 1, timezone=ZONE)
    assert refused.value.code == "make_up_not_due"


def test_cancelling_a_pending_case_is_audited_and_final(bank, cadre, hr):
    case = register(bank, cadre)
    appointments.cancel_case(bank, hr.id, case, "调整人选", make_ups_allowed=1)
    assert case.status == "cancelled"
    assert "调整人选" in case.note
    sit(bank, case.exam, cadre, 90, True)
    assert refreshed(bank, case) == "cancelled"
    with pytest.raises(Conflict):
        appointments.cancel_case(bank, hr.id, case, make_ups_allowed=1)
    event = bank.scalar(select(AuditEvent).where(AuditEvent.action == "appointment.cancel"))
    assert event.detail == {"from_status": "awaiting_exam", "reason": "调整人选"}


def test_a_decided_case_cannot_be_cancelled(bank, cadre, hr):
    case = register(bank, cadre)
    sit(bank, case.exam, cadre, 90, True)
    with pytest.raises(Conflict) as refused:
        appointments.cancel_case(bank, hr.id, case, make_ups_allowed=1)
    assert refused.value.code == "case_not_pending"


def test_regrading_a_pass_into_a_fail_reopens_the_decision(bank, cadre):
    case = register(bank, cadre)
    attempt = sit(bank, case.exam, cadre, 61, True)
    assert refreshed(bank, case) == "passed"
    attempt.score, attempt.passed = Decimal(59), False
    bank.commit()
    assert refreshed(bank, case) == "failed_make_up_pending"
    assert case.decided_at is None


def test_the_list_splits_pending_from_decided(bank, cadre):
    other = CadreFactory(name="黄敏")
    pending = register(bank, cadre)
    decided = register(bank, other, post="市场监督管理局局长")
    sit(bank, decided.exam, other, 90, True)
    rows, total, counts = appointments.list_cases(bank, Scope(), "pending", 1)
    assert ([c.id for c in rows], total) == ([pending.id], 1)
    assert (counts.pending, counts.decided, counts.all) == (1, 1, 2)
    rows, _, _ = appointments.list_cases(bank, Scope(), "decided", 1)
    assert [c.id for c in rows] == [decided.id]
    rows, _, _ = appointments.list_cases(bank, Scope(), "all", 1, text="市场")
    assert [c.id for c in rows] == [decided.id]


# ---- verification codes -------------------------------------------------------------------


def test_a_printed_code_verifies_however_it_is_typed(bank, cadre):
    case = register(bank, cadre)
    printed = appointments.format_code(case.verification_code)
    assert printed.count("-") == 3
    for typed in (printed, printed.lower(), f"  {printed.replace('-', ' ')} "):
        view = appointments.verify(bank, typed, Scope(), 1)
        assert view is not None and view.case.id == case.id
    assert appointments.verify(bank, "AAAA-BBBB-CCCC-DDDD", Scope(), 1) is None
    assert appointments.verify(bank, "", Scope(), 1) is None


def test_codes_are_random_and_unique(bank):
    codes = {appointments.new_code() for _ in range(500)}
    assert len(codes) == 500
    assert all(len(code) == 16 for code in codes)


def test_the_window_uses_the_needed_by_day_in_local_time(bank, cadre):
    needed = date(2099, 1, 31)
    case = register(bank, cadre, needed_by=needed)
    # The end of 31 January in Shanghai is 16:00 UTC that day.
    assert case.exam.closes_at == datetime(2099, 1, 31, 16, 0)
