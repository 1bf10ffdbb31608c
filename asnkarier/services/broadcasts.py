"""HR broadcasts: segments, recipient preview, one outbox row per recipient, read marks, reports."""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    Text,
    cast,
    exists,
    func,
    literal,
    literal_column,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session

from asnkarier.models import (
    Broadcast,
    BroadcastApproval,
    BroadcastStatus,
    Employee,
    OutboxMessage,
    OutboxStatus,
    PositionKind,
    PromotionPeriod,
    Rank,
    Registration,
    StoredFile,
    Unit,
    Workshop,
)
from asnkarier.services import audit, employees, files, promotion, training, workshops
from asnkarier.services.console_auth import Officer
from asnkarier.services.formatting import local_time as local_time  # re-exported (CLI, bot)
from asnkarier.services.golongan import TO_ROMAN, normalize_rank_or_group
from asnkarier.services.nip import mask_nip
from asnkarier.services.outbox import OPEN, enqueue_many
from asnkarier.services.outbox_keys import BROADCAST, BROADCAST_TEST
from asnkarier.telegram_limits import MAX_CAPTION, MAX_MESSAGE, text_length

# Dynamic segments, worked out when the broadcast is counted and sent: fewer than 20 JP in the
# year (value: the year), eligible by years in rank for a promotion period (value: its id),
# registered or waitlisted for a workshop (value: its code).
UNDER_JP, PROMOTION, WORKSHOP = "jp_kurang", "naik_pangkat", "workshop"
DYNAMIC_KEYS = (UNDER_JP, PROMOTION, WORKSHOP)
READ_PREFIX = "dibaca:"  # callback data of the "Sudah dibaca" button: dibaca:<broadcast id>
READ_BUTTON = "Sudah dibaca"
SEGMENT_KEYS = ("unit", "jenis_jabatan", "golongan", *DYNAMIC_KEYS)


class BroadcastError(ValueError):
    """Bad broadcast input; the message is polite Indonesian, fit for HR to read."""


class BroadcastNotFound(LookupError):
    """No broadcast has this id."""


def parse_segment(session: Session, text: str | None) -> dict[str, str]:
    """`all`/`semua`/empty, or `unit=X`, `jenis_jabatan=X`, `golongan=X`, as a valid segment."""
    raw = (text or "").strip()
    if raw.lower() in {"", "all", "semua"}:
        return {}
    key, sep, value = raw.partition("=")
    if not sep:
        raise BroadcastError(
            f"Segmen «{raw}» tidak dikenal. Gunakan all, unit=KODE, jenis_jabatan=JENIS "
            "atau golongan=GOL (mis. golongan=III/c)."
        )
    return normalize_segment(session, {key.strip().lower(): value.strip()})


def normalize_segment(session: Session, segment: dict[str, Any]) -> dict[str, str]:
    """Check a segment and put its value in canonical form (unit code, kind, rank)."""
    if not segment:
        return {}
    if len(segment) != 1 or next(iter(segment)) not in SEGMENT_KEYS:
        raise BroadcastError(
            f"Segmen {segment} tidak dikenal. Pilih salah satu: {', '.join(SEGMENT_KEYS)}."
        )
    key, value = next(iter(segment.items()))
    value = str(value).strip()
    if not value:
        raise BroadcastError(f"Nilai segmen {key} kosong.")
    if key == "unit":
        unit = session.scalar(
            select(Unit).where(
                (func.lower(Unit.code) == value.lower()) | (func.lower(Unit.name) == value.lower())
            )
        )
        if unit is None:
            raise BroadcastError(f"Unit kerja «{value}» tidak ditemukan (pakai kode atau nama).")
        return {"unit": unit.code}
    if key == "jenis_jabatan":
        kinds = {k.value for k in PositionKind}
        if value.lower() not in kinds:
            raise BroadcastError(
                f"Jenis jabatan «{value}» tidak dikenal. Pilih: {', '.join(sorted(kinds))}."
            )
        return {"jenis_jabatan": value.lower()}
    if key in DYNAMIC_KEYS:
        return {key: _normalize_dynamic(session, key, value)}
    code = normalize_rank_or_group(value)
    if code is None:
        raise BroadcastError(
            f"Golongan «{value}» tidak dikenal. Contoh: III (seluruh golongan III) atau III/c."
        )
    return {"golongan": code}


def segment_choices(session: Session) -> dict[str, list[tuple[str, str]]]:
    """What HR can pick per segment key: (value, label) pairs for buttons."""
    units = session.execute(select(Unit.code, Unit.name).order_by(Unit.name)).all()
    return {
        "unit": [(code, code) for code, _name in units],
        "jenis_jabatan": [(k.value, k.value.capitalize()) for k in PositionKind],
        "golongan": [(g, f"Golongan {g}") for g in TO_ROMAN.values()],
    }


