"""Cadre records: the roster searched and filtered, one cadre's exams, and the download."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook

from app.domain.people import Role
from tests.factories import CadreFactory
from tests.functional.test_hr_support import build_city, sign_in, text


@pytest.fixture
def english(app):
    app.config["BABEL_DEFAULT_LOCALE"] = "en"


@pytest.fixture
def city(db_session):
    return build_city(db_session, make_up=True)


def staff_numbers(page: str) -> set[str]:
    return set(re.findall(r'/hr/cadres/\d+">(T\d+)</a>', page))


def test_roster_lists_every_cadre_with_the_latest_result(client, city, english):
    sign_in(client, Role.HR)
    page = text(client.get("/hr/cadres"))
    assert staff_numbers(page) == {c.staff_no for c in city.cadres.values()}
    assert "8 cadres found" in page
    assert "大石桥市/司法局/公证处" in page  # the unit's full path


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("q=李秀", {"b2"}),
        ("category=judicial", {"o1", "o2"}),
        ("rank=一级调研员", {"b1"}),
        ("position=科员", {"b2", "b3", "o1", "o2", "t1", "t2", "t3"}),
    ],
)
def test_roster_filters(client, city, query, expected):
    sign_in(client, Role.HR)
    page = text(client.get(f"/hr/cadres?{query}"))
    assert staff_numbers(page) == {city.cadres[key].staff_no for key in expected}


def test_roster_filter_by_unit_takes_the_subtree(client, city):
    sign_in(client, Role.HR)
    page = text(client.get(f"/hr/cadres?unit={city.units['bureau'].id}"))
    assert staff_numbers(page) == {city.cadres[k].staff_no for k in ("b1", "b2", "b3", "o1", "o2")}
    by_number = text(client.get(f"/hr/cadres?q={city.cadres['t1'].staff_no}"))
    assert staff_numbers(by_number) == {city.cadres["t1"].staff_no}


def test_roster_downloads_with_its_filters(client, city):
    sign_in(client, Role.HR)
    response = client.get("/hr/cadres/export.xlsx?category=judicial")
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == [
        "工号",
        "姓名",
        "单位",
        "职务",
        "职级",
        "人员类别",
        "最近考试",
        "考试时间",
        "成绩",
        "是否合格",
    ]
    o1, o2 = city.cadres["o1"], city.cadres["o2"]
    assert rows[1][:7] == [
        o1.staff_no,
        "刘洋",
        "大石桥市/司法局/公证处",
        "科员",
        "一级科员",
        "司法人员",
        "年度考试",
    ]
    assert rows[1][8:] == [70, "合格"]
    assert rows[2][:2] == [o2.staff_no, "陈静"]
    assert rows[2][6:] == [None, None, None, None]
    csv_body = client.get("/hr/cadres/export.csv?category=judicial").data
    assert csv_body.startswith(b"\xef\xbb\xbf")
    assert len(csv_body.decode("utf-8-sig").strip().splitlines()) == 3


def test_cadre_page_shows_every_attempt_and_the_make_up(client, city, english):
    sign_in(client, Role.HR)
    b2 = city.cadres["b2"]
    page = text(client.get(f"/hr/cadres/{b2.id}"))
    assert "年度考试补考" in page
    assert "Make-up of 年度考试" in page
    assert "50 / 100" in page and "75 / 100" in page
    assert page.count("Failed") >= 1 and "Passed" in page


def test_cadre_page_shows_an_exemption(client, city, english):
    sign_in(client, Role.HR)
    page = text(client.get(f"/hr/cadres/{city.cadres['t3'].id}"))
    assert "Exempted" in page and "病假" in page


def test_cadre_page_answers_the_pre_appointment_question(client, db_session, city, english):
    from tests.exam_setup import open_exam
    from tests.functional.test_hr_support import finish

    b1 = city.cadres["b1"]
    sign_in(client, Role.HR)
    assert "Has not sat a pre-appointment exam." in text(client.get(f"/hr/cadres/{b1.id}"))
    exam = open_exam(
        db_session,
        blueprint="pre-appointment-standard",
        kind="pre_appointment",
        staff_nos=(b1.staff_no,),
        title="任前考试（王建国）",
    )
    finish(db_session, exam, b1, 88, True)
    page = text(client.get(f"/hr/cadres/{b1.id}"))
    assert "任前考试（王建国）" in page
    assert re.search(r"Pre-appointment law exam</h2>\s*<p[^>]*><span[^>]*>Passed", page)


def test_unknown_cadre_is_not_found(client, city):
    sign_in(client, Role.HR)
    assert client.get("/hr/cadres/99999").status_code == 404


def test_an_admin_sees_the_records_too(client, city):
    sign_in(client, Role.ADMIN)
    assert client.get("/hr/cadres").status_code == 200
    assert client.get(f"/hr/cadres/{city.cadres['t1'].id}").status_code == 200


def test_roster_pages_through_many_cadres(client, app, city):
    app.config["PAGE_SIZE"] = 5
    CadreFactory.create_batch(3, unit=city.units["town"])
    sign_in(client, Role.HR)
    first = staff_numbers(text(client.get("/hr/cadres")))
    second = staff_numbers(text(client.get("/hr/cadres?page=2")))
    third = staff_numbers(text(client.get("/hr/cadres?page=3")))
    assert (len(first), len(second), len(third)) == (5, 5, 1)
    assert not first & second
