"""The one place the console writes CSV and XLSX files (reports, exports), through the core's
formula-safe writers (asnkarier/services/spreadsheet.py)."""

from __future__ import annotations

import io
from typing import Any

from asnkarier.services.spreadsheet import write_csv, write_xlsx

MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def table_file(rows: list[list[Any]], fmt: str, title: str = "Laporan") -> bytes:
    """The rows (first one the header) as a CSV (UTF-8 with BOM, for Excel) or XLSX file."""
    header, body = rows[0], rows[1:]
    if fmt == "csv":
        text = io.StringIO()
        write_csv(text, header, body)
        return ("\ufeff" + text.getvalue()).encode()
    out = io.BytesIO()
    write_xlsx(out, header, body, title=title[:31])
    return out.getvalue()
