"""Holders as rows, provinces as facts: `occurrence_holder` (one row per unit an occurrence is owed by,
and its own unit or group), back-filled from the space-separated `holders` text, its sync staging
twin, and the unit mirror's `province` (filled by the next sync, which mirrors the directory).

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
BATCH = 5000


def upgrade() -> None:
    with op.batch_alter_table("unit") as batch:
        batch.add_column(sa.Column("province", sa.String(100)))
    op.create_index("ix_unit_province", "unit", ["province", "id"])
    op.create_table(
        "occurrence_holder",
        sa.Column("occurrence_id", BIG, sa.ForeignKey("occurrence.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("unit_id", sa.String(100), primary_key=True),
    )
    op.create_index("ix_occurrence_holder_unit", "occurrence_holder", ["unit_id", "occurrence_id"])
    op.create_table(
        "sync_staging_holder",
        sa.Column("obligation_id", sa.Integer(), primary_key=True),
        sa.Column("unit_id", sa.String(100), primary_key=True),
        sa.Column("window_start", sa.Date(), primary_key=True),
        sa.Column("instance", sa.Integer(), primary_key=True, server_default="0"),
        sa.Column("holder", sa.String(100), primary_key=True),
    )
    _backfill(op.get_bind())


def _backfill(connection: sa.Connection) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(sa.text(
            "INSERT INTO occurrence_holder (occurrence_id, unit_id)"
            " SELECT DISTINCT o.id, h.unit_id FROM occurrence o,"
            " unnest(string_to_array(o.holders, ' ') || o.unit_id) AS h(unit_id) WHERE h.unit_id <> ''"
        ))
        return
    # SQLite splits no strings: read in id order, a batch at a time, and write the rows back
    last = 0
    while True:
        rows = connection.execute(
            sa.text("SELECT id, unit_id, holders FROM occurrence WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": BATCH},
        ).all()
        if not rows:
            return
        pairs = [{"o": row_id, "u": unit} for row_id, own, holders in rows
                 for unit in dict.fromkeys([*holders.split(), own]) if unit]
        if pairs:
            connection.execute(sa.text("INSERT INTO occurrence_holder (occurrence_id, unit_id) VALUES (:o, :u)"), pairs)
        last = rows[-1][0]


def downgrade() -> None:
    op.drop_table("sync_staging_holder")
    op.drop_index("ix_occurrence_holder_unit", table_name="occurrence_holder")
    op.drop_table("occurrence_holder")
    op.drop_index("ix_unit_province", table_name="unit")
    with op.batch_alter_table("unit") as batch:
        batch.drop_column("province")