def describe_segment(segment: dict[str, Any]) -> str:
    """The segment in words, for previews and reports."""
    if not segment:
        return "semua pegawai"
    key, value = next(iter(segment.items()))
    if key == "unit":
        return f"unit kerja {value}"
    if key == "jenis_jabatan":
        return f"jabatan {value}"
    if key == UNDER_JP:
        return f"pegawai dengan JP di bawah 20 pada tahun {value}"
    if key == PROMOTION:
        return f"pegawai yang memenuhi masa kerja untuk periode kenaikan pangkat #{value}"
    if key == WORKSHOP:
        return f"pendaftar workshop {value}"
    return f"golongan {value}"


def _recipients(session: Session, segment: dict[str, Any]) -> Select[tuple[int, int]]:
    """Linked, active employees who have not blocked the bot, within the segment."""
    query = select(Employee.id, Employee.telegram_chat_id).where(employees.reachable())
    if any(key in segment for key in DYNAMIC_KEYS):
        return query.where(_dynamic_condition(session, segment)).order_by(Employee.id)  # type: ignore[return-value]
    if "unit" in segment:
        query = query.join(Unit, Employee.unit_id == Unit.id).where(Unit.code == segment["unit"])
    elif "jenis_jabatan" in segment:
        query = query.where(Employee.position_kind == PositionKind(segment["jenis_jabatan"]))
    elif "golongan" in segment:
        code = segment["golongan"]
        rank = Rank.code == code if "/" in code else Rank.code.like(f"{code}/%")
        query = query.join(Rank, Employee.rank_id == Rank.id).where(rank)
    return query.order_by(Employee.id)  # type: ignore[return-value]


def count_recipients(session: Session, segment: dict[str, Any]) -> int:
    """How many employees a broadcast to `segment` would reach now (the preview)."""
    return int(
        session.scalar(select(func.count()).select_from(_recipients(session, segment).subquery()))
    )


def check_text(text: str) -> str:
    """The announcement text, stripped; refuses empty or over-long text."""
    text = (text or "").strip()
    if not text:
        raise BroadcastError("Teks pengumuman kosong.")
    length = text_length(text)
    if length > MAX_MESSAGE:
        raise BroadcastError(
            f"Teks pengumuman {length} karakter menurut hitungan Telegram (sebagian emoji "
            f"dihitung 2); batasnya {MAX_MESSAGE} karakter."
        )
    return text


def create(
    session: Session,
    *,
    text: str,
    segment: dict[str, Any],
    now: dt.datetime,
    scheduled_at: dt.datetime | None = None,
    created_by_id: int | None = None,
    attachment: Attachment | None = None,
) -> Broadcast:
    """A draft (send it with `materialize`) or, with `scheduled_at` (aware), a scheduled one;
    with `attachment` (see `attach`) every message carries that file."""
    text = check_text(text)
    segment = normalize_segment(session, segment)
    if scheduled_at is not None:
        if scheduled_at.tzinfo is None:
            raise BroadcastError("Waktu kirim harus menyebut zona waktunya.")
        if scheduled_at <= now:
            raise BroadcastError("Waktu kirim sudah lewat; pilih waktu yang akan datang.")
    broadcast = Broadcast(
        text=text,
        segment=segment,
        created_by_id=created_by_id,
        status=BroadcastStatus.SCHEDULED if scheduled_at else BroadcastStatus.DRAFT,
        scheduled_at=scheduled_at,
        recipients=count_recipients(session, segment),
        created_at=now,
        attachment_file_id=attachment.file_id if attachment else None,
        attachment_kind=attachment.kind if attachment else None,
    )
    session.add(broadcast)
    session.flush()
    return broadcast


def get(session: Session, broadcast_id: int, *, for_update: bool = False) -> Broadcast:
    broadcast = session.get(Broadcast, broadcast_id, with_for_update=for_update)
    if broadcast is None:
        raise BroadcastNotFound(f"Pengumuman #{broadcast_id} tidak ditemukan.")
    return broadcast


def read_markup(broadcast_id: int) -> dict[str, Any]:
    """The inline "Sudah dibaca" button every broadcast message carries."""
    return {
        "inline_keyboard": [
            [{"text": READ_BUTTON, "callback_data": f"{READ_PREFIX}{broadcast_id}"}]
        ]
    }


