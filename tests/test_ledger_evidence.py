"""Evidence that can be corrected, never lost: late reports with their real date, withdrawals, replays,
and items that count once (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select, text
from sqlmodel import col
from test_ledger_status import PLAN, at  # the same two duties: a weekly report and a monthly rebroadcast

from commplan.ledger import EvidenceInput, Ledger, LedgerError
from commplan.ledger import tables as t

DOCUMENT = EvidenceInput(kind="document", document="Báo cáo tuần 10")


@pytest.fixture
def synced(ledger, write_plan):
    ledger.sync(write_plan(PLAN), now=at("2022-03-01T08:00"), horizon=dt.date(2022, 12, 31))
    return ledger


def week_of(ledger: Ledger, unit: str, monday: str) -> int:
    rows = ledger.statuses(as_of=at("2022-03-01T08:00"), units=[unit], include_scheduled=True)
    return next(r.id for r in rows if r.obligation == "bao-cao-tuan" and r.window_start.isoformat() == monday)


def status_of(ledger: Ledger, occurrence_id: int, as_of: dt.datetime) -> tuple[str, int]:
    row = next(r for r in ledger.statuses(as_of=as_of, include_scheduled=True) if r.id == occurrence_id)
    return row.status, row.delivered


def test_a_late_report_recorded_with_its_real_date_lands_on_its_own_week_done_late(synced):
    first_week = week_of(synced, "viettel-post", "2022-03-07")  # due Thursday 10/03 14:00
    # sent on Tuesday 15/03 (the next week's window), recorded on the 20th
    late = synced.record_evidence("bao-cao-tuan", "viettel-post", DOCUMENT, occurrence_id=first_week,
                                  on=dt.date(2022, 3, 15), now=at("2022-03-20T08:00"))
    assert (late.occurrence_id, late.status, late.delivered) == (first_week, "done-late", 1)
    assert late.occurred_at == at("2022-03-15T00:00")
    assert status_of(synced, first_week, at("2022-03-14T23:59")) == ("overdue", 0)
    assert status_of(synced, first_week, at("2022-03-15T00:00")) == ("done-late", 1)
    second_week = week_of(synced, "viettel-post", "2022-03-14")
    assert status_of(synced, second_week, at("2022-03-20T08:00")) == ("overdue", 0)  # not counted there


def test_a_date_alone_on_the_due_day_counts_on_time_and_a_time_after_the_deadline_late(synced):
    week = week_of(synced, "buu-dien", "2022-03-07")
    on_the_day = synced.record_evidence("bao-cao-tuan", "buu-dien", DOCUMENT, occurrence_id=week,
                                        on=dt.date(2022, 3, 10), now=at("2022-03-20T08:00"))
    assert on_the_day.status == "done-on-time"  # a date alone is 00:00 that day, before 14:00
    other = week_of(synced, "viettel-post", "2022-03-07")
    after = synced.record_evidence("bao-cao-tuan", "viettel-post", DOCUMENT, occurrence_id=other,
                                   on=at("2022-03-10T14:01"), now=at("2022-03-20T08:00"))
    assert after.status == "done-late"


def test_a_date_more_than_a_year_from_the_chosen_window_is_refused_and_nothing_is_recorded(synced):
    week = week_of(synced, "buu-dien", "2022-03-07")  # 07/03–13/03/2022
    with pytest.raises(LedgerError, match=r"^ngày 14/03/2023 cách kỳ thực hiện #\d+ \(07/03/2022–13/03/2022\) hơn một năm"):
        synced.record_evidence("bao-cao-tuan", "buu-dien", DOCUMENT, occurrence_id=week, on=dt.date(2023, 3, 14),
                               now=at("2023-04-01T08:00"))
    with pytest.raises(LedgerError, match="ngày 06/03/2021 cách kỳ thực hiện"):
        synced.record_evidence("bao-cao-tuan", "buu-dien", DOCUMENT, occurrence_id=week, on=dt.date(2021, 3, 6),
                               now=at("2022-03-20T08:00"))
    # without --on the date is now: a year and more after the window is a wrong id, not a late report
    with pytest.raises(LedgerError, match="ngày 01/04/2023 cách kỳ thực hiện"):
        synced.record_evidence("bao-cao-tuan", "buu-dien", DOCUMENT, occurrence_id=week, now=at("2023-04-01T08:00"))
    assert synced.evidence() == []
    exactly_a_year = synced.record_evidence("bao-cao-tuan", "buu-dien", DOCUMENT, occurrence_id=week,
                                            on=dt.date(2023, 3, 13), now=at("2023-04-01T08:00"))
    assert exactly_a_year.status == "done-late"


def test_a_withdrawal_uncounts_the_item_now_but_replays_of_when_it_was_in_the_ledger_still_count_it(synced):
    week = week_of(synced, "buu-dien", "2022-03-07")
    recorded = synced.record_evidence("bao-cao-tuan", "buu-dien", DOCUMENT, on=at("2022-03-09T10:00"),
                                      now=at("2022-03-09T10:05"), actor="chuyen-vien-a")
    assert recorded.occurrence_id == week
    withdrawn = synced.withdraw_evidence(recorded.evidence_id, "  Nhập nhầm đơn vị  ", actor="chuyen-vien-b",
                                         now=at("2022-03-12T09:00"))
    assert (withdrawn.status, withdrawn.delivered, withdrawn.at_least) == ("overdue", 0, 1)
    item = withdrawn.item
    assert (item.withdrawn, item.withdrawn_by, item.withdraw_reason) == (True, "chuyen-vien-b", "Nhập nhầm đơn vị")
    assert item.withdrawn_at == at("2022-03-12T09:00")
    # now and after: overdue, nothing delivered (both the index path and the general one)
    assert status_of(synced, week, at("2022-03-12T09:00")) == ("overdue", 0)
    assert week in {r.id for r in synced.statuses(only="overdue")}
    assert week in {r.id for r in synced.statuses(as_of=at("2022-03-12T09:00"), only="overdue")}
    # while it was in the ledger: done on time, as the dashboard said then
    assert status_of(synced, week, at("2022-03-09T10:05")) == ("done-on-time", 1)
    assert status_of(synced, week, at("2022-03-12T08:59")) == ("done-on-time", 1)
    assert week not in {r.id for r in synced.statuses(as_of=at("2022-03-11T12:00"), only="overdue")}
    # before it was recorded it was not in the ledger: a mistake never counts for a time nobody saw it
    assert status_of(synced, week, at("2022-03-09T10:04")) == ("open", 0)
    with synced.transaction() as connection:
        row = connection.execute(select(col(t.OccurrenceRow.met_at), col(t.OccurrenceRow.evidence_total))
                                 .where(col(t.OccurrenceRow.id) == week)).one()
        log = connection.execute(select(col(t.AuditRow.action), col(t.AuditRow.actor), col(t.AuditRow.subject), col(t.AuditRow.details))
                                 .where(col(t.AuditRow.action) == "withdraw")).one()
        kept = connection.execute(select(func.count()).select_from(t.EvidenceRow)).scalar_one()
    assert tuple(row) == (None, 0)
    assert kept == 1  # never deleted
    assert (log.actor, log.subject) == ("chuyen-vien-b", f"occurrence/{week}")
    assert json.loads(log.details) == {"evidence": recorded.evidence_id, "reason": "Nhập nhầm đơn vị", "kind": "document",
                                       "value": "Báo cáo tuần 10", "occurred_at": "2022-03-09 10:00:00+07:00"}


def test_a_late_item_entered_by_mistake_and_withdrawn_never_counts_in_a_replay_of_its_own_dates(synced):
    week = week_of(synced, "buu-dien", "2022-03-07")
    recorded = synced.record_evidence("bao-cao-tuan", "buu-dien", DOCUMENT, occurrence_id=week,
                                      on=dt.date(2022, 3, 15), now=at("2022-03-25T08:00"))
    assert status_of(synced, week, at("2022-03-16T12:00")) == ("done-late", 1)  # backfilled: counts from its date
    synced.withdraw_evidence(recorded.evidence_id, "Nhầm kỳ", now=at("2022-03-25T09:00"))
    assert status_of(synced, week, at("2022-03-16T12:00")) == ("overdue", 0)
    assert status_of(synced, week, at("2022-03-25T08:30")) == ("done-late", 1)


def test_withdrawing_one_of_several_counts_recomputes_when_the_occurrence_was_met(synced):
    def broadcast(quantity: int, day: int, now: str):
        return synced.record_evidence("phat-lai", "ubnd-huyen-a", EvidenceInput(kind="count", quantity=quantity),
                                      on=dt.date(2022, 3, day), now=at(now))

    first = broadcast(2, 5, "2022-03-06T08:00")
    second = broadcast(1, 12, "2022-03-13T08:00")
    third = broadcast(1, 20, "2022-03-21T08:00")
    assert (third.delivered, third.status) == (4, "done-on-time")
    month = first.occurrence_id
    after = synced.withdraw_evidence(second.evidence_id, "Phát lại trùng", now=at("2022-03-22T08:00"))
    assert (after.delivered, after.status) == (3, "done-on-time")  # met again only by the 20th
    with synced.transaction() as connection:
        met_at = connection.execute(select(col(t.OccurrenceRow.met_at)).where(col(t.OccurrenceRow.id) == month)).scalar_one()
    assert met_at == dt.datetime(2022, 3, 19, 17, 0)  # 20/03 00:00 in Vietnam, stored in UTC
    # while the withdrawn broadcast was in the ledger (13/03 08:00 to 22/03 08:00) the month was met on the 12th,
    # though the stored met_at now says the 20th; before it was recorded, and after its withdrawal, it does not count
    assert status_of(synced, month, at("2022-03-13T07:59")) == ("open", 2)
    assert status_of(synced, month, at("2022-03-13T08:00")) == ("done-on-time", 3)
    assert status_of(synced, month, at("2022-03-19T12:00")) == ("done-on-time", 3)
    assert status_of(synced, month, at("2022-03-21T08:00")) == ("done-on-time", 4)
    assert status_of(synced, month, at("2022-03-22T08:00")) == ("done-on-time", 3)
    assert synced.statuses(as_of=at("2022-04-01T08:00"), only="done-on-time", units=["ubnd-huyen-a"])[0].id == month


def test_errors_name_the_item_unknown_already_withdrawn_no_reason_too_long(synced):
    recorded = synced.record_evidence("bao-cao-tuan", "buu-dien", DOCUMENT, on=at("2022-03-09T10:00"),
                                      now=at("2022-03-09T10:05"))
    with pytest.raises(LedgerError, match=r"^không có minh chứng #4242$"):
        synced.withdraw_evidence(4242, "x", now=at("2022-03-10T08:00"))
    for blank in ("", "   \n"):
        with pytest.raises(LedgerError, match=r"^thu hồi minh chứng cần có lý do \(--reason\)$"):
            synced.withdraw_evidence(recorded.evidence_id, blank, now=at("2022-03-10T08:00"))
    with pytest.raises(LedgerError, match=r"^lý do dài 1\.001 ký tự, quá giới hạn 1\.000 ký tự$"):
        synced.withdraw_evidence(recorded.evidence_id, "x" * 1001, now=at("2022-03-10T08:00"))
    with pytest.raises(LedgerError, match="sau thời điểm thu hồi"):
        synced.withdraw_evidence(recorded.evidence_id, "x", now=at("2022-03-09T10:00"))
    synced.withdraw_evidence(recorded.evidence_id, "Nhập nhầm", actor="Trần B", now=at("2022-03-10T08:00"))
    with pytest.raises(LedgerError, match=rf"^minh chứng #{recorded.evidence_id} đã được thu hồi lúc 08:00 ngày 10/03/2022 "
                                          r"bởi Trần B \(lý do: Nhập nhầm\)$"):
        synced.withdraw_evidence(recorded.evidence_id, "lần hai", now=at("2022-03-11T08:00"))
    with synced.transaction() as connection:
        assert connection.execute(select(func.count()).select_from(t.AuditRow).where(col(t.AuditRow.action) == "withdraw")).scalar_one() == 1


def test_the_listing_shows_every_item_with_its_withdrawal_and_filters_by_unit_plan_and_occurrence(synced):
    a = synced.record_evidence("bao-cao-tuan", "buu-dien", DOCUMENT, on=at("2022-03-09T10:00"),
                               now=at("2022-03-09T10:05"), actor="chuyen-vien-a")
    b = synced.record_evidence("phat-lai", "ubnd-huyen-b",
                               EvidenceInput(kind="link", link="https://ubnd-b.example.gov.vn/tin/1", note="Bản tin 6h",
                                             source="feed"),
                               on=at("2022-03-08T06:00"), now=at("2022-03-09T10:06"))
    synced.withdraw_evidence(a.evidence_id, "Nhập nhầm", actor="chuyen-vien-b", now=at("2022-03-10T08:00"))
    everything = synced.evidence()
    assert [i.id for i in everything] == [b.evidence_id, a.evidence_id]  # by the items' own dates
    link, document = everything
    assert (link.kind, link.value, link.source, link.note, link.withdrawn) == (
        "link", "https://ubnd-b.example.gov.vn/tin/1", "feed", "Bản tin 6h", False)
    assert link.occurred_at == at("2022-03-08T06:00") and link.occurred_at.utcoffset() == dt.timedelta(hours=7)
    assert (document.value, document.recorded_by, document.withdrawn, document.withdraw_reason) == (
        "Báo cáo tuần 10", "chuyen-vien-a", True, "Nhập nhầm")
    assert document.as_dict()["withdrawn_at"] == "2022-03-10T08:00:00+07:00"
    assert list(document.as_dict()) == [
        "id", "occurrence", "plan", "obligation", "unit", "window_start", "window_end", "kind", "value", "quantity",
        "note", "occurred_at", "source", "recorded_at", "recorded_by", "withdrawn", "withdrawn_at", "withdrawn_by",
        "withdraw_reason", "document_sha256", "match_reason"]
    assert [i.id for i in synced.evidence(units=["ubnd-cap-huyen"])] == [b.evidence_id]  # a group: its members
    assert [i.id for i in synced.evidence(units=["buu-dien"])] == [a.evidence_id]
    assert [i.id for i in synced.evidence(occurrence_id=a.occurrence_id)] == [a.evidence_id]
    assert [i.id for i in synced.evidence(plans=["ke-hoach-thu"])] == [b.evidence_id, a.evidence_id]
    with pytest.raises(LedgerError, match="không có kỳ thực hiện #999999"):
        synced.evidence(occurrence_id=999999)
    with pytest.raises(LedgerError, match="không có đơn vị 'buu-dien-tinh'"):
        synced.evidence(units=["buu-dien-tinh"])


def test_the_same_link_typed_differently_counts_once_and_a_withdrawn_one_can_be_recorded_again(synced):
    def link(address: str, day: int, now: str):
        return synced.record_evidence("phat-lai", "ubnd-huyen-b", EvidenceInput(kind="link", link=address),
                                      on=dt.date(2022, 3, day), now=at(now))

    first = link("https://Portal.Example.gov.vn/tin/1/", 3, "2022-03-05T08:00")
    for n, variant in enumerate(["https://portal.example.gov.vn/tin/1", "  HTTPS://PORTAL.EXAMPLE.GOV.VN/tin/1  ",
                                 "https://portal.example.gov.vn:443/tin/1#binh-luan"]):
        again = link(variant, 4, f"2022-03-05T09:0{n}")
        assert again.duplicate and again.duplicate_of == first.evidence_id and again.delivered == 1
    assert [i.link for i in synced.evidence()] == ["https://portal.example.gov.vn/tin/1"]
    other = link("https://portal.example.gov.vn/tin/1?trang=2", 4, "2022-03-05T10:00")
    assert not other.duplicate and other.delivered == 2
    synced.withdraw_evidence(first.evidence_id, "Nhầm bài", now=at("2022-03-06T08:00"))
    back = link("https://portal.example.gov.vn/tin/1", 5, "2022-03-06T09:00")
    assert not back.duplicate and back.delivered == 2
    assert [(i.link, i.withdrawn) for i in synced.evidence()] == [
        ("https://portal.example.gov.vn/tin/1", True), ("https://portal.example.gov.vn/tin/1?trang=2", False),
        ("https://portal.example.gov.vn/tin/1", False)]


def test_a_document_counts_once_per_name_and_counts_always_add_up(synced):
    week = week_of(synced, "buu-dien", "2022-03-07")
    first = synced.record_evidence("bao-cao-tuan", "buu-dien", EvidenceInput(kind="document", document="BC tuần 10.pdf"),
                                   occurrence_id=week, on=at("2022-03-09T10:00"), now=at("2022-03-09T10:05"))
    same = synced.record_evidence("bao-cao-tuan", "buu-dien", EvidenceInput(kind="document", document="  bc   TUẦN 10.pdf"),
                                  occurrence_id=week, on=at("2022-03-09T11:00"), now=at("2022-03-09T11:05"))
    assert same.duplicate and same.duplicate_of == first.evidence_id and same.delivered == 1
    counts = [synced.record_evidence("phat-lai", "ubnd-huyen-a", EvidenceInput(kind="count", quantity=1),
                                     on=dt.date(2022, 3, 2), now=at("2022-03-05T08:00")) for _ in range(2)]
    assert [c.delivered for c in counts] == [1, 2] and not any(c.duplicate for c in counts)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (EvidenceInput(kind="link", link="javascript:alert(document.cookie)"), "phải bắt đầu bằng http:// hoặc https://"),
        (EvidenceInput(kind="link", link="data:text/html,<b>x</b>"), "phải bắt đầu bằng http:// hoặc https://"),
        (EvidenceInput(kind="link", link="   "), "đường dẫn trống"),
        (EvidenceInput(kind="document", document=""), "minh chứng là văn bản cần có tên văn bản"),
        (EvidenceInput(kind="document", document="x" * 501), "tên văn bản dài 501 ký tự"),
        (EvidenceInput(kind="count", note="x" * 2001), "ghi chú dài 2.001 ký tự"),
    ],
)
def test_items_that_would_count_wrongly_are_refused_and_nothing_is_written(synced, item, message):
    with pytest.raises(LedgerError, match=message):
        synced.record_evidence("bao-cao-tuan", "buu-dien", item, on=at("2022-03-09T10:00"), now=at("2022-03-09T10:05"))
    with pytest.raises(LedgerError, match="tên người thực hiện dài 201 ký tự"):
        synced.record_evidence("bao-cao-tuan", "buu-dien", DOCUMENT, actor="a" * 201, now=at("2022-03-09T10:05"))
    assert synced.evidence() == []


def test_a_withdrawal_moves_the_calendar_sequence_and_shows_as_a_transition(synced):
    recorded = synced.record_evidence("bao-cao-tuan", "buu-dien", DOCUMENT, on=at("2022-03-09T10:00"),
                                      now=at("2022-03-09T10:05"))

    def calendar(as_of: str) -> dict:
        return next(r for r in synced.calendar_rows(as_of=at(as_of), units=["buu-dien"]) if r["id"] == recorded.occurrence_id)

    before = calendar("2022-03-11T08:00")
    synced.withdraw_evidence(recorded.evidence_id, "Nhập nhầm", now=at("2022-03-11T09:00"))
    after = calendar("2022-03-11T09:00")
    assert after["sequence"] == before["sequence"] + 1
    assert (before["status"], after["status"]) == ("done-on-time", "overdue")
    assert after["changed_at"] >= at("2022-03-11T09:00")
    moved = synced.transitions(at("2022-03-11T08:30"), at("2022-03-11T09:30"))
    assert [(was, row.id, row.status) for was, row in moved if row.id == recorded.occurrence_id] == [
        ("done-on-time", recorded.occurrence_id, "overdue")]


def test_links_recorded_before_the_upgrade_still_count_once_against_their_normal_form(ledger_url, write_plan):
    # A link as schema 0006 stored it (never normalised), written straight into the table: a sync by
    # today's code needs today's schema, and 0007 only adds the withdrawal columns to this row.
    with Ledger(ledger_url) as old:
        old.sync(write_plan(PLAN), now=at("2022-03-01T08:00"), horizon=dt.date(2022, 12, 31))
        with old.transaction() as connection:
            occurrence = connection.execute(text("SELECT o.id FROM occurrence o WHERE o.unit_id = 'ubnd-huyen-b'"
                                                 " ORDER BY o.window_start")).scalars().first()
            connection.execute(
                text("INSERT INTO evidence (occurrence_id, kind, link, quantity, occurred_at, recorded_at, source)"
                     " VALUES (:o, 'link', ' HTTPS://Portal.Example.gov.vn/tin/1/ ', 1, :d, :d, 'manual')"),
                {"o": occurrence, "d": dt.datetime(2022, 3, 2, 1, 0)},
            )
            connection.execute(text("UPDATE occurrence SET evidence_total = 1 WHERE id = :o"), {"o": occurrence})
    with Ledger(ledger_url) as ledger:
        again = ledger.record_evidence("phat-lai", "ubnd-huyen-b",
                                       EvidenceInput(kind="link", link="https://portal.example.gov.vn/tin/1"),
                                       occurrence_id=occurrence, on=dt.date(2022, 3, 3), now=at("2022-03-05T08:00"))
        assert again.duplicate and again.delivered == 1
        [old_item] = ledger.evidence()
        assert (old_item.link, old_item.withdrawn) == (" HTTPS://Portal.Example.gov.vn/tin/1/ ", False)


def test_an_excusal_reason_has_the_same_limit_as_a_withdrawal_reason(synced):
    week = week_of(synced, "buu-dien", "2022-03-07")
    with pytest.raises(LedgerError, match=r"^lý do dài 1\.001 ký tự, quá giới hạn 1\.000 ký tự$"):
        synced.excuse(week, "x" * 1001, now=at("2022-03-10T08:00"))
    synced.excuse(week, " " + "x" * 1000 + " ", now=at("2022-03-10T08:00"))
    assert status_of(synced, week, at("2022-03-10T08:00")) == ("excused", 0)
