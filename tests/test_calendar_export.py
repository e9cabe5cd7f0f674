"""Calendar export from the ledger: a unit's and a coordinator's calendar, statuses, SEQUENCE, RFC 5545
rules, expansion by recurring-ical-events, the CLI, and a golden file of one seed plan."""

from __future__ import annotations

import datetime as dt
import os
import re
from pathlib import Path

import pytest
import recurring_ical_events
from cli_in_process import run_cli
from conftest import PLANS, weekly_report
from icalendar import Calendar

from commplan.calendar.export import Selection, coordinated_by, export_calendar
from commplan.ledger import EvidenceInput
from commplan.plan import load_catalog

VN = dt.timezone(dt.timedelta(hours=7))
GOLDEN = Path(__file__).parent / "golden" / "so-tttt-thanh-hoa-2021-12.ics"


def at(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value).replace(tzinfo=VN)


def parsed(data: bytes) -> Calendar:
    return Calendar.from_ical(data)


def check_rfc5545(data: bytes) -> None:
    """The rules calendar apps trip on: CRLF everywhere, lines folded at 75 octets (never inside a UTF-8
    character), DTSTAMP and a unique UID in every event, unescaped commas and semicolons nowhere in TEXT."""
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    for line in data.split(b"\r\n"):
        assert len(line) <= 75, line
        line.decode("utf-8")  # each physical line is whole UTF-8: folding never splits a character
    calendar = parsed(data)
    uids = [e["UID"] for e in calendar.walk("VEVENT")]
    assert len(uids) == len(set(uids))
    assert all("DTSTAMP" in e for e in calendar.walk("VEVENT"))
    unfolded = data.replace(b"\r\n ", b"").decode()
    for match in re.finditer(r"^(SUMMARY|DESCRIPTION|LOCATION)[^:]*:(.*)$", unfolded, flags=re.M):
        assert not re.search(r"(?<!\\)[,;]", match.group(2)), match.group(0)
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Asia/Ho_Chi_Minh"


@pytest.fixture
def seeds(ledger):
    catalog, errors = load_catalog([PLANS])
    assert errors == []
    ledger.sync(catalog, now=at("2021-12-01T08:00"), horizon=dt.date(2022, 12, 31))
    return catalog


def test_a_units_calendar_marks_done_overdue_and_excused_and_round_trips(ledger, seeds):
    ledger.record_evidence("bao-cao-tuan", "buu-dien-thanh-hoa", EvidenceInput(kind="document", document="bc.pdf"),
                           on=at("2021-12-07T10:00"), now=at("2021-12-07T10:00"))
    as_of = at("2021-12-20T09:00")
    excused = next(r for r in ledger.statuses(as_of=as_of, units=["buu-dien-thanh-hoa"])
                   if r.status == "overdue" and r.due.month == 12)
    ledger.excuse(excused.id, "Đơn vị đã báo cáo bằng văn bản", now=at("2021-12-20T08:00"))
    selection = Selection(units=("buu-dien-thanh-hoa",), start=dt.date(2021, 12, 1), end=dt.date(2021, 12, 31))
    data, changed = export_calendar(ledger, seeds, selection, as_of=as_of, now=at("2021-12-20T09:00"))
    check_rfc5545(data)
    events = parsed(data).walk("VEVENT")
    statuses = {r.id: r for r in ledger.statuses(as_of=as_of, units=["buu-dien-thanh-hoa"], include_scheduled=True)
                if dt.date(2021, 12, 1) <= r.due.date() <= dt.date(2021, 12, 31)}
    assert len(events) == len(statuses) > 5
    summaries = [str(e["SUMMARY"]) for e in events]
    assert any(s.startswith("[Đã hoàn thành] Báo cáo tuần") for s in summaries)
    assert any(s.startswith("[Quá hạn] ") for s in summaries)
    assert [str(e["STATUS"]) for e in events].count("CANCELLED") == 1
    assert all("Bưu điện tỉnh" in s for s in summaries)  # the holder is named
    assert changed == at("2021-12-20T08:00")  # the excusal is the latest change
    # every event is where the ledger says: recurring-ical-events sees the same instants
    expanded = recurring_ical_events.of(parsed(data)).between(dt.date(2021, 11, 1), dt.date(2022, 2, 1))
    assert len(expanded) == len(events)


def test_timed_and_end_of_day_deadlines_and_alarms_from_the_policy(ledger, write_plan):
    catalog = write_plan(weekly_report(extra="  reminders: {before: [1d, 2h], on_due: true}\n")
                         + "\n- id: bai-viet-thang\n  title: Bài viết tháng\n  kind: publish\n  lead: [buu-dien]\n"
                           "  every: month\n  from: 2022-03-01\n  until: 2022-04-30\n")
    ledger.sync(catalog, now=at("2022-03-01T08:00"))
    selection = Selection(units=("buu-dien",), start=dt.date(2022, 3, 7), end=dt.date(2022, 3, 31))
    data, _ = export_calendar(ledger, catalog, selection, as_of=at("2022-03-01T08:00"), now=at("2022-03-01T08:00"))
    check_rfc5545(data)
    events = {(str(e["SUMMARY"]), e.decoded("DTSTART")): e for e in parsed(data).walk("VEVENT")}
    weekly = next(e for (s, start), e in events.items() if s.startswith("Báo cáo tuần") and start.day == 10)
    assert weekly.decoded("DTEND") == dt.datetime(2022, 3, 10, 14, 0, tzinfo=weekly.decoded("DTEND").tzinfo)
    assert weekly["DTEND"].params["TZID"] == "Asia/Ho_Chi_Minh"
    triggers = sorted(a.decoded("TRIGGER") for a in weekly.walk("VALARM"))
    # start 13:30: 1 day, 2 hours and 0 before the 14:00 deadline
    assert triggers == [dt.timedelta(hours=-23, minutes=-30), dt.timedelta(hours=-1, minutes=-30), dt.timedelta(minutes=30)]
    monthly = next(e for (s, _), e in events.items() if s.startswith("Bài viết tháng"))
    assert monthly.decoded("DTSTART") == dt.date(2022, 3, 31) and monthly["DTSTART"].params["VALUE"] == "DATE"


