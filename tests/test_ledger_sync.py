"""Sync: idempotent, follows plan edits, never loses evidence (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import weekly_report
from sqlalchemy import func, select
from sqlmodel import col

from commplan.ledger import EvidenceInput, LedgerError
from commplan.ledger import tables as t

VN = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2022, 3, 16, 9, 0, tzinfo=VN)  # a Wednesday

WEEKLY = weekly_report()
MONTHLY = """
- id: tin-thang
  title: Tin hàng tháng
  kind: publish
  lead: ubnd-cap-huyen
  every: month
  from: 2022-01-01
  until: 2022-06-30
"""


def count(ledger, table=t.OccurrenceRow) -> int:
    with ledger.transaction() as connection:
        return connection.execute(select(func.count()).select_from(table)).scalar_one()


def keys(ledger) -> set[tuple]:
    with ledger.transaction() as connection:
        rows = connection.execute(
            select(col(t.ObligationRow.code), col(t.OccurrenceRow.unit_id), col(t.OccurrenceRow.window_start), col(t.OccurrenceRow.due_at),
                   col(t.OccurrenceRow.orphaned_at))
            .join(t.ObligationRow, col(t.ObligationRow.id) == col(t.OccurrenceRow.obligation_id))
        ).all()
    return {(code, unit, start.isoformat(), due.isoformat(), orphaned is not None) for code, unit, start, due, orphaned in rows}


def test_it_materialises_occurrences_and_a_second_sync_changes_nothing(ledger, write_plan):
    catalog = write_plan(WEEKLY + MONTHLY)
    first = ledger.sync(catalog, now=NOW, horizon=dt.date(2022, 12, 31))
    assert (first.inserted, first.updated, first.deleted, first.orphaned) == (8 + 12, 0, 0, 0)
    before = keys(ledger)
    second = ledger.sync(catalog, now=NOW, horizon=dt.date(2022, 12, 31))
    assert (second.inserted, second.updated, second.deleted, second.orphaned, second.unchanged) == (0, 0, 0, 0, 20)
    assert keys(ledger) == before
    assert ("bao-cao-tuan", "buu-dien", "2022-03-07", "2022-03-10T07:00:00", False) in before  # 14:00 +07:00 in UTC


def test_it_stops_at_the_horizon(ledger, write_plan):
    catalog = write_plan(MONTHLY)
    ledger.sync(catalog, now=NOW, horizon=dt.date(2022, 3, 31))
    assert count(ledger) == 2 * 3
    ledger.sync(catalog, now=NOW, horizon=dt.date(2022, 12, 31))
    assert count(ledger) == 2 * 6


def test_editing_the_plan_updates_untouched_occurrences_only(ledger, write_plan, tmp_path):
    catalog = write_plan(WEEKLY)
    ledger.sync(catalog, now=NOW, horizon=dt.date(2022, 12, 31))
    ledger.record_evidence("bao-cao-tuan", "buu-dien", EvidenceInput(kind="document", document="BC tuần 10.pdf"),
                           on=dt.date(2022, 3, 9), now=NOW)
    edited = write_plan(WEEKLY.replace("weekday: thu", "weekday: fri"))
    report = ledger.sync(edited, now=NOW, horizon=dt.date(2022, 12, 31))
    assert report.updated == 7  # 8 occurrences, one touched by evidence
    after = keys(ledger)
    assert ("bao-cao-tuan", "buu-dien", "2022-03-07", "2022-03-10T07:00:00", False) in after  # kept: it has evidence
    assert ("bao-cao-tuan", "viettel-post", "2022-03-07", "2022-03-11T07:00:00", False) in after


def test_removing_an_obligation_keeps_history_and_evidence(ledger, write_plan):
    catalog = write_plan(WEEKLY + MONTHLY)
    ledger.sync(catalog, now=NOW, horizon=dt.date(2022, 12, 31))
    result = ledger.record_evidence("tin-thang", "ubnd-huyen-a", EvidenceInput(kind="link", link="https://a.example.gov.vn/1"),
                                    on=dt.date(2022, 2, 10), now=NOW)
    report = ledger.sync(write_plan(WEEKLY), now=NOW, horizon=dt.date(2022, 12, 31))
    # monthly: Jan-Mar started by 16/03 (kept, orphaned: 2 units x 3); Apr-Jun in the future, untouched: deleted
    assert (report.deleted, report.orphaned) == (6, 6)
    rows = {k for k in keys(ledger) if k[0] == "tin-thang"}
    assert len(rows) == 6 and all(orphaned for *_, orphaned in rows)
    assert count(ledger, t.EvidenceRow) == 1
    statuses = ledger.statuses(as_of=NOW, plans=["ke-hoach-thu"])
    kept = next(s for s in statuses if s.id == result.occurrence_id)
    assert kept.orphaned and kept.status == "done-on-time" and kept.delivered == 1
    with ledger.transaction() as connection:
        removed = connection.execute(select(col(t.ObligationRow.removed_at)).where(col(t.ObligationRow.code) == "tin-thang")).scalar_one()
    assert removed is not None
    # putting the obligation back brings its occurrences back, un-orphaned, evidence in place
    back = ledger.sync(write_plan(WEEKLY + MONTHLY), now=NOW, horizon=dt.date(2022, 12, 31))
    assert back.inserted == 6
    assert not any(orphaned for *_, orphaned in keys(ledger))


def test_an_awaited_event_opens_its_obligations_on_the_next_sync(ledger, write_plan):
    plan = """
