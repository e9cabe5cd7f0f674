"""Figures: a plan's indicators mirrored by sync, and the figures units report against them (versioned).

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "indicator",
        sa.Column("plan_id", sa.String(100), sa.ForeignKey("plan.id"), primary_key=True),
        sa.Column("code", sa.String(100), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("section", sa.Text()),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("measure", sa.Text()),
        sa.Column("aggregate", sa.String(10), nullable=False),
        sa.Column("baseline", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("of_code", sa.String(100)),
        sa.Column("reported_by", sa.Text(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
    )
    op.create_table(
        "figure",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("plan_id", sa.String(100), sa.ForeignKey("plan.id"), nullable=False),
        sa.Column("indicator", sa.String(100), nullable=False),
        sa.Column("unit_id", sa.String(100), nullable=False),
        sa.Column("period", sa.String(10), nullable=False),
        sa.Column("period_kind", sa.String(10), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("value", sa.Numeric(15, 4), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.Text()),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.UniqueConstraint("plan_id", "indicator", "unit_id", "period", "version", name="uq_figure_version"),
    )
    op.create_index("ix_figure_plan_period", "figure", ["plan_id", "period_start", "indicator", "unit_id"])


def downgrade() -> None:
    op.drop_index("ix_figure_plan_period", table_name="figure")
    op.drop_table("figure")
    op.drop_table("indicator")