def materialize(session: Session, broadcast_id: int, now: dt.datetime) -> int:
    """Enqueue one outbox row per current recipient; returns rows added.

    Idempotent: the outbox key (`BROADCAST`: broadcast and employee) is unique, and a broadcast
    already sending, done or cancelled is left alone, so calling it again (scheduler retry, CLI
    and scheduler racing) adds nothing.
    """
    broadcast = get(session, broadcast_id, for_update=True)
    if broadcast.status not in (BroadcastStatus.DRAFT, BroadcastStatus.SCHEDULED):
        return 0
    markup = read_markup(broadcast.id)
    recipients = list(session.execute(_recipients(session, broadcast.segment)))
    personal = _personal_texts(session, broadcast.text, [eid for eid, _chat in recipients])
    rows = [
        {
            "key": BROADCAST(broadcast.id, employee_id),
            "kind": "broadcast",
            "chat_id": chat_id,
            "text": personal.get(employee_id, broadcast.text),
            "reply_markup": markup,
            "employee_id": employee_id,
            "broadcast_id": broadcast.id,
            "not_before": now,
            "attachment_file_id": broadcast.attachment_file_id,
            "attachment_kind": broadcast.attachment_kind,
        }
        for employee_id, chat_id in recipients
    ]
    added = enqueue_many(session, rows)
    broadcast.recipients = int(
        session.scalar(
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.broadcast_id == broadcast.id)
        )
    )
    broadcast.status = BroadcastStatus.SENDING if broadcast.recipients else BroadcastStatus.DONE
    broadcast.started_at = broadcast.started_at or now
    if not broadcast.recipients:
        broadcast.finished_at = now
    session.flush()
    return added


def recent(session: Session, limit: int = 20) -> list[Broadcast]:
    """The latest broadcasts, newest first."""
    return list(session.scalars(select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)))


def due_scheduled(session: Session, now: dt.datetime) -> list[int]:
    """Ids of scheduled broadcasts whose time has come, oldest first."""
    query = (
        select(Broadcast.id)
        .where(Broadcast.status == BroadcastStatus.SCHEDULED, Broadcast.scheduled_at <= now)
        .order_by(Broadcast.scheduled_at, Broadcast.id)
    )
    return list(session.scalars(query))


def finish_done(session: Session, now: dt.datetime) -> list[int]:
    """Mark sending broadcasts with no pending or in-flight message as done; their ids."""
    open_rows = exists().where(
        OutboxMessage.broadcast_id == Broadcast.id, OutboxMessage.status.in_(OPEN)
    )
    ids = list(
        session.scalars(
            select(Broadcast.id).where(Broadcast.status == BroadcastStatus.SENDING, ~open_rows)
        )
    )
    if ids:
        session.execute(
            update(Broadcast)
            .where(Broadcast.id.in_(ids), Broadcast.status == BroadcastStatus.SENDING)
            .values(status=BroadcastStatus.DONE, finished_at=now)
            .execution_options(synchronize_session=False)
        )
    return ids


