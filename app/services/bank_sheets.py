"""The question bank as a spreadsheet: read an XLSX or CSV into a bank, write one out.

Reading gives a core.Bank whose laws are the database's registry and whose
questions are the sheet's; bank_io.import_bank then imports it all or nothing,
exactly as it imports YAML. Writing gives one row per question's current
version under the Chinese template headers, sorted by id, so that importing
the export changes nothing.
"""

from __future__ import annotations

import csv
import io
from dataclasses import replace
from pathlib import Path, PurePath

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain import bank as core
from app.domain import sheets
from app.models import Law
from app.services import bank_io
from app.services.errors import InvalidInput
from app.services.tables import read_table

SHEET_SUFFIXES = (".xlsx", ".csv")
EXPORT_FORMATS = ("xlsx", "csv")
COLUMN_WIDTHS = {
    "id": 20,
    "type": 8,
    "stem": 60,
    "answer": 8,
    "explanation": 50,
    "difficulty": 6,
    "law": 18,
    "article": 16,
    "topic": 14,
    "tags": 18,
    "status": 9,
    **dict.fromkeys(sheets.OPTION_FIELDS, 28),
}


def is_sheet(path: str | PurePath) -> bool:
    """Whether `path` names a spreadsheet (.xlsx or .csv) rather than YAML."""
    return PurePath(path).suffix.lower() in SHEET_SUFFIXES


def law_registry(session: Session) -> dict[str, core.Law]:
    """The laws in the database, which sheet rows cite."""
    return {row.id: bank_io.law_of(row) for row in session.scalars(select(Law))}


def read_sheet_bank(
    session: Session,
    filename: str,
    content: bytes,
    *,
    mapping: dict[str, str] | None = None,
    topic: str | None = None,
    id_prefix: str | None = None,
) -> core.Bank:
    """Read and check one spreadsheet against the database's law registry.

    Missing topics default to the file's stem and missing ids to
    `<id_prefix>-<row>` (id_prefix defaults to a slug of the file name).
    """
    name = PurePath(filename).name
    laws = law_registry(session)
    try:
        rows = read_table(name, content)
    except InvalidInput as error:
        params = tuple((key, str(value)) for key, value in error.params.items())
        return core.Bank(laws=laws, errors=[core.BankError(name, 0, error.code, params=params)])
    questions, errors = sheets.parse_question_rows(
        rows,
        laws=laws,
        mapping=mapping,
        default_topic=topic or PurePath(name).stem,
        id_prefix=id_prefix or sheets.id_prefix_for(name),
        source=name,
    )
    # The database keeps a question's source file to name its YAML file on export; a
    # sheet is no YAML file, so existing questions keep theirs and new ones get none
    # (export then names their file after the topic).
    return core.Bank(laws=laws, questions=[replace(q, source="") for q in questions], errors=errors)


def read_sheet_files(
    session: Session,
    paths: list[Path],
    *,
    mapping: dict[str, str] | None = None,
    topic: str | None = None,
    id_prefix: str | None = None,
) -> core.Bank:
    """Read several spreadsheets as one bank; ids must be unique across all of them."""
    merged = core.Bank(laws=law_registry(session))
    first: dict[str, str] = {}
    for path in paths:
        try:
            content = path.read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            merged.errors.append(core.BankError(str(path), 0, "file_missing"))
            continue
        bank = read_sheet_bank(
            session, path.name, content, mapping=mapping, topic=topic, id_prefix=id_prefix
        )
        merged.errors.extend(bank.errors)
        for question in bank.questions:
            if question.id in first:
                merged.errors.append(
                    core.BankError(
                        path.name,
                        question.line,
                        "duplicate_id",
                        question.id,
                        (("first", first[question.id]),),
                    )
                )
                continue
            first[question.id] = f"{path.name}:{question.line}"
            merged.questions.append(question)
    return merged


def export_sheet(session: Session, fmt: str) -> bytes:
    """The bank as one sheet ("xlsx" or "csv"): a row per question's current version."""
    bank = bank_io.current_bank(session)
    rows = [sheets.question_row(q) for q in sorted(bank.questions, key=lambda q: q.id)]
    if fmt == "csv":
        return _csv_bytes(rows)
    if fmt == "xlsx":
        return _xlsx_bytes(rows)
    raise ValueError(f"unknown sheet format {fmt!r}; use one of {EXPORT_FORMATS}")


def _csv_bytes(rows: list[list[str | int]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(sheets.TEMPLATE_HEADERS)
    writer.writerows(rows)
    # The BOM makes Excel read the file as UTF-8 instead of the local code page.
    return buffer.getvalue().encode("utf-8-sig")


def _xlsx_bytes(rows: list[list[str | int]]) -> bytes:
    from openpyxl import Workbook  # imported here: slow, and only exports need it
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "题库"
    sheet.append(list(sheets.TEMPLATE_HEADERS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")
    fields = list(sheets.SHEET_FIELDS)
    for values in rows:
        sheet.append(values)
        for cell, field_name in zip(sheet[sheet.max_row], fields, strict=True):
            if isinstance(cell.value, str) and cell.data_type == "f":
                # A stem that starts with "=" is text, never a formula to evaluate.
                cell.data_type = "s"
            cell.alignment = wrap if field_name in sheets.MULTILINE_FIELDS else top
    for index, field_name in enumerate(fields, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = COLUMN_WIDTHS[field_name]
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
