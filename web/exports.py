"""The one place the console writes CSV and XLSX files (reports, exports), through the core's
formula-safe writers (asnkarier/services/spreadsheet.py)."""

from __future__ import annotations

import io
import re
from typing import Any

from fastapi.responses import Response

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


def table_download(rows: list[list[Any]], fmt: str, name: str, title: str = "Laporan") -> Response:
    """`table_file` as a download named `<name>.<fmt>` (characters outside [A-Za-z0-9_-] of the
    name become "_", so a code or title can never break the header)."""
    safe = re.sub(r"[^A-Za-z0-9_-]", "_", name)
    return Response(
        table_file(rows, fmt, title=title),
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{safe}.{fmt}"'},
    )