def cancel(session: Session, broadcast_id: int, now: dt.datetime) -> int:
    """Stop a broadcast: nothing more is sent; returns how many unsent messages were dropped."""
    broadcast = get(session, broadcast_id, for_update=True)
    if broadcast.status in (BroadcastStatus.DONE, BroadcastStatus.CANCELLED):
        return 0
    # Rows already claimed ("sending") may be on their way; only pending ones can be stopped.
    dropped = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.broadcast_id == broadcast.id,
            OutboxMessage.status == OutboxStatus.PENDING,
        )
        .values(status=OutboxStatus.FAILED, failure_reason="cancelled", failed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    broadcast.status = BroadcastStatus.CANCELLED
    broadcast.finished_at = now
    session.flush()
    return int(dropped)


def mark_read(session: Session, broadcast_id: int, employee_id: int, now: dt.datetime) -> bool:
    """The employee pressed "Sudah dibaca"; True the first time (a forged id changes nothing)."""
    result = session.execute(
        update(OutboxMessage)
        .where(
            OutboxMessage.idempotency_key == BROADCAST(broadcast_id, employee_id),
            OutboxMessage.read_at.is_(None),
        )
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def parse_read_data(data: str) -> int | None:
    """The broadcast id in "Sudah dibaca" callback data, or None for anything else."""
    rest = data.removeprefix(READ_PREFIX)
    if rest == data or not rest.isdigit() or len(rest) > 12:
        return None
    return int(rest)


@dataclass
class Report:
    """Delivery of one broadcast so far; `pending` includes messages in flight."""

    id: int
    status: str
    segment: str
    created_at: dt.datetime
    scheduled_at: dt.datetime | None
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    recipients: int
    sent: int = 0
    read: int = 0
    pending: int = 0
    sending: int = 0
    failed: dict[str, int] = field(default_factory=dict)

    @property
    def failed_total(self) -> int:
        return sum(self.failed.values())

    @property
    def finished(self) -> bool:
        return self.status in (BroadcastStatus.DONE.value, BroadcastStatus.CANCELLED.value)


def report(session: Session, broadcast_id: int) -> Report:
    """Recipients, sent, failed by reason, read and still pending, in one grouped query."""
    broadcast = get(session, broadcast_id)
    result = Report(
        id=broadcast.id,
        status=BroadcastStatus(broadcast.status).value,
        segment=describe_segment(broadcast.segment),
        created_at=broadcast.created_at,
        scheduled_at=broadcast.scheduled_at,
        started_at=broadcast.started_at,
        finished_at=broadcast.finished_at,
        recipients=broadcast.recipients,
    )
    failed: Counter[str] = Counter()
    query = (
        select(
            OutboxMessage.status,
            OutboxMessage.failure_reason,
            func.count(),
            func.count(OutboxMessage.read_at),
        )
        .where(OutboxMessage.broadcast_id == broadcast.id)
        .group_by(OutboxMessage.status, OutboxMessage.failure_reason)
    )
    for status, reason, count, read in session.execute(query):
        result.read += int(read)
        match OutboxStatus(status):
            case OutboxStatus.SENT:
                result.sent += int(count)
            case OutboxStatus.PENDING:
                result.pending += int(count)
            case OutboxStatus.SENDING:
                result.pending += int(count)
                result.sending += int(count)
            case OutboxStatus.FAILED:
                failed[reason or "unknown"] += int(count)
    result.failed = dict(failed.most_common())
    return result


FAILURE_LABELS = {
    "blocked": "memblokir bot",
    "chat_not_found": "chat tidak ditemukan",
    "bad_request": "ditolak Telegram",
    "max_attempts": "gagal setelah beberapa kali coba",
    "cancelled": "dibatalkan",
}


STATUS_LABELS = {
    "draft": "draf",
    "scheduled": "terjadwal",
    "sending": "sedang dikirim",
    "done": "selesai",
    "cancelled": "dibatalkan",
}


def format_report(rep: Report) -> str:
    """The report as a short Indonesian text for Telegram."""
    status = STATUS_LABELS[rep.status]
    lines = [
        f"Laporan pengumuman #{rep.id} ({rep.segment}), status: {status}",
        f"Penerima: {rep.recipients}",
        f"Terkirim: {rep.sent}",
        f"Sudah dibaca: {rep.read}",
        f"Menunggu: {rep.pending}",
        f"Gagal: {rep.failed_total}",
    ]
    lines += [f"  • {FAILURE_LABELS.get(k, k)}: {v}" for k, v in rep.failed.items()]
    return "\n".join(lines)


# --- Dynamic segments -------------------------------------------------------------------------


def _normalize_dynamic(session: Session, key: str, value: str) -> str:
    if key == UNDER_JP:
        if not (value.isdigit() and len(value) == 4):
            raise BroadcastError(f"Tahun «{value}» tidak valid untuk segmen JP (mis. 2026).")
        return value
    if key == PROMOTION:
        period = session.get(PromotionPeriod, int(value)) if value.isdigit() else None
        if period is None:
            raise BroadcastError("Periode kenaikan pangkat tidak ditemukan.")
        return str(period.id)
    workshop = session.scalar(select(Workshop).where(func.lower(Workshop.code) == value.lower()))
    if workshop is None:
        raise BroadcastError(f"Workshop «{value}» tidak ditemukan (pakai kodenya).")
    return workshop.code


def _dynamic_condition(session: Session, segment: dict[str, Any]) -> ColumnElement[bool]:
    """The employee condition of a dynamic segment; its rule lives in its own service."""
    if UNDER_JP in segment:
        return training.under_required(int(segment[UNDER_JP]))
    if PROMOTION in segment:
        return promotion.eligible_for_period(session, get_period(session, segment[PROMOTION]))
    registered = (
        select(Registration.id)
        .join(Workshop, Workshop.id == Registration.workshop_id)
        .where(
            Registration.employee_id == Employee.id,
            Workshop.code == segment[WORKSHOP],
            Registration.status.in_(workshops.ACTIVE),
        )
        .exists()
    )
    return registered


def get_period(session: Session, period_id: str | int) -> PromotionPeriod:
    period = session.get(PromotionPeriod, int(period_id))
    if period is None:
        raise BroadcastError("Periode kenaikan pangkat tidak ditemukan.")
    return period


def segment_options(session: Session, today: dt.date) -> dict[str, list[tuple[str, str]]]:
    """Every segment key with the values HR can pick (the console's segment builder)."""
    choices = segment_choices(session)
    choices[UNDER_JP] = [(str(today.year), f"JP di bawah 20 tahun {today.year}")]
    choices[PROMOTION] = [
        (str(p.id), f"Periode {p.period_date:%d-%m-%Y}")
        for p in promotion.upcoming_periods(session, today)
    ]
    choices[WORKSHOP] = [
        (w.code, f"{w.code}: {w.title}")
        for w in session.scalars(select(Workshop).order_by(Workshop.starts_at.desc()).limit(50))
    ]
    return choices


# --- Personalisation --------------------------------------------------------------------------

PLACEHOLDERS = ("nama", "unit")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def check_placeholders(text: str) -> list[str]:
    """The placeholders used; refuses unknown or malformed ones ({nama} and {unit} only)."""
    used = _PLACEHOLDER.findall(text)
    unknown = [name for name in used if name not in PLACEHOLDERS]
    if unknown:
        raise BroadcastError(
            f"Isian «{{{unknown[0]}}}» tidak dikenal. Yang dapat dipakai: "
            + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS)
            + "."
        )
    stray = _PLACEHOLDER.sub("", text)
    if "{" in stray or "}" in stray:
        raise BroadcastError("Ada kurung kurawal { } yang tidak berpasangan di teks pengumuman.")
    return sorted(set(used))


def personalise(text: str, name: str, unit: str) -> str:
    """The text one employee receives ({nama}, {unit} filled in)."""
    return text.replace("{nama}", name).replace("{unit}", unit)


def _personal_texts(session: Session, text: str, employee_ids: list[int]) -> dict[int, str]:
    # Never raises: a text saved before (or without) the check is sent as written, with only
    # the known placeholders filled in.
    if not set(_PLACEHOLDER.findall(text)) & set(PLACEHOLDERS):
        return {}
    rows = session.execute(
        select(Employee.id, Employee.name, Unit.name)
        .join(Unit, Unit.id == Employee.unit_id)
        .where(Employee.id.in_(employee_ids))
    )
    return {eid: personalise(text, name, unit) for eid, name, unit in rows}


# --- The console: scope, four eyes, submit ----------------------------------------------------


class BroadcastForbidden(PermissionError):
    """The officer may not see or act on this broadcast (another unit, own approval)."""


def check_scope(officer: Officer, segment: dict[str, Any]) -> None:
    """A unit operator broadcasts to their own unit only; hr_admin to any segment."""
    if not officer.is_admin and segment != {"unit": officer.unit_code}:
        raise BroadcastForbidden(
            f"Sebagai pengelola unit, Bapak/Ibu hanya dapat mengirim ke unit {officer.unit_code}."
        )


def visible(session: Session, officer: Officer, broadcast_id: int) -> Broadcast:
    broadcast = get(session, broadcast_id)
    if not officer.is_admin and broadcast.segment != {"unit": officer.unit_code}:
        raise BroadcastForbidden("Pengumuman ini bukan milik unit Bapak/Ibu.")
    return broadcast


@dataclass
class Listed:
    """One row of the console's broadcast list (with its live progress)."""

    broadcast: Broadcast
    segment: str
    awaiting_approval: bool
    report: Report


def listing(session: Session, officer: Officer, limit: int = 50) -> list[Listed]:
    query = select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)
    if not officer.is_admin:
        # The JSON column as the text SQLAlchemy wrote (json.dumps, the same on both engines).
        own = json.dumps({"unit": officer.unit_code})
        query = query.where(cast(Broadcast.segment, Text) == own)
    found = list(session.scalars(query))
    waiting = set(
        session.scalars(
            select(BroadcastApproval.broadcast_id).where(
                BroadcastApproval.broadcast_id.in_([b.id for b in found]),
                BroadcastApproval.approved_at.is_(None),
            )
        )
    )
    return [
        Listed(b, describe_segment(b.segment), b.id in waiting, report(session, b.id))
        for b in found
    ]


