"""Feed sources: what the last fetch of each unit's RSS/Atom feed found (validators for the next conditional
GET, when it last worked, how many times in a row it failed).

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_source_state",
        sa.Column("url", sa.String(2048), primary_key=True),
        sa.Column("etag", sa.Text()),
        sa.Column("last_modified", sa.Text()),
        sa.Column("last_checked_at", sa.DateTime(), nullable=False),
        sa.Column("last_ok_at", sa.DateTime()),
        sa.Column("last_status", sa.String(20), nullable=False),
        sa.Column("last_error", sa.Text()),
        sa.Column("failures", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("items_seen", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("feed_source_state")
