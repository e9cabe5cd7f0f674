"""Reminder steps: one row per occurrence, step and recipient unit, so each fires once.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "reminder",
        sa.Column("id", BIG, primary_key=True, autoincrement=True),
        sa.Column("occurrence_id", BIG, sa.ForeignKey("occurrence.id"), nullable=False),
        sa.Column("step", sa.String(40), nullable=False),
        sa.Column("recipient", sa.String(100), nullable=False),
        sa.Column("planned_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("occurrence_id", "step", "recipient", name="uq_reminder_step"),
    )
    op.create_index("ix_reminder_status", "reminder", ["status", "planned_at"])


def downgrade() -> None:
    op.drop_index("ix_reminder_status", table_name="reminder")
    op.drop_table("reminder")
