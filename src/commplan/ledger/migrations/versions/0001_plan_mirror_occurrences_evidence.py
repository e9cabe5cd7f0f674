"""Plan mirror, occurrences and evidence.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "unit",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("short", sa.Text()),
        sa.Column("parent_id", sa.String(100)),
        sa.Column("successor_id", sa.String(100)),
        sa.Column("succession_from", sa.Date()),
    )
    op.create_table(
        "unit_group",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False),
    )
    op.create_table(
        "group_member",
        sa.Column("group_id", sa.String(100), sa.ForeignKey("unit_group.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("member_id", sa.String(100), primary_key=True),
        sa.Column("position", sa.Integer(), nullable=False),
    )
    op.create_table(
        "plan",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("number", sa.Text()),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("coordinator_id", sa.String(100)),
        sa.Column("effective_from", sa.Date()),
        sa.Column("effective_until", sa.Date()),
        sa.Column("synced_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "obligation",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("plan_id", sa.String(100), sa.ForeignKey("plan.id"), nullable=False),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("ref", sa.Text()),
        sa.Column("kind", sa.String(20)),
        sa.Column("channel", sa.String(20)),
        sa.Column("evidence_kind", sa.String(20), nullable=False),
        sa.Column("at_least", sa.Integer(), nullable=False),
        sa.Column("removed_at", sa.DateTime()),
        sa.UniqueConstraint("plan_id", "code", name="uq_obligation_plan_code"),
    )
    op.create_table(
        "event",
        sa.Column("plan_id", sa.String(100), sa.ForeignKey("plan.id"), primary_key=True),
        sa.Column("code", sa.String(100), primary_key=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("date", sa.Date()),
        sa.Column("recorded_at", sa.DateTime()),
        sa.Column("recorded_by", sa.Text()),
    )
    op.create_table(
        "occurrence",
        sa.Column("id", BIG, primary_key=True, autoincrement=True),
        sa.Column("obligation_id", sa.Integer(), sa.ForeignKey("obligation.id"), nullable=False),
        sa.Column("unit_id", sa.String(100), nullable=False),
        sa.Column("holders", sa.Text(), nullable=False),
        sa.Column("window_start", sa.Date(), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column("opens_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("at_least", sa.Integer(), nullable=False),
        sa.Column("evidence_total", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("met_at", sa.DateTime()),
        sa.Column("orphaned_at", sa.DateTime()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("obligation_id", "unit_id", "window_start", name="uq_occurrence_key"),
    )
    op.create_index("ix_occurrence_due", "occurrence", ["due_at"])
    op.create_index("ix_occurrence_unit_due", "occurrence", ["unit_id", "due_at"])
    op.create_table(
        "evidence",
        sa.Column("id", BIG, primary_key=True, autoincrement=True),
        sa.Column("occurrence_id", BIG, sa.ForeignKey("occurrence.id"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("link", sa.Text()),
        sa.Column("document", sa.Text()),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text()),
        sa.Column("occurred_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.Text()),
        sa.Column("source", sa.String(20), nullable=False),
        sa.UniqueConstraint("occurrence_id", "link", name="uq_evidence_link"),
    )
    op.create_index("ix_evidence_occurrence", "evidence", ["occurrence_id", "occurred_at"])
    op.create_table(
        "sync_staging",
        sa.Column("obligation_id", sa.Integer(), primary_key=True),
        sa.Column("unit_id", sa.String(100), primary_key=True),
        sa.Column("window_start", sa.Date(), primary_key=True),
        sa.Column("holders", sa.Text(), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column("opens_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("at_least", sa.Integer(), nullable=False),
    )


def downgrade() -> None:
    for table in ("sync_staging", "evidence", "occurrence", "event", "obligation", "plan", "group_member", "unit_group", "unit"):
        op.drop_table(table)
