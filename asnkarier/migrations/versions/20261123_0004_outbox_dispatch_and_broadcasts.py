"""outbox dispatch and broadcasts

Schema for the outbox dispatcher and HR broadcasts (issue 5): a failure category per outbox row
(reports count failures by reason) and an optional parse mode for formatted messages.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 01:35:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parse_mode", sa.String(length=10), nullable=True))
        batch_op.add_column(sa.Column("failure_reason", sa.String(length=30), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("failure_reason")
        batch_op.drop_column("parse_mode")
