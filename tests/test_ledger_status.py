"""Evidence moves occurrences between buckets exactly as PLAN_FORMAT.md defines (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from conftest import weekly_report
from sqlalchemy import select
from sqlmodel import col

from commplan.ledger import EvidenceInput, LedgerError
from commplan.ledger import tables as t

VN = dt.timezone(dt.timedelta(hours=7))


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=VN)


PLAN = weekly_report(until="2022-03-27") + """
- id: phat-lai
  title: Phát lại chương trình
  kind: broadcast
  lead: ubnd-cap-huyen
  every: month
  at_least: 3
  from: 2022-03-01
  until: 2022-04-30
"""


@pytest.fixture
def synced(ledger, write_plan):
    ledger.sync(write_plan(PLAN), now=at("2022-03-01T08:00"), horizon=dt.date(2022, 12, 31))
    return ledger


def status_of(ledger, occurrence_id: int, as_of: str) -> str:
    rows = ledger.statuses(as_of=at(as_of), include_scheduled=True)
    return next(r.status for r in rows if r.id == occurrence_id)


def report(ledger, unit: str, on: str, name: str = "bao-cao.pdf", **kw):
    return ledger.record_evidence("bao-cao-tuan", unit, EvidenceInput(kind="document", document=name),
                                  on=at(on), now=at("2022-04-30T08:00"), **kw)


def test_every_status_is_reached_at_the_right_instant(synced):
    result = report(synced, "buu-dien", "2022-03-10T11:00")
    week = result.occurrence_id
    assert status_of(synced, week, "2022-03-06T23:59") == "scheduled"
    assert status_of(synced, week, "2022-03-07T00:00") == "open"
    assert status_of(synced, week, "2022-03-10T10:59") == "open"
    assert status_of(synced, week, "2022-03-10T11:00") == "done-on-time"  # replay: as the day it was sent
    late = report(synced, "viettel-post", "2022-03-10T15:30")
    assert status_of(synced, late.occurrence_id, "2022-03-10T14:00") == "open"  # 14:00 itself is still on time
    assert status_of(synced, late.occurrence_id, "2022-03-10T15:00") == "overdue"
    assert status_of(synced, late.occurrence_id, "2022-03-10T15:30") == "done-late"
    synced.excuse(late.occurrence_id, "Đơn vị gửi bản giấy, Sở xác nhận", now=at("2022-03-20T09:00"))
    assert status_of(synced, late.occurrence_id, "2022-03-20T08:59") == "done-late"
    assert status_of(synced, late.occurrence_id, "2022-03-20T09:00") == "excused"


def test_a_count_accumulates_until_at_least_is_met(synced):
    items = EvidenceInput(kind="count", quantity=2, note="Phát ngày 5 và 12")
    first = synced.record_evidence("phat-lai", "ubnd-huyen-a", items, on=dt.date(2022, 3, 12), now=at("2022-03-20T08:00"))
    assert (first.delivered, first.at_least, first.status) == (2, 3, "open")
    third = synced.record_evidence("phat-lai", "ubnd-huyen-a", EvidenceInput(kind="count", quantity=1),
                                   on=dt.date(2022, 3, 26), now=at("2022-03-27T08:00"))
    assert (third.delivered, third.status) == (3, "done-on-time")
    assert status_of(synced, third.occurrence_id, "2022-03-25T12:00") == "open"  # before the third broadcast


def test_the_same_link_counts_once(synced):
    link = EvidenceInput(kind="link", link="https://portal.example.gov.vn/tin/1")
    first = synced.record_evidence("phat-lai", "ubnd-huyen-b", link, on=dt.date(2022, 3, 3), now=at("2022-03-05T08:00"))
    again = synced.record_evidence("phat-lai", "ubnd-huyen-b", link, on=dt.date(2022, 3, 4), now=at("2022-03-05T09:00"))
    assert not first.duplicate and again.duplicate
    assert again.delivered == 1


def test_evidence_outside_every_window_is_refused_with_the_nearest_windows(synced):
    with pytest.raises(LedgerError) as caught:
        report(synced, "buu-dien", "2022-04-05T09:00")
    message = str(caught.value)
    assert message.startswith("không kỳ nào chứa ngày 05/04/2022; gần nhất là #")
    assert "14/03/2022–20/03/2022" in message and "21/03/2022–27/03/2022" in message
    assert message.endswith("(chọn kỳ bằng --occurrence ID)")


def test_late_evidence_goes_to_an_explicit_occurrence(synced):
    first_week = report(synced, "buu-dien", "2022-03-08T09:00").occurrence_id
    late = report(synced, "viettel-post", "2022-03-15T09:00", occurrence_id=first_week + 1)
    assert late.occurrence_id == first_week + 1
    assert late.status == "done-late"


def test_wrong_ids_get_the_nearest_valid_ones(synced):
    with pytest.raises(LedgerError, match=r"không có nhiệm vụ 'bao-cao-tuần' \(có phải 'bao-cao-tuan'"):
        synced.record_evidence("bao-cao-tuần", "buu-dien", EvidenceInput(kind="count"), now=at("2022-03-10T08:00"))
    with pytest.raises(LedgerError, match=r"không có đơn vị 'buu-dien-tinh' \(có phải 'buu-dien'"):
        synced.record_evidence("bao-cao-tuan", "buu-dien-tinh", EvidenceInput(kind="count"), now=at("2022-03-10T08:00"))
    with pytest.raises(LedgerError, match="ubnd-huyen-a không có nhiệm vụ này trong sổ theo dõi"):
        synced.record_evidence("bao-cao-tuan", "ubnd-huyen-a", EvidenceInput(kind="count"), now=at("2022-03-10T08:00"))


def test_excusals_need_a_reason_can_be_undone_and_are_audited(synced):
    occurrence = report(synced, "buu-dien", "2022-03-08T09:00").occurrence_id + 2
    with pytest.raises(LedgerError, match="miễn cần có lý do"):
        synced.excuse(occurrence, "  ")
    synced.excuse(occurrence, "Nghỉ Tết", actor="chuyen-vien-a", now=at("2022-03-20T10:00"))
    with pytest.raises(LedgerError, match="đã được miễn"):
        synced.excuse(occurrence, "again")
    assert synced.unexcuse(occurrence, actor="chuyen-vien-b", now=at("2022-03-21T10:00")) == "Nghỉ Tết"
    with pytest.raises(LedgerError, match="không được miễn"):
        synced.unexcuse(occurrence)
    with synced.transaction() as connection:
        log = connection.execute(select(col(t.AuditRow.action), col(t.AuditRow.actor), col(t.AuditRow.details)).order_by(col(t.AuditRow.id))).all()
        excusal = connection.execute(select(col(t.ExcusalRow.revoked_by))).scalar_one()
    assert [(a, who) for a, who, _ in log] == [("sync", None), ("evidence", None), ("excuse", "chuyen-vien-a"), ("unexcuse", "chuyen-vien-b")]
    assert json.loads(log[2][2]) == {"reason": "Nghỉ Tết"}
    assert excusal == "chuyen-vien-b"


def test_summary_counts_the_four_buckets_per_plan_and_unit(synced):
    report(synced, "buu-dien", "2022-03-10T09:00")  # week 1: on time
    report(synced, "buu-dien", "2022-03-18T09:00", name="tuan-2.pdf")  # week 2: due 17/03, late
    by_plan, by_unit = synced.summary(as_of=at("2022-03-21T12:00"))
    assert [(r.key, r.counts) for r in by_plan] == [("ke-hoach-thu", {
        "scheduled": 2, "open": 4, "done-on-time": 1, "done-late": 1, "overdue": 2, "excused": 0, "untracked": 0})]
    units = {r.key: r.counts for r in by_unit}
    assert units["buu-dien"] == {"scheduled": 0, "open": 1, "done-on-time": 1, "done-late": 1, "overdue": 0, "excused": 0,
                                 "untracked": 0}
    assert units["viettel-post"]["overdue"] == 2
    assert units["ubnd-huyen-a"] == {"scheduled": 1, "open": 1, "done-on-time": 0, "done-late": 0, "overdue": 0, "excused": 0,
                                     "untracked": 0}
    overdue = synced.statuses(as_of=at("2022-03-21T12:00"), only="overdue")
    assert sorted((r.unit, r.window_start.isoformat()) for r in overdue) == [
        ("viettel-post", "2022-03-07"), ("viettel-post", "2022-03-14")]
    group = synced.statuses(as_of=at("2022-03-21T12:00"), units=["ubnd-cap-huyen"])
    assert {r.unit for r in group} == {"ubnd-huyen-a", "ubnd-huyen-b"}
    with pytest.raises(LedgerError, match="không có kế hoạch 'ke-hoach'"):
        synced.summary(as_of=at("2022-03-21T12:00"), plans=["ke-hoach"])


def test_evidence_dated_in_the_future_is_refused(synced):
    with pytest.raises(LedgerError, match="11:00 10/03/2022 là thời điểm trong tương lai"):
        synced.record_evidence("bao-cao-tuan", "buu-dien", EvidenceInput(kind="count"), on=at("2022-03-10T11:00"),
                               now=at("2022-03-09T08:00"))


def test_the_overdue_query_is_served_by_the_unmet_index(ledger, write_plan):
    ledger.sync(write_plan(PLAN), now=at("2022-03-01T08:00"), horizon=dt.date(2022, 12, 31))
    from commplan.ledger.status import OVERDUE_NOW

    with ledger.transaction() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("SET LOCAL enable_seqscan = off")  # a tiny table: make the planner show the index
            explain = f"EXPLAIN SELECT o.id FROM occurrence o WHERE {OVERDUE_NOW.replace(':as_of', 'now()')}"
        else:
            explain = f"EXPLAIN QUERY PLAN SELECT o.id FROM occurrence o WHERE {OVERDUE_NOW.replace(':as_of', repr('2022-03-21'))}"
        plan = [str(row) for row in connection.exec_driver_sql(explain).all()]
    assert any("ix_occurrence_unmet_due" in line for line in plan), plan