def test_a_moved_deadline_bumps_the_sequence_and_keeps_the_uid(ledger, write_plan):
    catalog = write_plan(weekly_report())
    ledger.sync(catalog, now=at("2022-03-01T08:00"))
    selection = Selection(units=("buu-dien",), start=dt.date(2022, 3, 7), end=dt.date(2022, 3, 13))
    before = parsed(export_calendar(ledger, catalog, selection, as_of=at("2022-03-01T08:00"))[0]).walk("VEVENT")[0]
    moved = write_plan(weekly_report().replace('weekday: thu, time: "14:00"', 'weekday: fri, time: "10:00"'))
    ledger.sync(moved, now=at("2022-03-02T08:00"))
    after_data, changed = export_calendar(ledger, moved, selection, as_of=at("2022-03-02T08:00"))
    after = parsed(after_data).walk("VEVENT")[0]
    assert after["UID"] == before["UID"]
    assert (before.decoded("SEQUENCE"), after.decoded("SEQUENCE")) == (0, 1)
    assert after.decoded("DTEND").replace(tzinfo=None) == dt.datetime(2022, 3, 11, 10, 0)
    assert changed == at("2022-03-02T08:00")
    # a feed (now=None) is stamped with the last change: the same ledger gives the same bytes
    assert export_calendar(ledger, moved, selection, as_of=at("2022-03-03T08:00"))[0] == after_data


def test_a_coordinators_calendar_holds_every_holder_of_its_plans(ledger, seeds):
    plans = coordinated_by(seeds, ("so-tttt-thanh-hoa",))
    assert plans == ("thanh-hoa-241-2021", "thanh-hoa-nq06-cds-2022") or set(plans) >= {"thanh-hoa-241-2021"}
    selection = Selection(plans=plans, start=dt.date(2021, 12, 1), end=dt.date(2021, 12, 31))
    data, _ = export_calendar(ledger, seeds, selection, as_of=at("2021-12-20T09:00"))
    check_rfc5545(data)
    uids = [str(e["UID"]) for e in parsed(data).walk("VEVENT")]
    holders = {uid.split(".")[2] for uid in uids}
    assert {"buu-dien-thanh-hoa", "viettel-post-thanh-hoa"} <= holders and len(holders) > 5
    assert all(uid.startswith(("thanh-hoa-241-2021.", "thanh-hoa-nq06")) for uid in uids)


def test_export_ics_on_the_command_line(ledger_url, tmp_path):
    env = {"COMMPLAN_DATA_DIR": str(tmp_path / "data")}
    out = tmp_path / "buu-dien.ics"
    run = run_cli("export", "ics", "--unit", "buu-dien-thanh-hoa", "--from", "2021-12-01", "--to", "2021-12-31",
                  "--as-of", "2021-12-20T09:00", "--database", ledger_url, "-o", str(out), env=env)
    assert run.returncode == 0, run.stderr
    data = out.read_bytes()
    check_rfc5545(data)
    count = len(parsed(data).walk("VEVENT"))
    assert run.stdout.strip() == f"Đã ghi {count} sự kiện (01/12/2021–31/12/2021) vào {out}." and count > 5
    assert parsed(data)["X-WR-CALNAME"] == "Lịch nhiệm vụ: Bưu điện tỉnh"
    bad = run_cli("export", "ics", "--unit", "buu-dien", "--database", ledger_url, "-o", str(out), env=env)
    assert bad.returncode == 2 and "không có kế hoạch hoặc đơn vị: buu-dien" in bad.stderr


def test_golden_file_of_one_seed_plan(ledger, seeds):
    """The whole file, byte for byte, for Thanh Hóa's Sở TTTT in December 2021 (both plans it owes under):
    any change to the export shows here as a reviewable diff. COMMPLAN_UPDATE_GOLDEN=1 rewrites it."""
    ledger.record_evidence("bao-cao-tuan-kh1034", "so-tttt-thanh-hoa", EvidenceInput(kind="document", document="bc.pdf"),
                           on=at("2021-12-08T16:00"), now=at("2021-12-08T16:00"))
    selection = Selection(units=("so-tttt-thanh-hoa",), plans=("thanh-hoa-241-2021", "bo-tttt-2980-2021"),
                          start=dt.date(2021, 12, 1), end=dt.date(2021, 12, 31))
    data, _ = export_calendar(ledger, seeds, selection, as_of=at("2021-12-20T09:00"), now=at("2021-12-20T09:00"))
    check_rfc5545(data)
    if os.environ.get("COMMPLAN_UPDATE_GOLDEN"):
        GOLDEN.parent.mkdir(exist_ok=True)
        GOLDEN.write_bytes(data)
    assert data == GOLDEN.read_bytes()
