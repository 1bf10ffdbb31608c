"""The real `asnbot` command, as HR and operators run it, on SQLite and PostgreSQL."""

import csv
import os
import stat
import subprocess
import sys
from pathlib import Path

from tests.conftest import DATA, ROOT

ASNBOT = Path(sys.executable).parent / "asnbot"
SAMPLES = DATA / "samples"


def run(url: str, *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "COLUMNS": "200",
        "TELEGRAM_BOT_USERNAME": "AsnKarierBot",
    }
    return subprocess.run(
        [str(ASNBOT), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def test_unmigrated_database_gets_a_clear_message(fresh_db_url: str) -> None:
    result = run(fresh_db_url, "roster", "export")
    assert result.returncode == 2
    assert "asnbot db upgrade" in result.stderr


def test_seed_if_empty_and_idempotent(ready_url: str) -> None:
    again = run(ready_url, "seed")
    assert again.returncode == 0
    assert "Tidak ada perubahan" in again.stdout
    skipped = run(ready_url, "seed", "--if-empty")
    assert "dilewati" in skipped.stdout


def test_roster_import_good_then_bad_file(ready_url: str) -> None:
    good = run(ready_url, "roster", "import", str(SAMPLES / "roster.csv"))
    assert good.returncode == 0, good.stderr
    assert "240 pegawai baru" in good.stdout

    bad = run(ready_url, "roster", "import", str(SAMPLES / "roster_bad.csv"))
    assert bad.returncode == 1
    for line in (SAMPLES / "roster_bad.expected.txt").read_text().split("\n"):
        if line:
            number, field = line.split()
            assert any(
                [c.strip() for c in row.split("│")][1:3] == [number, field]
                for row in bad.stderr.splitlines()
                if "│" in row
            ), f"line {number} {field} not reported:\n{bad.stderr}"
    assert "8 ditolak" in bad.stdout


def test_strict_import_refuses_the_whole_file(ready_url: str) -> None:
    result = run(ready_url, "roster", "import", "--strict", str(SAMPLES / "roster_bad.csv"))
    assert result.returncode == 1
    assert "Tidak ada yang diimpor" in result.stderr
    exported = run(ready_url, "roster", "export")
    assert exported.stdout.strip().count("\n") == 0  # header only


def test_missing_file_and_missing_column(ready_url: str, tmp_path: Path) -> None:
    missing = run(ready_url, "roster", "import", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2
    assert "tidak ditemukan" in missing.stderr
    (tmp_path / "cols.csv").write_text("nip,nama\n")
    cols = run(ready_url, "roster", "import", str(tmp_path / "cols.csv"))
    assert cols.returncode == 2
    assert "unit_kerja" in cols.stderr


def test_export_round_trip_admin_and_activation(ready_url: str, tmp_path: Path) -> None:
    assert run(ready_url, "roster", "import", str(SAMPLES / "roster.csv")).returncode == 0
    exported = run(ready_url, "roster", "export")
    assert exported.returncode == 0
    rows = list(csv.DictReader(exported.stdout.splitlines()))
    assert len(rows) == 240
    assert list(rows[0])[:5] == ["nip", "nama", "unit_kerja", "jabatan", "golongan"]
    nip = rows[0]["nip"]

    granted = run(ready_url, "admin", "grant", nip)
    assert granted.returncode == 0
    assert "hr_admin" in granted.stdout
    assert "Tidak ada perubahan" in run(ready_url, "admin", "grant", nip).stdout
    exported = run(ready_url, "roster", "export")
    roles = {r["nip"]: r["peran"] for r in csv.DictReader(exported.stdout.splitlines())}
    assert roles[nip] == "hr_admin"
    assert run(ready_url, "admin", "revoke", nip).returncode == 0
    unknown = run(ready_url, "admin", "grant", "199999999999999999")
    assert unknown.returncode == 1
    assert "199999999999999999" not in unknown.stderr  # NIPs are masked in messages

    out = tmp_path / "codes.csv"
    unit = rows[0]["unit_kerja"]
    issued = run(ready_url, "activation", "issue", "--unit", unit, "--out", str(out))
    assert issued.returncode == 0, issued.stderr
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    codes = list(csv.DictReader(out.read_text().splitlines()))
    assert len(codes) == sum(r["unit_kerja"] == unit for r in rows)
    assert codes[0]["tautan"].startswith("https://t.me/AsnKarierBot?start=")
    assert codes[0]["tautan"].endswith(codes[0]["kode_aktivasi"].replace("-", ""))
    again = run(ready_url, "activation", "issue", "--nip", nip, "--out", str(out))
    assert again.returncode == 2  # refuses to overwrite without --force
    assert run(ready_url, "activation", "issue", "--out", str(out)).returncode == 2


def test_db_downgrade_and_upgrade(fresh_db_url: str) -> None:
    assert run(fresh_db_url, "db", "upgrade").returncode == 0
    assert run(fresh_db_url, "db", "current").stdout.strip() != "(empty)"
    assert run(fresh_db_url, "db", "downgrade", "base").returncode == 0
    assert run(fresh_db_url, "db", "current").stdout.strip() == "(empty)"


def test_nlu_unanswered_report(ready_url: str) -> None:
    empty = run(ready_url, "nlu", "unanswered")
    assert empty.returncode == 0
    assert "Tidak ada pertanyaan" in empty.stdout
    from asnkarier import db
    from asnkarier.services.support import record_unanswered

    engine = db.make_engine(ready_url)
    with db.make_sessionmaker(engine).begin() as session:
        for text in ("kapan gajian?", "Kapan gajian", "cuti melahirkan berapa lama"):
            record_unanswered(
                session, text, "out_of_scope", [{"name": "out_of_scope", "confidence": 0.8}]
            )
    engine.dispose()
    report = run(ready_url, "nlu", "unanswered", "--csv")
    assert report.returncode == 0
    rows = list(csv.DictReader(report.stdout.splitlines()))
    assert [(r["jumlah"], r["intent_teratas"]) for r in rows] == [
        ("2", "out_of_scope"),
        ("1", "out_of_scope"),
    ]
    table = run(ready_url, "nlu", "unanswered")
    assert "cuti melahirkan" in table.stdout
