"""All tables; importing this package registers every model on `Base.metadata`."""

from asnkarier.models.activation import ActivationCode, LinkAttempt
from asnkarier.models.audit import AuditLog
from asnkarier.models.base import Base, utcnow
from asnkarier.models.calendar import AppraisalEvent, PromotionPeriod
from asnkarier.models.career import CareerLadder, CareerLevel, PromotionKind
from asnkarier.models.console import (
    BroadcastApproval,
    ConsoleLoginLink,
    ConsoleSession,
    UnitOperator,
)
from asnkarier.models.content import HowtoArticle
from asnkarier.models.employee import Employee, PositionKind, Role
from asnkarier.models.evidence import Certificate, ReportStatus, StoredFile, TrainingReport
from asnkarier.models.feedback import WorkshopFeedback
from asnkarier.models.mentoring import MentorOffer, MentorRequest, MentorRequestStatus
from asnkarier.models.messaging import Broadcast, BroadcastStatus, OutboxMessage, OutboxStatus
from asnkarier.models.org import Rank, Unit
from asnkarier.models.scheduling import (
    ReminderDismissal,
    ReminderScan,
    ScheduledBroadcastRun,
    SchedulerLease,
)
from asnkarier.models.support import HandoffTicket, TicketStatus, UnansweredMessage
from asnkarier.models.telegram import CallbackToken, ConversationDraft
from asnkarier.models.training import CompetencyHours, CompetencyType, Training
from asnkarier.models.workshop import Registration, RegistrationStatus, Workshop

__all__ = [
    "ActivationCode",
    "AppraisalEvent",
    "AuditLog",
    "Base",
    "Broadcast",
    "BroadcastApproval",
    "BroadcastStatus",
    "CallbackToken",
    "CareerLadder",
    "CareerLevel",
    "Certificate",
    "CompetencyHours",
    "CompetencyType",
    "ConsoleLoginLink",
    "ConsoleSession",
    "ConversationDraft",
    "Employee",
    "HandoffTicket",
    "HowtoArticle",
    "LinkAttempt",
    "MentorOffer",
    "MentorRequest",
    "MentorRequestStatus",
    "OutboxMessage",
    "OutboxStatus",
    "PositionKind",
    "PromotionKind",
    "PromotionPeriod",
    "Rank",
    "Registration",
    "RegistrationStatus",
    "ReminderDismissal",
    "ReminderScan",
    "ReportStatus",
    "Role",
    "ScheduledBroadcastRun",
    "SchedulerLease",
    "StoredFile",
    "TicketStatus",
    "Training",
    "TrainingReport",
    "UnansweredMessage",
    "Unit",
    "UnitOperator",
    "Workshop",
    "WorkshopFeedback",
    "utcnow",
]
