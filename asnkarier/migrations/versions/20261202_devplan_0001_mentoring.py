"""mentoring: mentor offers per topic and requests to mentors

Issue 13 item 5 (cari mentor): employees opt in as mentors for a topic (`mentor_offers`, one
row per employee and topic, withdrawn by `is_active`); a colleague's request to one offer
(`mentor_requests`, at most one per offer and asker) is accepted or declined once.

Revision ID: devplan_0001
Revises: feedback_0001
Create Date: 2026-12-02 05:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "devplan_0001"
down_revision: str | None = "feedback_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "mentor_offers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=60), nullable=False),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("telegram_username", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_mentor_offers_employee_id_employees"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentor_offers")),
        sa.UniqueConstraint(
            "employee_id", "topic", name=op.f("uq_mentor_offers_employee_id_topic")
        ),
    )
    with op.batch_alter_table("mentor_offers", schema=None) as batch_op:
        batch_op.create_index("ix_mentor_offers_topic_active", ["topic", "is_active"])
    op.create_table(
        "mentor_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("offer_id", sa.Integer(), nullable=False),
        sa.Column("asker_id", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("topic", sa.String(length=60), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "accepted",
                "declined",
                name="mentor_request_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("asker_username", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["offer_id"],
            ["mentor_offers.id"],
            name=op.f("fk_mentor_requests_offer_id_mentor_offers"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["asker_id"],
            ["employees.id"],
            name=op.f("fk_mentor_requests_asker_id_employees"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["mentor_id"],
            ["employees.id"],
            name=op.f("fk_mentor_requests_mentor_id_employees"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mentor_requests")),
        sa.UniqueConstraint(
            "offer_id", "asker_id", name=op.f("uq_mentor_requests_offer_id_asker_id")
        ),
    )
    with op.batch_alter_table("mentor_requests", schema=None) as batch_op:
        batch_op.create_index("ix_mentor_requests_mentor_status", ["mentor_id", "status"])


def downgrade() -> None:
    op.drop_table("mentor_requests")
    op.drop_table("mentor_offers")