- id: tin-bai
  title: Tin bài hàng tháng
  lead: buu-dien
  every: month
  from: {event: banner}
"""
    catalog = write_plan(plan, events="- id: banner\n  title: Banner\n")
    report = ledger.sync(catalog, now=NOW, horizon=dt.date(2022, 6, 30))
    assert report.waiting == ("ke-hoach-thu/tin-bai",) and count(ledger) == 0
    assert ledger.record_event("banner", dt.date(2022, 4, 12), now=NOW) == ("ke-hoach-thu", None, None)
    report = ledger.sync(catalog, now=NOW, horizon=dt.date(2022, 6, 30))
    assert report.waiting == () and report.inserted == 3
    assert min(k[2] for k in keys(ledger)) == "2022-04-12"
    with pytest.raises(LedgerError, match="không có sự kiện 'baner' \\(có phải 'banner'\\?\\)"):
        ledger.record_event("baner", dt.date(2022, 4, 12), now=NOW)


def test_succession_and_shared_duties_are_materialised(ledger, write_plan):
    plan = """
- id: zalo
  title: Tin Zalo
  lead: so-tttt
  every: month
  from: 2025-01-01
  until: 2025-05-31
- id: chung
  title: Chuyên mục chung
  lead: ubnd-cap-huyen
  shared: true
  every: quarter
  from: 2025-01-01
  until: 2025-06-30
"""
    ledger.sync(write_plan(plan), now=NOW, horizon=dt.date(2025, 12, 31))
    holders = sorted((k[1], k[2]) for k in keys(ledger) if k[0] == "zalo")
    # by due date (format 1.1): March is due on the 31st, after so-khcn takes over on 15/3
    assert holders == [("so-khcn", "2025-03-01"), ("so-khcn", "2025-04-01"), ("so-khcn", "2025-05-01"),
                       ("so-tttt", "2025-01-01"), ("so-tttt", "2025-02-01")]
    shared = sorted((k[1], k[2]) for k in keys(ledger) if k[0] == "chung")
    assert shared == [("ubnd-cap-huyen", "2025-01-01"), ("ubnd-cap-huyen", "2025-04-01")]
    # a member of the group can report for the shared occurrence
    result = ledger.record_evidence("chung", "ubnd-huyen-b", EvidenceInput(kind="count", quantity=1), on=dt.date(2025, 2, 1),
                                    now=dt.datetime(2025, 3, 1, 9, 0, tzinfo=VN))
    assert result.window_start == dt.date(2025, 1, 1)