@dataclass
class Submitted:
    broadcast: Broadcast
    needs_approval: bool
    queued: int = 0


def submit(
    session: Session,
    officer: Officer,
    *,
    text: str,
    segment: dict[str, Any],
    now: dt.datetime,
    scheduled_at: dt.datetime | None,
    approval_threshold: int,
    attachment: str | None = None,
) -> Submitted:
    """Send now or schedule, or (over the threshold) hold for a second hr_admin's approval.

    `attachment`: the SHA-256 of a file `attach` stored (what the composer hands back)."""
    check_placeholders(text)
    attached = attachment_by_digest(session, attachment) if attachment else None
    segment = normalize_segment(session, segment)
    check_scope(officer, segment)
    if scheduled_at is not None and scheduled_at <= now:
        raise BroadcastError("Waktu kirim sudah lewat; pilih waktu yang akan datang.")
    broadcast = create(
        session,
        text=text,
        segment=segment,
        now=now,
        created_by_id=officer.employee_id,
        attachment=attached,
    )
    details: dict[str, Any] = {"segment": segment, "recipients": broadcast.recipients}
    if attached is not None:
        details["attachment"] = {"name": attached.file_name, "sha256": attached.sha256}
    if broadcast.recipients > approval_threshold:
        session.add(
            BroadcastApproval(
                broadcast_id=broadcast.id,
                requested_by_id=officer.employee_id,
                requested_at=now,
                send_at=scheduled_at,
            )
        )
        session.flush()
        audit.record(
            session,
            officer.actor,
            "broadcast.request_approval",
            f"broadcast:{broadcast.id}",
            details,
        )
        return Submitted(broadcast, needs_approval=True)
    queued = _release(session, broadcast, scheduled_at, now)
    action = "broadcast.schedule" if scheduled_at else "broadcast.send"
    audit.record(session, officer.actor, action, f"broadcast:{broadcast.id}", details)
    return Submitted(broadcast, needs_approval=False, queued=queued)


