"""Evidence recorded by a machine (a feed, later a Zalo or email reply) keeps why it matched (`match_reason`,
JSON), so that a coordinator can judge it and wrong matches can be studied. NULL for what a person recorded.

Revision ID: 0019
Revises: 0018
"""

import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evidence") as batch:
        batch.add_column(sa.Column("match_reason", sa.Text()))


def downgrade() -> None:
    with op.batch_alter_table("evidence") as batch:
        batch.drop_column("match_reason")
