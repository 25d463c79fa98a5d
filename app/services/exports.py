"""Downloads for HR and examiners: XLSX and CSV with Chinese headers.

Every report and list is first turned into `Sheet`s (a title, typed columns,
rows of plain values); one writer makes the workbook and one the CSV, so the
two always hold the same figures. Headers are Chinese whatever the reader's
language: these files go to other offices and into cadres' files.

- XLSX: bold, frozen header; column widths from the content (a Chinese
  character counts as two); rates are numbers formatted as percentages.
- CSV: UTF-8 with a BOM, so that Excel opens Chinese text correctly; a
  workbook's sheets follow one another, each under its title line.
- Text that a spreadsheet would run as a formula (=, +, -, @) is kept as text.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from app.domain.analysis import Participation
from app.domain.people import CATEGORY_LABELS_ZH
from app.models import Appointment
from app.services.cadres import RosterRow
from app.services.hr_reports import Report
from app.services.item_analysis import ExamAnalysis, ItemRow
from app.timeutil import to_local

MIN_WIDTH, MAX_WIDTH = 6, 60
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

CATEGORY_ZH = {category.value: label for category, label in CATEGORY_LABELS_ZH.items()}
KIND_ZH = {
    "annual": "年度考试",
    "pre_appointment": "任前考试",
    "make_up": "补考",
    "practice": "练习",
}
CASE_STATE_ZH = {
    "awaiting_exam": "待考试",
    "passed": "考试合格",
    "failed_make_up_pending": "不合格，待补考",
    "failed": "不合格（暂缓任用）",
    "cancelled": "已撤销",
}
FLAG_ZH = {"too_easy": "过易", "too_hard": "过难", "weak_discrimination": "区分度弱"}


@dataclass(frozen=True)
class Column:
    header: str
    kind: str = "text"  # text | int | rate | score | decimal | date | datetime


@dataclass(frozen=True)
class Sheet:
    title: str
    columns: tuple[Column, ...]
    rows: list[Sequence[object]]


# ---- writers ------------------------------------------------------------------------------


def _display_width(value: object) -> int:
    text = "" if value is None else str(value)
    longest = max(text.split("\n"), key=len) if text else ""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in longest)


def _csv_value(value: object, kind: str) -> object:
    if value is None:
        return ""
    if kind == "rate":
        return f"{float(value) * 100:.1f}%"  # type: ignore[arg-type]
    if kind == "decimal":
        return f"{float(value):.3f}"  # type: ignore[arg-type]
    if kind == "score":
        number = float(value)  # type: ignore[arg-type]
        return f"{round(number, 2):g}"
    if kind == "datetime" and isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_bytes(sheets: Sequence[Sheet]) -> bytes:
    """The sheets as one CSV (UTF-8 with BOM), each under its title when there are several."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    for index, sheet in enumerate(sheets):
        if len(sheets) > 1:
            if index:
                writer.writerow([])
            writer.writerow([sheet.title])
        writer.writerow([column.header for column in sheet.columns])
        for row in sheet.rows:
            writer.writerow(
                [
                    _csv_value(value, column.kind)
                    for value, column in zip(row, sheet.columns, strict=True)
                ]
            )
    return buffer.getvalue().encode("utf-8-sig")


NUMBER_FORMATS = {
    "rate": "0.0%",
    "score": "0.##",
    "decimal": "0.000",
    "int": "0",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm",
}


def _xlsx_value(value: object, kind: str) -> object:
    if value is None:
        return None
    if kind in ("rate", "score", "decimal"):
        return float(value)  # type: ignore[arg-type]
    return value


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """The sheets as one workbook: bold frozen headers, fitted widths, percentages."""
    from openpyxl import Workbook  # imported here: slow, and only downloads need it
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for sheet_data in sheets:
        sheet = workbook.create_sheet(_sheet_title(sheet_data.title))
        sheet.append([column.header for column in sheet_data.columns])
        for cell in sheet[1]:
            cell.font = bold
            cell.alignment = Alignment(vertical="center")
        widths = [_display_width(column.header) for column in sheet_data.columns]
        for row in sheet_data.rows:
            values = [
                _xlsx_value(value, column.kind)
                for value, column in zip(row, sheet_data.columns, strict=True)
            ]
            sheet.append(values)
            for index, (cell, column) in enumerate(
                zip(sheet[sheet.max_row], sheet_data.columns, strict=True)
            ):
                if cell.data_type == "f":
                    cell.data_type = "s"  # a name starting with "=" is text, not a formula
                if column.kind in NUMBER_FORMATS and cell.value is not None:
                    cell.number_format = NUMBER_FORMATS[column.kind]
                shown = _csv_value(row[index], column.kind)
                widths[index] = max(widths[index], _display_width(shown))
        for index, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = min(
                max(width + 2, MIN_WIDTH), MAX_WIDTH
            )
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _sheet_title(title: str) -> str:
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in title).strip()
    return (cleaned or "Sheet")[:31]


