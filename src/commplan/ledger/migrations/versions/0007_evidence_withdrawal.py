"""Evidence withdrawal: who withdrew an item, when and why; a withdrawn link no longer blocks recording it again.

Revision ID: 0007
Revises: 0006

Links already stored stay as they were typed (rewriting them could merge two
counted items); the ledger compares old and new links in their normal form.
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

ACTIVE = "withdrawn_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table("evidence") as batch:
        batch.add_column(sa.Column("withdrawn_at", sa.DateTime()))
        batch.add_column(sa.Column("withdrawn_by", sa.Text()))
        batch.add_column(sa.Column("withdraw_reason", sa.Text()))
        batch.drop_constraint("uq_evidence_link", type_="unique")
    op.create_index("uq_evidence_active_link", "evidence", ["occurrence_id", "link"], unique=True,
                    postgresql_where=sa.text(ACTIVE), sqlite_where=sa.text(ACTIVE))


def downgrade() -> None:
    op.drop_index("uq_evidence_active_link", table_name="evidence")
    with op.batch_alter_table("evidence") as batch:
        batch.create_unique_constraint("uq_evidence_link", ["occurrence_id", "link"])
        batch.drop_column("withdraw_reason")
        batch.drop_column("withdrawn_by")
        batch.drop_column("withdrawn_at")
