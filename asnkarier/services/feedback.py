"""Feedback after a workshop, then its certificate.

When a workshop has ended (and was not cancelled), `scan` puts the first question in the outbox
for every attendee (`registrations.status = attended`), once per workshop and employee
(`outbox_keys.FEEDBACK_REQUEST`), however often it runs and on however many schedulers.

Three questions: overall 1-5 and usefulness for the job 1-5 (buttons), then an optional comment
(typed, or the "Lewati" button). Each answer is stored once on the employee's
`workshop_feedback` row (guarded UPDATEs: a second press of a button, even on another replica,
changes nothing and is told "sudah tercatat"). Completing the row (comment or skip) issues the
certificate once; sending it is claimed (`claim_send`) so it goes out once, and a failed send can
be repeated with the same number.

The comment rule (`classify_comment`): only the plain text message right after the comment
prompt, while the prompt is open (a draft, `COMMENT_FLOW`, `COMMENT_TTL`), is a comment.
"lewati"/"batal"/"tidak ada" end it without a comment; a question ("kapan deadline skp?") or
a command is not a comment: the prompt closes and the message goes on to the assistant (the
"Lewati" button under the prompt still finishes the feedback).
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Select, and_, func, or_, select, true, update
from sqlalchemy.orm import Session

from asnkarier.db import insert_ignore
from asnkarier.models import (
    Certificate,
    Employee,
    Registration,
    RegistrationStatus,
    Unit,
    Workshop,
    WorkshopFeedback,
)
from asnkarier.services import certificates, employees, outbox
from asnkarier.services.console_auth import Officer
from asnkarier.services.formatting import local, tanggal
from asnkarier.services.outbox_keys import FEEDBACK_REQUEST
from asnkarier.services.text import looks_like_question

PREFIX = "fb:"
OVERALL = "o"
USEFULNESS = "u"
SKIP = "lewati"
_DATA = re.compile(rf"^{PREFIX}(\d{{1,12}}):(?:([{OVERALL}{USEFULNESS}]):([1-5])|({SKIP}))$")
RESUME_PREFIX = "fbl:"
_RESUME = re.compile(rf"^{RESUME_PREFIX}(\d{{1,12}})$")
COMMENT_FLOW = "feedback-comment"
COMMENT_STEP = "comment"
COMMENT_TTL = dt.timedelta(minutes=30)
COMMENT_MAX = 500
# A send claimed this long ago without being recorded is taken to have failed (the bot died).
SEND_CLAIM = dt.timedelta(minutes=2)
SCALE = (1, 2, 3, 4, 5)

SKIP_WORDS = {"lewati", "batal", "skip", "tidak", "tidak ada", "ga ada", "gak ada", "nggak ada"}
SKIP_WORDS |= {"tdk ada", "tak ada", "-", "tidak usah", "ngga ada", "nanti saja"}
CERTIFICATE_WORDS = {"sertifikat", "sertifikat saya", "sertifikatku", "minta sertifikat"}

QUESTION_1 = (
    'Terima kasih telah mengikuti workshop "{title}" ({day}). Mohon bantu kami dengan tiga '
    "pertanyaan singkat; setelahnya sertifikat {you} langsung dikirim di sini.\n\n"
    "1/3. Secara keseluruhan, bagaimana penilaian {you} tentang workshop ini?\n"
    "(1 = sangat kurang, 5 = sangat baik)"
)
QUESTION_2 = (
    "2/3. Seberapa bermanfaat workshop ini untuk pekerjaan {you}?\n"
    "(1 = tidak bermanfaat, 5 = sangat bermanfaat)"
)
QUESTION_3 = (
    f"3/3. Ada saran atau komentar? Silakan ketik singkat (paling banyak {COMMENT_MAX} "
    "karakter) sebagai pesan berikutnya, atau tekan «Lewati»."
)
ANSWERED = {OVERALL: "Penilaian keseluruhan", USEFULNESS: "Manfaat untuk pekerjaan"}


class Outcome(enum.StrEnum):
    RECORDED = "recorded"
    ALREADY = "already"  # this answer (or the whole feedback) was recorded before
    NOT_ATTENDEE = "not_attendee"
    NOT_ENDED = "not_ended"
    INCOMPLETE = "incomplete"  # the comment step before both scores were given
    UNKNOWN = "unknown"  # no such workshop, or it was cancelled


class CommentKind(enum.StrEnum):
    COMMENT = "comment"
    SKIP = "skip"
    NOT_A_COMMENT = "not_a_comment"
    TOO_LONG = "too_long"


@dataclass(frozen=True)
class Press:
    """A feedback button: the workshop, and the answer (question, 1-5) or the skip."""

    workshop_id: int
    question: str | None
    value: int | None

    @property
    def skip(self) -> bool:
        return self.question is None


def parse(data: str) -> Press | None:
    """The feedback button behind callback data, or None when it is not a valid one."""
    match = _DATA.match(data)
    if match is None:
        return None
    workshop_id = int(match.group(1))
    if match.group(4):
        return Press(workshop_id, None, None)
    return Press(workshop_id, match.group(2), int(match.group(3)))


def button_data(workshop_id: int, question: str | None, value: int | None = None) -> str:
    """callback_data of a feedback button (at most 64 bytes by construction)."""
    if question is None:
        return f"{PREFIX}{workshop_id}:{SKIP}"
    return f"{PREFIX}{workshop_id}:{question}:{value}"


def resume_data(workshop_id: int) -> str:
    """callback_data of "Isi umpan balik" (under /sertifikat): ask the next question again."""
    return f"{RESUME_PREFIX}{workshop_id}"


def parse_resume(data: str) -> int | None:
    match = _RESUME.match(data)
    return int(match.group(1)) if match else None


def scale_markup(workshop_id: int, question: str) -> dict[str, Any]:
    row = [{"text": str(n), "callback_data": button_data(workshop_id, question, n)} for n in SCALE]
    return {"inline_keyboard": [row]}


def skip_markup(workshop_id: int) -> dict[str, Any]:
    return {
        "inline_keyboard": [[{"text": "Lewati", "callback_data": button_data(workshop_id, None)}]]
    }


def held_on(workshop: Workshop) -> dt.date:
    """The workshop's date where it was held."""
    return local(workshop.starts_at, workshop.timezone).date()


