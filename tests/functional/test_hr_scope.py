"""Unit-scoped HR accounts (单位管理员): only their subtree, on every page and download.

The account below is limited to 司法局 (with 公证处 under it); 虎庄镇 is another unit.
"""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.domain.people import Role
from app.models import AuditEvent, User
from app.services import appointments
from app.services.reports import Scope
from tests.conftest import post_form
from tests.factories import make_user
from tests.functional.test_hr_support import build_city, sign_in, text


@pytest.fixture
def city(db_session):
    return build_city(db_session, make_up=True)


@pytest.fixture
def scoped(client, city):
    return sign_in(client, Role.HR, scope=city.units["bureau"])


def all_text_of_workbook(data: bytes) -> str:
    book = load_workbook(io.BytesIO(data))
    return " ".join(str(cell.value) for sheet in book for row in sheet.iter_rows() for cell in row)


BUREAU = ("b1", "b2", "b3", "o1", "o2")
TOWN = ("t1", "t2", "t3")


def test_roster_shows_only_the_subtree(client, city, scoped):
    page = text(client.get("/hr/cadres"))
    shown = set(re.findall(r'/hr/cadres/\d+">(T\d+)</a>', page))
    assert shown == {city.cadres[k].staff_no for k in BUREAU}
    # The unit filter offers only the subtree.
    assert "虎庄镇" not in page
    # Asking for the other unit finds nobody.
    other = text(client.get(f"/hr/cadres?unit={city.units['town'].id}"))
    assert not re.findall(r'/hr/cadres/\d+">(T\d+)</a>', other)


def test_a_cadre_outside_is_not_found(client, city, scoped):
    assert client.get(f"/hr/cadres/{city.cadres['t1'].id}").status_code == 404
    assert client.get(f"/hr/cadres/{city.cadres['o1'].id}").status_code == 200


def test_roster_download_holds_only_the_subtree(client, city, scoped):
    everything = all_text_of_workbook(client.get("/hr/cadres/export.xlsx").data)
    for key in BUREAU:
        assert city.cadres[key].staff_no in everything
    for key in TOWN:
        assert city.cadres[key].staff_no not in everything
    csv_text = client.get("/hr/cadres/export.csv").data.decode("utf-8-sig")
    assert city.cadres["t1"].staff_no not in csv_text


def test_reports_cover_only_the_subtree(client, city, scoped):
    exam = city.exam
    page = text(client.get(f"/hr/reports/exams/{exam.id}"))
    assert "虎庄镇" not in page and "大石桥市" not in page
    assert city.cadres["t2"].staff_no not in page  # an absentee of the other unit
    # Drilling into another unit, or up to the whole city, is not allowed.
    assert (
        client.get(f"/hr/reports/exams/{exam.id}?unit={city.units['town'].id}").status_code == 404
    )
    assert (
        client.get(f"/hr/reports/exams/{exam.id}?unit={city.units['city'].id}").status_code == 404
    )
    assert (
        client.get(f"/hr/reports/exams/{exam.id}?unit={city.units['office'].id}").status_code == 200
    )
    year = exam.opens_at.year
    assert "虎庄镇" not in text(client.get(f"/hr/reports/years/{year}"))


def test_report_downloads_cover_only_the_subtree(client, city, scoped):
    exam = city.exam
    for url in (
        f"/hr/reports/exams/{exam.id}/export.xlsx",
        f"/hr/reports/exams/{exam.id}/absentees.xlsx",
        f"/hr/reports/years/{exam.opens_at.year}/export.xlsx",
    ):
        content = all_text_of_workbook(client.get(url).data)
        assert "虎庄镇" not in content and city.cadres["t2"].name not in content, url
        assert "司法局" in content, url
    book = load_workbook(io.BytesIO(client.get(f"/hr/reports/exams/{exam.id}/export.xlsx").data))
    assert [c.value for c in book["总体情况"][2]][2:5] == ["司法局", 5, 3]
    for url in (
        f"/hr/reports/exams/{exam.id}/export.csv",
        f"/hr/reports/exams/{exam.id}/absentees.csv",
        f"/hr/reports/years/{exam.opens_at.year}/export.csv",
    ):
        assert "虎庄镇" not in client.get(url).data.decode("utf-8-sig"), url
    assert (
        client.get(
            f"/hr/reports/exams/{exam.id}/export.xlsx?unit={city.units['town'].id}"
        ).status_code
        == 404
    )


def test_an_exam_without_anyone_in_the_subtree_is_not_found(client, db_session, city, scoped):
    from tests.exam_setup import open_exam

    town_only = open_exam(
        db_session,
        blueprint="annual-standard",
        kind="annual",
        unit_ids=(city.units["town"].id,),
        title="虎庄镇专场",
    )
    assert "虎庄镇专场" not in text(client.get("/hr/reports"))
    assert client.get(f"/hr/reports/exams/{town_only.id}").status_code == 404
    assert client.get(f"/hr/reports/exams/{town_only.id}/export.csv").status_code == 404
    assert client.get(f"/hr/reports/exams/{town_only.id}/exemptions").status_code == 404


