"""Delivery extras (ZNS template data, the .ics attachment, the fallback chain) and the OAuth token store.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("delivery") as batch:
        batch.add_column(sa.Column("template_data", sa.Text()))  # JSON: ZNS template parameters
        batch.add_column(sa.Column("attachment", sa.Text()))  # an iCalendar file for email
        batch.add_column(sa.Column("fallbacks", sa.Text()))  # "zns:84912…,sms:84912…": tried in order when unreachable
        batch.add_column(sa.Column("fallback_of", BIG))  # the delivery this one replaces
        batch.add_column(sa.Column("closed_at", sa.DateTime()))  # when it became failed or unknown
    op.create_table(
        "oauth_token",
        sa.Column("provider", sa.String(40), primary_key=True),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=False),
        sa.Column("access_expires_at", sa.DateTime(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(), nullable=False),
        sa.Column("last_error", sa.Text()),
    )


def downgrade() -> None:
    op.drop_table("oauth_token")
    with op.batch_alter_table("delivery") as batch:
        for column in ("closed_at", "fallback_of", "fallbacks", "attachment", "template_data"):
            batch.drop_column(column)
