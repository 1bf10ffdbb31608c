"""scheduler and reminders

Schema for the scheduler leader lock and reminders (issue 5): the leader lease, the reminder
scan watermark, "Sudah selesai" dismissals and the record of fired scheduled broadcasts.
APScheduler's own job table (apscheduler_jobs) is created by APScheduler, not here.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 01:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scheduler_leases",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("holder", sa.String(length=200), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("acquired_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_scheduler_leases")),
    )
    op.create_table(
        "reminder_scans",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("scanned_until", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_reminder_scans")),
    )
    op.create_table(
        "reminder_dismissals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=60), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_reminder_dismissals_employee_id_employees"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_dismissals")),
        sa.UniqueConstraint(
            "employee_id", "subject", name=op.f("uq_reminder_dismissals_employee_id_subject")
        ),
    )
    op.create_table(
        "scheduled_broadcast_runs",
        sa.Column("broadcast_id", sa.Integer(), nullable=False),
        sa.Column("fired_at", sa.DateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["broadcast_id"],
            ["broadcasts.id"],
            name=op.f("fk_scheduled_broadcast_runs_broadcast_id_broadcasts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("broadcast_id", name=op.f("pk_scheduled_broadcast_runs")),
    )


def downgrade() -> None:
    op.drop_table("scheduled_broadcast_runs")
    op.drop_table("reminder_dismissals")
    op.drop_table("reminder_scans")
    op.drop_table("scheduler_leases")