def first_question(workshop: Workshop, you: str = employees.NEUTRAL) -> str:
    """The first question, with the employee's honorific ("Bapak", "Ibu", else "Bapak/Ibu")."""
    day = tanggal(held_on(workshop), with_day=False)
    return QUESTION_1.format(title=workshop.title, day=day, you=you)


def second_question(you: str = employees.NEUTRAL) -> str:
    return QUESTION_2.format(you=you)


def answered_lines(row: WorkshopFeedback) -> str:
    lines = []
    if row.overall is not None:
        lines.append(f"✅ {ANSWERED[OVERALL]}: {row.overall} dari 5")
    if row.usefulness is not None:
        lines.append(f"✅ {ANSWERED[USEFULNESS]}: {row.usefulness} dari 5")
    return "\n".join(lines)


def next_question(
    row: WorkshopFeedback, you: str = employees.NEUTRAL
) -> tuple[str, dict[str, Any]] | None:
    """The next unanswered question of the row with its buttons (None: only the comment is left
    or everything is done)."""
    if row.overall is None:
        return "1/3. Secara keseluruhan, bagaimana workshop ini? (1-5)", scale_markup(
            row.workshop_id, OVERALL
        )
    if row.usefulness is None:
        return second_question(you), scale_markup(row.workshop_id, USEFULNESS)
    return None


# --- the scheduler's part ----------------------------------------------------------------------


def _attended() -> Any:
    return (Registration.status == RegistrationStatus.ATTENDED) & Registration.attended_at.is_not(
        None
    )


def ended_workshops(session: Session, now: dt.datetime, window: dt.timedelta) -> list[Workshop]:
    """Workshops that ended in the last `window` and were not cancelled."""
    return list(
        session.scalars(
            select(Workshop)
            .where(
                Workshop.is_cancelled.is_(False),
                Workshop.ends_at <= now,
                Workshop.ends_at > now - window,
            )
            .order_by(Workshop.ends_at, Workshop.id)
        )
    )


