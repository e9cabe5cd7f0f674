"""The recurring view (`export ics --recurring`): one RRULE VEVENT per obligation and holder. Expanding the
file with recurring-ical-events must give exactly the deadlines the engine computes, for every obligation
and holder of the seed plans, through the pure part, a real ledger and the command line; plus the RFC 5545
details (UNTIL in UTC, EXDATE/RDATE value types), holiday shifts and the fallback to single events."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
import recurring_ical_events
from cli_in_process import run_cli
from conftest import PLANS, UNITS_YAML, plan_yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from commplan.calendar import stable_uid
from commplan.calendar.export import Selection
from commplan.calendar.recurring import (
    Fit,
    find_fit,
    recurring_calendar,
    recurring_components,
    recurring_ics,
    series_of,
    series_uid,
)
from commplan.plan import load_catalog
from commplan.schedule import Expander

VN = ZoneInfo("Asia/Ho_Chi_Minh")
START, END = dt.date(2021, 1, 1), dt.date(2027, 12, 31)
NOW = dt.datetime(2024, 1, 1, 8, 0, tzinfo=VN)
AWAITED = dt.date(2021, 11, 20)  # the date every awaited event gets (241/KH-UBND's banner: 20/11/2021)
HALF_HOUR = dt.timedelta(minutes=30)


# ---------------------------------------------------------------- helpers

@pytest.fixture(scope="module")
def seeds():
    catalog, errors = load_catalog([PLANS])
    assert errors == []
    return catalog


def all_events_dated(catalog) -> dict[str, dict[str, dt.date]]:
    """As sync passes them (records.recorded_events): the plan's dates, and a date for every awaited event."""
    return {p.id: {e.id: e.date or AWAITED for e in p.events} for p in catalog.plans.values()}


def engine_instants(catalog, start, end, events=None, plans=None) -> dict[tuple[str, str, str], Counter]:
    """What the per-occurrence export would show, straight from the engine: an end-of-day deadline is its
    local date; another deadline, the start of a 30-minute event ending at it."""
    out: dict[tuple[str, str, str], Counter] = {}
    for plan in catalog.plans.values():
        if plans and plan.id not in plans:
            continue
        expander = Expander(plan, catalog.directory, (events or {}).get(plan.id))
        for obligation in plan.obligations:
            for o in expander.occurrences(obligation, start, end, by="due"):
                local = o.due.astimezone(ZoneInfo(plan.header.timezone))
                instant = o.due.astimezone(VN).date() if (local.hour, local.minute) == (23, 59) else o.due - HALF_HOUR
                out.setdefault((o.plan, o.obligation, o.unit), Counter())[instant] += 1
    return out


def split_uid(uid: str) -> tuple[str, str, str, str]:
    """(plan, obligation, unit, 'series' or YYYYMMDD): parts joined by single dots, dots in ids doubled."""
    parts = re.split(r"(?<!\.)\.(?!\.)", uid.removesuffix("@commplan"))
    assert len(parts) == 4, uid
    plan, obligation, unit, tail = (p.replace("..", ".") for p in parts)
    return plan, obligation, unit, tail


def calendar_instants(data: bytes, start=START, end=END) -> dict[tuple[str, str, str], Counter]:
    """Every instance recurring-ical-events expands from the file, by (plan, obligation, unit)."""
    out: dict[tuple[str, str, str], Counter] = {}
    expanded = recurring_ical_events.of(Calendar.from_ical(data)).between(start - dt.timedelta(days=2),
                                                                         end + dt.timedelta(days=2))
    for event in expanded:
        begin, finish = event["DTSTART"].dt, event["DTEND"].dt
        all_day = not isinstance(begin, dt.datetime)
        assert finish - begin == (dt.timedelta(days=1) if all_day else HALF_HOUR)
        if not all_day:
            assert str(begin.tzinfo) == "Asia/Ho_Chi_Minh"
        plan, obligation, unit, _ = split_uid(str(event["UID"]))
        out.setdefault((plan, obligation, unit), Counter())[begin] += 1
    return out


def vevents(data: bytes) -> list:
    return Calendar.from_ical(data).walk("VEVENT")