def test_exemptions_stay_inside_the_subtree(client, db_session, city, scoped):
    url = f"/hr/reports/exams/{city.exam.id}/exemptions"
    page = text(client.get(url))
    assert "罗斌" not in page  # t3's exemption is the other unit's
    t2 = city.cadres["t2"]
    post_form(client, url, {"staff_no": t2.staff_no, "reason": "病假"}, page=url)
    db_session.expire_all()
    from app.models import ExamCandidate

    assert db_session.get(ExamCandidate, (city.exam.id, t2.id)).exempt_reason == ""
    t3 = city.cadres["t3"]
    assert post_form(client, f"{url}/{t3.id}/lift", page=url).status_code == 404


def test_cases_stay_inside_the_subtree(client, db_session, city, scoped):
    inside = appointments.register_case(
        db_session,
        None,
        appointments.CaseRequest(
            city.cadres["b1"].staff_no, "局长", "市委", blueprint_id="pre-appointment-standard"
        ),
        Scope(),
        timezone="Asia/Shanghai",
    )
    outside = appointments.register_case(
        db_session,
        None,
        appointments.CaseRequest(
            city.cadres["t1"].staff_no, "镇长", "市委", blueprint_id="pre-appointment-standard"
        ),
        Scope(),
        timezone="Asia/Shanghai",
    )
    listing = text(client.get("/hr/cases?state=all"))
    assert "局长" in listing and "镇长" not in listing
    assert client.get(f"/hr/cases/{inside.id}").status_code == 200
    for path in ("", "/report"):
        assert client.get(f"/hr/cases/{outside.id}{path}").status_code == 404
    assert post_form(client, f"/hr/cases/{outside.id}/cancel", page="/hr/cases").status_code == 404
    assert "镇长" not in client.get("/hr/cases/export.csv").data.decode("utf-8-sig")
    # The other unit's score report does not verify here.
    assert "查无此成绩单" in text(client.get(f"/hr/verify?code={outside.verification_code}"))
    # Nor can a case be registered for a cadre outside.
    page = text(
        post_form(
            client,
            "/hr/cases/new",
            {
                "staff_no": city.cadres["t2"].staff_no,
                "proposed_post": "副镇长",
                "appointing_body": "市委",
                "blueprint_id": "pre-appointment-standard",
            },
            page="/hr/cases/new",
        )
    )
    assert "副镇长" not in text(client.get("/hr/cases?state=all"))
    assert city.cadres["t2"].staff_no in page  # the form comes back with the error


def test_home_counts_only_the_subtree(client, city, scoped):
    page = text(client.get("/hr/"))
    # Cadres, units, candidate accounts: 司法局 and 公证处 hold five cadres, no accounts.
    assert re.findall(r'<div class="stat">(\d+)</div>', page) == ["5", "2", "0"]
    assert "Recent roster imports" not in page and "最近导入" not in page


def test_admin_sets_and_lifts_the_scope_with_an_audit_event(client, db_session, city):
    admin = sign_in(client, Role.ADMIN)
    hr = make_user(Role.HR)
    url = f"/admin/users/{hr.id}"
    page = text(client.get(url))
    assert 'name="scope_unit_id"' in page and "司法局" in page
    form = {
        "display_name": hr.display_name,
        "roles": ["hr"],
        "cadre_staff_no": "",
        "active": "y",
        "scope_unit_id": str(city.units["bureau"].id),
    }
    assert post_form(client, url, form, page=url).status_code == 302
    db_session.expire_all()
    assert db_session.get(User, hr.id).scope_unit_id == city.units["bureau"].id
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "user.scope_changed"))
    assert event.actor_id == admin.id
    assert event.detail["scope"] == [None, "大石桥市/司法局"]
    assert post_form(client, url, {**form, "scope_unit_id": "0"}, page=url).status_code == 302
    db_session.expire_all()
    assert db_session.get(User, hr.id).scope_unit_id is None


def test_an_admin_sees_everything_even_with_a_scope_set(client, db_session, city):
    admin = sign_in(client, Role.ADMIN, scope=city.units["bureau"])
    assert admin.scope_unit_id is not None
    page = text(client.get(f"/hr/reports/exams/{city.exam.id}"))
    assert "虎庄镇" in page


def test_a_scoped_hr_account_cannot_import_a_roster(client, city, scoped):
    # A roster may create units and accounts anywhere in the city.
    assert client.get("/hr/roster/import").status_code == 403
    assert (
        post_form(client, "/hr/roster/import/confirm", {"token": "x"}, page="/hr/").status_code
        == 403
    )
