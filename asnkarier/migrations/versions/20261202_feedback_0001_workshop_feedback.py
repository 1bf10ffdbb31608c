"""workshop feedback: attendees' answers (overall, usefulness, comment) and their certificate

Issue 13 (feedback, then certificate): one `workshop_feedback` row per workshop and employee,
completed once the comment was given or skipped; it names the certificate issued then and when
it was sent to the chat.

Revision ID: feedback_0001
Revises: attendance_0001
Create Date: 2026-12-02 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "feedback_0001"
down_revision: str | None = "attendance_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workshop_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("overall", sa.Integer(), nullable=True),
        sa.Column("usefulness", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("completed_at", sa.DateTime(), nullable=True),
        sa.Column("certificate_id", sa.Integer(), nullable=True),
        sa.Column("certificate_sending_at", sa.DateTime(), nullable=True),
        sa.Column("certificate_sent_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "overall BETWEEN 1 AND 5", name=op.f("ck_workshop_feedback_overall_1_to_5")
        ),
        sa.CheckConstraint(
            "usefulness BETWEEN 1 AND 5", name=op.f("ck_workshop_feedback_usefulness_1_to_5")
        ),
        sa.ForeignKeyConstraint(
            ["certificate_id"],
            ["certificates.id"],
            name=op.f("fk_workshop_feedback_certificate_id_certificates"),
        ),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_workshop_feedback_employee_id_employees"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workshop_id"],
            ["workshops.id"],
            name=op.f("fk_workshop_feedback_workshop_id_workshops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workshop_feedback")),
        sa.UniqueConstraint(
            "workshop_id", "employee_id", name=op.f("uq_workshop_feedback_workshop_id_employee_id")
        ),
    )
    with op.batch_alter_table("workshop_feedback", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_workshop_feedback_employee_id"), ["employee_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("workshop_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workshop_feedback_employee_id"))
    op.drop_table("workshop_feedback")
