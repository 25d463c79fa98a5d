"""Roster files for tests, written as HR would: CSV or XLSX."""

from __future__ import annotations

import csv
import io

from openpyxl import Workbook

HEADER_ZH = ["工号", "姓名", "单位", "职务", "职级", "类别"]


def csv_bytes(rows: list[list[object]], header: list[str] = HEADER_ZH, bom: bool = True) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig" if bom else "utf-8")


def xlsx_bytes(rows: list[list[object]], header: list[str] = HEADER_ZH) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


GOOD_ROWS = [
    ["1001", "王建国", "大石桥市/司法局", "局长", "一级调研员", "领导干部"],
    ["1002", "李秀英", "大石桥市/司法局", "科员", "一级科员", "公务员"],
    ["1003", "周强", "大石桥市/市场监督管理局", "执法队员", "三级主任科员", "law_enforcement"],
]
