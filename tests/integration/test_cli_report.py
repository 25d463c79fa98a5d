"""`flask report exam` and `flask report year`: the same figures as the pages, --unit, --xlsx.

Output is checked in English (BABEL_DEFAULT_LOCALE=en) so that the checks hold once
the messages are translated; the figures are those of tests/functional/test_hr_support.py.
"""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook

from tests.functional.test_hr_support import build_city


@pytest.fixture
def english(app):
    app.config["BABEL_DEFAULT_LOCALE"] = "en"


@pytest.fixture
def city(db_session, english):
    return build_city(db_session, make_up=True)


def line_of(output: str, label: str) -> list[str]:
    for line in output.splitlines():
        if line.strip().startswith(label + " ") or line.strip() == label:
            return line.split()[-6:]
    raise AssertionError(f"no line for {label}:\n{output}")


def test_report_exam_prints_the_totals_and_the_tree(runner, city):
    result = runner.invoke(args=["report", "exam", str(city.exam.id)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.splitlines()[0] == "年度考试 · All units"
    assert (
        "Eligible 7, sat 4 (participation 57.1%), passed 3 (pass rate 75.0%), mean score 72.5."
        in out
    )
    assert "With its make-ups: sat 4, passed 4 (pass rate 100.0%)." in out
    assert line_of(out, "大石桥市") == ["7", "4", "57.1%", "3", "75.0%", "72.5"]
    assert line_of(out, "司法局") == ["5", "3", "60.0%", "2", "66.7%", "70.0"]
    assert line_of(out, "公证处") == ["2", "1", "50.0%", "1", "100.0%", "70.0"]
    assert line_of(out, "虎庄镇") == ["2", "1", "50.0%", "1", "100.0%", "80.0"]
    assert line_of(out, "Judicial officer") == ["2", "1", "50.0%", "1", "100.0%", "70.0"]
    assert line_of(out, "一级调研员") == ["1", "1", "100.0%", "1", "100.0%", "90.0"]
    assert "Absentees: 3" in out
    # The tree is indented: 公证处 sits under 司法局.
    indents = {
        name: len(line) - len(line.lstrip())
        for line in out.splitlines()
        for name in ("大石桥市", "司法局", "公证处")
        if line.strip().startswith(name + " ")
    }
    assert indents["大石桥市"] < indents["司法局"] < indents["公证处"]


def test_report_exam_for_one_unit_leaves_the_others_out(runner, city):
    result = runner.invoke(args=["report", "exam", str(city.exam.id), "--unit", "大石桥市/司法局"])
    assert result.exit_code == 0, result.output
    assert "年度考试 · 司法局" in result.output
    assert "虎庄镇" not in result.output and "大石桥市 " not in result.output
    assert "Eligible 5, sat 3" in result.output
    assert "Absentees: 2" in result.output


def test_report_exam_writes_the_same_workbook_as_the_page(runner, city, tmp_path):
    target = tmp_path / "exam.xlsx"
    result = runner.invoke(
        args=["report", "exam", str(city.exam.id), "--unit", "司法局", "--xlsx", str(target)]
    )
    assert result.exit_code == 0, result.output
    assert f"Written to {target}" in result.output
    book = load_workbook(target)
    assert book.sheetnames[:2] == ["总体情况", "按单位"]
    assert [c.value for c in book["总体情况"][2]][2:5] == ["司法局", 5, 3]
    units = [row[0].value for row in book["按单位"].iter_rows(min_row=2)]
    assert units == ["司法局", "\u3000公证处"]
    absentees = {row[2].value for row in book["缺考名单"].iter_rows(min_row=2)}
    assert absentees == {"张伟", "陈静"}


def test_report_year_counts_the_make_up(runner, city, tmp_path):
    year = city.exam.opens_at.year
    target = tmp_path / "year.xlsx"
    result = runner.invoke(args=["report", "year", str(year), "--xlsx", str(target)])
    assert result.exit_code == 0, result.output
    assert "Eligible 7, sat 4 (participation 57.1%), passed 4 (pass rate 100.0%)" in result.output
    assert line_of(result.output, "年度考试") == ["7", "4", "57.1%", "4", "100.0%", "78.8"]
    rows = [[c.value for c in row] for row in load_workbook(target)["总体情况"].iter_rows()]
    assert rows[-1][0] == f"{year}年合计（含补考）" and rows[-1][3:5] == [7, 4]


def test_report_year_for_one_unit(runner, city):
    year = city.exam.opens_at.year
    result = runner.invoke(args=["report", "year", str(year), "--unit", "虎庄镇"])
    assert result.exit_code == 0, result.output
    assert "司法局" not in result.output
    assert "Eligible 2, sat 1" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report", "exam", "9999"], "No such exam."),
        (["report", "exam", "{exam}", "--unit", "没有的单位"], "No unit is called 没有的单位."),
        (["report", "year", "1999"], "No annual exam opened in 1999."),
    ],
)
def test_report_errors_exit_non_zero_with_a_message(runner, city, args, message):
    args = [a.format(exam=city.exam.id) for a in args]
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output


def test_an_exam_outside_the_unit_is_not_reported(runner, db_session, city):
    from tests.exam_setup import open_exam

    town_only = open_exam(
        db_session,
        blueprint="annual-standard",
        kind="annual",
        unit_ids=(city.units["town"].id,),
        title="虎庄镇专场",
    )
    result = runner.invoke(args=["report", "exam", str(town_only.id), "--unit", "司法局"])
    assert result.exit_code != 0
    assert "No such exam." in result.output


def test_the_chinese_output_carries_the_same_numbers(app, runner, city):
    app.config["BABEL_DEFAULT_LOCALE"] = "zh_CN"
    result = runner.invoke(args=["report", "exam", str(city.exam.id)])
    assert result.exit_code == 0, result.output
    assert re.search(r"57\.1%.*75\.0%", result.output)
    assert line_of(result.output, "司法局") == ["5", "3", "60.0%", "2", "66.7%", "70.0"]
