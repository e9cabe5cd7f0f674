"""One `Status` type: every mapping the code derives from it covers every member, so a new status is one
change (commplan/status.py), and a ledger in which every status occurs shows each the same way everywhere."""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import asdict, replace

import pytest
from conftest import weekly_report

from commplan.calendar import events, export, wording
from commplan.ledger import EvidenceInput
from commplan.ledger.status import STATUS_SQL
from commplan.render import ledger as render
from commplan.reports.compliance_report import Tally, compliance_report
from commplan.status import APART, BUCKETS, COLUMNS, STATUSES, VIETNAMESE, Bucket, Status

VN = dt.timezone(dt.timedelta(hours=7))


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=VN)


# ------------------------------------------------------------ the type and what is derived from it

def test_it_keeps_the_stable_english_values_and_the_vietnamese_labels():
    assert [s.value for s in Status] == ["scheduled", "open", "done-on-time", "done-late", "overdue", "excused",
                                         "untracked"]
    assert VIETNAMESE == {"scheduled": "chưa đến kỳ", "open": "đang thực hiện, trong hạn",
                          "done-on-time": "hoàn thành đúng hạn", "done-late": "hoàn thành quá hạn",
                          "overdue": "quá hạn, chưa hoàn thành", "excused": "miễn",
                          "untracked": "ngoài thời gian theo dõi"}
    assert Status("done-late") is Status.DONE_LATE and Status.DONE_LATE == "done-late"  # type: ignore[comparison-overlap]  # a StrEnum is its value
    assert f"{Status.OVERDUE}" == str(Status.OVERDUE) == "overdue"  # what JSON, CSV and SQL see


def test_every_member_has_a_distinct_label_and_a_place_in_the_reports():
    assert len({s.label for s in Status}) == len(Status) and all(s.label for s in Status)
    for status in Status:
        in_a_column = status.bucket is not Bucket.NONE
        assert (status.column is not None) == in_a_column == (status.heading is not None), status
    assert sorted(c for s in COLUMNS if (c := s.column) is not None) == list(range(len(COLUMNS)))
    assert set(COLUMNS) == {s for s in Status if s.bucket is not Bucket.NONE}
    # the Government Office's four buckets, in its order; excused and untracked apart
    assert BUCKETS == (Status.DONE_ON_TIME, Status.DONE_LATE, Status.OPEN, Status.OVERDUE)
    assert APART == (Status.EXCUSED, Status.UNTRACKED) and tuple(Status) == STATUSES


def test_every_member_has_a_calendar_state_a_label_there_and_a_prefix_or_explicitly_none():
    for status in Status:
        state = export.STATES[status]
        assert state == status.shown.calendar and state in events.STATES, status
        assert wording.STATE_LABELS[state] == status.shown.label
        assert wording.PREFIXES.get(state) == status.shown.prefix  # None: no prefix, said on the member
    assert Status.SCHEDULED.calendar is None and Status.SCHEDULED.shown is Status.OPEN
    assert {s.prefix for s in Status} == {None, "[Đã hoàn thành]", "[Quá hạn]", "[Miễn]", "[Ngoài theo dõi]"}
    # alarms only for what is still to do
    assert {s.calendar for s in Status if s.calendar} - {"open"} == events.SILENT


def test_the_status_sql_names_every_member_and_nothing_else():
    produced = re.findall(r"(?:THEN|ELSE) '([^']*)'", STATUS_SQL)
    assert sorted(produced) == sorted(s.value for s in Status)


def test_the_summary_and_report_columns_follow_the_type():
    assert render.BUCKET_HEADERS == ("Đúng hạn", "Quá hạn (đã xong)", "Trong hạn", "Quá hạn", "Miễn",
                                     "Ngoài theo dõi", "Tổng")
    for status in Status:  # the compliance report counts each status in one column (scheduled: not owed yet)
        tally = Tally()
        tally.add(status)
        counted = [name for name, value in asdict(tally).items() if value]
        assert len(counted) == (status is not Status.SCHEDULED), (status, counted)


def test_the_ledger_still_exports_its_names():
    from commplan import ledger
    from commplan.ledger import status

    assert (ledger.STATUSES, ledger.BUCKETS, ledger.VIETNAMESE) == (STATUSES, BUCKETS, VIETNAMESE)
    assert (status.STATUSES, status.Status) == (STATUSES, Status)


# ------------------------------------------------------------ a ledger where every status occurs

