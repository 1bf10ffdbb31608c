"""workshop attendance: when and how an employee checked in; walk-ins per workshop

Issue 13 (check-in, feedback, certificates) records attendance on the registration row (status
`attended`, `attended_at`, `attended_via` = qr | code | console) and lets a workshop accept
walk-ins.

Revision ID: attendance_0001
Revises: console_0001
Create Date: 2026-12-02 05:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "attendance_0001"
down_revision: str | None = "console_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("workshops") as batch:
        batch.add_column(
            sa.Column("allow_walk_in", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("registrations") as batch:
        batch.add_column(sa.Column("attended_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("attended_via", sa.String(length=10), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("registrations") as batch:
        batch.drop_column("attended_via")
        batch.drop_column("attended_at")
    with op.batch_alter_table("workshops") as batch:
        batch.drop_column("allow_walk_in")