def check_wire(data: bytes) -> None:
    """CRLF, lines folded at 75 octets without splitting a letter, unique UIDs, a DTSTAMP everywhere."""
    assert data.endswith(b"\r\n") and b"\n" not in data.replace(b"\r\n", b"")
    for line in data.split(b"\r\n"):
        assert len(line) <= 75, line
        line.decode("utf-8")
    events = vevents(data)
    uids = [str(e["UID"]) for e in events]
    assert len(uids) == len(set(uids)) and all("DTSTAMP" in e for e in events)
    assert Calendar.from_ical(data).get_missing_tzids() == set()


def exceptions_of(event) -> tuple[list, list]:
    """(EXDATE values, RDATE values) of a VEVENT, each with its parameters checked by the caller."""
    def values(name):
        found = event.get(name)
        if found is None:
            return []
        found = found if isinstance(found, list) else [found]
        return [d.dt for prop in found for d in prop.dts]
    return values("EXDATE"), values("RDATE")


def block_of(unfolded: str, uid: str) -> str:
    """The text of the VEVENT with this UID, from an unfolded file."""
    (block,) = [b for b in unfolded.split("BEGIN:VEVENT")[1:] if f"\r\nUID:{uid}\r\n" in b]
    return block[:block.index("END:VEVENT")]


def props(event, name) -> list:
    found = event.get(name)
    return [] if found is None else found if isinstance(found, list) else [found]


# ---------------------------------------------------------------- every seed obligation and holder

