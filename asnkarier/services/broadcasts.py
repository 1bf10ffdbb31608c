"""HR broadcasts: segments, recipient preview, one outbox row per recipient, read marks, reports."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, exists, func, select, update
from sqlalchemy.orm import Session

from asnkarier.models import (
    Broadcast,
    BroadcastStatus,
    Employee,
    OutboxMessage,
    OutboxStatus,
    PositionKind,
    Rank,
    Unit,
)
from asnkarier.services import employees
from asnkarier.services.formatting import local_time as local_time  # re-exported (CLI, bot)
from asnkarier.services.golongan import TO_ROMAN, normalize_rank_or_group
from asnkarier.services.outbox import OPEN, enqueue_many
from asnkarier.services.outbox_keys import BROADCAST
from asnkarier.telegram_limits import MAX_MESSAGE, text_length

READ_PREFIX = "dibaca:"  # callback data of the "Sudah dibaca" button: dibaca:<broadcast id>
READ_BUTTON = "Sudah dibaca"
SEGMENT_KEYS = ("unit", "jenis_jabatan", "golongan")


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
    return f"golongan {value}"


def _recipients(segment: dict[str, Any]) -> Select[tuple[int, int]]:
    """Linked, active employees who have not blocked the bot, within the segment."""
    query = select(Employee.id, Employee.telegram_chat_id).where(employees.reachable())
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
    return int(session.scalar(select(func.count()).select_from(_recipients(segment).subquery())))


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
) -> Broadcast:
    """A draft (send it with `materialize`) or, with `scheduled_at` (aware), a scheduled one."""
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
    rows = [
        {
            "key": BROADCAST(broadcast.id, employee_id),
            "kind": "broadcast",
            "chat_id": chat_id,
            "text": broadcast.text,
            "reply_markup": markup,
            "employee_id": employee_id,
            "broadcast_id": broadcast.id,
            "not_before": now,
        }
        for employee_id, chat_id in session.execute(_recipients(broadcast.segment))
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
        .values(status=OutboxStatus.FAILED, failure_reason="cancelled")
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


def format_report(rep: Report) -> str:
    """The report as a short Indonesian text for Telegram."""
    status = {
        "draft": "draf",
        "scheduled": "terjadwal",
        "sending": "sedang dikirim",
        "done": "selesai",
        "cancelled": "dibatalkan",
    }[rep.status]
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
