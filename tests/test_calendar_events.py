"""Deadline calendars: RFC 5545 on the wire (CRLF, folding by octets, escaping), all-day and timed
events in Asia/Ho_Chi_Minh, stable UIDs, Vietnamese text and alarms, parsed back with icalendar."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from commplan.calendar import STATES, DeadlineEvent, calendar_of, stable_uid

VN = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = dt.datetime(2022, 3, 1, 8, 0, tzinfo=VN)
LONG_TITLE = "Tin, bài có hình ảnh tổng hợp về hỗ trợ hộ SXNN; trên Cổng TTĐT tỉnh và các trang mạng xã hội"

MONTHLY = DeadlineEvent(
    uid=stable_uid("thanh-hoa-241-2021", "cong-ttdt-tin-bai-thang", "buu-dien", dt.date(2022, 3, 1)),
    plan_number="241/KH-UBND",
    plan_title="Kế hoạch truyền thông hỗ trợ đưa hộ sản xuất nông nghiệp lên sàn thương mại điện tử",
    title=LONG_TITLE,
    holder="Bưu điện tỉnh Thử Nghiệm",
    # the end of 31/03 given in UTC: the date is taken in Vietnam
    due_at=dt.datetime(2022, 3, 31, 16, 59, 59, tzinfo=dt.UTC),
    end_of_day=True,
    at_least=3,
    delivered=1,
    section="III.1",
    quote="Hàng tháng có ít nhất 01 tin, bài có hình ảnh tổng hợp …",
    partners=("Sở Thông tin và Truyền thông", "UBND các huyện, thị xã, thành phố"),
    link="https://cp.example.vn/r/AbC123",
    channel="Cổng TTĐT, mạng xã hội",
    alarms=(dt.timedelta(days=3), dt.timedelta(0)),
)
WEEKLY = DeadlineEvent(
    uid=stable_uid("thanh-hoa-241-2021", "bao-cao-tuan", "viettel-post", dt.date(2022, 3, 7)),
    plan_number="241/KH-UBND",
    plan_title="Kế hoạch truyền thông",
    title="Báo cáo tuần",
    holder="Chi nhánh Viettel Post tỉnh Thử Nghiệm",
    due_at=dt.datetime(2022, 3, 10, 14, 0, tzinfo=VN),
    end_of_day=False,
    alarms=(dt.timedelta(days=1), dt.timedelta(hours=2), dt.timedelta(0)),
    sequence=2,
)


def build(*events, name="Nhắc việc – 241/KH-UBND") -> bytes:
    return calendar_of(events, name=name, now=NOW)


def parsed(*events) -> dict:
    calendar = Calendar.from_ical(build(*events))
    return {str(e["UID"]): e for e in calendar.walk("VEVENT")}


def test_lines_end_in_crlf_and_fold_at_75_octets_without_splitting_a_letter():
    raw = build(MONTHLY, WEEKLY)
    assert raw.endswith(b"\r\n") and raw.count(b"\n") == raw.count(b"\r\n") and b"\r\r" not in raw
    lines = raw.split(b"\r\n")[:-1]
    assert max(len(line) for line in lines) <= 75
    assert any(line.startswith(b" ") for line in lines)  # the long Vietnamese text was folded
    for line in lines:
        line.decode("utf-8")  # each physical line is whole UTF-8: no multi-byte letter cut in two
    event = parsed(MONTHLY)[MONTHLY.uid]
    assert str(event["SUMMARY"]) == f"{LONG_TITLE} (3 lần) – Bưu điện tỉnh Thử Nghiệm"  # unfolded intact


def test_commas_semicolons_and_newlines_are_escaped_and_come_back_intact():
    raw = build(MONTHLY).decode("utf-8")
    unfolded = raw.replace("\r\n ", "")
    assert "SUMMARY:Tin\\, bài có hình ảnh tổng hợp về hỗ trợ hộ SXNN\\; trên" in unfolded
    assert "CATEGORIES:Cổng TTĐT\\, mạng xã hội\r\n" in unfolded
    assert "\\nMục: III.1\\n" in unfolded
    event = parsed(MONTHLY)[MONTHLY.uid]
    assert str(event["SUMMARY"]).startswith(LONG_TITLE)
    assert event["CATEGORIES"].cats == ["Cổng TTĐT, mạng xã hội"]


def test_calendar_header_and_a_vtimezone_for_ho_chi_minh():
    calendar = Calendar.from_ical(build(WEEKLY))
    assert str(calendar["PRODID"]) == "-//commplan//commplan//VI" and str(calendar["VERSION"]) == "2.0"
    assert str(calendar["CALSCALE"]) == "GREGORIAN" and str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "Nhắc việc – 241/KH-UBND"
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Ho_Chi_Minh"
    (zone,) = calendar.walk("VTIMEZONE")
    assert str(zone["TZID"]) == "Asia/Ho_Chi_Minh"
    offsets = {part.decoded("TZOFFSETTO") for part in zone.walk("STANDARD")}
    assert offsets == {dt.timedelta(hours=7)} and not zone.walk("DAYLIGHT")
    assert calendar.get_missing_tzids() == set()
    empty = Calendar.from_ical(build())  # still a valid calendar: the VTIMEZONE is its component
    assert empty.walk("VTIMEZONE") and not empty.walk("VEVENT")


def test_end_of_day_is_an_all_day_event_and_other_deadlines_a_half_hour_ending_at_the_deadline():
    raw = build(MONTHLY, WEEKLY).decode("utf-8")
    assert "DTSTART;VALUE=DATE:20220331\r\n" in raw and "DTEND;VALUE=DATE:20220401\r\n" in raw
    assert "DTSTART;TZID=Asia/Ho_Chi_Minh:20220310T133000\r\n" in raw
    assert "DTEND;TZID=Asia/Ho_Chi_Minh:20220310T140000\r\n" in raw
    events = parsed(MONTHLY, WEEKLY)
    monthly, weekly = events[MONTHLY.uid], events[WEEKLY.uid]
    assert monthly["DTSTART"].dt == dt.date(2022, 3, 31) and not isinstance(monthly["DTSTART"].dt, dt.datetime)
    assert monthly["DTEND"].dt == dt.date(2022, 4, 1)
    start, end = weekly["DTSTART"].dt, weekly["DTEND"].dt
    assert end == WEEKLY.due_at and end - start == dt.timedelta(minutes=30)
    assert str(start.tzinfo) == "Asia/Ho_Chi_Minh"
    # a deadline given in another zone is still written in Vietnam's time
    moved = replace(WEEKLY, due_at=dt.datetime(2022, 3, 10, 7, 0, tzinfo=dt.UTC))
    assert "DTEND;TZID=Asia/Ho_Chi_Minh:20220310T140000\r\n" in build(moved).decode()


def test_event_properties_and_vietnamese_description():
    events = parsed(MONTHLY, WEEKLY)
    monthly, weekly = events[MONTHLY.uid], events[WEEKLY.uid]
    assert monthly["DTSTAMP"].dt == dt.datetime(2022, 3, 1, 1, 0, tzinfo=dt.UTC)
    assert b"DTSTAMP:20220301T010000Z" in build(MONTHLY)
    assert int(monthly["SEQUENCE"]) == 0 and int(weekly["SEQUENCE"]) == 2
    assert str(monthly["STATUS"]) == "CONFIRMED" and str(monthly["TRANSP"]) == "TRANSPARENT"
    assert str(monthly["URL"]) == "https://cp.example.vn/r/AbC123" and "URL" not in weekly
    assert "CATEGORIES" not in weekly
    assert str(monthly["DESCRIPTION"]).split("\n") == [
        "Kế hoạch: 241/KH-UBND – Kế hoạch truyền thông hỗ trợ đưa hộ sản xuất nông nghiệp lên sàn thương mại điện tử",
        "Mục: III.1",
        f"Nhiệm vụ: {LONG_TITLE}",
        "Đơn vị thực hiện: Bưu điện tỉnh Thử Nghiệm",
        "Đơn vị phối hợp: Sở Thông tin và Truyền thông; UBND các huyện, thị xã, thành phố",
        "Hạn: hết ngày 31/03/2022",
        "Đã thực hiện: 1/3",
        "Tình trạng: đang thực hiện, trong hạn",
        "Trích văn bản: “Hàng tháng có ít nhất 01 tin, bài có hình ảnh tổng hợp …”",
        "Báo cáo kết quả: https://cp.example.vn/r/AbC123",
    ]
    assert "Hạn: 14:00 ngày 10/03/2022\nĐã thực hiện: 0/1" in str(weekly["DESCRIPTION"])


@pytest.mark.parametrize("state, prefix, status", [
    ("open", "", "CONFIRMED"),
    ("due", "", "CONFIRMED"),
    ("overdue", "[Quá hạn] ", "CONFIRMED"),
    ("met", "[Đã hoàn thành] ", "CONFIRMED"),
    ("late", "[Đã hoàn thành] ", "CONFIRMED"),
    ("excused", "[Miễn] ", "CANCELLED"),
])
def test_state_prefixes_the_summary_and_excused_is_cancelled(state, prefix, status):
    event = parsed(replace(WEEKLY, state=state))[WEEKLY.uid]
    assert str(event["SUMMARY"]) == f"{prefix}Báo cáo tuần – Chi nhánh Viettel Post tỉnh Thử Nghiệm"
    assert str(event["STATUS"]) == status
    # nothing is left to remind of once met, late or excused: the update removes the alarms
    assert bool(event.walk("VALARM")) == (state in ("open", "due"))  # an overdue one's alarms are all past


def test_owed_count_shows_only_when_more_than_one():
    assert str(parsed(MONTHLY)[MONTHLY.uid]["SUMMARY"]) == f"{LONG_TITLE} (3 lần) – Bưu điện tỉnh Thử Nghiệm"
    assert "lần" not in str(parsed(WEEKLY)[WEEKLY.uid]["SUMMARY"])


def alarm_instants(event) -> list[tuple[dt.datetime, str]]:
    """When each VALARM rings: DTSTART + TRIGGER (all-day: floating local midnight)."""
    start = event["DTSTART"].dt
    if not isinstance(start, dt.datetime):
        start = dt.datetime.combine(start, dt.time(0))
    out = []
    for alarm in event.walk("VALARM"):
        assert str(alarm["ACTION"]) == "DISPLAY"
        assert alarm["TRIGGER"].params.get("RELATED", "START") == "START"
        out.append((start + alarm["TRIGGER"].dt, str(alarm["DESCRIPTION"])))
    return out


def test_timed_alarms_ring_exactly_the_lead_time_before_the_deadline():
    instants = alarm_instants(parsed(WEEKLY)[WEEKLY.uid])
    assert [moment for moment, _ in instants] == [
        dt.datetime(2022, 3, 9, 14, 0, tzinfo=VN), dt.datetime(2022, 3, 10, 12, 0, tzinfo=VN),
        dt.datetime(2022, 3, 10, 14, 0, tzinfo=VN),
    ]
    assert [text for _, text in instants] == [
        "Còn 1 ngày đến hạn: Báo cáo tuần (hạn 14:00 ngày 10/03/2022)",
        "Còn 2 giờ đến hạn: Báo cáo tuần (hạn 14:00 ngày 10/03/2022)",
        "Đến hạn: Báo cáo tuần (hạn 14:00 ngày 10/03/2022)",
    ]
    assert b"TRIGGER:-PT23H30M\r\n" in build(WEEKLY) and b"TRIGGER:PT30M\r\n" in build(WEEKLY)


def test_all_day_alarms_ring_at_8_in_the_morning_whole_days_before():
    instants = alarm_instants(parsed(MONTHLY)[MONTHLY.uid])
    assert instants == [
        (dt.datetime(2022, 3, 28, 8, 0), f"Còn 3 ngày đến hạn: {LONG_TITLE} (hạn hết ngày 31/03/2022)"),
        (dt.datetime(2022, 3, 31, 8, 0), f"Đến hạn hôm nay: {LONG_TITLE} (hạn hết ngày 31/03/2022)"),
    ]
    assert b"TRIGGER:-P2DT16H\r\n" in build(MONTHLY)
    # part of a day rounds up (never later than due - lead); leads that meet on one day ring once
    rounded = replace(MONTHLY, alarms=(dt.timedelta(hours=12), dt.timedelta(days=1), dt.timedelta(days=1, hours=1)))
    assert [moment for moment, _ in alarm_instants(parsed(rounded)[MONTHLY.uid])] == [
        dt.datetime(2022, 3, 29, 8, 0), dt.datetime(2022, 3, 30, 8, 0),
    ]


def test_uids_are_stable_and_unambiguous():
    uid = stable_uid("thanh-hoa-241-2021", "bao-cao-tuan", "viettel-post", dt.date(2022, 3, 7))
    assert uid == "thanh-hoa-241-2021.bao-cao-tuan.viettel-post.20220307@commplan"
    assert uid == stable_uid("thanh-hoa-241-2021", "bao-cao-tuan", "viettel-post", dt.date(2022, 3, 7))
    assert uid != stable_uid("thanh-hoa-241-2021", "bao-cao-tuan", "viettel-post", dt.date(2022, 3, 14))
    # ids may contain dots: doubled inside a part, so the parts cannot run into each other
    assert stable_uid("a.b", "c", "d", dt.date(2022, 1, 1)) != stable_uid("a", "b.c", "d", dt.date(2022, 1, 1))
    assert stable_uid("a.b", "c", "d", dt.date(2022, 1, 1)) == "a..b.c.d.20220101@commplan"
    with pytest.raises(ValueError):
        stable_uid("Thanh Hóa", "c", "d", dt.date(2022, 1, 1))
    with pytest.raises(TypeError):
        stable_uid("a", "c", "d", dt.datetime(2022, 1, 1, tzinfo=VN))
    # the same events give the same file, whatever order they come in
    assert build(MONTHLY, WEEKLY) == build(WEEKLY, MONTHLY)
    later = calendar_of([WEEKLY, MONTHLY], name="Nhắc việc – 241/KH-UBND", now=NOW + dt.timedelta(days=1))
    assert parsed(MONTHLY, WEEKLY).keys() == {str(e["UID"]) for e in Calendar.from_ical(later).walk("VEVENT")}


def test_bad_input_is_refused():
    with pytest.raises(ValueError, match="aware"):
        replace(WEEKLY, due_at=dt.datetime(2022, 3, 10, 14, 0))
    with pytest.raises(ValueError, match="state"):
        replace(WEEKLY, state="done")
    with pytest.raises(ValueError, match="before the deadline"):
        replace(WEEKLY, alarms=(-dt.timedelta(hours=1),))
    with pytest.raises(ValueError, match="share a UID"):
        build(WEEKLY, replace(WEEKLY, title="Khác"))
    with pytest.raises(ValueError, match="aware"):
        calendar_of([WEEKLY], name="x", now=dt.datetime(2022, 3, 1))
    assert replace(WEEKLY, partners=["A", "B"]).partners == ("A", "B")  # type: ignore[arg-type]  # a list on purpose: made a tuple


def test_our_folding_is_icalendars_byte_for_byte():
    """`fold` replaces icalendar's per-character folding for speed: it must give the same bytes, for
    Vietnamese (2-3 byte), 4-byte characters, and escapes at the fold point."""
    import random

    from icalendar.parser.content_line import Contentline

    from commplan.calendar.events import fold

    alphabet = "aàáảãạăằắẳẵặâầấẩẫậđeèéẻẽẹêềếểễệ \\^;,:ĐƯươ😀x"
    chooser = random.Random(5545)
    for _ in range(3000):
        line = "".join(chooser.choice(alphabet) for _ in range(chooser.randint(0, 400)))
        assert fold(line.encode()) == Contentline(line).to_ical(), line


def test_the_direct_writer_gives_icalendars_bytes_for_any_event():
    """calendar_of writes VEVENTs directly for speed; icalendar's components (vevent) are the reference."""
    import random

    from commplan.calendar.events import fold, serialize, vevent, vevent_lines

    chooser = random.Random(2026)
    texts = ["Báo cáo tuần", "Tin, bài; ảnh \\ “trích” dẫn\nxuống dòng", "a" * 200, "Phát sóng ít nhất 01 tin\\N, bài"]
    now = dt.datetime(2026, 11, 22, 21, 0, tzinfo=dt.UTC)
    for i in range(400):
        event = DeadlineEvent(
            uid=f"p.o.u{i}.20260101@commplan", plan_number=chooser.choice(["241/KH-UBND", "2980/BTTTT-QLDN"]),
            plan_title=chooser.choice(texts), title=chooser.choice(texts), holder=chooser.choice(texts),
            due_at=dt.datetime(2026, 1, 1, tzinfo=VN) + dt.timedelta(minutes=chooser.randrange(0, 10**6, 30)),
            end_of_day=chooser.random() < 0.5, at_least=chooser.randint(1, 4), delivered=chooser.randint(0, 5),
            state=chooser.choice(STATES), section=chooser.choice([None, "III.1", "2.(4)"]),
            quote=chooser.choice([None, *texts]), partners=tuple(chooser.sample(texts, chooser.randint(0, 2))),
            link=chooser.choice([None, "https://commplan.example.gov.vn/bao-cao/abc_DEF-1"]),
            channel=chooser.choice([None, "Cổng thông tin điện tử", "Hội nghị, hội thảo"]),
            alarms=tuple(dt.timedelta(minutes=m) for m in chooser.sample([0, 90, 120, 1440, 4320, 10080], chooser.randint(0, 3))),
            sequence=chooser.randint(0, 3),
        )
        direct = b"".join(fold(line.encode()) + b"\r\n" for line in vevent_lines(event, now))
        assert direct == serialize(vevent(event, now=now)), event