def write(sheets: Sequence[Sheet], fmt: str) -> bytes:
    """The sheets as `fmt` ("xlsx" or "csv")."""
    if fmt == "xlsx":
        return xlsx_bytes(sheets)
    if fmt == "csv":
        return csv_bytes(sheets)
    raise ValueError(f"unknown export format {fmt!r}")


# ---- reports ------------------------------------------------------------------------------

FIGURE_COLUMNS = (
    Column("应考人数", "int"),
    Column("实考人数", "int"),
    Column("参考率", "rate"),
    Column("及格人数", "int"),
    Column("及格率", "rate"),
    Column("平均分", "score"),
)


def _figures(p: Participation) -> list[object]:
    mean = round(p.mean_score, 2) if p.mean_score is not None else None
    return [p.eligible, p.sat, p.participation_rate, p.passed, p.pass_rate, mean]


def category_zh(code: str) -> str:
    return CATEGORY_ZH.get(code, code)


def report_sheets(report: Report, *, year: bool = False) -> list[Sheet]:
    """An exam or year report: totals, by unit, by category, by rank, absentees, scores."""
    scope = report.scope.unit.name if report.scope.unit is not None else "全部单位"
    summary: list[Sequence[object]] = []
    if year:
        for line in report.exam_lines:
            kind = KIND_ZH.get(line.exam.kind, line.exam.kind)
            summary.append([line.exam.title, kind, scope, *_figures(line.figures)])
        summary.append([f"{report.title}年合计（含补考）", "", scope, *_figures(report.total)])
    else:
        exam = report.exams[0]
        kind = KIND_ZH.get(exam.kind, exam.kind)
        summary.append([exam.title, kind, scope, *_figures(report.total)])
        if report.total_with_make_ups is not None:
            summary.append(
                [f"{exam.title}（含补考）", kind, scope, *_figures(report.total_with_make_ups)]
            )
    top = report.units[0].depth if report.units else 0
    width = report.max_score / len(report.histogram) if report.histogram else report.max_score
    return [
        Sheet(
            "总体情况",
            (Column("考试"), Column("类型"), Column("统计范围"), *FIGURE_COLUMNS),
            summary,
        ),
        Sheet(
            "按单位",
            (Column("单位"), Column("层级", "int"), *FIGURE_COLUMNS),
            [
                [
                    "\u3000" * (line.depth - top) + line.unit.name,
                    line.depth - top + 1,
                    *_figures(line.total),
                ]
                for line in report.units
            ],
        ),
        Sheet(
            "按人员类别",
            (Column("人员类别"), *FIGURE_COLUMNS),
            [[category_zh(key), *_figures(value)] for key, value in report.by_category],
        ),
        Sheet(
            "按职级",
            (Column("职级"), *FIGURE_COLUMNS),
            [[key or "（未填）", *_figures(value)] for key, value in report.by_rank],
        ),
        absentee_sheet(report),
        Sheet(
            "成绩分布",
            (Column("分数段"), Column("人数", "int")),
            [[_bin_label(start, width, report.max_score), n] for start, n in report.histogram],
        ),
    ]


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}"


def _bin_label(start: float, width: float, maximum: float) -> str:
    end = start + width
    if end >= maximum:
        return f"{_number(start)}–{_number(maximum)}"
    return f"{_number(start)}–{_number(end)}（不含）"


def absentee_sheet(report: Report) -> Sheet:
    return Sheet(
        "缺考名单",
        (Column("单位"), Column("工号"), Column("姓名"), Column("职务"), Column("人员类别")),
        [
            [a.unit, a.staff_no, a.name, a.position, category_zh(a.category)]
            for a in report.absentees
        ],
    )


# ---- lists --------------------------------------------------------------------------------


