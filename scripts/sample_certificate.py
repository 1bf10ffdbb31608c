"""Render the sample certificate shown in docs/ (needs pdftoppm from poppler-utils).

.venv/bin/python scripts/sample_certificate.py   # writes docs/sertifikat-contoh.png
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from asnkarier.models import Certificate  # noqa: E402
from asnkarier.services.certificates import render_pdf  # noqa: E402


def main() -> None:
    sample = Certificate(
        number="2026-7K3Q-9XPA",
        employee_id=0,
        holder_name="Dwi Ayu Lestari, S.E.",
        title="Workshop Analisis Data untuk Perencana",
        held_on=dt.date(2026, 11, 5),
        jp=8,
    )
    pdf = render_pdf(
        sample, nip="199203142019032007", base_url="https://konsol.bkpsdm.example.go.id"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sertifikat.pdf"
        path.write_bytes(pdf)
        target = ROOT / "docs" / "sertifikat-contoh"
        pdftoppm = shutil.which("pdftoppm")
        if pdftoppm is None:
            raise SystemExit("pdftoppm is missing: apt-get install -y poppler-utils")
        subprocess.run(  # noqa: S603 - a fixed command on files this script wrote
            [pdftoppm, "-png", "-r", "100", "-singlefile", str(path), str(target)], check=True
        )
    print(f"{target}.png")


if __name__ == "__main__":
    main()
