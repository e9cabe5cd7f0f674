"""Zalo OA followers linked to a unit's contact by the signed code they sent the OA (issue 14, Zalo replies).

Revision ID: 0022
Revises: 0024 (0023 and 0024 landed on main first: 0022 follows the head, so a database already there upgrades)
"""

import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "zalo_follower",
        sa.Column("user_id", sa.String(64), primary_key=True),
        sa.Column("unit_id", sa.String(100), nullable=False),
        sa.Column("contact_key", sa.Text(), nullable=False),
        sa.Column("linked_at", sa.DateTime(), nullable=False),
        sa.Column("unfollowed_at", sa.DateTime(), nullable=True),
        sa.UniqueConstraint("unit_id", "contact_key", name="uq_zalo_follower_contact"),
    )


def downgrade() -> None:
    op.drop_table("zalo_follower")
