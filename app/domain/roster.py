"""Reading a roster table: header in Chinese or English, every bad row reported.

The parser is all-or-nothing by contract: callers import only when `errors` is
empty, so one bad row imports nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.domain.people import Category, parse_category, split_unit_path
from app.domain.tables import CellError, match_headers

ROSTER_FIELDS: dict[str, tuple[str, ...]] = {
    "staff_no": ("工号", "staff_no"),
    "name": ("姓名", "name"),
    "unit": ("单位", "unit"),
    "position": ("职务", "position"),
    "rank": ("职级", "rank"),
    "category": ("类别", "category"),
}
REQUIRED_FIELDS = ("staff_no", "name", "unit", "category")
MAX_LENGTHS = {"staff_no": 40, "name": 100, "position": 100, "rank": 50}


@dataclass(frozen=True)
class RosterEntry:
    row: int
    staff_no: str
    name: str
    unit_path: tuple[str, ...]
    position: str
    rank: str
    category: Category


@dataclass(frozen=True)
class RosterParse:
    entries: list[RosterEntry]
    errors: list[CellError]

    @property
    def ok(self) -> bool:
        return not self.errors


def parse_roster(rows: list[list[str]]) -> RosterParse:
    """Turn table rows (the first is the header) into roster entries or row errors."""
    if not rows:
        return RosterParse([], [CellError(1, "", "empty_file")])
    header, body = rows[0], rows[1:]
    columns, _unmatched = match_headers(header, ROSTER_FIELDS)
    errors = [
        CellError(
            1,
            ROSTER_FIELDS[field][0],
            "missing_column",
            (("column", "/".join(ROSTER_FIELDS[field])),),
        )
        for field in REQUIRED_FIELDS
        if field not in columns
    ]
    if errors:
        return RosterParse([], errors)
    header_of = {field: str(header[index]).strip() for field, index in columns.items()}

    entries: list[RosterEntry] = []
    first_row_of: dict[str, int] = {}
    for offset, raw in enumerate(body):
        number = offset + 2
        cells = {field: _cell(raw, index) for field, index in columns.items()}
        if not any(cells.values()):
            continue  # blank lines between blocks are common in hand-kept sheets
        row_errors = [
            CellError(number, header_of[field], "missing_value")
            for field in REQUIRED_FIELDS
            if not cells.get(field)
        ]
        row_errors += [
            CellError(number, header_of[field], "too_long", (("limit", str(limit)),))
            for field, limit in MAX_LENGTHS.items()
            if len(cells.get(field, "")) > limit
        ]
        category = parse_category(cells["category"]) if cells.get("category") else None
        if cells.get("category") and category is None:
            row_errors.append(
                CellError(
                    number,
                    header_of["category"],
                    "unknown_category",
                    (("value", cells["category"]),),
                )
            )
        unit_path = tuple(split_unit_path(cells.get("unit", "")))
        if cells.get("unit") and not unit_path:
            row_errors.append(CellError(number, header_of["unit"], "missing_value"))
        staff_no = cells.get("staff_no", "")
        if staff_no:
            if staff_no in first_row_of:
                row_errors.append(
                    CellError(
                        number,
                        header_of["staff_no"],
                        "duplicate_staff_no",
                        (("value", staff_no), ("first_row", str(first_row_of[staff_no]))),
                    )
                )
            else:
                first_row_of[staff_no] = number
        if row_errors:
            errors.extend(row_errors)
            continue
        assert category is not None
        entries.append(
            RosterEntry(
                row=number,
                staff_no=staff_no,
                name=cells["name"],
                unit_path=unit_path,
                position=cells.get("position", ""),
                rank=cells.get("rank", ""),
                category=category,
            )
        )
    if not entries and not errors:
        errors.append(CellError(1, "", "no_rows"))
    return RosterParse(entries, errors)


def _cell(raw: list[str], index: int) -> str:
    if index >= len(raw) or raw[index] is None:
        return ""
    value = raw[index]
    if isinstance(value, float) and value.is_integer():
        value = int(value)  # spreadsheets store staff numbers as 1001.0
    return " ".join(str(value).split())
