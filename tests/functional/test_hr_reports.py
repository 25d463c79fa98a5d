"""HR's reports through the pages and the downloads, against the hand-computed city.

The figures of tests/functional/test_hr_support.py: exam alone, eligible 7, sat 4,
passed 3; 司法局's subtree 5 / 3 / 2; 公证处 2 / 1 / 1; 虎庄镇 2 / 1 / 1.
"""

from __future__ import annotations

import csv
import html
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from app.domain.people import Role
from app.models import AuditEvent, ExamCandidate
from tests.conftest import post_form
from tests.functional.test_hr_support import build_city, sign_in, text


@pytest.fixture
def english(app):
    app.config["BABEL_DEFAULT_LOCALE"] = "en"


@pytest.fixture
def city(db_session):
    return build_city(db_session, make_up=True)


def rows_of(page: str) -> dict[str, list[str]]:
    """Each table row's cells as text, keyed by its first cell (first seen wins)."""
    rows: dict[str, list[str]] = {}
    for body in re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S):
        cells = [
            " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell)).split())
            for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", body, re.S)
        ]
        if cells:
            rows.setdefault(cells[0], cells[1:])
    return rows


def figures(page: str, label: str) -> list[str]:
    return rows_of(page)[label][:6]


def test_exam_report_shows_the_figures_rolled_up_the_tree(client, city, english):
    sign_in(client, Role.HR)
    page = text(client.get(f"/hr/reports/exams/{city.exam.id}"))
    assert figures(page, "大石桥市") == ["7", "4", "57.1%", "3", "75.0%", "72.5"]
    assert figures(page, "司法局") == ["5", "3", "60.0%", "2", "66.7%", "70.0"]
    assert figures(page, "公证处") == ["2", "1", "50.0%", "1", "100.0%", "70.0"]
    assert figures(page, "虎庄镇") == ["2", "1", "50.0%", "1", "100.0%", "80.0"]
    # By category and by rank, from the same eligible cadres.
    assert figures(page, "Leading cadre") == ["1", "1", "100.0%", "1", "100.0%", "90.0"]
    assert figures(page, "Civil servant") == ["4", "2", "50.0%", "1", "50.0%", "65.0"]
    assert figures(page, "一级调研员") == ["1", "1", "100.0%", "1", "100.0%", "90.0"]
    # b2 passed the make-up: beside the exam's own figures.
    assert "With its make-ups: 4 sat (57.1%), 4 passed (100.0%)." in page
    # Absentees per unit: b3 and o2 never came, t2 never finished; t3 was exempted.
    absent = {city.cadres[key].staff_no for key in ("b3", "o2", "t2")}
    listed = set(re.findall(r"\?q=(T\d+)", page))
    assert listed == absent
    assert "Absentees (3)" in page


def test_a_unit_drills_down_to_its_own_subtree(client, city, english):
    sign_in(client, Role.HR)
    page = text(client.get(f"/hr/reports/exams/{city.exam.id}?unit={city.units['bureau'].id}"))
    rows = rows_of(page)
    assert figures(page, "司法局") == ["5", "3", "60.0%", "2", "66.7%", "70.0"]
    assert "公证处" in rows
    assert "虎庄镇" not in rows
    assert "大石桥市" not in rows
    # Each unit links to its own drill-down; the way back up is in the trail.
    office = city.units["office"].id
    assert f"/hr/reports/exams/{city.exam.id}?unit={office}" in page
    assert f'href="/hr/reports/exams/{city.exam.id}"' in page  # "All units"


def test_charts_are_inline_svg_without_style_attributes(client, city):
    sign_in(client, Role.HR)
    page = text(client.get(f"/hr/reports/exams/{city.exam.id}"))
    charts = re.findall(r"<svg.*?</svg>", page, re.S)
    assert len(charts) == 2  # rates per unit, score distribution
    for chart in charts:
        assert "style=" not in chart and "<script" not in chart
    # One bar per unit for each rate: 司法局 and 虎庄镇 under the city.
    assert charts[0].count('class="chart-bar"') == 2
    assert charts[0].count('class="chart-bar-pass"') == 2
    # Ten score bands; the four sitters fall in 50, 70, 80 and 90.
    assert charts[1].count('class="chart-bar"') == 10


