"""conversation drafts; drop APScheduler's job table

Multi-step bot flows (the `/umumkan` draft) move from a bot process's memory into
`conversation_drafts`, so any bot replica can take the next step. Scheduled broadcasts are now
fired from the broadcast rows by an interval job, so APScheduler's own job table
(`apscheduler_jobs`, created by APScheduler, never by a migration) is no longer used: dropped
if present. Broadcasts it held are still `scheduled` rows and fire from those.

Revision ID: replicas_0001
Revises: 0005
Create Date: 2026-12-01 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "replicas_0001"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversation_drafts",
        sa.Column("flow", sa.String(length=30), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.String(length=30), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("flow", "chat_id", "user_id", name=op.f("pk_conversation_drafts")),
    )
    with op.batch_alter_table("conversation_drafts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_conversation_drafts_expires_at"), ["expires_at"], unique=False
        )
    op.execute("DROP TABLE IF EXISTS apscheduler_jobs")


def downgrade() -> None:
    # apscheduler_jobs is not recreated: the previous scheduler creates it itself at start.
    with op.batch_alter_table("conversation_drafts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_drafts_expires_at"))
    op.drop_table("conversation_drafts")
