"""Excusals with reasons, and the audit log of what people changed.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("occurrence") as batch:
        batch.add_column(sa.Column("excused_at", sa.DateTime()))
        batch.add_column(sa.Column("excuse_reason", sa.Text()))
    op.create_index(
        "ix_occurrence_unmet_due", "occurrence", ["due_at"],
        postgresql_where=sa.text("met_at IS NULL AND excused_at IS NULL"),
        sqlite_where=sa.text("met_at IS NULL AND excused_at IS NULL"),
    )
    op.create_table(
        "excusal",
        sa.Column("id", BIG, primary_key=True, autoincrement=True),
        sa.Column("occurrence_id", BIG, sa.ForeignKey("occurrence.id"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("excused_at", sa.DateTime(), nullable=False),
        sa.Column("excused_by", sa.Text()),
        sa.Column("revoked_at", sa.DateTime()),
        sa.Column("revoked_by", sa.Text()),
    )
    op.create_index("ix_excusal_occurrence_id", "excusal", ["occurrence_id"])
    op.create_table(
        "audit_log",
        sa.Column("id", BIG, primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.Text()),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_index("ix_excusal_occurrence_id", table_name="excusal")
    op.drop_table("excusal")
    op.drop_index("ix_occurrence_unmet_due", table_name="occurrence")
    with op.batch_alter_table("occurrence") as batch:
        batch.drop_column("excuse_reason")
        batch.drop_column("excused_at")
