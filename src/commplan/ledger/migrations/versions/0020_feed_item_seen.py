"""Feed items without a publication date keep the time they were first seen, so that a later run does not
date them again (and put an old article in a newer period).

Revision ID: 0020
Revises: 0019
"""

import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "feed_item_seen",
        sa.Column("link", sa.String(2048), primary_key=True),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("feed_item_seen")
