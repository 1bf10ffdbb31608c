"""`asnbot demo`: a newcomer's try-out in one command (local emulator, `make run` started).

Migrates and seeds when needed, imports the sample roster into an empty database, makes one
employee an HR officer, and links a demo employee and that officer to the emulator's chat users
(through real one-time codes), so `asnbot chat --as pegawai` and `--as petugas` try every
feature. Safe to run again. Development only: it links fixed Telegram user ids.
"""

from __future__ import annotations

from dataclasses import dataclass

import typer
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from asnkarier import db
from asnkarier.cli.common import actor, err, out, transaction
from asnkarier.models import Employee, Role
from asnkarier.services import activation, employees, seed
from asnkarier.services import roster as rosters
from asnkarier.settings import get_settings


@dataclass(frozen=True)
class DemoUser:
    telegram_user_id: int
    nip: str  # preferred employee of data/samples/roster.csv
    role: Role


# The emulator chat users `asnbot chat --as NAME` plays; "tamu" is never linked.
DEMO_USERS = {
    "pegawai": DemoUser(5_550_001, "198903072024031015", Role.EMPLOYEE),  # Pranata Komputer
    "petugas": DemoUser(5_550_002, "199403142016122005", Role.HR_ADMIN),
    "tamu": DemoUser(5_550_003, "", Role.EMPLOYEE),
}
SAMPLE_ROSTER = "samples/roster.csv"  # under CONTENT_DIR


def _pick(session: Session, nip: str, taken: set[int]) -> Employee:
    """The preferred sample employee, or else the first active one not used yet."""
    try:
        employee = employees.by_nip(session, nip)
        if employee.id not in taken and employee.is_active:
            return employee
    except employees.EmployeeNotFound:
        pass
    for candidate in employees.all_active(session):
        if candidate.id not in taken:
            return candidate
    err.print("[red]Gagal:[/] roster belum berisi cukup pegawai aktif untuk demo.")
    raise typer.Exit(1)


def _link(session: Session, employee: Employee, telegram_user_id: int) -> None:
    """Link through a real one-time code, as the employee's /start CODE would."""
    if employee.telegram_user_id == telegram_user_id:
        return
    holder = employees.by_telegram_user(session, telegram_user_id)
    if holder is not None:
        activation.unlink(session, holder, actor=actor())
    [issued] = activation.issue_codes(session, [employee], ttl_days=1, actor=actor())
    result = activation.redeem(
        session,
        telegram_user_id=telegram_user_id,
        chat_id=telegram_user_id,
        code=issued.code,
        limits=activation.LinkLimits.from_settings(get_settings()),
    )
    if result.status != activation.LinkStatus.LINKED:
        err.print(f"[red]Gagal menautkan {employee.name}:[/] {result.status.value}")
        raise typer.Exit(1)


def demo() -> None:
    """Demo roster, a linked demo employee and a linked HR officer for `asnbot chat --as ...`."""
    settings = get_settings()
    db.upgrade(settings.database_url)
    with transaction() as session:
        if seed.is_empty(session):
            seed.seed(session, seed.load_content(settings.content_dir))
        if not session.scalar(select(func.count()).select_from(Employee)):
            path = settings.content_dir / SAMPLE_ROSTER
            report = rosters.import_roster(
                session,
                rosters.read_roster(path),
                actor=actor(),
                default_timezone=settings.default_timezone,
            )
            out.print(f"Roster contoh diimpor dari {path}: {report.created} pegawai.")
        taken: set[int] = set()
        shown = []
        for name, user in DEMO_USERS.items():
            if not user.nip:
                continue
            employee = _pick(session, user.nip, taken)
            taken.add(employee.id)
            if employee.role != user.role:
                employees.set_role(session, employee.nip, user.role, actor=actor())
            _link(session, employee, user.telegram_user_id)
            label = "petugas BKPSDM (hr_admin)" if user.role == Role.HR_ADMIN else "pegawai"
            shown.append((name, f"{employee.name}, {employee.position_title} — {label}"))
    out.print("Siap dicoba (jalankan `make run` di terminal lain bila belum):")
    for name, who in shown:
        out.print(f"  .venv/bin/asnbot chat --as {name:<8} {who}", markup=False, soft_wrap=True)
    out.print("  .venv/bin/asnbot chat --as tamu     akun yang belum terhubung", markup=False)
    out.print("Tiket ke petugas tanpa grup HR: .venv/bin/asnbot ticket list", markup=False)