def _release(
    session: Session, broadcast: Broadcast, scheduled_at: dt.datetime | None, now: dt.datetime
) -> int:
    if scheduled_at is not None:
        broadcast.status = BroadcastStatus.SCHEDULED
        broadcast.scheduled_at = scheduled_at
        session.flush()
        return 0
    return materialize(session, broadcast.id, now)


def approval(session: Session, broadcast_id: int) -> BroadcastApproval | None:
    return session.get(BroadcastApproval, broadcast_id)


def approve(session: Session, officer: Officer, broadcast_id: int, now: dt.datetime) -> int:
    """A second hr_admin approves: the broadcast goes out (or is scheduled); rows queued."""
    if not officer.is_admin:
        raise BroadcastForbidden(
            "Persetujuan hanya dapat diberikan oleh petugas BKPSDM (hr_admin)."
        )
    broadcast = get(session, broadcast_id, for_update=True)
    pending = session.get(BroadcastApproval, broadcast_id, with_for_update=True)
    if pending is None or pending.approved_at is not None:
        raise BroadcastError("Pengumuman ini tidak sedang menunggu persetujuan.")
    if pending.requested_by_id == officer.employee_id:
        raise BroadcastForbidden(
            "Pengumuman yang Bapak/Ibu ajukan sendiri harus disetujui petugas lain (empat mata)."
        )
    if broadcast.status != BroadcastStatus.DRAFT:
        raise BroadcastError("Pengumuman ini sudah tidak dapat disetujui.")
    send_at = pending.send_at if pending.send_at and pending.send_at > now else None
    pending.approved_by_id = officer.employee_id
    pending.approved_at = now
    queued = _release(session, broadcast, send_at, now)
    audit.record(
        session, officer.actor, "broadcast.approve", f"broadcast:{broadcast.id}", {"queued": queued}
    )
    return queued


def cancel_by(session: Session, officer: Officer, broadcast_id: int, now: dt.datetime) -> int:
    """Cancel a draft, waiting or scheduled (or still sending) broadcast, audited."""
    visible(session, officer, broadcast_id)
    dropped = cancel(session, broadcast_id, now)
    audit.record(
        session,
        officer.actor,
        "broadcast.cancel",
        f"broadcast:{broadcast_id}",
        {"dropped": dropped},
    )
    return dropped


def duplicate(session: Session, officer: Officer, broadcast_id: int) -> tuple[str, dict[str, Any]]:
    """Text and segment of a broadcast, to start a new draft from."""
    broadcast = visible(session, officer, broadcast_id)
    return broadcast.text, dict(broadcast.segment)


def attachment_of(session: Session, broadcast: Broadcast) -> Attachment | None:
    """The file a broadcast carries, if any (a duplicate starts with it too)."""
    if broadcast.attachment_file_id is None:
        return None
    stored = session.get(StoredFile, broadcast.attachment_file_id)
    return _attachment(stored) if stored else None


def send_test(
    session: Session,
    officer: Officer,
    text: str,
    now: dt.datetime,
    attachment: str | None = None,
) -> bool:
    """Send the text, personalised, to the officer's own chat through the outbox (uji kirim),
    with the attachment (its SHA-256) when the broadcast has one."""
    check_text(text)
    check_placeholders(text)
    attached = attachment_by_digest(session, attachment) if attachment else None
    employee = session.get(Employee, officer.employee_id)
    if employee is None or employee.telegram_chat_id is None:
        raise BroadcastError(
            "Akun Telegram Bapak/Ibu belum terhubung; uji kirim tidak dapat dilakukan."
        )
    body = personalise(text, employee.name, employee.unit.name)
    added = enqueue_many(
        session,
        [
            {
                "key": BROADCAST_TEST(employee.id, secrets.token_hex(8)),
                "kind": "broadcast",
                "chat_id": employee.telegram_chat_id,
                "text": f"[UJI KIRIM]\n{body}",
                "employee_id": employee.id,
                "not_before": now,
                "attachment_file_id": attached.file_id if attached else None,
                "attachment_kind": attached.kind if attached else None,
            }
        ],
    )
    return bool(added)


def report_rows(session: Session, officer: Officer, broadcast_id: int) -> list[list[Any]]:
    """Per-recipient delivery rows (for CSV/XLSX export): NIP masked, status, reason, times."""
    visible(session, officer, broadcast_id)
    query = (
        select(
            Employee.nip,
            Employee.name,
            Unit.code,
            OutboxMessage.status,
            OutboxMessage.failure_reason,
            OutboxMessage.sent_at,
            OutboxMessage.read_at,
        )
        .join(Employee, Employee.id == OutboxMessage.employee_id)
        .join(Unit, Unit.id == Employee.unit_id)
        .where(OutboxMessage.broadcast_id == broadcast_id)
        .order_by(Employee.name)
    )
    rows: list[list[Any]] = [
        ["NIP", "Nama", "Unit", "Status", "Alasan gagal", "Terkirim", "Dibaca"]
    ]
    for nip, name, unit, status, reason, sent_at, read_at in session.execute(query):
        rows.append(
            [
                mask_nip(nip),
                name,
                unit,
                OutboxStatus(status).value,
                FAILURE_LABELS.get(reason or "", reason or ""),
                sent_at.isoformat(timespec="seconds") if sent_at else "",
                read_at.isoformat(timespec="seconds") if read_at else "",
            ]
        )
    return rows


