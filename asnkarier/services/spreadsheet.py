"""Spreadsheet files HR opens in Excel: every CSV/XLSX export writes its cells through here.

Excel and LibreOffice run a cell that starts with `=`, `+`, `-` or `@` as a formula (tab and CR
lead to the same once a cell is re-typed), e.g. `=HYPERLINK("http://…?d="&A1, "klik")`, which
sends neighbouring cells away. So a text cell starting with one of them gets a leading
apostrophe in CSV (Excel shows the text, never evaluates it; the apostrophe stays visible,
which shows HR the cell was not typed that way), and is written as an explicit string cell in
XLSX (its value kept exactly). A plain number such as `-5`, `+62812345678` or `-1.5` is not a
formula to any spreadsheet and stays as it is, so negative numbers and phone numbers in the
+62 form remain readable numbers; `+62 812-3456` (with separators) is text and gets the
apostrophe.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def is_formula_like(value: Any) -> bool:
    """True for text a spreadsheet could evaluate as a formula (see the module docstring)."""
    return (
        isinstance(value, str)
        and value.startswith(FORMULA_START)
        and _PLAIN_NUMBER.fullmatch(value) is None
    )


def safe_cell(value: Any) -> Any:
    """The value to write into a CSV cell: formula-like text gets a leading apostrophe."""
    return f"'{value}" if is_formula_like(value) else value


def write_csv(
    handle: IO[str], header: Sequence[str], rows: Iterable[Sequence[Any]], **fmt: Any
) -> int:
    """Write a header and rows through `safe_cell`; returns the number of data rows."""
    writer = csv.writer(handle, **fmt)
    writer.writerow(header)
    count = 0
    for row in rows:
        writer.writerow([safe_cell(v) for v in row])
        count += 1
    return count


def write_xlsx(
    path: Path | IO[bytes],
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    title: str = "Data",
) -> int:
    """Write one sheet, streaming; text cells are always strings, never formulas."""
    from openpyxl import Workbook  # imported lazily: only XLSX exports pay for it
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)

    def cells(values: Sequence[Any]) -> list[Any]:
        out = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str):
                cell.data_type = "s"  # openpyxl would store '=…' as a formula
            out.append(cell)
        return out

    sheet.append(cells(header))
    count = 0
    for row in rows:
        sheet.append(cells(row))
        count += 1
    workbook.save(path)
    return count


def formula_fields(values: dict[str, Any]) -> list[str]:
    """Which fields of an imported row hold formula-like text (for a per-field warning)."""
    return [
        name
        for name, value in values.items()
        if isinstance(value, str) and (is_formula_like(value) or is_formula_like(value.strip()))
    ]
