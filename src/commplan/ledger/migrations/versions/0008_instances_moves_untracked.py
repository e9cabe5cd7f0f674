"""Plan format 1.1 in the ledger: repeating events' instances, the instance in the occurrence key,
the calendar UID kept by a row moved to a successor, and the `untracked` flag.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
UNMET = "met_at IS NULL AND excused_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("event") as batch:
        batch.add_column(sa.Column("repeats", sa.Boolean(), nullable=False, server_default=sa.false()))
    op.create_table(
        "event_instance",
        sa.Column("id", BIG, primary_key=True, autoincrement=True),
        sa.Column("plan_id", sa.String(100), nullable=False),
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.Text()),
        sa.Column("withdrawn_at", sa.DateTime()),
        sa.Column("withdrawn_by", sa.Text()),
        sa.ForeignKeyConstraint(["plan_id", "code"], ["event.plan_id", "event.code"], name="fk_event_instance_event"),
        sa.UniqueConstraint("plan_id", "code", "date", "seq", name="uq_event_instance"),
    )
    # SQLite rebuilds the table to change its key: the partial index is recreated by hand after it
    op.drop_index("ix_occurrence_unmet_due", table_name="occurrence")
    with op.batch_alter_table("occurrence") as batch:
        batch.add_column(sa.Column("instance", sa.Integer(), nullable=False, server_default="0"))
        batch.add_column(sa.Column("uid_unit", sa.String(100)))
        batch.add_column(sa.Column("untracked", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.drop_constraint("uq_occurrence_key", type_="unique")
        batch.create_unique_constraint("uq_occurrence_key", ["obligation_id", "unit_id", "window_start", "instance"])
    op.create_index("ix_occurrence_unmet_due", "occurrence", ["due_at"],
                    postgresql_where=sa.text(UNMET), sqlite_where=sa.text(UNMET))
    # the staging table holds nothing between syncs: rebuilt with the instance in its key
    op.drop_table("sync_staging")
    _staging(with_instance=True)


def downgrade() -> None:
    op.drop_table("sync_staging")
    _staging(with_instance=False)
    op.drop_index("ix_occurrence_unmet_due", table_name="occurrence")
    with op.batch_alter_table("occurrence") as batch:
        batch.drop_constraint("uq_occurrence_key", type_="unique")
        batch.create_unique_constraint("uq_occurrence_key", ["obligation_id", "unit_id", "window_start"])
        for column in ("untracked", "uid_unit", "instance"):
            batch.drop_column(column)
    op.create_index("ix_occurrence_unmet_due", "occurrence", ["due_at"],
                    postgresql_where=sa.text(UNMET), sqlite_where=sa.text(UNMET))
    op.drop_table("event_instance")
    with op.batch_alter_table("event") as batch:
        batch.drop_column("repeats")


def _staging(*, with_instance: bool) -> None:
    op.create_table(
        "sync_staging",
        sa.Column("obligation_id", sa.Integer(), primary_key=True),
        sa.Column("unit_id", sa.String(100), primary_key=True),
        sa.Column("window_start", sa.Date(), primary_key=True),
        *((sa.Column("instance", sa.Integer(), primary_key=True, server_default="0"),) if with_instance else ()),
        sa.Column("holders", sa.Text(), nullable=False),
        sa.Column("window_end", sa.Date(), nullable=False),
        sa.Column("opens_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("at_least", sa.Integer(), nullable=False),
        *((sa.Column("untracked", sa.Boolean(), nullable=False, server_default=sa.false()),) if with_instance else ()),
    )
