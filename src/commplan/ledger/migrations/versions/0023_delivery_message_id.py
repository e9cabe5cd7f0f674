"""A reminder email carries our own Message-ID (`<commplan.{delivery}.{token}@{sender domain}>`), kept on its
delivery, so that a reply (In-Reply-To / References) finds the delivery it answers. Unique: one Message-ID
names one delivery; NULL for other channels and for emails sent before this revision.

Revision ID: 0023
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

revision = "0023"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.add_column(sa.Column("message_id", sa.String(250)))
    op.create_index("ux_delivery_message_id", "delivery", ["message_id"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_delivery_message_id", table_name="delivery")
    with op.batch_alter_table("delivery") as batch:
        batch.drop_column("message_id")
