"""Tabular input (CSV and spreadsheet rows) as plain data, with header matching."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TableRow:
    """One data row: its 1-based row number in the file and its cells by field name."""

    number: int
    cells: dict[str, str]


@dataclass(frozen=True)
class CellError:
    """A problem at a row and column of an input table.

    `code` names the rule; `params` fill its message; `column` is the header as
    written in the file (empty when the error concerns the whole row).
    """

    row: int
    column: str
    code: str
    params: tuple[tuple[str, str], ...] = ()

    @property
    def param_dict(self) -> dict[str, str]:
        return dict(self.params)


def normalise_header(text: str) -> str:
    """Fold a header cell for matching: no surrounding or inner spaces, lower case."""
    return "".join(str(text).split()).lower()


def match_headers(
    header: list[str], aliases: dict[str, tuple[str, ...]]
) -> tuple[dict[str, int], list[str]]:
    """Map field names to column indexes by their aliases; also return unmatched headers."""
    lookup = {normalise_header(alias): field for field, names in aliases.items() for alias in names}
    columns: dict[str, int] = {}
    unmatched: list[str] = []
    for index, cell in enumerate(header):
        key = normalise_header(cell)
        if not key:
            continue
        field = lookup.get(key)
        if field is None or field in columns:
            unmatched.append(str(cell))
        else:
            columns[field] = index
    return columns, unmatched
