"""The one place the console writes CSV and XLSX files (reports, exports).

Kept behind `table_file` so the spreadsheet formula neutraliser (issue 11) applies to every
export at once when it lands in the core.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook

MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: Any) -> Any:
    # Text a spreadsheet would run as a formula is prefixed with a quote (OWASP CSV injection).
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def table_file(rows: list[list[Any]], fmt: str, title: str = "Laporan") -> bytes:
    """The rows (first one the header) as a CSV (UTF-8 with BOM, for Excel) or XLSX file."""
    safe = [[_cell(v) for v in row] for row in rows]
    if fmt == "csv":
        buffer = io.StringIO()
        csv.writer(buffer).writerows(safe)
        return ("\ufeff" + buffer.getvalue()).encode()
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    for row in safe:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
