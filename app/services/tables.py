"""Reading uploaded CSV and XLSX files into rows of text."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import PurePath

from app.services.errors import InvalidInput

MAX_ROWS = 100_000
# An XLSX is a zip: refuse one that would unpack to far more than any real sheet.
MAX_XLSX_UNPACKED_BYTES = 200 * 1024 * 1024
MAX_XLSX_RATIO = 200
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")


def read_table(filename: str, content: bytes) -> list[list[str]]:
    """Rows of a .csv or .xlsx file as lists of strings (the first row is the header)."""
    suffix = PurePath(filename).suffix.lower()
    if suffix == ".csv":
        return _read_csv(content)
    if suffix == ".xlsx":
        return _read_xlsx(content)
    raise InvalidInput("unsupported_file_type", filename=filename)


def _read_csv(content: bytes) -> list[list[str]]:
    for encoding in TEXT_ENCODINGS:
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InvalidInput("undecodable_text")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if len(rows) > MAX_ROWS:
        raise InvalidInput("too_many_rows", limit=MAX_ROWS)
    return rows


def _read_xlsx(content: bytes) -> list[list[str]]:
    from openpyxl import load_workbook  # imported here: slow, and only uploads need it

    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except zipfile.BadZipFile:
        raise InvalidInput("broken_xlsx") from None
    if unpacked > MAX_XLSX_UNPACKED_BYTES or unpacked > MAX_XLSX_RATIO * max(len(content), 1):
        raise InvalidInput("xlsx_too_large")
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a damaged file
        raise InvalidInput("broken_xlsx") from None
    try:
        sheet = workbook.worksheets[0]
        rows: list[list[str]] = []
        for values in sheet.iter_rows(values_only=True):
            rows.append(["" if value is None else _cell_text(value) for value in values])
            if len(rows) > MAX_ROWS:
                raise InvalidInput("too_many_rows", limit=MAX_ROWS)
        while rows and not any(cell.strip() for cell in rows[-1]):
            rows.pop()
        return rows
    except InvalidInput:
        raise
    except Exception:  # read-only mode parses the sheet row by row: damage shows only here
        raise InvalidInput("broken_xlsx") from None
    finally:
        workbook.close()


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # staff numbers typed as numbers come back as 1001.0
    return str(value)
