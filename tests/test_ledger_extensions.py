"""Deadline extensions (gia hạn) and excusing many occurrences at once, in the ledger (SQLite and PostgreSQL):
the new deadline drives the status, a resync keeps it, and a refused change changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import weekly_report
from sqlalchemy import select
from sqlmodel import col

from commplan.ledger import EvidenceInput, LedgerError, Status
from commplan.ledger import tables as t

VN = dt.timezone(dt.timedelta(hours=7))
NOW = dt.datetime(2022, 3, 14, 9, 0, tzinfo=VN)  # Monday: the week of 7/3 was due Thursday 10/3 14:00


def week(ledger, unit: str, start: str = "2022-03-07", as_of: dt.datetime = NOW):
    return next(r for r in ledger.statuses(as_of=as_of, include_scheduled=True)
                if r.unit == unit and r.window_start == dt.date.fromisoformat(start))


def sequence_of(ledger, occurrence_id: int) -> int:
    with ledger.transaction() as connection:
        return connection.execute(select(col(t.OccurrenceRow.sequence)).where(col(t.OccurrenceRow.id) == occurrence_id)).scalar_one()


def test_an_extended_deadline_drives_the_status_and_survives_a_resync(ledger, write_plan):
    catalog = write_plan(weekly_report())
    ledger.sync(catalog, now=NOW)
    late = week(ledger, "buu-dien")
    assert (late.status, late.due) == (Status.OVERDUE, dt.datetime(2022, 3, 10, 14, 0, tzinfo=VN))
    before = sequence_of(ledger, late.id)

    [extension] = ledger.extend([late.id], dt.date(2022, 3, 18), "Bão số 3: mất điện cả tuần", actor="sotttt", now=NOW)
    assert (extension.previous_due, extension.due) == (dt.datetime(2022, 3, 10, 14, 0, tzinfo=VN),
                                                       dt.datetime(2022, 3, 18, 23, 59, 59, tzinfo=VN))
    assert week(ledger, "buu-dien").status == Status.OPEN and sequence_of(ledger, late.id) == before + 1
    assert week(ledger, "viettel-post").status == Status.OVERDUE  # only what was extended

    ledger.sync(catalog, now=NOW + dt.timedelta(hours=1))  # the plan still says 10/3: the extension stands
    assert week(ledger, "buu-dien").due == extension.due
    ledger.record_evidence("bao-cao-tuan", "buu-dien", EvidenceInput(kind="document", document="BC tuần 10.pdf"),
                           occurrence_id=late.id, on=dt.date(2022, 3, 17), now=NOW + dt.timedelta(days=3))
    assert week(ledger, "buu-dien", as_of=NOW + dt.timedelta(days=3)).status == Status.DONE_ON_TIME
    with ledger.transaction() as connection:
        audit = connection.execute(select(col(t.AuditRow.actor), col(t.AuditRow.subject))
                                   .where(col(t.AuditRow.action) == "extend")).all()
        stored = connection.execute(select(col(t.DeadlineExtensionRow.reason))).scalars().all()
    assert [tuple(a) for a in audit] == [("sotttt", f"occurrence/{late.id}")]
    assert stored == ["Bão số 3: mất điện cả tuần"]


def test_an_extension_to_an_instant_and_to_several_at_once(ledger, write_plan):
    ledger.sync(write_plan(weekly_report()), now=NOW)
    ids = [week(ledger, "buu-dien").id, week(ledger, "viettel-post").id]
    done = ledger.extend(ids, dt.datetime(2022, 3, 16, 17, 0), "Sáp nhập đơn vị", now=NOW)
    assert [e.due for e in done] == [dt.datetime(2022, 3, 16, 17, 0, tzinfo=VN)] * 2
    assert {week(ledger, u).status for u in ("buu-dien", "viettel-post")} == {Status.OPEN}


def test_a_refused_extension_changes_nothing(ledger, write_plan):
    ledger.sync(write_plan(weekly_report()), now=NOW)
    first, second = week(ledger, "buu-dien"), week(ledger, "viettel-post")
    with pytest.raises(LedgerError, match="lùi hạn về sau"):  # the second would move its deadline earlier
        ledger.extend([first.id, second.id], dt.date(2022, 3, 9), "Nhầm", now=NOW)
    with pytest.raises(LedgerError, match="#999999"):
        ledger.extend([first.id, 999999], dt.date(2022, 3, 20), "Bão", now=NOW)
    with pytest.raises(LedgerError, match="lý do"):
        ledger.extend([first.id], dt.date(2022, 3, 20), "  ", now=NOW)
    assert week(ledger, "buu-dien").due == first.due and week(ledger, "viettel-post").due == second.due
    with ledger.transaction() as connection:
        assert connection.execute(select(col(t.DeadlineExtensionRow.id))).all() == []


def test_many_excused_at_once_and_a_repeat_leaves_them(ledger, write_plan):
    ledger.sync(write_plan(weekly_report()), now=NOW)
    a, b = week(ledger, "buu-dien").id, week(ledger, "viettel-post").id
    c = week(ledger, "buu-dien", "2022-03-14").id
    ledger.excuse(a, "Đã báo cáo bằng văn bản", now=NOW)
    excused, skipped = ledger.excuse_many([a, b, c, b], "Bão số 3", actor="sotttt", now=NOW)
    assert (excused, skipped) == ([b, c], [a])
    assert {week(ledger, u).status for u in ("buu-dien", "viettel-post")} == {Status.EXCUSED}
    with pytest.raises(LedgerError, match="#999999"):
        ledger.excuse_many([week(ledger, "viettel-post", "2022-03-14").id, 999999], "Bão", now=NOW)
    assert week(ledger, "viettel-post", "2022-03-14").status != Status.EXCUSED  # nothing of the refused call
