"""The demo answers HR's two questions and the examiners' one, in a few clicks, in Chinese."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from app.models import Appointment, Cadre, Exam
from tests.conftest import Auth


@pytest.fixture
def demo(app, runner, db_session):
    result = runner.invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    return db_session


def sign_in(app, username: str, password: str):
    client = app.test_client()
    assert Auth(client).login(username, password).status_code == 302
    return client


def test_the_demo_is_idempotent_and_has_history(app, runner, demo):
    exams = demo.scalars(select(Exam.title)).all()
    assert {"2024年度法律知识考试", "2025年度法律知识考试", "2025年度法律知识补考"} <= set(exams)
    cadres = demo.scalar(select(Cadre.id).where(Cadre.staff_no == "DH01001"))
    assert cadres is not None
    again = runner.invoke(args=["demo"])
    assert again.exit_code == 0, again.output
    demo.expire_all()
    assert sorted(demo.scalars(select(Exam.title)).all()) == sorted(exams)


def test_the_demo_answers_hr_and_the_examiners(app, demo):
    """Each run of the demo takes seconds: one test walks every question asked of it."""
    _hr_sees_participation_and_pass_rates_per_unit(app, demo)
    _hr_sees_whether_a_cadre_passed_the_pre_appointment_exam(app, demo)
    _the_scoped_demo_account_sees_only_its_town(app, demo)
    _an_examiner_sees_which_questions_are_flagged(app, demo)


def _hr_sees_participation_and_pass_rates_per_unit(app, demo):
    hr = sign_in(app, "hr", "demo-hr-2026")
    index = hr.get("/hr/reports").get_data(as_text=True)
    assert "/hr/reports/years/2025" in index
    year = hr.get("/hr/reports/years/2025").get_data(as_text=True)
    # Real numbers for every unit, in Chinese.
    for unit in ("司法局", "人力资源和社会保障局", "市场监督管理局", "虎庄镇人民政府"):
        assert unit in year
    rates = re.findall(r"(\d+\.\d)%", year)
    assert len(rates) > 20 and any(float(rate) < 100 for rate in rates)
    assert 'lang="zh-CN"' in year  # the labels follow once the lead's catalog has them
    exam_id = demo.scalar(select(Exam.id).where(Exam.title == "2025年度法律知识考试"))
    page = hr.get(f"/hr/reports/exams/{exam_id}").get_data(as_text=True)
    assert page.count('class="chart-bar"') > 10  # per-unit bars and the histogram


def _hr_sees_whether_a_cadre_passed_the_pre_appointment_exam(app, demo):
    hr = sign_in(app, "hr", "demo-hr-2026")
    found = hr.get("/hr/cadres?q=DS1003").get_data(as_text=True)
    cadre_id = re.search(r'/hr/cadres/(\d+)">DS1003<', found).group(1)
    page = hr.get(f"/hr/cadres/{cadre_id}").get_data(as_text=True)
    assert "领导干部任前法律知识考试（张伟）" in page
    cases = hr.get("/hr/cases?state=all").get_data(as_text=True)
    assert "司法局局长" in cases and "市场监督管理局局长" in cases and "虎庄镇党委书记" in cases
    states = dict(demo.execute(select(Appointment.proposed_post, Appointment.status)).all())
    assert states["司法局局长"] == "passed"
    assert states["市场监督管理局局长"] == "failed_make_up_pending"
    assert states["虎庄镇党委书记"] == "awaiting_exam"


def _the_scoped_demo_account_sees_only_its_town(app, demo):
    town = sign_in(app, "hr-huzhuang", "demo-hr-2026")
    year = town.get("/hr/reports/years/2025").get_data(as_text=True)
    assert "虎庄镇人民政府" in year and "司法局" not in year


def _an_examiner_sees_which_questions_are_flagged(app, demo):
    examiner = sign_in(app, "examiner", "demo-examiner-2026")
    exam_id = demo.scalar(select(Exam.id).where(Exam.title == "2025年度法律知识考试"))
    assert f"/examiner/analysis/exams/{exam_id}" in examiner.get("/examiner/analysis").get_data(
        as_text=True
    )
    page = examiner.get(f"/examiner/analysis/exams/{exam_id}").get_data(as_text=True)
    assert page.count('/review"') > 3  # flagged questions, each with its button
    assert re.search(r"-0\.\d{3}", page)  # a negative discrimination among them
