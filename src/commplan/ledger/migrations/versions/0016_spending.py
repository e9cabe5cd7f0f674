"""Spending: money spent on an obligation's budget line (`commplan spend`), an exact amount in VND on a day.

Revision ID: 0016
Revises: 0015
"""

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "spending",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("obligation_id", sa.Integer(), sa.ForeignKey("obligation.id"), nullable=False),
        sa.Column("amount", sa.Numeric(18, 2), nullable=False),
        sa.Column("spent_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.Text()),
    )
    op.create_index("ix_spending_obligation_id", "spending", ["obligation_id"])


def downgrade() -> None:
    op.drop_index("ix_spending_obligation_id", table_name="spending")
    op.drop_table("spending")
