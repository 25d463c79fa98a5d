"""Pre-appointment cases through HR's pages: register, follow, make-up, cancel, print, verify."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.domain.people import Role
from app.models import Appointment, Exam
from app.services import appointments
from app.services.exams import start_attempt
from app.timeutil import utcnow
from tests.conftest import post_form
from tests.exam_setup import load_starter_bank
from tests.factories import CadreFactory, UnitFactory
from tests.functional.test_hr_support import sign_in, text


@pytest.fixture
def english(app):
    app.config["BABEL_DEFAULT_LOCALE"] = "en"


@pytest.fixture
def cadre(db_session):
    load_starter_bank(db_session)
    bureau = UnitFactory(name="司法局", parent=UnitFactory(name="大石桥市"))
    return CadreFactory(unit=bureau, name="张伟", position="副局长")


def register(client, cadre, **extra):
    form = {
        "staff_no": cadre.staff_no,
        "proposed_post": "司法局局长",
        "appointing_body": "中共大石桥市委",
        "needed_by": "",
        "blueprint_id": "pre-appointment-standard",
        "exam_id": "",
        "note": "",
        **extra,
    }
    return post_form(client, "/hr/cases/new", form, page="/hr/cases/new")


def sit(session, exam_id: int, cadre, score: int, passed: bool) -> None:
    attempt, _ = start_attempt(session, session.get(Exam, exam_id), cadre)
    attempt.status, attempt.score, attempt.passed = "submitted", Decimal(score), passed
    attempt.finished_at = utcnow()
    session.commit()


def the_case(session) -> Appointment:
    session.expire_all()
    return session.scalar(select(Appointment))


def test_hr_registers_a_case_and_the_exam_opens(client, db_session, cadre, english):
    sign_in(client, Role.HR)
    form_page = text(client.get(f"/hr/cases/new?staff_no={cadre.staff_no}"))
    assert f'value="{cadre.staff_no}"' in form_page
    response = register(client, cadre)
    case = the_case(db_session)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/hr/cases/{case.id}"
    page = text(client.get(f"/hr/cases/{case.id}"))
    assert "Awaiting exam" in page and "司法局局长" in page and "中共大石桥市委" in page
    assert "领导干部任前法律知识考试（张伟）" in page
    listing = text(client.get("/hr/cases"))
    assert "司法局局长" in listing
    assert "司法局局长" not in text(client.get("/hr/cases?state=decided"))


def test_a_refused_registration_shows_why(client, db_session, cadre, english):
    sign_in(client, Role.HR)
    page = text(register(client, cadre, staff_no="NOBODY"))
    assert "No cadre has the staff number NOBODY." in page
    register(client, cadre)
    page = text(register(client, cadre, proposed_post="另一职务"))
    assert "already has a pending case" in page
    assert (
        db_session.scalar(select(Appointment.id).where(Appointment.proposed_post == "另一职务"))
        is None
    )


def test_a_fail_offers_the_make_up_and_a_second_fail_defers(client, db_session, cadre, english):
    sign_in(client, Role.HR)
    register(client, cadre)
    case = the_case(db_session)
    sit(db_session, case.exam_id, cadre, 40, False)
    page = text(client.get(f"/hr/cases/{case.id}"))
    assert "Failed, make-up pending" in page
    assert f'action="/hr/cases/{case.id}/make-up"' in page
    assert post_form(client, f"/hr/cases/{case.id}/make-up").status_code == 302
    case = the_case(db_session)
    assert (case.status, case.make_ups_used) == ("awaiting_exam", 1)
    sit(db_session, case.make_up_exam_id, cadre, 52, False)
    page = text(client.get(f"/hr/cases/{case.id}"))
    assert "Failed (appointment deferred)" in page
    assert "/make-up" not in page
    # Pressing the button again (an old page) changes nothing.
    post_form(client, f"/hr/cases/{case.id}/make-up")
    assert the_case(db_session).make_ups_used == 1
    assert "Failed (appointment deferred)" in text(client.get("/hr/cases?state=decided"))


def test_the_number_of_make_ups_is_configurable(app, client, db_session, cadre, english):
    app.config["PRE_APPOINTMENT_MAKE_UPS"] = 0
    sign_in(client, Role.HR)
    register(client, cadre)
    case = the_case(db_session)
    sit(db_session, case.exam_id, cadre, 40, False)
    assert "Failed (appointment deferred)" in text(client.get(f"/hr/cases/{case.id}"))


def test_cancel_a_pending_case(client, db_session, cadre, english):
    sign_in(client, Role.HR)
    register(client, cadre)
    case = the_case(db_session)
    response = post_form(
        client, f"/hr/cases/{case.id}/cancel", {"cancel-reason": "调整人选"}, page="/hr/cases"
    )
    assert response.status_code == 302
    assert the_case(db_session).status == "cancelled"
    page = text(client.get(f"/hr/cases/{case.id}"))
    assert "Cancelled" in page and "调整人选" in page


def test_the_score_report_is_printable_in_chinese_with_its_code(client, db_session, cadre):
    sign_in(client, Role.HR)
    # The reader works in English; the report stays Chinese, only its buttons follow.
    post_form(client, "/language", {"locale": "en", "next": "/hr/"})
    register(client, cadre)
    case = the_case(db_session)
    sit(db_session, case.exam_id, cadre, 86, True)
    page = text(client.get(f"/hr/cases/{case.id}/report"))
    code = appointments.format_code(case.verification_code)
    for expected in (
        "领导干部任前法律知识考试成绩单",
        "张伟",
        cadre.staff_no,
        "大石桥市/司法局",
        "副局长",
        "司法局局长",
        "中共大石桥市委",
        "86 分（满分 100 分，合格线 60 分）",
        "合格",
        "考试合格",
        code,
        f"http://localhost/hr/verify?code={code}",
    ):
        assert expected in page, expected
    assert 'lang="zh-CN"' in page
    assert ">Print</button>" in page
    assert "data-print" in page and "/static/js/print.js" in page
    assert "<script>" not in page  # the CSP allows no inline script


def test_the_verification_page_finds_the_case_or_says_no_such_report(
    client, db_session, cadre, english
):
    sign_in(client, Role.HR)
    register(client, cadre)
    case = the_case(db_session)
    sit(db_session, case.exam_id, cadre, 86, True)
    code = appointments.format_code(case.verification_code)
    page = text(client.get(f"/hr/verify?code={code.lower()}"))
    assert "This code belongs to a score report issued by this system." in page
    assert "张伟" in page and "司法局局长" in page and "86 / 100" in page and "Passed" in page
    forged = text(client.get("/hr/verify?code=ABCD-EFGH-IJKL-MNOP"))
    assert "No such report" in forged and "张伟" not in forged
    assert "No such report" not in text(client.get("/hr/verify"))


def test_cases_download(client, db_session, cadre):
    from io import BytesIO

    from openpyxl import load_workbook

    sign_in(client, Role.HR)
    register(client, cadre, needed_by="2099-03-01")
    sheet = load_workbook(BytesIO(client.get("/hr/cases/export.xlsx").data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:8] == [
        "登记时间",
        "工号",
        "姓名",
        "单位",
        "拟任职务",
        "任免机关",
        "需用日期",
        "状态",
    ]
    assert rows[1][1:6] == [
        cadre.staff_no,
        "张伟",
        "大石桥市/司法局",
        "司法局局长",
        "中共大石桥市委",
    ]
    assert rows[1][6].date().isoformat() == "2099-03-01"
    assert rows[1][7] == "待考试"
    csv_text = client.get("/hr/cases/export.csv").data.decode("utf-8-sig")
    assert "待考试" in csv_text and "2099-03-01" in csv_text


def test_a_case_page_for_nothing_is_not_found(client, cadre):
    sign_in(client, Role.HR)
    assert client.get("/hr/cases/4242").status_code == 404
    assert client.get("/hr/cases/4242/report").status_code == 404


def test_the_cadre_page_links_to_the_case(client, db_session, cadre, english):
    sign_in(client, Role.HR)
    register(client, cadre)
    case = the_case(db_session)
    page = text(client.get(f"/hr/cadres/{cadre.id}"))
    assert f"/hr/cases/{case.id}" in page
    assert re.search(r"司法局局长", page)
