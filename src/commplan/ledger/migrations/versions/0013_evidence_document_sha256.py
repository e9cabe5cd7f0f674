"""Evidence that is an uploaded document names it by its SHA-256 (`document_sha256`, the `document` table's key);
`document` keeps the name shown. Indexed (where set) for the one question asked of it: who may read a document.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evidence") as batch:
        batch.add_column(sa.Column("document_sha256", sa.String(64)))
    op.create_index("ix_evidence_document", "evidence", ["document_sha256"],
                    postgresql_where=sa.text("document_sha256 IS NOT NULL"),
                    sqlite_where=sa.text("document_sha256 IS NOT NULL"))


def downgrade() -> None:
    op.drop_index("ix_evidence_document", table_name="evidence")
    with op.batch_alter_table("evidence") as batch:
        batch.drop_column("document_sha256")