def _local(moment: datetime | None, timezone: str) -> datetime | None:
    """A stored UTC time as local wall-clock time (spreadsheets have no time zones)."""
    return to_local(moment, timezone).replace(tzinfo=None) if moment is not None else None


def roster_sheet(rows: Sequence[RosterRow], timezone: str) -> Sheet:
    """The roster list with each cadre's latest counted result."""
    data = []
    for row in rows:
        cadre, latest = row.cadre, row.latest
        data.append(
            [
                cadre.staff_no,
                cadre.name,
                row.unit,
                cadre.position,
                cadre.rank,
                category_zh(cadre.category),
                latest.exam_title if latest else "",
                _local(latest.finished_at, timezone) if latest else None,
                latest.score if latest else None,
                _verdict(latest.passed) if latest else "",
            ]
        )
    return Sheet(
        "干部名册",
        (
            Column("工号"),
            Column("姓名"),
            Column("单位"),
            Column("职务"),
            Column("职级"),
            Column("人员类别"),
            Column("最近考试"),
            Column("考试时间", "datetime"),
            Column("成绩", "score"),
            Column("是否合格"),
        ),
        data,
    )


def _verdict(passed: bool | None) -> str:
    return "合格" if passed else "不合格"


def cases_sheet(cases: Sequence[Appointment], labels: dict[int, str], timezone: str) -> Sheet:
    """Pre-appointment cases for HR's list."""
    return Sheet(
        "任前考试登记",
        (
            Column("登记时间", "datetime"),
            Column("工号"),
            Column("姓名"),
            Column("单位"),
            Column("拟任职务"),
            Column("任免机关"),
            Column("需用日期", "date"),
            Column("状态"),
            Column("考试"),
            Column("已补考次数", "int"),
        ),
        [
            [
                _local(case.created_at, timezone),
                case.cadre.staff_no,
                case.cadre.name,
                labels.get(case.cadre.unit_id, ""),
                case.proposed_post,
                case.appointing_body,
                case.needed_by,
                CASE_STATE_ZH.get(case.status, case.status),
                case.exam.title if case.exam else "",
                case.make_ups_used,
            ]
            for case in cases
        ],
    )


TYPE_ZH = {"single": "单选", "multiple": "多选", "judge": "判断"}
STATUS_ZH = {"draft": "草稿", "approved": "已审核", "retired": "已停用", "needs_review": "待复核"}


def _option_text(analysis_item: ItemRow) -> str:
    parts = []
    for option in analysis_item.options:
        share = "—" if option.share is None else f"{option.share * 100:.1f}%"
        mark = "（答案）" if option.is_answer else ""
        label = option.key
        if analysis_item.type == "judge":
            label = "正确" if option.key == "A" else "错误"
        parts.append(f"{label} {share}{mark}")
    return "；".join(parts)


def item_analysis_sheets(analysis: ExamAnalysis) -> list[Sheet]:
    """The exam's score statistics and one row per question version."""
    scores = analysis.scores
    return [
        Sheet(
            "试卷统计",
            (
                Column("考试"),
                Column("作答人次", "int"),
                Column("平均分", "score"),
                Column("标准差", "decimal"),
                Column("最低分", "score"),
                Column("最高分", "score"),
                Column("信度（KR-20）", "decimal"),
            ),
            [
                [
                    analysis.exam.title,
                    analysis.attempts,
                    _rounded(scores.mean),
                    scores.stdev,
                    scores.minimum,
                    scores.maximum,
                    analysis.reliability,
                ]
            ],
        ),
        Sheet(
            "试题分析",
            (
                Column("题目编号"),
                Column("版本", "int"),
                Column("题型"),
                Column("题干"),
                Column("使用次数", "int"),
                Column("通过率", "rate"),
                Column("区分度", "decimal"),
                Column("选项选择比例"),
                Column("未作答", "rate"),
                Column("标记"),
                Column("当前状态"),
            ),
            [
                [
                    item.question_id,
                    item.version,
                    TYPE_ZH.get(item.type, item.type),
                    item.stem,
                    item.uses,
                    item.facility,
                    item.discrimination,
                    _option_text(item),
                    item.blank,
                    "、".join(FLAG_ZH.get(flag, flag) for flag in item.flags),
                    STATUS_ZH.get(item.status, item.status),
                ]
                for item in analysis.items
            ],
        ),
    ]


def _rounded(value: float | None) -> float | None:
    return round(value, 2) if value is not None else None
