"""The database itself: migrations upgrade in place, bad files and busy databases give clear errors,
a failed command changes nothing, and two syncs at once create no duplicates."""

from __future__ import annotations

import datetime as dt
import multiprocessing
import sqlite3

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from conftest import PLANS, postgres_schema, require_postgres
from sqlalchemy import create_engine, func, select, text
from sqlmodel import SQLModel

from commplan.ledger import EvidenceInput, Ledger, LedgerError
from commplan.ledger import sync as sync_module
from commplan.ledger import tables as t
from commplan.ledger.engine import create_ledger_engine, current_revision, head_revision, upgrade
from commplan.plan import load_catalog

VN = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2022, 3, 16, 9, 0, tzinfo=VN)
PLAN = """
- id: tin-thang
  title: Tin hàng tháng
  lead: ubnd-cap-huyen
  every: month
  from: 2022-01-01
  until: 2022-12-31
"""


def test_the_models_match_the_migrations(ledger):
    with ledger.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), SQLModel.metadata)
    assert diff == []
    assert current_revision(ledger.engine) == head_revision() == "0022"  # the head: 0022 follows 0024


def test_a_database_at_an_older_schema_is_upgraded_with_its_data(ledger_url):
    engine = create_ledger_engine(ledger_url)
    upgrade(engine, "0001")
    stamp = dt.datetime(2022, 1, 1)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO plan (id, title, file, timezone, synced_at) VALUES ('p', 'Kế hoạch', 'p.yaml', 'Asia/Ho_Chi_Minh', :s)"), {"s": stamp})
        connection.execute(text("INSERT INTO obligation (id, plan_id, code, title, evidence_kind, at_least) VALUES (1, 'p', 'o', 'Tin', 'link', 1)"))
        connection.execute(
            text("INSERT INTO occurrence (obligation_id, unit_id, holders, window_start, window_end, opens_at, due_at, at_least,"
                 " evidence_total, created_at, updated_at) VALUES (1, 'u', 'u', '2022-01-01', '2022-01-31', :s, :d, 1, 0, :s, :s)")
            .bindparams(), {"s": stamp, "d": dt.datetime(2022, 1, 31, 16, 59, 59)},
        )
    engine.dispose()
    with Ledger(ledger_url) as ledger:  # opening upgrades to the newest schema
        assert current_revision(ledger.engine) == "0022"  # the head: 0022 follows 0024
        rows = ledger.statuses(as_of=dt.datetime(2022, 2, 1, tzinfo=VN))
        assert [(r.plan, r.obligation, r.unit, r.status) for r in rows] == [("p", "o", "u", "overdue")]
        ledger.excuse(rows[0].id, "Đơn vị đã giải thể", now=NOW)  # a 0002 feature on 0001 data
        assert ledger.statuses(as_of=NOW)[0].status == "excused"


def test_a_corrupt_sqlite_file_gives_a_clear_error(tmp_path):
    path = tmp_path / "ledger.sqlite3"
    path.write_bytes("this is not a database, it is a letter to the Sở".encode() * 100)
    with pytest.raises(LedgerError, match=r"cơ sở dữ liệu SQLite .*ledger.sqlite3 bị hỏng hoặc không phải cơ sở dữ liệu của commplan"):
        Ledger(f"sqlite:///{path}")
    assert path.read_bytes().startswith(b"this is not a database")  # left as it was


def test_a_locked_sqlite_file_gives_a_clear_error_and_loses_nothing(tmp_path, write_plan):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    with Ledger(url) as ledger:
        ledger.sync(write_plan(PLAN), now=NOW)
    blocker = sqlite3.connect(tmp_path / "ledger.sqlite3", isolation_level=None)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(LedgerError, match=r"đang bận: một lệnh commplan khác đang ghi vào đó. Hãy thử lại."), \
                Ledger(url, busy_seconds=0.2) as ledger:
            ledger.excuse(1, "thử", now=NOW)
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    with Ledger(url) as ledger:
        assert ledger.statuses(as_of=NOW)[0].status != "excused"


def test_an_unreachable_postgresql_gives_a_clear_error():
    with pytest.raises(LedgerError, match=r"không kết nối được cơ sở dữ liệu PostgreSQL test tại 127.0.0.1:1"):
        Ledger("postgresql+psycopg://postgres@127.0.0.1:1/test")


def test_a_command_that_fails_midway_changes_nothing(ledger, write_plan, monkeypatch):
    catalog = write_plan(PLAN)
    ledger.sync(catalog, now=NOW)
    ledger.record_evidence("tin-thang", "ubnd-huyen-a", EvidenceInput(kind="link", link="https://x.example.gov.vn/1"),
                           on=dt.date(2022, 2, 3), now=NOW)
    with ledger.transaction() as connection:
        before = connection.execute(select(t.table_of(t.OccurrenceRow))).all()

    def crash(*args, **kwargs):
        raise RuntimeError("power cut")

    monkeypatch.setattr(sync_module, "_retire_missing", crash)
    edited = write_plan(PLAN.replace("every: month", "every: quarter"))
    with pytest.raises(RuntimeError, match="power cut"):
        ledger.sync(edited, now=NOW)
    with ledger.transaction() as connection:
        after = connection.execute(select(t.table_of(t.OccurrenceRow))).all()
        staged = connection.execute(select(func.count()).select_from(t.SyncStagingRow)).scalar_one()
    assert after == before and staged == 0


def _sync_in_another_process(url: str, barrier) -> tuple[int, int]:
    catalog, _ = load_catalog([PLANS])
    with Ledger(url) as ledger:
        barrier.wait(timeout=60)
        report = ledger.sync(catalog, now=dt.datetime(2026, 11, 22, 9, 0, tzinfo=VN), horizon=dt.date(2027, 12, 31))
    return report.inserted, report.unchanged


@pytest.mark.slow  # two spawned processes, each importing commplan
def test_two_processes_syncing_at_once_on_postgresql_create_no_duplicates():
    require_postgres()
    with postgres_schema() as url:
        Ledger(url).close()  # schema first, so both processes race on the data, not the migrations
        context = multiprocessing.get_context("spawn")
        barrier = context.Manager().Barrier(2)
        with context.Pool(2) as pool:
            results = pool.starmap(_sync_in_another_process, [(url, barrier), (url, barrier)])
        engine = create_engine(url)
        with engine.connect() as connection:
            total = connection.execute(text("SELECT COUNT(*) FROM occurrence")).scalar_one()
            distinct = connection.execute(
                text("SELECT COUNT(*) FROM (SELECT DISTINCT obligation_id, unit_id, window_start FROM occurrence) k")
            ).scalar_one()
        engine.dispose()
    inserted = sorted(r[0] for r in results)
    assert inserted[0] == 0 and inserted[1] == total  # one did the work, the other found it done
    assert results[0][0] + results[0][1] == results[1][0] + results[1][1] == total
    assert total == distinct > 10_000