def test_exam_report_downloads_as_xlsx_cell_by_cell(client, city):
    sign_in(client, Role.HR)
    response = client.get(f"/hr/reports/exams/{city.exam.id}/export.xlsx")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert "attachment" in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    assert book.sheetnames == ["总体情况", "按单位", "按人员类别", "按职级", "缺考名单", "成绩分布"]

    summary = book["总体情况"]
    header = [c.value for c in summary[1]]
    assert header == [
        "考试",
        "类型",
        "统计范围",
        "应考人数",
        "实考人数",
        "参考率",
        "及格人数",
        "及格率",
        "平均分",
    ]
    assert all(cell.font.bold for cell in summary[1])
    assert summary.freeze_panes == "A2"
    exam_row = [c.value for c in summary[2]]
    assert exam_row[:5] == ["年度考试", "年度考试", "全部单位", 7, 4]
    assert exam_row[5] == pytest.approx(4 / 7)
    assert exam_row[6:8] == [3, 0.75]
    assert exam_row[8] == 72.5
    assert summary["F2"].number_format == "0.0%"
    assert summary["H2"].number_format == "0.0%"
    with_make_up = [c.value for c in summary[3]]
    assert with_make_up[0] == "年度考试（含补考）"
    assert with_make_up[3:5] == [7, 4]
    assert with_make_up[6:8] == [4, 1.0]
    assert with_make_up[8] == pytest.approx((90 + 75 + 70 + 80) / 4)

    units = book["按单位"]
    assert [c.value for c in units[1]][:3] == ["单位", "层级", "应考人数"]
    got = [[c.value for c in row] for row in units.iter_rows(min_row=2)]
    assert [row[:5] for row in got] == [
        ["大石桥市", 1, 7, 4, pytest.approx(4 / 7)],
        ["\u3000司法局", 2, 5, 3, pytest.approx(0.6)],
        ["\u3000\u3000公证处", 3, 2, 1, pytest.approx(0.5)],
        ["\u3000虎庄镇", 2, 2, 1, pytest.approx(0.5)],
    ]
    assert [row[5:] for row in got] == [
        [3, 0.75, 72.5],
        [2, pytest.approx(2 / 3), 70.0],
        [1, 1.0, 70.0],
        [1, 1.0, 80.0],
    ]
    # Widths fit the content: a Chinese character counts double.
    assert units.column_dimensions["A"].width >= len("\u3000\u3000公证处") * 2
    assert 6 <= units.column_dimensions["B"].width <= 12

    categories = {
        row[0].value: [c.value for c in row[1:]] for row in book["按人员类别"].iter_rows(min_row=2)
    }
    assert set(categories) == {"领导干部", "公务员", "司法人员"}
    assert categories["公务员"][:2] == [4, 2]

    absent = [[c.value for c in row] for row in book["缺考名单"].iter_rows()]
    assert absent[0] == ["单位", "工号", "姓名", "职务", "人员类别"]
    assert sorted(row[2] for row in absent[1:]) == sorted(["张伟", "陈静", "高燕"])

    bands = [[c.value for c in row] for row in book["成绩分布"].iter_rows(min_row=2)]
    assert len(bands) == 10
    assert bands[0] == ["0–10（不含）", 0]
    assert bands[-1] == ["90–100", 1]
    assert sum(count for _, count in bands) == 4