@dataclass
class Preview:
    """What the composer shows live: recipients now, and the text one of them would read."""

    recipients: int = 0
    sample: str = ""
    segment: str = ""
    error: str = ""
    needs_approval: bool = False
    attachment: Attachment | None = None

    @property
    def caption_fits(self) -> bool:
        """The text goes as the file's caption (else first, on its own, then the file)."""
        return text_length(self.sample) <= MAX_CAPTION


def preview(
    session: Session,
    officer: Officer,
    *,
    text: str,
    segment: dict[str, Any],
    approval_threshold: int,
    attachment: str | None = None,
) -> Preview:
    """Count and sample for the composer; errors come back in words, never raised."""
    result = Preview()
    try:
        if attachment:
            result.attachment = attachment_by_digest(session, attachment)
        chosen = normalize_segment(session, segment)
        check_scope(officer, chosen)
        result.segment = describe_segment(chosen)
        result.recipients = count_recipients(session, chosen)
        result.needs_approval = result.recipients > approval_threshold
        body = (text or "").strip()
        if body:
            check_text(body)
            check_placeholders(body)
            first = session.execute(
                select(Employee.name, Unit.name)
                .join(Unit, Unit.id == Employee.unit_id)
                .where(Employee.id.in_(_recipients(session, chosen).with_only_columns(Employee.id)))
                .order_by(Employee.id)
                .limit(1)
            ).first()
            name, unit = first if first else ("Nama Pegawai", "Unit Kerja")
            result.sample = personalise(body, name, unit)
    except (BroadcastError, BroadcastForbidden) as exc:
        result.error = str(exc)
    return result


@dataclass
class Detail:
    broadcast: Broadcast
    report: Report
    approval: BroadcastApproval | None
    author: str
    attachment: Attachment | None = None
    timeline: Timeline | None = None

    @property
    def caption_fits(self) -> bool:
        return text_length(self.broadcast.text) <= MAX_CAPTION


def detail(
    session: Session, officer: Officer, broadcast_id: int, *, with_timeline: bool = False
) -> Detail:
    broadcast = visible(session, officer, broadcast_id)
    author = session.get(Employee, broadcast.created_by_id) if broadcast.created_by_id else None
    return Detail(
        broadcast,
        report(session, broadcast_id),
        session.get(BroadcastApproval, broadcast_id),
        author.name if author else "CLI / bot",
        attachment_of(session, broadcast),
        timeline(session, broadcast_id) if with_timeline else None,
    )


# --- Attachments (a surat edaran with the announcement) ---------------------------------------


@dataclass(frozen=True)
class Attachment:
    """A file from the store that a broadcast carries; `sha256` is how the composer names it
    (knowing it means having had the bytes: a stored file id would let anyone pick any file)."""

    file_id: int
    sha256: str
    file_name: str
    mime_type: str
    size: int

    @property
    def kind(self) -> str:
        return files.telegram_kind(self.mime_type)

    @property
    def is_image(self) -> bool:
        return self.kind == files.PHOTO

    @property
    def size_label(self) -> str:
        if self.size >= 1024 * 1024:
            return f"{self.size / (1024 * 1024):.1f} MB".replace(".", ",")
        return f"{max(1, round(self.size / 1024))} KB"


ATTACHMENT_TOO_LARGE = f"Lampiran terlalu besar: maksimal {files.MAX_MB} MB."
ATTACHMENT_WRONG_TYPE = "Lampiran harus berkas PDF atau gambar JPEG/PNG."
ATTACHMENT_EMPTY = "Berkas lampiran kosong atau tidak terbaca."


def _attachment(stored: StoredFile) -> Attachment:
    return Attachment(stored.id, stored.sha256, stored.file_name, stored.mime_type, stored.size)


