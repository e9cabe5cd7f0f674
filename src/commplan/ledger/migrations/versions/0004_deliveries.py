"""Deliveries: the outbox of messages per channel and address, and which reminder steps each carries.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "delivery",
        sa.Column("id", BIG, primary_key=True, autoincrement=True),
        sa.Column("recipient", sa.String(100), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("body_text", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("body_sms", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_by", sa.Text()),
        sa.Column("claimed_at", sa.DateTime()),
        sa.Column("sent_at", sa.DateTime()),
        sa.Column("last_error", sa.Text()),
        sa.Column("external_id", sa.Text()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_delivery_due", "delivery", ["status", "next_attempt_at"])
    op.create_table(
        "delivery_item",
        sa.Column("delivery_id", BIG, sa.ForeignKey("delivery.id"), primary_key=True),
        sa.Column("reminder_id", BIG, sa.ForeignKey("reminder.id"), primary_key=True),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.UniqueConstraint("reminder_id", "channel", "address", name="uq_delivery_item_step"),
    )


def downgrade() -> None:
    op.drop_table("delivery_item")
    op.drop_index("ix_delivery_due", table_name="delivery")
    op.drop_table("delivery")
