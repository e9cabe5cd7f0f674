"""Defects found by a second read of the ledger, each pinned by a test (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import sqlite3

import pytest
from sqlalchemy import func, select, text
from sqlmodel import col

from commplan.ledger import EvidenceInput, Ledger, LedgerError
from commplan.ledger import tables as t
from commplan.ledger.engine import create_ledger_engine, upgrade

VN = dt.timezone(dt.timedelta(hours=7))


def at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).replace(tzinfo=VN)


MONTHLY = """
- id: tin-thang
  title: Tin hàng tháng
  lead: buu-dien
  every: month
  from: 2024-01-01
  until: 2024-12-31
"""


def test_sync_after_an_excusal_was_taken_back_keeps_the_occurrence(ledger, write_plan):
    ledger.sync(write_plan(MONTHLY), now=at("2024-03-01T08:00"))
    june = next(r.id for r in ledger.statuses(as_of=at("2024-06-15T00:00")) if r.window_start == dt.date(2024, 6, 1))
    ledger.excuse(june, "Nghỉ lễ", now=at("2024-03-02T08:00"))
    ledger.unexcuse(june, now=at("2024-03-03T08:00"))
    report = ledger.sync(write_plan(MONTHLY.replace("until: 2024-12-31", "until: 2024-04-30")), now=at("2024-03-04T08:00"))
    assert report.deleted == 7 and report.orphaned == 1  # July..December, and May, go; June has history: kept
    with ledger.transaction() as connection:
        kept = connection.execute(select(col(t.OccurrenceRow.orphaned_at)).where(col(t.OccurrenceRow.id) == june)).scalar_one()
        assert kept is not None
        assert connection.execute(select(func.count()).select_from(t.ExcusalRow)).scalar_one() == 1


def test_evidence_goes_to_a_window_the_plan_still_implies_not_an_orphan(ledger, write_plan):
    ledger.sync(write_plan(MONTHLY), now=at("2024-02-20T08:00"))
    ledger.record_evidence("tin-thang", "buu-dien", EvidenceInput(kind="link", link="https://a.example.gov.vn/1"),
                           on=dt.date(2024, 2, 3), now=at("2024-02-20T08:00"))
    ledger.sync(write_plan(MONTHLY.replace("every: month", "every: week")), now=at("2024-02-20T08:00"))
    result = ledger.record_evidence("tin-thang", "buu-dien", EvidenceInput(kind="link", link="https://a.example.gov.vn/2"),
                                    on=dt.date(2024, 2, 14), now=at("2024-02-20T08:00"))
    assert (result.window_start, result.window_end) == (dt.date(2024, 2, 12), dt.date(2024, 2, 18))


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (EvidenceInput(kind="count", quantity=0), "số lần phải là số nguyên từ 1 đến 100.000, không phải 0"),
        (EvidenceInput(kind="count", quantity=-2), "số lần phải là số nguyên từ 1 đến 100.000, không phải -2"),
        (EvidenceInput(kind="link"), "minh chứng là đường dẫn cần có địa chỉ"),
        (EvidenceInput(kind="document", document=" "), "minh chứng là văn bản cần có tên văn bản"),
        (EvidenceInput(kind="photo"), "loại minh chứng không hợp lệ 'photo'"),
        (EvidenceInput(kind="count", occurred_at=at("2024-11-05T08:00")), "08:00 05/11/2024 là thời điểm trong tương lai"),
    ],
)
def test_the_api_refuses_evidence_that_would_count_wrongly(ledger, write_plan, item, message):
    ledger.sync(write_plan(MONTHLY), now=at("2024-03-20T08:00"))
    with pytest.raises(LedgerError, match=message):
        ledger.record_evidence("tin-thang", "buu-dien", item, now=at("2024-03-20T08:00"))


def test_an_excusal_taken_back_still_counts_for_the_days_it_was_in_force(ledger, write_plan):
    ledger.sync(write_plan(MONTHLY), now=at("2024-01-01T08:00"))
    january = ledger.statuses(as_of=at("2024-01-15T00:00"))[0].id
    ledger.excuse(january, "Chờ hướng dẫn", now=at("2024-02-05T08:00"))
    ledger.unexcuse(january, now=at("2024-02-15T08:00"))
    ledger.excuse(january, "Đã có văn bản miễn", now=at("2024-03-01T08:00"))

    def status(on: str) -> str:
        return next(r.status for r in ledger.statuses(as_of=at(on)) if r.id == january)

    assert [status(d) for d in ("2024-02-04T00:00", "2024-02-10T00:00", "2024-02-20T00:00", "2024-03-02T00:00")] == [
        "overdue", "excused", "overdue", "excused"]
    overdue = [r.id for r in ledger.statuses(as_of=at("2024-02-10T00:00"), only="overdue")]
    assert january not in overdue


def test_reading_does_not_wait_for_a_writer_on_sqlite(tmp_path, write_plan):
    url = f"sqlite:///{tmp_path / 'ledger.sqlite3'}"
    with Ledger(url) as ledger:
        ledger.sync(write_plan(MONTHLY), now=at("2024-03-01T08:00"))
    writer = sqlite3.connect(tmp_path / "ledger.sqlite3", isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        with Ledger(url, busy_seconds=0.2) as ledger:
            assert len(ledger.statuses(as_of=at("2024-12-31T00:00"))) == 12
            assert ledger.summary(as_of=at("2024-12-31T00:00"))[0][0].total == 12
    finally:
        writer.execute("ROLLBACK")
        writer.close()


def test_shared_duties_are_found_by_every_co_lead(ledger, write_plan):
    plan = MONTHLY.replace("lead: buu-dien", "lead: [buu-dien, viettel-post]\n  shared: true")
    ledger.sync(write_plan(plan), now=at("2024-03-01T08:00"))
    rows = ledger.statuses(as_of=at("2024-03-15T00:00"), units=["viettel-post"])
    assert [(r.unit, r.window_start) for r in rows] == [("buu-dien", dt.date(2024, m, 1)) for m in (1, 2, 3)]
    by_plan, _ = ledger.summary(as_of=at("2024-03-15T00:00"), units=["viettel-post"])
    assert by_plan[0].total == 3


def test_a_database_from_a_newer_commplan_is_refused_clearly(ledger_url):
    engine = create_ledger_engine(ledger_url)
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    with pytest.raises(LedgerError, match=r"có lược đồ phiên bản 0099 do một commplan mới hơn ghi .*: hãy nâng cấp commplan"):
        Ledger(ledger_url)


def test_bad_urls_and_folders_are_refused_clearly(tmp_path):
    with pytest.raises(LedgerError, match="'notaurl' không phải địa chỉ cơ sở dữ liệu"):
        Ledger("notaurl")
    (tmp_path / "file").write_text("x", encoding="utf-8")
    with pytest.raises(LedgerError, match=r"thư mục dữ liệu .*file/sub không chứa được cơ sở dữ liệu SQLite \(không tạo được thư mục"):
        Ledger(f"sqlite:///{tmp_path}/file/sub/ledger.sqlite3")
    with pytest.raises(LedgerError, match="không hỗ trợ mysql"):
        Ledger("mysql://root@127.0.0.1/test")
