"""The web app's tables: users (argon2 password hashes), their login attempts (the audit and the brake on
guessing) and hashed API tokens; acknowledgements ("Đã nhận, đang thực hiện"); revoked report links;
uploaded documents (content-addressed); deadline extensions (gia hạn); and the plan's issuer, so a user's scope includes the plans their unit issues.

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ROW_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("plan") as batch:
        batch.add_column(sa.Column("issuer_id", sa.String(100)))
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("login", sa.String(100), nullable=False, unique=True),
        sa.Column("display_name", sa.Text()),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("unit_id", sa.String(100)),
        sa.Column("disabled", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "login_attempt",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("login", sa.String(100), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("success", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("remote_addr", sa.String(100)),
    )
    op.create_index("ix_login_attempt_login_at", "login_attempt", ["login", "at"])
    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("app_user.id"), nullable=False),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("label", sa.Text()),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_at", sa.DateTime()),
    )
    op.create_index("ix_api_token_user_id", "api_token", ["user_id"])
    op.create_table(
        "acknowledgement",
        sa.Column("occurrence_id", ROW_ID, sa.ForeignKey("occurrence.id"), primary_key=True),
        sa.Column("unit_id", sa.String(100), primary_key=True),
        sa.Column("by_name", sa.Text()),
        sa.Column("at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "revoked_link",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("occurrence_id", ROW_ID),
        sa.Column("revoked_at", sa.DateTime(), nullable=False),
        sa.Column("revoked_by", sa.Text()),
        sa.Column("reason", sa.Text()),
    )
    op.create_index("ix_revoked_link_occurrence_id", "revoked_link", ["occurrence_id"])
    op.create_table(
        "deadline_extension",
        sa.Column("id", ROW_ID, primary_key=True, autoincrement=True),
        sa.Column("occurrence_id", ROW_ID, sa.ForeignKey("occurrence.id"), nullable=False),
        sa.Column("previous_due_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("extended_at", sa.DateTime(), nullable=False),
        sa.Column("extended_by", sa.Text()),
    )
    op.create_index("ix_deadline_extension_occurrence_id", "deadline_extension", ["occurrence_id"])
    op.create_table(
        "document",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("media_type", sa.String(100), nullable=False),
        sa.Column("name", sa.Text()),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.Column("uploaded_by", sa.Text()),
        sa.Column("content", sa.LargeBinary()),
    )


def downgrade() -> None:
    op.drop_table("document")
    op.drop_index("ix_deadline_extension_occurrence_id", table_name="deadline_extension")
    op.drop_table("deadline_extension")
    op.drop_index("ix_revoked_link_occurrence_id", table_name="revoked_link")
    op.drop_table("revoked_link")
    op.drop_table("acknowledgement")
    op.drop_index("ix_api_token_user_id", table_name="api_token")
    op.drop_table("api_token")
    op.drop_index("ix_login_attempt_login_at", table_name="login_attempt")
    op.drop_table("login_attempt")
    op.drop_table("app_user")
    with op.batch_alter_table("plan") as batch:
        batch.drop_column("issuer_id")
