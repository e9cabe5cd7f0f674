"""Triage: what came in by itself and fits no single duty waits for a coordinator (`triage_item`); each
inbound message (a Zalo event, an email) is handled once (`inbound_message`).

Revision ID: 0021
Revises: 0020
"""

import sqlalchemy as sa
from alembic import op

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "triage_item",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("external_id", sa.String(1000), nullable=False),
        sa.Column("why", sa.String(20), nullable=False),
        sa.Column("unit_id", sa.String(100)),
        sa.Column("sender", sa.Text()),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("link", sa.Text()),
        sa.Column("document", sa.Text()),
        sa.Column("document_sha256", sa.String(64)),
        sa.Column("quantity", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("text", sa.Text()),
        sa.Column("candidates", sa.Text(), nullable=False, server_default="[]"),
        sa.Column("match_reason", sa.Text()),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime()),
        sa.Column("closed_by", sa.Text()),
        sa.Column("outcome", sa.String(20)),
        sa.Column("close_reason", sa.Text()),
        sa.Column("evidence_id", ROW_ID, sa.ForeignKey("evidence.id")),
        sa.UniqueConstraint("source", "external_id", name="uq_triage_item_source_external"),
    )
    op.create_index("ix_triage_item_open", "triage_item", ["closed_at", "unit_id", "received_at"])
    op.create_table(
        "inbound_message",
        sa.Column("source", sa.String(20), primary_key=True),
        sa.Column("external_id", sa.String(1000), primary_key=True),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.Column("outcome", sa.String(40)),
        sa.Column("detail", sa.Text()),
    )


def downgrade() -> None:
    op.drop_table("inbound_message")
    op.drop_index("ix_triage_item_open", table_name="triage_item")
    op.drop_table("triage_item")
