"""broadcast attachments, Telegram file ids, failure times, workshop organiser unit

Issue 12 items 4 and 5: a broadcast may carry one stored file (a surat edaran, PDF or image),
which its outbox rows carry too; the dispatcher uploads it once and then sends it by the
`file_id` Telegram returned, cached on the stored file. `outbox.text_message_id` records the text
part when the text did not fit in the caption (sent first, then the file: see
scheduler/dispatcher.py), `outbox.failed_at` when a row ended failed (the report's chart). A
workshop may be organised by a unit (null: BKPSDM-wide).

Revision ID: campaigns_0001
Revises: devplan_0001
Create Date: 2026-12-02 05:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "campaigns_0001"
down_revision: str | None = "devplan_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stored_files") as batch:
        batch.add_column(sa.Column("telegram_file_id", sa.String(length=200), nullable=True))
        batch.add_column(sa.Column("telegram_file_kind", sa.String(length=10), nullable=True))
    with op.batch_alter_table("broadcasts") as batch:
        batch.add_column(sa.Column("attachment_file_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("attachment_kind", sa.String(length=10), nullable=True))
        batch.create_foreign_key(
            "fk_broadcasts_attachment_file_id_stored_files",
            "stored_files",
            ["attachment_file_id"],
            ["id"],
        )
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("attachment_file_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("attachment_kind", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("text_message_id", sa.BigInteger(), nullable=True))
        batch.add_column(sa.Column("failed_at", sa.DateTime(), nullable=True))
        batch.create_foreign_key(
            "fk_outbox_attachment_file_id_stored_files",
            "stored_files",
            ["attachment_file_id"],
            ["id"],
        )
    with op.batch_alter_table("workshops") as batch:
        batch.add_column(sa.Column("unit_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_workshops_unit_id_units", "units", ["unit_id"], ["id"])
        batch.create_index("ix_workshops_unit_id", ["unit_id"])


def downgrade() -> None:
    with op.batch_alter_table("workshops") as batch:
        batch.drop_index("ix_workshops_unit_id")
        batch.drop_constraint("fk_workshops_unit_id_units", type_="foreignkey")
        batch.drop_column("unit_id")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_constraint("fk_outbox_attachment_file_id_stored_files", type_="foreignkey")
        batch.drop_column("failed_at")
        batch.drop_column("text_message_id")
        batch.drop_column("attachment_kind")
        batch.drop_column("attachment_file_id")
    with op.batch_alter_table("broadcasts") as batch:
        batch.drop_constraint("fk_broadcasts_attachment_file_id_stored_files", type_="foreignkey")
        batch.drop_column("attachment_kind")
        batch.drop_column("attachment_file_id")
    with op.batch_alter_table("stored_files") as batch:
        batch.drop_column("telegram_file_kind")
        batch.drop_column("telegram_file_id")