def attach(session: Session, content: bytes, file_name: str = "") -> Attachment:
    """Check (JPEG/PNG/PDF by magic bytes, at most 10 MB) and keep a file in the store."""
    if not content:
        raise BroadcastError(ATTACHMENT_EMPTY)
    if len(content) > files.MAX_BYTES:
        raise BroadcastError(ATTACHMENT_TOO_LARGE)
    try:
        checked = files.check(content)
    except files.FileRejected:
        raise BroadcastError(ATTACHMENT_WRONG_TYPE) from None
    name = (file_name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    name = "".join(ch for ch in name if ch.isprintable())[:120]
    if not name:
        name = f"surat-edaran{files.extension(checked.mime_type)}"
    stored = files.store(session, checked, name)
    return _attachment(stored)


def attachment_by_digest(session: Session, sha256: str) -> Attachment:
    """The stored file with this SHA-256 (hex), or BroadcastError."""
    value = (sha256 or "").strip().lower()
    stored = (
        files.by_sha256(session, value)
        if len(value) == 64 and all(c in "0123456789abcdef" for c in value)
        else None
    )
    if stored is None:
        raise BroadcastError("Lampiran tidak ditemukan; unggah ulang berkasnya.")
    return _attachment(stored)


def attachment_content(session: Session, sha256: str) -> tuple[Attachment, bytes]:
    """A broadcast attachment's bytes, for the composer's preview."""
    found = attachment_by_digest(session, sha256)
    content = files.content_of(session, found.file_id)
    assert content is not None
    return found, content


# --- The report's chart: sent, read and failed over time --------------------------------------

BUCKETS = (  # (span up to, bucket, label): per minute up to 3 hours, per hour up to 7 days
    (dt.timedelta(hours=3), "minute", "menit"),
    (dt.timedelta(days=7), "hour", "jam"),
    (dt.timedelta.max, "day", "hari"),
)
_SQLITE_FORMAT = {"minute": "%Y-%m-%d %H:%M:00", "hour": "%Y-%m-%d %H:00:00", "day": "%Y-%m-%d"}


@dataclass
class Timeline:
    """Per bucket (aware UTC start) how many messages were sent, read and failed; gaps are zeros."""

    unit: str  # menit | jam | hari
    starts: list[dt.datetime]
    sent: list[int]
    read: list[int]
    failed: list[int]

    @staticmethod
    def _running(values: list[int]) -> list[int]:
        total, out = 0, []
        for value in values:
            total += value
            out.append(total)
        return out

    @property
    def cumulative(self) -> dict[str, list[int]]:
        return {
            "sent": self._running(self.sent),
            "read": self._running(self.read),
            "failed": self._running(self.failed),
        }

    @property
    def peak(self) -> int:
        return max([1, *(values[-1] for values in self.cumulative.values() if values)])


def _bucket(session: Session, column: Any, size: str) -> Any:
    # The unit as SQL text, not a bound parameter: PostgreSQL must see the GROUP BY expression
    # as the selected one (`size` is one of three fixed words).
    if session.get_bind().dialect.name == "postgresql":
        return func.date_trunc(literal_column(f"'{size}'"), column)
    return func.strftime(literal_column(f"'{_SQLITE_FORMAT[size]}'"), column)


def _as_datetime(value: Any) -> dt.datetime:
    """A bucket or bound as an aware UTC datetime (SQLite gives text, PostgreSQL naive UTC)."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    else:
        moment = dt.datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(dt.UTC)


def _floor(moment: dt.datetime, size: str) -> dt.datetime:
    moment = moment.replace(second=0, microsecond=0)
    if size in ("hour", "day"):
        moment = moment.replace(minute=0)
    if size == "day":
        moment = moment.replace(hour=0)
    return moment


_STEP = {
    "minute": dt.timedelta(minutes=1),
    "hour": dt.timedelta(hours=1),
    "day": dt.timedelta(days=1),
}


def timeline(session: Session, broadcast_id: int) -> Timeline | None:
    """The report's chart data, counted in SQL (two grouped queries on the broadcast's rows:
    its time span, then sent/read/failed per bucket); None before anything happened."""
    mine = OutboxMessage.broadcast_id == broadcast_id
    columns = {
        "sent": OutboxMessage.sent_at,
        "read": OutboxMessage.read_at,
        "failed": OutboxMessage.failed_at,
    }
    span = session.execute(
        select(
            *(func.min(c) for c in columns.values()), *(func.max(c) for c in columns.values())
        ).where(mine)
    ).one()
    firsts = [v for v in span[:3] if v is not None]
    lasts = [v for v in span[3:] if v is not None]
    if not firsts:
        return None
    first, last = _as_datetime(min(firsts)), _as_datetime(max(lasts))
    size, unit = next((s, u) for limit, s, u in BUCKETS if last - first <= limit)
    parts = [
        select(
            literal(name).label("series"),
            _bucket(session, column, size).label("b"),
            func.count().label("n"),
        )
        .where(mine, column.is_not(None))
        .group_by(_bucket(session, column, size))
        for name, column in columns.items()
    ]
    counts: dict[tuple[str, dt.datetime], int] = {}
    for series, bucket, count in session.execute(union_all(*parts)):
        counts[(series, _floor(_as_datetime(bucket), size))] = int(count)
    starts, moment = [], _floor(first, size)
    while moment <= last:
        starts.append(moment)
        moment += _STEP[size]
    return Timeline(
        unit,
        starts,
        *([counts.get((name, start), 0) for start in starts] for name in columns),
    )