def test_exam_report_downloads_as_csv_with_a_bom(client, city):
    sign_in(client, Role.HR)
    response = client.get(f"/hr/reports/exams/{city.exam.id}/export.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.data.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert lines[0] == ["总体情况"]
    assert lines[1][:4] == ["考试", "类型", "统计范围", "应考人数"]
    assert lines[2][3:] == ["7", "4", "57.1%", "3", "75.0%", "72.5"]
    start = lines.index(["按单位"])
    assert lines[start + 2] == ["大石桥市", "1", "7", "4", "57.1%", "3", "75.0%", "72.5"]


def test_absentees_download_alone(client, city):
    sign_in(client, Role.HR)
    response = client.get(f"/hr/reports/exams/{city.exam.id}/absentees.xlsx")
    sheet = load_workbook(io.BytesIO(response.data)).active
    names = {row[2].value for row in sheet.iter_rows(min_row=2)}
    assert names == {"张伟", "陈静", "高燕"}
    csv_text = client.get(f"/hr/reports/exams/{city.exam.id}/absentees.csv").data
    assert "工号" in csv_text.decode("utf-8-sig").splitlines()[0]


def test_year_report_counts_the_make_up_pass(client, city, english):
    sign_in(client, Role.HR)
    year = city.exam.opens_at.year
    index = text(client.get("/hr/reports"))
    assert f"/hr/reports/years/{year}" in index
    page = text(client.get(f"/hr/reports/years/{year}"))
    # b2's pass in the make-up counts for the exam; the mean is of each sitter's best.
    assert figures(page, "大石桥市") == ["7", "4", "57.1%", "4", "100.0%", "78.8"]
    assert figures(page, "年度考试") == ["7", "4", "57.1%", "4", "100.0%", "78.8"]
    book = load_workbook(io.BytesIO(client.get(f"/hr/reports/years/{year}/export.xlsx").data))
    rows = [[c.value for c in row] for row in book["总体情况"].iter_rows(min_row=2)]
    assert rows[-1][0] == f"{year}年合计（含补考）"
    assert rows[-1][3:5] == [7, 4]
    assert rows[-1][6] == 4


def test_exemption_is_audited_and_leaves_the_eligible_count(client, db_session, city, english):
    hr = sign_in(client, Role.HR)
    exam, b3 = city.exam, city.cadres["b3"]
    page_url = f"/hr/reports/exams/{exam.id}/exemptions"
    response = post_form(
        client, page_url, {"staff_no": b3.staff_no, "reason": "借调外单位"}, page=page_url
    )
    assert response.status_code == 302
    db_session.expire_all()
    row = db_session.get(ExamCandidate, (exam.id, b3.id))
    assert (row.exempt_reason, row.exempted_by_id) == ("借调外单位", hr.id)
    assert row.exempted_at is not None
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "exam.exempt"))
    assert (event.actor_id, event.detail["staff_no"]) == (hr.id, b3.staff_no)

    page = text(client.get(f"/hr/reports/exams/{exam.id}"))
    assert figures(page, "大石桥市")[:3] == ["6", "4", "66.7%"]
    assert b3.staff_no not in re.findall(r"\?q=(T\d+)", page)
    assert "借调外单位" in text(client.get(page_url))

    lift = post_form(client, f"{page_url}/{b3.id}/lift", page=page_url)
    assert lift.status_code == 302
    db_session.expire_all()
    assert db_session.get(ExamCandidate, (exam.id, b3.id)).exempt_reason == ""
    lifted = db_session.scalar(select(AuditEvent).where(AuditEvent.action == "exam.exempt_lifted"))
    assert lifted.detail == {"staff_no": b3.staff_no, "reason": "借调外单位"}
    assert figures(text(client.get(f"/hr/reports/exams/{exam.id}")), "大石桥市")[0] == "7"


def test_a_cadre_who_sat_cannot_be_exempted(client, db_session, city, english):
    sign_in(client, Role.HR)
    url = f"/hr/reports/exams/{city.exam.id}/exemptions"
    b1 = city.cadres["b1"]
    page = text(post_form(client, url, {"staff_no": b1.staff_no, "reason": "病假"}, page=url))
    assert "has already started this exam" in page
    assert db_session.get(ExamCandidate, (city.exam.id, b1.id)).exempt_reason == ""
    page = text(post_form(client, url, {"staff_no": city.cadres["b3"].staff_no}, page=url))
    assert "This field is required." in page or "required" in page


def test_practice_is_left_out_of_the_report_list_unless_asked_for(client, db_session, city):
    from tests.exam_setup import open_exam

    practice = open_exam(db_session, everyone=True, title="练习一下")
    sign_in(client, Role.HR)
    assert "练习一下" not in text(client.get("/hr/reports"))
    assert "练习一下" in text(client.get("/hr/reports?kind=practice"))
    assert client.get(f"/hr/reports/exams/{practice.id}").status_code == 200


def test_unknown_export_format_is_not_found(client, city):
    sign_in(client, Role.HR)
    assert client.get(f"/hr/reports/exams/{city.exam.id}/export.pdf").status_code == 404
    assert client.get("/hr/reports/exams/9999").status_code == 404