def _recipients(workshop_id: int) -> Select[tuple[str, int, int]]:
    answered = (
        select(WorkshopFeedback.id)
        .where(
            WorkshopFeedback.workshop_id == workshop_id,
            WorkshopFeedback.employee_id == Employee.id,
        )
        .exists()
    )
    query = (
        select(
            FEEDBACK_REQUEST.sql(workshop_id, Employee.id).label("key"),
            Employee.id,
            Employee.telegram_chat_id,
        )
        .join(Registration, Registration.employee_id == Employee.id)
        .where(
            Registration.workshop_id == workshop_id,
            _attended(),
            employees.reachable(),
            ~answered,
        )
        .order_by(Employee.id)
    )
    return query  # type: ignore[return-value]  # telegram_chat_id is not NULL by reachable()


def scan(session: Session, now: dt.datetime, window: dt.timedelta) -> int:
    """Ask every attendee of every workshop that ended (within `window`) the first question;
    returns how many requests were new. Idempotent: the outbox key is per workshop and employee.
    """
    added = 0
    for workshop in ended_workshops(session, now, window):
        # One insert per honorific: the first question addresses each attendee as the roster
        # says (a workshop's attendees are few, so listing their ids here is cheap).
        asked = session.scalars(select(Employee).where(Employee.id.in_(
            _recipients(workshop.id).with_only_columns(Employee.id)
        ))).all()  # fmt: skip
        groups: dict[str, list[int]] = {}
        for employee in asked:
            groups.setdefault(employees.honorific(employee), []).append(employee.id)
        for you, ids in sorted(groups.items()):
            added += outbox.enqueue_from(
                session,
                _recipients(workshop.id).where(Employee.id.in_(ids)),
                kind="feedback",
                text=first_question(workshop, you),
                reply_markup=scale_markup(workshop.id, OVERALL),
                not_before=now,
            )
    return added


# --- answers ---------------------------------------------------------------------------------


@dataclass
class Answer:
    outcome: Outcome
    row: WorkshopFeedback | None = None
    workshop: Workshop | None = None


def _eligible(
    session: Session, workshop_id: int, employee_id: int, now: dt.datetime
) -> tuple[Outcome, Workshop | None]:
    workshop = session.get(Workshop, workshop_id)
    if workshop is None or workshop.is_cancelled:
        return Outcome.UNKNOWN, None
    if workshop.ends_at > now:
        return Outcome.NOT_ENDED, workshop
    attended = session.scalar(
        select(Registration.id).where(
            Registration.workshop_id == workshop_id,
            Registration.employee_id == employee_id,
            _attended(),
        )
    )
    return (Outcome.RECORDED if attended else Outcome.NOT_ATTENDEE), workshop


def _row(session: Session, workshop_id: int, employee_id: int) -> WorkshopFeedback:
    insert_ignore(
        session,
        WorkshopFeedback,
        {"workshop_id": workshop_id, "employee_id": employee_id},
        ["workshop_id", "employee_id"],
    )
    row = session.scalar(
        select(WorkshopFeedback)
        .where(
            WorkshopFeedback.workshop_id == workshop_id,
            WorkshopFeedback.employee_id == employee_id,
        )
        .execution_options(populate_existing=True)
    )
    assert row is not None  # inserted just now or before
    return row


def feedback_of(session: Session, workshop_id: int, employee_id: int) -> WorkshopFeedback | None:
    return session.scalar(
        select(WorkshopFeedback)
        .where(
            WorkshopFeedback.workshop_id == workshop_id,
            WorkshopFeedback.employee_id == employee_id,
        )
        .execution_options(populate_existing=True)
    )


