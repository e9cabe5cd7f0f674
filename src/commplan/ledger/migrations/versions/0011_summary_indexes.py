"""Indexes for summaries over a province: the status columns covered in (unit, obligation) order, the
same for the few occurrences held jointly (`held_jointly`, a generated column: `holders` other than
their own unit), and the withdrawn items (the only evidence a summary must look at).

Revision ID: 0011
Revises: 0010
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# tables.OccurrenceRow.SUMMARY_COLUMNS, frozen here as this revision made them
SUMMARY_COLUMNS = ["unit_id", "obligation_id", "orphaned_at", "met_at", "opens_at", "due_at", "untracked", "at_least"]
SHARED = sa.text("held_jointly")
WITHDRAWN = sa.text("withdrawn_at IS NOT NULL")


def upgrade() -> None:
    # kept by the database (stored on PostgreSQL, which then has statistics on it; virtual on SQLite)
    stored = True if op.get_bind().dialect.name == "postgresql" else None  # SQLite adds only virtual ones
    op.add_column("occurrence", sa.Column("held_jointly", sa.Boolean(), sa.Computed("holders <> unit_id", persisted=stored)))
    op.create_index("ix_occurrence_summary", "occurrence", SUMMARY_COLUMNS)
    op.create_index("ix_occurrence_shared", "occurrence", SUMMARY_COLUMNS, postgresql_where=SHARED, sqlite_where=SHARED)
    op.create_index("ix_evidence_withdrawn", "evidence", ["withdrawn_at", "recorded_at", "occurrence_id"],
                    postgresql_where=WITHDRAWN, sqlite_where=WITHDRAWN)


def downgrade() -> None:
    op.drop_index("ix_evidence_withdrawn", table_name="evidence")
    op.drop_index("ix_occurrence_shared", table_name="occurrence")
    op.drop_index("ix_occurrence_summary", table_name="occurrence")
    with op.batch_alter_table("occurrence") as batch:
        batch.drop_column("held_jointly")
