"""Report builds: the forms and compliance reports commplan builds on its own, and their mail to the recipients.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "report_build",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("plan_id", sa.String(100), nullable=False),
        sa.Column("scope", sa.String(100), nullable=False),
        sa.Column("period", sa.String(40), nullable=False),
        # SET NULL: a sync may retire an occurrence not yet begun; its built form stays, unlinked
        sa.Column("occurrence_id", sa.Integer(), sa.ForeignKey("occurrence.id", ondelete="SET NULL")),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("replaces", ROW_ID, nullable=False, server_default="0"),
        sa.Column("provinces", sa.Text()),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("summary", sa.Text()),
        sa.Column("files", sa.Text(), nullable=False),
        sa.Column("as_of", sa.DateTime(), nullable=False),
        sa.Column("built_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("kind", "plan_id", "scope", "period", "replaces", name="uq_report_build_succession"),
    )
    op.create_index("ix_report_build_latest", "report_build", ["plan_id", "kind", "built_at"])
    op.create_table(
        "report_mail",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("build_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), sa.ForeignKey("report_build.id"),
                  nullable=False),
        sa.Column("recipient", sa.String(100), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("next_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_by", sa.Text()),
        sa.Column("claimed_at", sa.DateTime()),
        sa.Column("sent_at", sa.DateTime()),
        sa.Column("last_error", sa.Text()),
        sa.Column("closed_at", sa.DateTime()),
        sa.UniqueConstraint("build_id", "address", name="uq_report_mail_build_address"),
    )
    op.create_index("ix_report_mail_status", "report_mail", ["status", "next_at"])


def downgrade() -> None:
    op.drop_index("ix_report_mail_status", table_name="report_mail")
    op.drop_table("report_mail")
    op.drop_index("ix_report_build_latest", table_name="report_build")
    op.drop_table("report_build")