def answer(
    session: Session, workshop_id: int, employee: Employee, question: str, value: int,
    now: dt.datetime,
) -> Answer:  # fmt: skip
    """Record one scored answer once (a second press changes nothing: ALREADY)."""
    if question not in ANSWERED or value not in SCALE:
        raise ValueError(f"bad feedback answer {question!r}={value!r}")
    outcome, workshop = _eligible(session, workshop_id, employee.id, now)
    if outcome != Outcome.RECORDED:
        return Answer(outcome, None, workshop)
    row = _row(session, workshop_id, employee.id)
    column = WorkshopFeedback.overall if question == OVERALL else WorkshopFeedback.usefulness
    changed = session.execute(
        update(WorkshopFeedback)
        .where(
            WorkshopFeedback.id == row.id,
            column.is_(None),
            WorkshopFeedback.completed_at.is_(None),
        )
        .values({column: value, WorkshopFeedback.updated_at: now})
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    session.refresh(row)
    return Answer(Outcome.RECORDED if changed else Outcome.ALREADY, row, workshop)


def classify_comment(text: str) -> CommentKind:
    """What a plain text message right after the comment prompt is (see the module docstring)."""
    plain = " ".join(text.lower().split()).strip(" .!")
    if plain in SKIP_WORDS:
        return CommentKind.SKIP
    if not plain or looks_like_question(text) or plain in CERTIFICATE_WORDS:
        return CommentKind.NOT_A_COMMENT
    if len(text.strip()) > COMMENT_MAX:
        return CommentKind.TOO_LONG
    return CommentKind.COMMENT


@dataclass
class Completion:
    outcome: Outcome
    row: WorkshopFeedback | None = None
    certificate: Certificate | None = None
    no_certificate_reason: str | None = None


def complete(
    session: Session,
    workshop_id: int,
    employee: Employee,
    comment: str | None,
    now: dt.datetime,
) -> Completion:
    """Finish the feedback with the comment (or none: skipped) and issue the certificate, once.

    Of two completions at the same time (two presses of "Lewati", two replicas) exactly one
    wins the guarded UPDATE; the other gets ALREADY and the row as it is.
    """
    outcome, workshop = _eligible(session, workshop_id, employee.id, now)
    if outcome != Outcome.RECORDED or workshop is None:
        return Completion(outcome)
    row = _row(session, workshop_id, employee.id)
    if row.completed_at is None and (row.overall is None or row.usefulness is None):
        return Completion(Outcome.INCOMPLETE, row)
    text = " ".join(comment.split())[:COMMENT_MAX] if comment else None
    won = session.execute(
        update(WorkshopFeedback)
        .where(WorkshopFeedback.id == row.id, WorkshopFeedback.completed_at.is_(None))
        .values(comment=text or None, completed_at=now, updated_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    session.refresh(row)
    if not won:
        return Completion(Outcome.ALREADY, row, row.certificate)
    if workshop.jp < 1:
        return Completion(Outcome.RECORDED, row, None, "Workshop ini tidak memberi JP.")
    certificate = certificates.issue(
        session,
        employee,
        title=workshop.title,
        held_on=held_on(workshop),
        jp=workshop.jp,
        workshop_id=workshop.id,
    )
    row.certificate_id = certificate.id
    session.flush()
    return Completion(Outcome.RECORDED, row, certificate)


def pending(session: Session, employee_id: int, now: dt.datetime, limit: int = 5) -> list[Workshop]:
    """Ended workshops the employee attended whose feedback is not finished (newest first)."""
    finished = (
        select(WorkshopFeedback.id)
        .where(
            WorkshopFeedback.workshop_id == Workshop.id,
            WorkshopFeedback.employee_id == employee_id,
            WorkshopFeedback.completed_at.is_not(None),
        )
        .exists()
    )
    return list(
        session.scalars(
            select(Workshop)
            .join(Registration, Registration.workshop_id == Workshop.id)
            .where(
                Registration.employee_id == employee_id,
                _attended(),
                Workshop.is_cancelled.is_(False),
                Workshop.ends_at <= now,
                ~finished,
            )
            .order_by(Workshop.ends_at.desc())
            .limit(limit)
        )
    )


@dataclass
class Step:
    """Where an employee's feedback stands: the text and buttons to show next."""

    outcome: Outcome
    text: str = ""
    markup: dict[str, Any] | None = None
    comment_prompt: bool = False


def resume(session: Session, workshop_id: int, employee: Employee, now: dt.datetime) -> Step:
    """The next question of the employee's feedback (the first one, a score, or the comment)."""
    outcome, workshop = _eligible(session, workshop_id, employee.id, now)
    if outcome != Outcome.RECORDED or workshop is None:
        return Step(outcome)
    row = feedback_of(session, workshop_id, employee.id)
    if row is not None and row.completed_at is not None:
        return Step(Outcome.ALREADY)
    if row is None or row.overall is None:
        first = first_question(workshop, employees.honorific(employee))
        return Step(Outcome.RECORDED, first, scale_markup(workshop_id, OVERALL))
    done = answered_lines(row)
    if row.usefulness is None:
        markup = scale_markup(workshop_id, USEFULNESS)
        second = second_question(employees.honorific(employee))
        return Step(Outcome.RECORDED, f"{workshop.title}\n{done}\n\n{second}", markup)
    text = f"{workshop.title}\n{done}\n\n{QUESTION_3}"
    return Step(Outcome.RECORDED, text, skip_markup(workshop_id), comment_prompt=True)


# --- sending the certificate once ---------------------------------------------------------------


def claim_send(session: Session, feedback_id: int, now: dt.datetime) -> bool:
    """Take the right to send the row's certificate automatically; False when it was sent, or
    another press is sending it right now."""
    claimed = session.execute(
        update(WorkshopFeedback)
        .where(
            WorkshopFeedback.id == feedback_id,
            WorkshopFeedback.certificate_id.is_not(None),
            WorkshopFeedback.certificate_sent_at.is_(None),
            or_(
                WorkshopFeedback.certificate_sending_at.is_(None),
                WorkshopFeedback.certificate_sending_at < now - SEND_CLAIM,
            ),
        )
        .values(certificate_sending_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    return bool(claimed)


def sent(session: Session, feedback_id: int, now: dt.datetime) -> None:
    session.execute(
        update(WorkshopFeedback)
        .where(WorkshopFeedback.id == feedback_id)
        .values(certificate_sent_at=now, certificate_sending_at=None)
        .execution_options(synchronize_session=False)
    )


def resent(session: Session, number: str, now: dt.datetime) -> None:
    """The employee got the certificate on request (/sertifikat): the automatic send is done."""
    certificate_id = select(Certificate.id).where(Certificate.number == number).scalar_subquery()
    session.execute(
        update(WorkshopFeedback)
        .where(
            WorkshopFeedback.certificate_id == certificate_id,
            WorkshopFeedback.certificate_sent_at.is_(None),
        )
        .values(certificate_sent_at=now, certificate_sending_at=None)
        .execution_options(synchronize_session=False)
    )


def send_failed(session: Session, feedback_id: int) -> None:
    """Give the claim back: a later press or /sertifikat sends the same certificate."""
    session.execute(
        update(WorkshopFeedback)
        .where(WorkshopFeedback.id == feedback_id, WorkshopFeedback.certificate_sent_at.is_(None))
        .values(certificate_sending_at=None)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True)
class Document:
    """A certificate ready to send: the PDF, its file name and the caption."""

    number: str
    content: bytes
    filename: str
    caption: str


def document(certificate: Certificate, base_url: str) -> Document:
    pdf = certificates.render_pdf(certificate, nip=certificate.employee.nip, base_url=base_url)
    url = certificates.verify_url(base_url, certificate.number)
    caption = (
        f"Sertifikat {certificate.title}\nNomor: {certificate.number}\n"
        f"{tanggal(certificate.held_on, with_day=False)} · {certificate.jp} JP\n"
        f"Keaslian dapat diperiksa di {url}"
    )
    return Document(certificate.number, pdf, f"sertifikat-{certificate.number}.pdf", caption)


def employee_certificates(session: Session, employee_id: int) -> list[Certificate]:
    """The employee's certificates, newest first (revoked ones too: they are listed as such)."""
    return list(
        session.scalars(
            select(Certificate)
            .where(Certificate.employee_id == employee_id)
            .order_by(Certificate.issued_at.desc(), Certificate.id.desc())
            .limit(20)
        )
    )


def own_certificate(session: Session, employee_id: int, number: str) -> Certificate | None:
    """The employee's own valid certificate with this number (None for others' or revoked)."""
    return session.scalar(
        select(Certificate).where(
            Certificate.employee_id == employee_id,
            Certificate.number == certificates.normalize_number(number),
            Certificate.revoked_at.is_(None),
        )
    )


# --- the console's view --------------------------------------------------------------------------


@dataclass
class CertificateRow:
    number: str
    holder_name: str
    unit: str
    issued_at: dt.datetime
    revoked_at: dt.datetime | None
    revoke_reason: str | None


@dataclass
class Summary:
    """Scores and comments of one workshop as an officer may see them."""

    workshop: Workshop
    attendees: int
    answered: int  # both scores given
    completed: int
    overall: Counter[int] = field(default_factory=Counter)
    usefulness: Counter[int] = field(default_factory=Counter)
    comments: list[tuple[str, str, str]] = field(default_factory=list)  # name, unit, comment
    certificates: list[CertificateRow] = field(default_factory=list)

    @staticmethod
    def _average(counts: Counter[int]) -> float | None:
        total = sum(counts.values())
        return sum(k * v for k, v in counts.items()) / total if total else None

    @property
    def overall_average(self) -> float | None:
        return self._average(self.overall)

    @property
    def usefulness_average(self) -> float | None:
        return self._average(self.usefulness)

    def bars(self, question: str) -> list[tuple[str, float, str]]:
        """Rows for the console's bar chart: (label, share 0..1, caption) for 1..5."""
        counts = self.overall if question == OVERALL else self.usefulness
        total = sum(counts.values())
        return [
            (f"Nilai {n}", counts[n] / total if total else 0.0, f"{counts[n]} orang") for n in SCALE
        ]


def _scope(officer: Officer) -> Any:
    return true() if officer.is_admin else Employee.unit_id == officer.unit_id


def summary(session: Session, workshop_id: int, officer: Officer) -> Summary | None:
    """The workshop's feedback; a unit operator sees only their unit's employees' rows."""
    workshop = session.get(Workshop, workshop_id)
    if workshop is None:
        return None
    scope = _scope(officer)
    attendees = session.scalar(
        select(func.count(Registration.id))
        .join(Employee, Employee.id == Registration.employee_id)
        .where(Registration.workshop_id == workshop_id, _attended(), scope)
    )
    result = Summary(workshop, int(attendees or 0), 0, 0)
    rows = session.execute(
        select(WorkshopFeedback, Employee.name, Unit.code)
        .join(Employee, Employee.id == WorkshopFeedback.employee_id)
        .join(Unit, Unit.id == Employee.unit_id)
        .where(WorkshopFeedback.workshop_id == workshop_id, scope)
        .order_by(WorkshopFeedback.completed_at, WorkshopFeedback.id)
    ).tuples()
    for row, name, unit in rows:
        if row.overall is not None:
            result.overall[row.overall] += 1
        if row.usefulness is not None:
            result.usefulness[row.usefulness] += 1
        if row.overall is not None and row.usefulness is not None:
            result.answered += 1
        if row.completed_at is not None:
            result.completed += 1
        if row.comment:
            result.comments.append((name, unit, row.comment))
    issued = session.execute(
        select(Certificate, Unit.code)
        .join(Employee, Employee.id == Certificate.employee_id)
        .join(Unit, Unit.id == Employee.unit_id)
        .where(Certificate.workshop_id == workshop_id, scope)
        .order_by(Certificate.issued_at, Certificate.id)
    ).tuples()
    result.certificates = [
        CertificateRow(c.number, c.holder_name, unit, c.issued_at, c.revoked_at, c.revoke_reason)
        for c, unit in issued
    ]
    return result


@dataclass
class WorkshopLine:
    workshop: Workshop
    attendees: int
    answered: int


def ended_with_counts(
    session: Session, officer: Officer, now: dt.datetime, limit: int = 50
) -> list[WorkshopLine]:
    """Ended workshops, latest first, with attendees and answers the officer may count."""
    scope = _scope(officer)
    attendees = (
        select(func.count(Registration.id))
        .join(Employee, Employee.id == Registration.employee_id)
        .where(Registration.workshop_id == Workshop.id, _attended(), scope)
        .scalar_subquery()
    )
    answered = (
        select(func.count(WorkshopFeedback.id))
        .join(Employee, Employee.id == WorkshopFeedback.employee_id)
        .where(
            WorkshopFeedback.workshop_id == Workshop.id,
            and_(WorkshopFeedback.overall.is_not(None), WorkshopFeedback.usefulness.is_not(None)),
            scope,
        )
        .scalar_subquery()
    )
    rows = session.execute(
        select(Workshop, attendees, answered)
        .where(Workshop.ends_at <= now, Workshop.is_cancelled.is_(False))
        .order_by(Workshop.ends_at.desc())
        .limit(limit)
    ).tuples()
    return [WorkshopLine(w, int(a or 0), int(n or 0)) for w, a, n in rows]


def revoke(
    session: Session, workshop_id: int, number: str, reason: str, *, actor: str
) -> Certificate:
    """Revoke a certificate of this workshop (hr_admin; audited by `certificates.revoke`)."""
    certificate = session.scalar(
        select(Certificate).where(
            Certificate.number == certificates.normalize_number(number),
            Certificate.workshop_id == workshop_id,
        )
    )
    if certificate is None:
        raise certificates.CertificateError(f"Sertifikat {number} tidak ditemukan di workshop ini.")
    return certificates.revoke(session, certificate.number, reason, actor=actor)
