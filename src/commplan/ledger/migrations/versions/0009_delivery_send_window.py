"""A delivery's send window: when a message on a phone route may go out, from its items' quiet hours.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# The hours every phone message kept before quiet hours came from each item's policy (07:30-20:00 on
# the working days of Vietnam): phone messages still waiting keep them.
LEGACY_WINDOW = "07:30:00-20:00:00 workdays"


def upgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.add_column(sa.Column("send_window", sa.Text()))
    op.execute(
        sa.text("UPDATE delivery SET send_window = :window WHERE channel IN ('zalo', 'zns', 'sms')"
                " AND status IN ('pending', 'claimed', 'sending')").bindparams(window=LEGACY_WINDOW)
    )


def downgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.drop_column("send_window")
