"""stored files, training reports and certificates; competency hours from approved reports

Employees report training done elsewhere with the certificate as evidence: the file's bytes go
to `stored_files` (one row per SHA-256, so a file sent twice is recognised), the report to
`training_reports` until HR approves or rejects it. An approved report adds one
`competency_hours` row (`training_report_id`), which is how its JP count toward the year.
`certificates` are the PDF certificates the BKPSDM issues, checked by number on the public
verification page (revoked ones say so).

Revision ID: devloop_0001
Revises: actions_base_0006
Create Date: 2026-12-01 23:59:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "devloop_0001"
down_revision: str | None = "actions_base_0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "stored_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("mime_type", sa.String(length=100), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stored_files")),
        sa.UniqueConstraint("sha256", name=op.f("uq_stored_files_sha256")),
    )
    op.create_table(
        "training_reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("file_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("provider", sa.String(length=200), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("jp_claimed", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "approved",
                "rejected",
                name="report_status",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("jp_approved", sa.Integer(), nullable=True),
        sa.Column("reviewer", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_training_reports_employee_id_employees"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["file_id"], ["stored_files.id"], name=op.f("fk_training_reports_file_id_stored_files")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_training_reports")),
        sa.UniqueConstraint("file_id", name=op.f("uq_training_reports_file_id")),
    )
    with op.batch_alter_table("training_reports", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_training_reports_employee_id"), ["employee_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_training_reports_status"), ["status"], unique=False)
    with op.batch_alter_table("competency_hours", schema=None) as batch_op:
        batch_op.add_column(sa.Column("training_report_id", sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_competency_hours_training_report_id"), ["training_report_id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_competency_hours_training_report_id_training_reports"),
            "training_reports",
            ["training_report_id"],
            ["id"],
            ondelete="CASCADE",
        )

    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=False),
        sa.Column("workshop_id", sa.Integer(), nullable=True),
        sa.Column("holder_name", sa.String(length=200), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("jp", sa.Integer(), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime(), nullable=True),
        sa.Column("revoke_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["employee_id"],
            ["employees.id"],
            name=op.f("fk_certificates_employee_id_employees"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workshop_id"], ["workshops.id"], name=op.f("fk_certificates_workshop_id_workshops")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("number", name=op.f("uq_certificates_number")),
    )
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_certificates_employee_id"), ["employee_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificates_employee_id"))
    op.drop_table("certificates")
    with op.batch_alter_table("competency_hours", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_competency_hours_training_report_id_training_reports"),
            type_="foreignkey",
        )
        batch_op.drop_constraint(
            batch_op.f("uq_competency_hours_training_report_id"), type_="unique"
        )
        batch_op.drop_column("training_report_id")
    with op.batch_alter_table("training_reports", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_reports_status"))
        batch_op.drop_index(batch_op.f("ix_training_reports_employee_id"))
    op.drop_table("training_reports")
    op.drop_table("stored_files")
