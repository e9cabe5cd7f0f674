"""Feeds: each feed's state keeps the fingerprint of the matching rules of its last full read and when that read
was (a feed is read whole again when the rules changed, and at least once a day, so that a 304 never hides
items from a new rule); each undated item seen keeps when it was last seen (sightings of items gone from their
feed for 90 days are pruned) and whether it counts (an undated item already in a feed at its first read is
only seen, never credited).

Revision ID: 0024
Revises: 0023
"""

import sqlalchemy as sa
from alembic import op

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feed_source_state") as batch:
        batch.add_column(sa.Column("rules_fingerprint", sa.String(64)))
        batch.add_column(sa.Column("last_read_at", sa.DateTime()))
    with op.batch_alter_table("feed_item_seen") as batch:
        batch.add_column(sa.Column("last_seen_at", sa.DateTime()))
        batch.add_column(sa.Column("counts", sa.Boolean(), nullable=False, server_default=sa.true()))
    op.execute("UPDATE feed_item_seen SET last_seen_at = first_seen_at")
    with op.batch_alter_table("feed_item_seen") as batch:
        batch.alter_column("last_seen_at", existing_type=sa.DateTime(), nullable=False)
        batch.create_index("ix_feed_item_seen_last_seen", ["last_seen_at"])


def downgrade() -> None:
    with op.batch_alter_table("feed_item_seen") as batch:
        batch.drop_index("ix_feed_item_seen_last_seen")
        batch.drop_column("counts")
        batch.drop_column("last_seen_at")
    with op.batch_alter_table("feed_source_state") as batch:
        batch.drop_column("last_read_at")
        batch.drop_column("rules_fingerprint")