PLAN = weekly_report(until="2022-04-03")
NOW = at("2022-03-22T09:00")  # a Tuesday: the week of 21/3 is open, the week of 28/3 not yet


@pytest.fixture
def every_status(ledger, write_plan):
    """buu-dien: untracked, done-late, open, scheduled; viettel-post: done-on-time, overdue, excused, scheduled."""
    catalog = write_plan(PLAN, header="tracking_from: 2022-03-14\n")
    ledger.sync(catalog, now=at("2022-03-01T08:00"), horizon=dt.date(2022, 12, 31))
    document = EvidenceInput(kind="document", document="bao-cao.pdf")
    ledger.record_evidence("bao-cao-tuan", "viettel-post", document, on=at("2022-03-09T10:00"), now=NOW)
    ledger.record_evidence("bao-cao-tuan", "buu-dien", document, on=at("2022-03-18T10:00"), now=NOW)
    week = next(r.id for r in ledger.statuses(as_of=NOW) if r.unit == "viettel-post" and r.window_start.day == 21)
    ledger.excuse(week, "Đơn vị nghỉ theo quyết định của Sở", now=NOW)
    return ledger, catalog


def test_every_member_occurs_and_reads_the_same_everywhere(every_status):
    ledger, catalog = every_status
    rows = ledger.statuses(as_of=NOW, include_scheduled=True)
    assert {(r.unit, r.window_start.day): r.status for r in rows} == {
        ("buu-dien", 7): Status.UNTRACKED, ("buu-dien", 14): Status.DONE_LATE, ("buu-dien", 21): Status.OPEN,
        ("buu-dien", 28): Status.SCHEDULED, ("viettel-post", 7): Status.DONE_ON_TIME,
        ("viettel-post", 14): Status.OVERDUE, ("viettel-post", 21): Status.EXCUSED,
        ("viettel-post", 28): Status.SCHEDULED,
    }
    assert all(type(r.status) is Status for r in rows)
    assert {r["status"] for r in json.loads(render.statuses_json(rows))} == {s.value for s in Status}
    table = render.statuses_table(rows, {})
    assert all(s.label in table for s in Status)

    by_plan, by_unit = ledger.summary(as_of=NOW)
    assert by_plan[0].counts == {s: (2 if s is Status.SCHEDULED else 1) for s in Status}
    assert list(by_plan[0].as_dict())[2:] == [s.value for s in STATUSES]
    assert by_plan[0].total == 4  # the four buckets
    csv_header = render.summary_csv(by_plan, by_unit).splitlines()[0]
    assert csv_header == "group,id,name," + ",".join(s.value for s in STATUSES)
    last = render.summary_table("Theo kế hoạch", by_plan).splitlines()[-1].split()
    assert last == ["Cộng", "1", "1", "1", "1", "1", "1", "4"]

    march = compliance_report(ledger, "ke-hoach-thu", dt.date(2022, 3, 1), dt.date(2022, 3, 31), as_of=NOW).total
    # every deadline of March but 31/3 (scheduled: not owed yet), each status once
    assert asdict(march) == {"on_time": 1, "late": 1, "open": 1, "overdue": 1, "excused": 1, "untracked": 1}

    shown, _ = export.deadline_events(ledger, catalog, export.Selection(), as_of=NOW)
    assert [e.uid.split(".")[2:4] for e in shown] == [[r.unit, f"{r.window_start:%Y%m%d}@commplan"] for r in rows]
    for row, event in zip(rows, shown, strict=True):  # both by deadline, then plan, obligation and unit
        summary = wording.summary(event)
        prefix = row.status.shown.prefix
        assert summary.startswith(f"{prefix} ") if prefix else not summary.startswith("["), (row.status, summary)
        assert f"Tình trạng: {row.status.shown.label}" in wording.description(event)


def test_a_calendar_event_of_each_state_is_built(every_status):
    ledger, catalog = every_status
    shown, _ = export.deadline_events(ledger, catalog, export.Selection(), as_of=NOW)
    assert {e.state for e in shown} == {s.shown.calendar for s in Status}
    excused = next(e for e in shown if e.state == Status.EXCUSED.calendar)
    assert "STATUS:CANCELLED" in "\n".join(events.vevent_lines(excused, NOW))
    assert "STATUS:CONFIRMED" in "\n".join(events.vevent_lines(replace(excused, state="open"), NOW))
