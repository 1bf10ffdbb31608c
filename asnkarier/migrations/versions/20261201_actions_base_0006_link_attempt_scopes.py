"""link attempts counted per scope

Wrong activation codes are counted per sender, per code and over everyone (issue 11.7), each
under a scope key in one row that a single UPDATE increments. The table is rebuilt: its
counters are short-lived (a lock lasts LINK_LOCK_MINUTES), so the rows are not carried over.

Revision ID: actions_base_0006
Revises: replicas_0001
Create Date: 2026-12-01 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "actions_base_0006"
down_revision: str | None = "replicas_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_table("link_attempts")
    op.create_table(
        "link_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scope", sa.String(length=80), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("window_started_at", sa.DateTime(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_attempts")),
        sa.UniqueConstraint("scope", name=op.f("uq_link_attempts_scope")),
    )


def downgrade() -> None:
    op.drop_table("link_attempts")
    op.create_table(
        "link_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("failed_count", sa.Integer(), nullable=False),
        sa.Column("last_failed_at", sa.DateTime(), nullable=True),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_attempts")),
        sa.UniqueConstraint("telegram_user_id", name=op.f("uq_link_attempts_telegram_user_id")),
    )