@pytest.mark.slow  # every seed series over seven years, against the engine
def test_every_seed_obligation_and_holder_expands_to_the_engines_deadlines(seeds, capsys):
    events = all_events_dated(seeds)
    started = time.perf_counter()
    data, count = recurring_ics(seeds, Selection(start=START, end=END), now=NOW, events=events)
    elapsed = time.perf_counter() - started
    check_wire(data)
    expected = engine_instants(seeds, START, END, events)
    found = calendar_instants(data)
    # every obligation of every plan is covered (the awaited ones too), and nothing is added or lost
    assert {(p, o) for p, o, _ in expected} == {(p.id, o.id) for p in seeds.plans.values() for o in p.obligations}
    assert found.keys() == expected.keys()
    wrong = {key: (found[key] - expected[key], expected[key] - found[key]) for key in expected if found[key] != expected[key]}
    assert wrong == {}
    # how the series were written: one repeating event each, except those with one or two deadlines
    events_written = vevents(data)
    assert count == len(events_written)
    repeating = [e for e in events_written if "RRULE" in e]
    series = {(p, o, u): n for (p, o, u), n in ((k, sum(c.values())) for k, c in expected.items())}
    singles = {split_uid(str(e["UID"]))[:3] for e in events_written if "RRULE" not in e}
    # ... and the second of two deadlines at one moment, beside its series ("trước thứ 5" in the weeks
    # of Tết 2024 and 2027: two weeks' reports both due the Wednesday before the holiday)
    doubled = {key for key, instants in expected.items() if max(instants.values()) > 1}
    assert {o for _, o, _ in doubled} == {"bao-cao-tuan"}
    assert set(singles) == {key for key, n in series.items() if n <= 2} | doubled
    assert len(repeating) == sum(1 for n in series.values() if n > 2) > 250
    assert all(split_uid(str(e["UID"]))[3] == "series" for e in repeating)
    assert all(re.fullmatch(r"\d{8}", split_uid(str(e["UID"]))[3]) for e in events_written if "RRULE" not in e)
    exceptions = sorted(((sum(map(len, exceptions_of(e))), str(e["RRULE"].to_ical().decode()), str(e["UID"]))
                         for e in repeating), reverse=True)
    for event in repeating:  # at most a quarter of the deadlines off the rule (a moved one counted once)
        off_rule = max(len(values) for values in exceptions_of(event))
        assert off_rule <= max(2, series[split_uid(str(event["UID"]))[:3]] // 4), event["UID"]
    with capsys.disabled():
        print(f"\n{len(series)} series over {START}..{END}: {len(repeating)} RRULE, {len(series) - len(repeating)} "
              f"fell back to {count - len(repeating)} single events; {sum(series.values())} deadlines in {count} "
              f"VEVENTs, {len(data) // 1024} KiB, built in {elapsed:.2f}s. Most EXDATE+RDATE:")
        for n, rule, uid in exceptions[:5]:
            print(f"  {n:3d} of {series[split_uid(uid)[:3]]:3d}  {rule}  {uid}")


def test_rrule_details_on_the_seeds(seeds):
    """Timed series: DTSTART with TZID, UNTIL in UTC, EXDATE/RDATE with TZID; all-day series: DATEs throughout;
    a Thursday report moved back off 2/9/2021 and a monthly report moved back off Tết 2023 are EXDATE + RDATE."""
    data, _ = recurring_ics(seeds, Selection(start=START, end=END), now=NOW, events=all_events_dated(seeds))
    raw = data.replace(b"\r\n ", b"").decode()
    by_uid = {str(e["UID"]): e for e in vevents(data)}

    weekly = by_uid[series_uid("bo-tttt-2980-2021", "bao-cao-tuan-kh1034", "so-tttt-thanh-hoa")]
    block = block_of(raw, series_uid("bo-tttt-2980-2021", "bao-cao-tuan-kh1034", "so-tttt-thanh-hoa"))
    assert "RRULE:FREQ=WEEKLY;UNTIL=20211230T063000Z;BYDAY=TH\r\n" in block  # 13:30 +07:00 = 06:30 UTC
    assert "EXDATE;TZID=Asia/Ho_Chi_Minh:20210902T133000\r\n" in block
    assert "RDATE;TZID=Asia/Ho_Chi_Minh:20210901T133000\r\n" in block  # 2/9 off: back to Wednesday 14:00
    assert weekly["DTSTART"].params["TZID"] == "Asia/Ho_Chi_Minh"
    assert weekly.decoded("DTSTART") == dt.datetime(2021, 8, 12, 13, 30, tzinfo=VN)
    assert weekly["RRULE"]["UNTIL"][0] == dt.datetime(2021, 12, 30, 6, 30, tzinfo=dt.UTC)
    assert str(weekly["SUMMARY"]).endswith("– Sở Thông tin và Truyền thông tỉnh Thanh Hóa")
    assert not str(weekly["SUMMARY"]).startswith("[")  # no state prefix
    description = str(weekly["DESCRIPTION"])
    assert "Hạn: hằng tuần, hạn 14:00 thứ Năm" in description
    assert "Trừ các ngày: 14:00 ngày 02/09/2021" in description and "Thêm các ngày: 14:00 ngày 01/09/2021" in description
    assert "Tình trạng" not in description and "Đã thực hiện" not in description
    assert [str(a["DESCRIPTION"]) for a in weekly.walk("VALARM")][-1].endswith("(hạn 14:00)")

    monthly = by_uid[series_uid("thanh-hoa-241-2021", "bao-cao-thang", "buu-dien-thanh-hoa")]
    block = block_of(raw, series_uid("thanh-hoa-241-2021", "bao-cao-thang", "buu-dien-thanh-hoa"))
    assert "DTSTART;VALUE=DATE:20211124\r\n" in block and "DTEND;VALUE=DATE:20211125\r\n" in block
    # "trước ngày 25": the 24th, moved back off weekends by the rule itself; Tết 2023 and Culture Day
    # (24/11, from 2026) left over
    assert "RRULE:FREQ=MONTHLY;UNTIL=20271224;BYDAY=MO,TU,WE,TH,FR;BYMONTHDAY=22,23,24;BYSETPOS=-1\r\n" in block
    exdates, rdates = exceptions_of(monthly)
    assert dt.date(2023, 1, 24) in exdates and dt.date(2023, 1, 19) in rdates
    assert all(prop.params["VALUE"] == "DATE" for name in ("EXDATE", "RDATE") for prop in props(monthly, name))
    assert all(type(d) is dt.date for d in exdates + rdates)
    assert list(monthly.walk("VALARM"))  # the plan's reminder policy, relative to DTSTART
    description = str(monthly["DESCRIPTION"])
    assert "Hạn: hằng tháng, hạn hết ngày 24 (trùng thứ Bảy, Chủ nhật thì ngày làm việc liền trước)\n" in description
    assert "Số kỳ: 74 (hạn đầu tiên hết ngày 24/11/2021, hạn cuối cùng hết ngày 24/12/2027)" in description
    assert "Trừ các ngày: 24/01/2023; 24/11/2026; 24/11/2027\nThêm các ngày: 19/01/2023; 23/11/2026; 23/11/2027" in description

    # every series: DTSTART an instance of its own rule and never after the first deadline; UNTIL typed
    for uid, event in by_uid.items():
        if "RRULE" not in event:
            continue
        start = event.decoded("DTSTART")
        until = event["RRULE"]["UNTIL"][0]
        if isinstance(start, dt.datetime):
            assert until.tzinfo == dt.UTC or until.utcoffset() == dt.timedelta(0), uid
            assert all(prop.params.get("TZID") == "Asia/Ho_Chi_Minh" for n in ("EXDATE", "RDATE") for prop in props(event, n))
        else:
            assert type(until) is dt.date, uid
        assert "COUNT" not in event["RRULE"]
        first = min([start, *exceptions_of(event)[1]])
        assert start == first, uid


def test_a_plan_rrule_and_seasons_are_expressed(write_plan):
    """The obligation's own `rrule`, a seasonal daily duty (BYMONTH) and a quarterly report all round-trip."""
    catalog = write_plan(
        "- id: hop-giao-ban\n  title: Họp giao ban\n  kind: meeting\n  lead: [so-tttt]\n"
        "  rrule: \"FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1\"\n  due: {after_start: 0d, time: \"08:00\"}\n"
        "  from: 2022-01-03\n  until: 2022-12-31\n"
        "- id: cap-nhat-mua-vu\n  title: Cập nhật mùa vụ\n  kind: publish\n  lead: [buu-dien]\n"
        "  every: day\n  months: [6, 7]\n  from: 2022-01-01\n  until: 2023-12-31\n"
        "- id: bao-cao-quy\n  title: Báo cáo quý\n  kind: report\n  lead: [buu-dien]\n  every: quarter\n"
        "  due: {month: last, day: 20}\n  from: 2022-01-01\n  until: 2024-12-31\n")
    selection = Selection(start=dt.date(2022, 1, 1), end=dt.date(2025, 1, 31))
    data, count = recurring_ics(catalog, selection, now=NOW)
    check_wire(data)
    assert calendar_instants(data) == engine_instants(catalog, selection.start, selection.end)
    assert count == 3
    rules = {split_uid(str(e["UID"]))[1]: e["RRULE"].to_ical().decode() for e in vevents(data)}
    assert rules["hop-giao-ban"].startswith("FREQ=MONTHLY;UNTIL=20221205T003000Z;BYDAY=MO;BYSETPOS=1")
    assert rules["cap-nhat-mua-vu"] == "FREQ=DAILY;UNTIL=20230731;BYMONTH=6,7"
    assert rules["bao-cao-quy"].startswith("FREQ=MONTHLY;UNTIL=2024122")
    assert "INTERVAL=3" in rules["bao-cao-quy"] and "BYMONTHDAY=20" in rules["bao-cao-quy"]
    said = {split_uid(str(e["UID"]))[1]: str(e["DESCRIPTION"]).split("\n") for e in vevents(data)}
    assert "Hạn: theo lịch lặp của kế hoạch (FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1), hạn 08:00" in said["hop-giao-ban"]
    assert "Hạn: hằng ngày (các tháng 6, 7), hạn hết ngày" in said["cap-nhat-mua-vu"]
    assert "Hạn: 3 tháng một lần, hạn hết ngày 20 (trùng thứ Bảy, Chủ nhật thì ngày làm việc kế tiếp)" in said["bao-cao-quy"]


# ---------------------------------------------------------------- a synthetic weekly report over 2/9

WEEKLY_THURSDAY = (
    "- id: bao-cao-tuan\n  title: Báo cáo tuần\n  kind: report\n  lead: [buu-dien]\n  every: week\n"
    "  from: {start}\n  until: {until}\n  due: {{weekday: thu, time: \"14:00\"}}\n"
    "  reminders: {{before: [1d], on_due: true}}\n"
)


def test_a_weekly_thursday_deadline_over_a_holiday_is_one_rrule_with_exdate_and_rdate(write_plan):
    catalog = write_plan(WEEKLY_THURSDAY.format(start="2021-08-02", until="2021-09-30"))
    selection = Selection(start=dt.date(2021, 8, 1), end=dt.date(2021, 10, 31))
    data, count = recurring_ics(catalog, selection, now=NOW)
    check_wire(data)
    assert count == 1
    (event,) = vevents(data)
    assert str(event["UID"]) == "ke-hoach-thu.bao-cao-tuan.buu-dien.series@commplan"
    raw = data.replace(b"\r\n ", b"").decode()
    assert "DTSTART;TZID=Asia/Ho_Chi_Minh:20210805T133000\r\n" in raw
    assert "DTEND;TZID=Asia/Ho_Chi_Minh:20210805T140000\r\n" in raw
    assert "RRULE:FREQ=WEEKLY;UNTIL=20210930T063000Z;BYDAY=TH\r\n" in raw
    assert "EXDATE;TZID=Asia/Ho_Chi_Minh:20210902T133000\r\n" in raw  # 2/9/2021 (and 3/9) were days off
    assert "RDATE;TZID=Asia/Ho_Chi_Minh:20210906T133000\r\n" in raw  # so the deadline is Monday 6/9, 14:00
    assert raw.count("EXDATE") == 1 and raw.count("RDATE") == 1
    expanded = calendar_instants(data, selection.start, selection.end)
    assert expanded == engine_instants(catalog, selection.start, selection.end)
    moments = sorted(expanded[("ke-hoach-thu", "bao-cao-tuan", "buu-dien")])
    assert len(moments) == 9 and dt.datetime(2021, 9, 6, 13, 30, tzinfo=VN) in moments
    assert dt.datetime(2021, 9, 2, 13, 30, tzinfo=VN) not in moments
    # alarms: 1 day before and at the deadline, relative to DTSTART (13:30), the same for every week
    assert sorted(a.decoded("TRIGGER") for a in event.walk("VALARM")) == [-dt.timedelta(hours=23, minutes=30), HALF_HOUR]


def test_a_first_deadline_moved_off_a_holiday_starts_the_series_on_its_nominal_date(write_plan):
    """RFC 5545 wants DTSTART on the rule: it is the nominal Thursday 2/9, excluded; the real first deadline
    (Monday 6/9) is an RDATE after it, never before."""
    catalog = write_plan(WEEKLY_THURSDAY.format(start="2021-08-30", until="2021-10-31"))
    selection = Selection(start=dt.date(2021, 8, 1), end=dt.date(2021, 11, 30))
    data, count = recurring_ics(catalog, selection, now=NOW)
    (event,) = vevents(data)
    assert count == 1 and "RRULE" in event
    assert event.decoded("DTSTART") == dt.datetime(2021, 9, 2, 13, 30, tzinfo=VN)
    assert exceptions_of(event) == ([dt.datetime(2021, 9, 2, 13, 30, tzinfo=VN)], [dt.datetime(2021, 9, 6, 13, 30, tzinfo=VN)])
    assert calendar_instants(data, selection.start, selection.end) == engine_instants(catalog, selection.start, selection.end)


# ---------------------------------------------------------------- where no rule fits

def test_one_or_two_deadlines_stay_single_events_with_the_normal_exports_uids(write_plan):
    catalog = write_plan(
        "- id: ke-hoach\n  title: Ban hành kế hoạch\n  kind: plan\n  lead: [so-tttt]\n  once: true\n"
        "  from: 2022-03-01\n  due: 2022-03-31\n"
        "- id: bao-cao-6-thang\n  title: Báo cáo 6 tháng\n  kind: report\n  lead: [buu-dien]\n  every: half-year\n"
        "  due: {month: last, day: 15, time: \"17:00\"}\n  from: 2022-01-01\n  until: 2022-12-31\n")
    selection = Selection(start=dt.date(2022, 1, 1), end=dt.date(2023, 12, 31))
    data, count = recurring_ics(catalog, selection, now=NOW)
    check_wire(data)
    events = vevents(data)
    assert count == len(events) == 3 and not any("RRULE" in e for e in events)
    assert {str(e["UID"]) for e in events} == {
        stable_uid("ke-hoach-thu", "ke-hoach", "so-tttt", dt.date(2022, 3, 1)),
        stable_uid("ke-hoach-thu", "bao-cao-6-thang", "buu-dien", dt.date(2022, 1, 1)),
        stable_uid("ke-hoach-thu", "bao-cao-6-thang", "buu-dien", dt.date(2022, 7, 1)),
    }
    for event in events:  # a planning view: no status, no count delivered
        description = str(event["DESCRIPTION"])
        assert "Tình trạng" not in description and "Đã thực hiện" not in description and "Hạn: " in description
    assert calendar_instants(data, *(selection.start, selection.end)) == engine_instants(catalog, selection.start, selection.end)


def fit_of(starts: tuple[dt.datetime, ...]) -> Fit:
    fit = find_fit(starts)
    assert fit is not None, starts
    return fit


def test_find_fit_refuses_what_no_rule_says_and_states_what_one_does():
    def at(*days, hour=0, minute=0):
        return tuple(dt.datetime(2022, 1, 1, hour, minute) + dt.timedelta(days=d) for d in days)

    assert find_fit(at(0, 7)) is None  # two deadlines: no series
    assert find_fit(at(0, 7, 7, 14)) is None  # one moment twice: a set cannot say it
    assert find_fit(at(0, 3, 11, 12, 20, 33, 34, 51, 60, 61, 75, 88)) is None  # no pattern
    weekly = fit_of(at(0, 7, 14, 21, 30, 35, 42, hour=13, minute=30))
    assert weekly.rule == "FREQ=WEEKLY;BYDAY=SA" and weekly.start == dt.datetime(2022, 1, 1, 13, 30)
    assert weekly.exdates == (dt.datetime(2022, 1, 29, 13, 30),) and weekly.rdates == (dt.datetime(2022, 1, 31, 13, 30),)
    month_ends = tuple(dt.datetime(2022, m + 1, 1) - dt.timedelta(days=1) for m in range(1, 12))
    assert fit_of(month_ends).rule == "FREQ=MONTHLY;BYMONTHDAY=-1" and fit_of(month_ends).exceptions == 0
    every_ten = at(*range(0, 200, 10))
    assert fit_of(every_ten).rule == "FREQ=DAILY;INTERVAL=10"
    # the 5th Monday-to-Friday of each month (after_end: 5 workdays), the last one of each month
    weekdays = [[d for d in (dt.date(2022, m, 1) + dt.timedelta(days=k) for k in range(31)) if d.month == m and d.weekday() < 5]
                for m in range(1, 13)]
    fifth = tuple(dt.datetime.combine(days[4], dt.time()) for days in weekdays)
    assert (fit_of(fifth).rule, fit_of(fifth).exceptions) == ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=5", 0)
    last = tuple(dt.datetime.combine(days[-1], dt.time()) for days in weekdays)
    assert (fit_of(last).rule, fit_of(last).exceptions) == ("FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1", 0)
    # more exceptions than a quarter of the deadlines: not a rule
    shifted = at(*(7 * k + (1 if k % 3 == 0 else 0) for k in range(12)))
    assert find_fit(shifted) is None


def test_two_deadlines_moved_onto_one_day_keep_the_series_and_add_one_event(write_plan):
    """Sunday deadlines moved to the previous working day: 26/01 and 02/02/2025 both land on Friday 24/01
    (Tết). A set of instances cannot hold a day twice: the second is its own event beside the series."""
    catalog = write_plan("- id: tin-tuan\n  title: Tin tuần\n  kind: publish\n  lead: [buu-dien]\n  every: week\n"
                         "  due: {weekday: sun, if_holiday: previous-workday}\n  from: 2024-11-04\n  until: 2025-03-30\n")
    selection = Selection(start=dt.date(2024, 11, 1), end=dt.date(2025, 3, 31))
    data, count = recurring_ics(catalog, selection, now=NOW)
    expanded = calendar_instants(data, selection.start, selection.end)
    assert expanded == engine_instants(catalog, selection.start, selection.end)
    assert expanded[("ke-hoach-thu", "tin-tuan", "buu-dien")][dt.date(2025, 1, 24)] == 2
    events = vevents(data)
    assert count == 2 and sorted("RRULE" in e for e in events) == [False, True]
    (single,) = [e for e in events if "RRULE" not in e]
    assert str(single["UID"]) == stable_uid("ke-hoach-thu", "tin-tuan", "buu-dien", dt.date(2025, 1, 27))
    assert single.decoded("DTSTART") == dt.date(2025, 1, 24)


# ---------------------------------------------------------------- selections

def test_units_groups_shared_duties_and_succession_select_as_the_ledger_does(write_plan):
    catalog = write_plan(
        "- id: tin-bai-thang\n  title: Tin bài tháng\n  kind: publish\n  lead: [ubnd-cap-huyen, buu-dien]\n"
        "  every: month\n  from: 2024-01-01\n  until: 2025-12-31\n"
        "- id: bao-cao-chung\n  title: Báo cáo chung\n  kind: report\n  lead: [buu-dien, viettel-post]\n  shared: true\n"
        "  every: month\n  due: {day: 10}\n  from: 2024-01-01\n  until: 2024-12-31\n"
        "- id: bao-cao-so\n  title: Báo cáo của Sở\n  kind: report\n  lead: [so-tttt]\n  every: month\n"
        "  from: 2024-07-01\n  until: 2025-12-31\n")
    start, end = dt.date(2024, 1, 1), dt.date(2025, 12, 31)

    def keys(units):
        selection = Selection(units=units, start=start, end=end)
        return {(s.obligation, s.unit) for s in series_of(catalog, selection)}

    assert keys(("ubnd-cap-huyen",)) == {("tin-bai-thang", "ubnd-huyen-a"), ("tin-bai-thang", "ubnd-huyen-b")}
    assert keys(("buu-dien",)) == {("tin-bai-thang", "buu-dien"), ("bao-cao-chung", "buu-dien")}
    assert keys(("viettel-post",)) == {("bao-cao-chung", "buu-dien")}  # a holder of the shared duty
    # Sở TTTT's duties pass to Sở KH&CN from 15/03/2025 (occurrences due on or after it): two series
    assert keys(("so-tttt",)) == {("bao-cao-so", "so-tttt")} and keys(("so-khcn",)) == {("bao-cao-so", "so-khcn")}
    data, _ = recurring_ics(catalog, Selection(start=start, end=end), now=NOW)
    assert calendar_instants(data, start, end) == engine_instants(catalog, start, end)
    until = {split_uid(str(e["UID"]))[2]: e["RRULE"]["UNTIL"][0] for e in vevents(data)
             if split_uid(str(e["UID"]))[1] == "bao-cao-so"}
    assert until == {"so-tttt": dt.date(2025, 2, 28), "so-khcn": dt.date(2025, 12, 31)}  # March is due on the 31st
    # plans filter: another plan's id selects nothing
    assert recurring_components(catalog, Selection(plans=("khac",), start=start, end=end), now=NOW) == []


def test_only_deadlines_in_the_selected_dates(write_plan):
    catalog = write_plan(WEEKLY_THURSDAY.format(start="2021-08-02", until="2021-12-31"))
    selection = Selection(start=dt.date(2021, 10, 1), end=dt.date(2021, 10, 31))
    data, _ = recurring_ics(catalog, selection, now=NOW)
    (event,) = vevents(data)
    assert event.decoded("DTSTART") == dt.datetime(2021, 10, 7, 13, 30, tzinfo=VN)
    assert event["RRULE"]["UNTIL"][0] == dt.datetime(2021, 10, 28, 6, 30, tzinfo=dt.UTC)
    assert sum(calendar_instants(data, dt.date(2021, 1, 1), dt.date(2022, 12, 31))[
        ("ke-hoach-thu", "bao-cao-tuan", "buu-dien")].values()) == 4


def test_series_uid_doubles_dots_like_stable_uid():
    assert series_uid("a.b", "c", "d") == "a..b.c.d.series@commplan" != series_uid("a", "b.c", "d")
    with pytest.raises(ValueError):
        series_uid("Thanh Hóa", "c", "d")


# ---------------------------------------------------------------- through a ledger and the command line

def test_through_a_ledger_awaited_events_repeat_once_recorded(ledger, seeds):
    ledger.sync(seeds, now=dt.datetime(2021, 12, 1, 8, 0, tzinfo=VN), horizon=dt.date(2022, 12, 31))
    selection = Selection(plans=("thanh-hoa-241-2021",), start=START, end=END)
    before, _ = recurring_calendar(ledger, seeds, selection, now=NOW)
    waiting = {o for (_, o, _) in calendar_instants(before)}
    assert "tin-bai-cong-ttdt-thang" not in waiting and "lap-chuyen-muc-cong-ttdt" not in waiting

    ledger.record_event("banner-nong-san-viet", AWAITED, now=dt.datetime(2021, 12, 2, 8, 0, tzinfo=VN))
    data, count = recurring_calendar(ledger, seeds, selection, now=NOW)
    check_wire(data)
    assert count == len(vevents(data))
    events = {"thanh-hoa-241-2021": {"banner-nong-san-viet": AWAITED}}
    expected = engine_instants(seeds, START, END, events, plans=("thanh-hoa-241-2021",))
    assert calendar_instants(data) == expected
    assert {"tin-bai-cong-ttdt-thang", "lap-chuyen-muc-cong-ttdt"} <= {o for (_, o, _) in expected}
    calendar = Calendar.from_ical(data)
    assert str(calendar["X-WR-CALNAME"]) == "Lịch theo dõi kế hoạch 241/KH-UBND (lịch lặp)"
    assert calendar.walk("VTIMEZONE")[0]["TZID"] == "Asia/Ho_Chi_Minh"
    # the ledger's unit names (short where unique), as the per-occurrence export writes them
    assert any(str(e["SUMMARY"]).endswith("– Bưu điện tỉnh") for e in vevents(data))


@pytest.mark.slow  # seven years of every seed plan
def test_export_ics_recurring_on_the_command_line(ledger_url, tmp_path, seeds):
    env = {"COMMPLAN_DATA_DIR": str(tmp_path / "data")}
    out = tmp_path / "recurring.ics"
    run = run_cli("export", "ics", "--recurring", "--from", "2021-01-01", "--to", "2027-12-31", "--database", ledger_url,
                  "-o", str(out), env=env)
    assert run.returncode == 0, run.stderr
    data = out.read_bytes()
    check_wire(data)
    count = len(vevents(data))
    assert run.stdout.strip() == f"Đã ghi {count} sự kiện (01/01/2021–31/12/2027) vào {out}."
    # nothing recorded in this ledger: obligations awaiting the banner have no deadline yet
    expected = engine_instants(seeds, START, END)
    assert calendar_instants(data) == expected
    assert "tin-bai-cong-ttdt-thang" not in {o for (_, o, _) in expected}
    assert sum(1 for e in vevents(data) if "RRULE" in e) > 200 and count < sum(sum(c.values()) for c in expected.values()) / 10


# ---------------------------------------------------------------- random obligations

DUES = [None, '{weekday: thu, time: "14:00"}', "{weekday: sun, if_holiday: previous-workday}", "{day: 25}",
        '{day: 10, time: "09:00", if_holiday: previous-workday}', "{day: last, if_holiday: keep}",
        "{month: last, day: 25}", "{month: 1, day: 31}", "{after_end: 5 workdays}", '{after_start: 3d, time: "08:00"}',
        "{after_end: 2h}", '{time: "17:00"}']
RECURRENCES = ["every: day", "every: workday", "every: week", "every: month", "every: quarter", "every: half-year",
               "every: year", "every: 2 weeks", "every: 10 days", "every: 3 months", 'rrule: "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1"',
               'rrule: "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU"', 'rrule: "FREQ=MONTHLY;BYMONTHDAY=15"']


@settings(max_examples=int(os.environ.get("COMMPLAN_FUZZ_EXAMPLES", "60")), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(recurrence=st.sampled_from(RECURRENCES), due=st.sampled_from(DUES), start=st.dates(dt.date(2021, 1, 1), dt.date(2026, 12, 31)),
       length=st.integers(0, 1200), months=st.one_of(st.none(), st.lists(st.integers(1, 12), min_size=1, max_size=5)),
       window=st.tuples(st.dates(dt.date(2021, 1, 1), dt.date(2027, 12, 31)), st.integers(0, 1500)))
def test_random_obligations_expand_to_the_engines_deadlines(tmp_path, recurrence, due, start, length, months, window):
    lines = ["- id: nghia-vu", "  title: Nghĩa vụ thử", "  lead: [buu-dien, ubnd-cap-huyen]", f"  {recurrence}",
             f"  from: {start}", f"  until: {start + dt.timedelta(days=length)}"]
    lines += [f"  due: {due}"] if due else []
    lines += [f"  months: {sorted(set(months))}"] if months else []
    (tmp_path / "units.yaml").write_text(UNITS_YAML, encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(plan_yaml("\n".join(lines) + "\n"), encoding="utf-8")
    catalog, errors = load_catalog([tmp_path], strict=False)
    if errors:  # a due that does not fit the period
        return
    first, last = window[0], window[0] + dt.timedelta(days=window[1])
    data, count = recurring_ics(catalog, Selection(start=first, end=last), now=NOW)
    expected = engine_instants(catalog, first, last)
    assert calendar_instants(data, first, last) == expected
    assert count <= sum(sum(c.values()) for c in expected.values())  # never more than one event per deadline
