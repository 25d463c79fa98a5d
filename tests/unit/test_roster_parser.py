"""The roster parser: headers in either language, and every kind of bad row."""

from __future__ import annotations

import pytest

from app.domain.people import Category, parse_category, split_unit_path
from app.domain.roster import parse_roster

HEADER_ZH = ["工号", "姓名", "单位", "职务", "职级", "类别"]
HEADER_EN = ["staff_no", "name", "unit", "position", "rank", "category"]


def test_chinese_header_and_labels():
    parsed = parse_roster(
        [
            HEADER_ZH,
            ["1001", "王建国", "大石桥市/司法局", "局长", "一级调研员", "领导干部"],
            ["1002", "李秀英", "大石桥市／司法局", "", "", "公务员"],
        ]
    )
    assert parsed.ok
    first, second = parsed.entries
    assert first.staff_no == "1001"
    assert first.unit_path == ("大石桥市", "司法局")
    assert first.category is Category.LEADING_CADRE
    assert second.unit_path == ("大石桥市", "司法局")  # full-width slash accepted
    assert (second.position, second.rank) == ("", "")


def test_english_header_codes_and_any_column_order():
    header = ["Category", "Unit", "Staff_No", "Name"]
    parsed = parse_roster([header, ["judicial", "司法局", "2001", "张三"]])
    assert parsed.ok
    assert parsed.entries[0].category is Category.JUDICIAL
    assert parsed.entries[0].unit_path == ("司法局",)


def test_blank_lines_are_skipped_and_cells_trimmed():
    parsed = parse_roster(
        [
            HEADER_ZH,
            ["", "", "", "", "", ""],
            [" 1003 ", " 赵  磊 ", "司法局", "科员", "", "公务员"],
        ]
    )
    assert parsed.ok
    assert parsed.entries[0].staff_no == "1003"
    assert parsed.entries[0].name == "赵 磊"
    assert parsed.entries[0].row == 3


@pytest.mark.parametrize(
    ("row", "column", "code"),
    [
        (["", "王五", "司法局", "", "", "公务员"], "工号", "missing_value"),
        (["1001", "", "司法局", "", "", "公务员"], "姓名", "missing_value"),
        (["1001", "王五", "", "", "", "公务员"], "单位", "missing_value"),
        (["1001", "王五", "司法局", "", "", ""], "类别", "missing_value"),
        (["1001", "王五", "司法局", "", "", "临时工"], "类别", "unknown_category"),
        (["1001", "王五", "///", "", "", "公务员"], "单位", "missing_value"),
        (["1" * 41, "王五", "司法局", "", "", "公务员"], "工号", "too_long"),
    ],
)
def test_each_bad_row_kind_names_row_and_column(row, column, code):
    parsed = parse_roster([HEADER_ZH, ["1000", "甲", "司法局", "", "", "公务员"], row])
    assert not parsed.ok
    assert [(e.row, e.column, e.code) for e in parsed.errors] == [(3, column, code)]


def test_duplicate_staff_number_points_at_first_row():
    parsed = parse_roster(
        [
            HEADER_ZH,
            ["1001", "甲", "司法局", "", "", "公务员"],
            ["1002", "乙", "司法局", "", "", "公务员"],
            ["1001", "丙", "司法局", "", "", "公务员"],
        ]
    )
    [error] = parsed.errors
    assert (error.row, error.column, error.code) == (4, "工号", "duplicate_staff_no")
    assert error.param_dict == {"value": "1001", "first_row": "2"}


def test_every_bad_row_is_listed_not_just_the_first():
    parsed = parse_roster(
        [
            HEADER_ZH,
            ["", "甲", "司法局", "", "", "公务员"],
            ["1002", "乙", "司法局", "", "", "外星人"],
            ["1003", "", "", "", "", "公务员"],
        ]
    )
    assert [(e.row, e.code) for e in parsed.errors] == [
        (2, "missing_value"),
        (3, "unknown_category"),
        (4, "missing_value"),
        (4, "missing_value"),
    ]
    assert parsed.entries == []


def test_missing_required_column_is_reported_on_the_header_row():
    parsed = parse_roster([["工号", "姓名", "职务"], ["1001", "甲", "科员"]])
    assert {(e.row, e.code) for e in parsed.errors} == {(1, "missing_column")}
    assert len(parsed.errors) == 2  # 单位 and 类别


def test_empty_file_and_header_only():
    assert parse_roster([]).errors[0].code == "empty_file"
    assert parse_roster([HEADER_ZH]).errors[0].code == "no_rows"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("领导干部", Category.LEADING_CADRE),
        ("leading_cadre", Category.LEADING_CADRE),
        (" 司法人员 ", Category.JUDICIAL),
        ("行政执法人员", Category.LAW_ENFORCEMENT),
        ("civil_servant", Category.CIVIL_SERVANT),
        ("干部", None),
        ("", None),
    ],
)
def test_parse_category(text, expected):
    assert parse_category(text) is expected


def test_split_unit_path():
    assert split_unit_path(" 大石桥市 / 司法局 ") == ["大石桥市", "司法局"]
    assert split_unit_path("大石桥市>虎庄镇") == ["大石桥市", "虎庄镇"]
    assert split_unit_path("司法局") == ["司法局"]
