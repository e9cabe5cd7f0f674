"""Table-driven recurrence tests: each case a phrase from a real plan and its dates.

A case is (phrase, obligation YAML, range, expected occurrences). Expected
occurrences are (unit, window_start, window_end, due) with `due` written in
ISO form with the +07:00 offset, as the preview's JSON shows it.
"""

from __future__ import annotations

import pytest
from conftest import occurrences_of

BEFORE_CASES = [
    pytest.param(
        "trước ngày 25 hàng tháng (24/4/2022 là Chủ Nhật)",
        """
        - id: bao-cao-thang
          title: Báo cáo tháng
          lead: buu-dien
          every: month
          due: {day: 25, before: true}
        """,
        ("2022-04-01", "2022-05-31"),
        [
            # the 24th is a Sunday, the 23rd a Saturday: back to Friday 22/4, never on the 25th
            ("buu-dien", "2022-04-01", "2022-04-30", "2022-04-22T23:59:59+07:00"),
            ("buu-dien", "2022-05-01", "2022-05-31", "2022-05-24T23:59:59+07:00"),
        ],
        id="before-the-25th-on-a-sunday",
    ),
    pytest.param(
        "trước ngày 25 hàng tháng (Tết Quý Mão: 20-26/01/2023)",
        """
        - id: bao-cao-thang
          title: Báo cáo tháng
          lead: buu-dien
          every: month
          due: {day: 25, before: true}
        """,
        ("2023-01-01", "2023-01-31"),
        [("buu-dien", "2023-01-01", "2023-01-31", "2023-01-19T23:59:59+07:00")],
        id="before-the-25th-in-tet",
    ),
    pytest.param(
        "trước thứ 5 hàng tuần (tuần Tết Bính Ngọ 2026)",
        """
        - id: bao-cao-tuan
          title: Báo cáo tuần
          lead: so-khcn
          every: week
          due: {weekday: thu, before: true}
        """,
        ("2026-02-09", "2026-02-28"),
        [
            ("so-khcn", "2026-02-09", "2026-02-15", "2026-02-11T23:59:59+07:00"),
            # Wednesday 18/02/2026 is in Tết (16..20/02): back to Friday 13/02, before the week opens
            ("so-khcn", "2026-02-16", "2026-02-22", "2026-02-13T23:59:59+07:00"),
            ("so-khcn", "2026-02-23", "2026-03-01", "2026-02-25T23:59:59+07:00"),
        ],
        id="before-thursday-in-tet",
    ),
    pytest.param(
        "trước ngày 15/12 (14/12/2024 là thứ Bảy)",
        """
        - id: bao-cao-nam
          title: Báo cáo năm
          lead: so-khcn
          every: year
          due: {month: 12, day: 15, before: true}
        """,
        ("2024-01-01", "2024-12-31"),
        [("so-khcn", "2024-01-01", "2024-12-31", "2024-12-13T23:59:59+07:00")],
        id="before-a-date-of-the-year",
    ),
    pytest.param(
        "trước ngày 25 tháng cuối quý (24/9/2022 là thứ Bảy)",
        """
        - id: bao-cao-quy
          title: Báo cáo quý
          lead: buu-dien
          every: quarter
          due: {month: last, day: 25, before: true}
        """,
        ("2022-07-01", "2022-09-30"),
        [("buu-dien", "2022-07-01", "2022-09-30", "2022-09-23T23:59:59+07:00")],
        id="before-the-25th-of-the-quarters-last-month",
    ),
    pytest.param(
        "trước ngày 1 hàng tháng: the last day of the previous month",
        """
        - id: truoc-ngay-1
          title: Trước ngày 1
          lead: buu-dien
          every: month
          due: {day: 1, before: true}
        """,
        ("2022-05-01", "2022-05-31"),
        [("buu-dien", "2022-06-01", "2022-06-30", "2022-05-31T23:59:59+07:00")],
        id="before-the-1st-is-the-previous-months-last-day",
    ),
    pytest.param(
        "trước thứ 2 hàng tuần: the Sunday before the week, a day off, so the Friday",
        """
        - id: truoc-thu-2
          title: Trước thứ Hai
          lead: buu-dien
          every: week
          due: {weekday: mon, before: true}
        """,
        ("2022-03-01", "2022-03-06"),
        [("buu-dien", "2022-03-07", "2022-03-13", "2022-03-04T23:59:59+07:00")],
        id="before-monday-is-the-friday-before-the-week",
    ),
    pytest.param(
        "trước ngày cuối tháng (tháng 2 năm nhuận 2024)",
        """
        - id: truoc-cuoi-thang
          title: Trước ngày cuối tháng
          lead: buu-dien
          every: month
          due: {day: last, before: true}
        """,
        ("2024-02-01", "2024-02-29"),
        [("buu-dien", "2024-02-01", "2024-02-29", "2024-02-28T23:59:59+07:00")],
        id="before-the-last-day",
    ),
    pytest.param(
        "trước ngày 31 in a 30-day month: the 31st is read as the 30th, as without before",
        """
        - id: truoc-ngay-31
          title: Trước ngày 31
          lead: buu-dien
          every: month
          due: {day: 31, before: true}
        """,
        ("2022-04-01", "2022-04-30"),
        [("buu-dien", "2022-04-01", "2022-04-30", "2022-04-29T23:59:59+07:00")],
        id="before-the-31st-in-a-30-day-month",
    ),
    pytest.param(
        "an explicit if_holiday wins over before's default",
        """
        - id: bao-cao-thang
          title: Báo cáo tháng
          lead: buu-dien
          every: month
          due: {day: 25, before: true, if_holiday: next-workday}
        """,
        ("2022-04-01", "2022-04-30"),
        [("buu-dien", "2022-04-01", "2022-04-30", "2022-04-25T23:59:59+07:00")],
        id="before-with-an-explicit-holiday-rule",
    ),
]

CASES = BEFORE_CASES + [
    pytest.param(
        "trước 14h00 thứ 5 hàng tuần (tuần Tết Bính Ngọ 2026)",
        """
        - id: bao-cao-tuan
          title: Báo cáo tuần
          lead: so-khcn
          every: week
          due: {weekday: thu, time: "14:00"}
        """,
        ("2026-02-09", "2026-02-28"),
        [
            ("so-khcn", "2026-02-09", "2026-02-15", "2026-02-12T14:00:00+07:00"),
            # Thursday 19/02/2026 is the 3rd day of Tết; Fri 20 is off too: Monday 23/02
            ("so-khcn", "2026-02-16", "2026-02-22", "2026-02-23T14:00:00+07:00"),
            ("so-khcn", "2026-02-23", "2026-03-01", "2026-02-26T14:00:00+07:00"),
        ],
        id="tet-2026-thursday-moves-to-monday",
    ),
    pytest.param(
        "trước 14h00 ngày 25 hàng tháng (25/12/2022 là Chủ Nhật)",
        """
        - id: bao-cao-thang
          title: Báo cáo tháng
          lead: buu-dien
          every: month
          due: {day: 25, time: "14:00"}
        """,
        ("2022-11-01", "2022-12-31"),
        [
            ("buu-dien", "2022-11-01", "2022-11-30", "2022-11-25T14:00:00+07:00"),
            ("buu-dien", "2022-12-01", "2022-12-31", "2022-12-26T14:00:00+07:00"),
        ],
        id="25th-on-a-sunday",
    ),
    pytest.param(
        "ngày 25 tháng cuối quý (the 25th itself; \"trước ngày 25\" is before: true below)",
        """
        - id: bao-cao-quy
          title: Báo cáo quý
          lead: buu-dien
          every: quarter
          due: {month: last, day: 25}
        """,
        ("2022-01-01", "2022-12-31"),
        [
            ("buu-dien", "2022-01-01", "2022-03-31", "2022-03-25T23:59:59+07:00"),
            ("buu-dien", "2022-04-01", "2022-06-30", "2022-06-27T23:59:59+07:00"),  # 25/6 is a Saturday
            ("buu-dien", "2022-07-01", "2022-09-30", "2022-09-26T23:59:59+07:00"),  # 25/9 is a Sunday
            ("buu-dien", "2022-10-01", "2022-12-31", "2022-12-26T23:59:59+07:00"),
        ],
        id="25th-of-the-quarters-last-month",
    ),
    pytest.param(
        "ngày cuối cùng của tháng, tháng 2 năm nhuận",
        """
        - id: tin-cuoi-thang
          title: Tin cuối tháng
          lead: buu-dien
          every: month
          due: {day: last, if_holiday: keep}
        """,
        ("2024-02-01", "2024-03-01"),
        [("buu-dien", "2024-02-01", "2024-02-29", "2024-02-29T23:59:59+07:00")],
        id="day-last-in-leap-february",
    ),
    pytest.param(
        "ngày cuối cùng của tháng, tháng 2 năm thường",
        """
        - id: tin-cuoi-thang
          title: Tin cuối tháng
          lead: buu-dien
          every: month
          due: {day: -1}
        """,
        ("2023-02-01", "2023-03-01"),
        [("buu-dien", "2023-02-01", "2023-02-28", "2023-02-28T23:59:59+07:00")],
        id="day-minus-one-in-common-february",
    ),
    pytest.param(
        "ngày 31 hàng tháng, trong tháng 4 chỉ có 30 ngày",
        """
        - id: ngay-31
          title: Ngày 31
          lead: buu-dien
          every: month
          due: {day: 31, if_holiday: keep}
        """,
        ("2022-04-01", "2022-04-30"),
        [("buu-dien", "2022-04-01", "2022-04-30", "2022-04-30T23:59:59+07:00")],
        id="day-31-in-a-30-day-month",
    ),
    pytest.param(
        "thứ 5 hàng tuần, tuần qua năm mới 2026 (1/1 là ngày nghỉ)",
        """
        - id: bao-cao-tuan
          title: Báo cáo tuần
          lead: buu-dien
          every: week
          due: {weekday: thu}
        """,
        ("2025-12-25", "2026-01-09"),
        [
            ("buu-dien", "2025-12-22", "2025-12-28", "2025-12-25T23:59:59+07:00"),
            ("buu-dien", "2025-12-29", "2026-01-04", "2026-01-02T23:59:59+07:00"),
            ("buu-dien", "2026-01-05", "2026-01-11", "2026-01-08T23:59:59+07:00"),
        ],
        id="iso-week-across-the-year-boundary",
    ),
    pytest.param(
        "hai tuần một lần, tính từ ngày bắt đầu (thứ Tư)",
        """
        - id: hai-tuan
          title: Hai tuần một lần
          lead: buu-dien
          every: 2 weeks
          from: 2022-03-02
        """,
        ("2022-03-01", "2022-04-13"),
        [
            ("buu-dien", "2022-03-02", "2022-03-15", "2022-03-15T23:59:59+07:00"),
            ("buu-dien", "2022-03-16", "2022-03-29", "2022-03-29T23:59:59+07:00"),
            ("buu-dien", "2022-03-30", "2022-04-12", "2022-04-12T23:59:59+07:00"),
        ],
        id="every-2-weeks-anchored-at-from",
    ),
    pytest.param(
        "hai tuần một lần, hạn thứ Năm của tuần cuối",
        """
        - id: hai-tuan-thu-nam
          title: Hai tuần một lần
          lead: buu-dien
          every: 2 weeks
          from: 2022-03-07
          due: {weekday: thu, time: "10:00"}
        """,
        ("2022-03-01", "2022-04-03"),
        [
            ("buu-dien", "2022-03-07", "2022-03-20", "2022-03-17T10:00:00+07:00"),
            ("buu-dien", "2022-03-21", "2022-04-03", "2022-03-31T10:00:00+07:00"),
        ],
        id="every-2-weeks-with-a-weekday",
    ),
    pytest.param(
        "mười ngày một lần",
        """
        - id: muoi-ngay
          title: Mười ngày một lần
          lead: buu-dien
          every: 10 days
          from: 2022-01-05
        """,
        ("2022-01-01", "2022-01-31"),
        [
            ("buu-dien", "2022-01-05", "2022-01-14", "2022-01-14T23:59:59+07:00"),
            ("buu-dien", "2022-01-15", "2022-01-24", "2022-01-24T23:59:59+07:00"),
        ],
        id="every-10-days",
    ),
    pytest.param(
        "ba tháng một lần tính từ 31/1 (không phải quý dương lịch)",
        """
        - id: ba-thang
          title: Ba tháng một lần
          lead: buu-dien
          every: 3 months
          from: 2022-01-31
        """,
        ("2022-01-01", "2022-12-31"),
        [
            ("buu-dien", "2022-01-31", "2022-04-29", "2022-04-29T23:59:59+07:00"),
            ("buu-dien", "2022-04-30", "2022-07-30", "2022-07-30T23:59:59+07:00"),
            ("buu-dien", "2022-07-31", "2022-10-30", "2022-10-30T23:59:59+07:00"),
        ],
        id="every-3-months-from-the-31st",
    ),
    pytest.param(
        "ba tháng một lần từ 15/2, hạn ngày 25 tháng cuối kỳ",
        """
        - id: ba-thang-cuoi-ky
          title: Ba tháng một lần
          lead: buu-dien
          every: 3 months
          from: 2026-02-15
          due: {month: last, day: 25}
        """,
        ("2026-02-01", "2026-05-31"),
        # 15/02..14/05 spans Feb, Mar, Apr: its last month is April; 25/04 is a Saturday and
        # Monday 27/04/2026 the Hùng Kings day off: Tuesday 28/04
        [("buu-dien", "2026-02-15", "2026-05-14", "2026-04-28T23:59:59+07:00")],
        id="month-last-of-an-anchored-period",
    ),
    pytest.param(
        "thứ Hai đầu tiên của mỗi tháng (rrule)",
        """
        - id: giao-ban
          title: Giao ban báo chí
          lead: so-khcn
          rrule: "FREQ=MONTHLY;BYDAY=MO;BYSETPOS=1"
          from: 2022-01-01
          due: {after_start: 0d, time: "08:00"}
        """,
        ("2022-01-01", "2022-03-31"),
        [
            # from `from` to the first instance: a period of its own, so no day is owed by nobody
            ("so-khcn", "2022-01-01", "2022-01-02", "2022-01-04T08:00:00+07:00"),
            ("so-khcn", "2022-01-03", "2022-02-06", "2022-01-04T08:00:00+07:00"),  # 3/1/2022 was the New Year day off
            ("so-khcn", "2022-02-07", "2022-03-06", "2022-02-07T08:00:00+07:00"),
            ("so-khcn", "2022-03-07", "2022-04-03", "2022-03-07T08:00:00+07:00"),
        ],
        id="rrule-first-monday",
    ),
    pytest.param(
        "hàng ngày trong mùa thu hoạch (tháng 5, 6)",
        """
        - id: cap-nhat-mua-vu
          title: Cập nhật hàng ngày mùa thu hoạch
          lead: buu-dien
          every: day
          months: [5, 6]
        """,
        ("2022-04-29", "2022-05-02"),
        [
            ("buu-dien", "2022-05-01", "2022-05-01", "2022-05-01T23:59:59+07:00"),
            ("buu-dien", "2022-05-02", "2022-05-02", "2022-05-02T23:59:59+07:00"),
        ],
        id="season-daily",
    ),
    pytest.param(
        "hàng tuần ngoài mùa thu hoạch",
        """
        - id: cap-nhat-tuan
          title: Cập nhật hàng tuần
          lead: buu-dien
          every: week
          months: [1, 2, 3, 4, 7, 8, 9, 10, 11, 12]
        """,
        ("2022-04-20", "2022-05-15"),
        [
            ("buu-dien", "2022-04-18", "2022-04-24", "2022-04-24T23:59:59+07:00"),
            ("buu-dien", "2022-04-25", "2022-05-01", "2022-05-01T23:59:59+07:00"),  # starts in April: kept
        ],
        id="season-weekly-by-period-start",
    ),
    pytest.param(
        "trước ngày 15/11 hằng năm (15/11/2025 là thứ Bảy)",
        """
        - id: ke-hoach-nam
          title: Kế hoạch truyền thông năm sau
          kind: plan
          lead: buu-dien
          every: year
          due: {month: 11, day: 15}
        """,
        ("2025-01-01", "2025-12-31"),
        [("buu-dien", "2025-01-01", "2025-12-31", "2025-11-17T23:59:59+07:00")],
        id="yearly-date-on-a-saturday",
    ),
    pytest.param(
        "trong 05 ngày làm việc sau kỳ báo cáo",
        """
        - id: sau-ky
          title: Báo cáo sau kỳ
          lead: buu-dien
          every: month
          due: {after_end: 5 workdays, time: "17:00"}
        """,
        ("2026-02-01", "2026-02-28"),
        [("buu-dien", "2026-01-01", "2026-01-31", "2026-02-06T17:00:00+07:00")],
        id="after-end-in-working-days",
    ),
    pytest.param(
        "cuối tháng (Chủ Nhật): hạn mặc định không dời",
        """
        - id: tin-thang
          title: Tin hàng tháng
          lead: buu-dien
          every: month
        """,
        ("2022-07-01", "2022-07-31"),
        [("buu-dien", "2022-07-01", "2022-07-31", "2022-07-31T23:59:59+07:00")],
        id="default-end-of-period-never-moves",
    ),
    pytest.param(
        "ngày làm việc (every: workday) qua Tết 2026",
        """
        - id: truc-ngay
          title: Trực tin hàng ngày làm việc
          lead: buu-dien
          every: workday
          due: {time: "16:30"}
        """,
        ("2026-02-13", "2026-02-23"),
        [
            ("buu-dien", "2026-02-13", "2026-02-13", "2026-02-13T16:30:00+07:00"),
            ("buu-dien", "2026-02-23", "2026-02-23", "2026-02-23T16:30:00+07:00"),
        ],
        id="workdays-skip-tet",
    ),
    pytest.param(
        "một lần: tháng 11-12/2021",
        """
        - id: cd-tuyen-truyen
          title: 02 chuyên đề phát thanh
          lead: buu-dien
          once: true
          at_least: 2
          from: 2021-11-01
          due: 2021-12-31
        """,
        ("2021-12-01", "2021-12-31"),
        [("buu-dien", "2021-11-01", "2021-12-31", "2021-12-31T23:59:59+07:00")],
        id="once-with-a-fixed-date",
    ),
    pytest.param(
        "bắt đầu giữa tuần sau hạn thứ Năm: tuần đầu không có hạn nào",
        """
        - id: bao-cao-tuan
          title: Báo cáo tuần
          lead: buu-dien
          every: week
          from: 2022-03-11
          due: {weekday: thu}
        """,
        ("2022-03-01", "2022-03-20"),
        [("buu-dien", "2022-03-14", "2022-03-20", "2022-03-17T23:59:59+07:00")],
        id="first-partial-week-after-its-deadline-is-skipped",
    ),
    pytest.param(
        "bắt đầu thứ Tư: tuần đầu vẫn có hạn thứ Năm",
        """
        - id: bao-cao-tuan
          title: Báo cáo tuần
          lead: buu-dien
          every: week
          from: 2022-03-09
          until: 2022-03-22
          due: {weekday: thu}
        """,
        ("2022-03-01", "2022-03-31"),
        [
            ("buu-dien", "2022-03-09", "2022-03-13", "2022-03-10T23:59:59+07:00"),
            ("buu-dien", "2022-03-14", "2022-03-20", "2022-03-17T23:59:59+07:00"),
            ("buu-dien", "2022-03-21", "2022-03-22", "2022-03-24T23:59:59+07:00"),
        ],
        id="partial-first-and-last-windows",
    ),
    pytest.param(
        "6 tháng đầu năm (months: [1])",
        """
        - id: bao-cao-6-thang
          title: Báo cáo 6 tháng
          lead: buu-dien
          every: half-year
          months: [1]
          due: {month: last, day: 15}
        """,
        ("2022-01-01", "2022-12-31"),
        [("buu-dien", "2022-01-01", "2022-06-30", "2022-06-15T23:59:59+07:00")],
        id="half-year-first-half-only",
    ),
]


@pytest.mark.parametrize(("phrase", "obligation", "window", "expected"), CASES)
def test_it_computes_the_dates_of_a_real_phrase(write_plan, phrase, obligation, window, expected):
    catalog = write_plan(obligation)
    found = occurrences_of(catalog, *window)
    got = [(o.unit, o.window_start.isoformat(), o.window_end.isoformat(), o.due.isoformat()) for o in found]
    assert got == expected, phrase


def test_it_moves_a_deadline_back_with_previous_workday_and_keeps_it_with_keep(write_plan):
    catalog = write_plan(
        """
        - id: truoc
          title: Báo cáo trước ngày nghỉ
          lead: buu-dien
          every: week
          due: {weekday: thu, time: "14:00", if_holiday: previous-workday}
        - id: giu
          title: Báo cáo giữ nguyên
          lead: buu-dien
          every: week
          due: {weekday: thu, time: "14:00", if_holiday: keep}
        """
    )
    dues = {o.obligation: o.due.isoformat() for o in occurrences_of(catalog, "2026-02-13", "2026-02-20")}
    # Thursday 19/02/2026 falls in Tết (16..20/02): back to Friday 13/02, or kept.
    assert dues == {"truoc": "2026-02-13T14:00:00+07:00", "giu": "2026-02-19T14:00:00+07:00"}


def test_it_counts_the_provinces_extra_days_off_and_make_up_saturdays(write_plan):
    catalog = write_plan(
        """
        - id: bao-cao-tuan
          title: Báo cáo tuần
          lead: buu-dien
          every: week
          due: {weekday: thu}
        - id: bao-cao-thu-bay
          title: Báo cáo thứ Bảy
          lead: buu-dien
          every: week
          due: {weekday: sat}
        """,
        header="extra_days_off: [2022-03-10]\nextra_workdays: [2022-03-12]\n",
    )
    dues = sorted((o.obligation, o.due.date().isoformat()) for o in occurrences_of(catalog, "2022-03-08", "2022-03-13"))
    assert dues == [("bao-cao-thu-bay", "2022-03-12"), ("bao-cao-tuan", "2022-03-11")]


def test_it_keeps_the_governments_make_up_working_saturday(write_plan):
    catalog = write_plan(
        """
        - id: bao-cao-thu-bay
          title: Báo cáo thứ Bảy
          lead: buu-dien
          every: week
          due: {weekday: sat}
        """
    )
    # 26/04/2025 was a working Saturday, swapped for the day off on 02/05/2025.
    dues = [o.due.date().isoformat() for o in occurrences_of(catalog, "2025-04-22", "2025-05-05")]
    assert dues == ["2025-04-26", "2025-05-05"]


EVENT_OBLIGATIONS = """
- id: lap-chuyen-muc
  title: Lập chuyên mục trên Cổng TTĐT
  lead: so-khcn
  once: true
  from: {event: banner}
  due: {after_start: 7d}
- id: tin-bai-thang
  title: Tin, bài hàng tháng
  lead: [buu-dien, viettel-post]
  every: month
  from: {event: banner}
"""
EVENT = """
- id: banner
  title: Bộ TTTT ban hành Banner chuyên mục "Nông sản Việt"
"""


def test_it_opens_nothing_before_the_awaited_event(write_plan):
    catalog = write_plan(EVENT_OBLIGATIONS, events=EVENT)
    assert occurrences_of(catalog, "2021-01-01", "2022-12-31") == []


def test_it_opens_the_obligations_from_the_events_date(write_plan):
    catalog = write_plan(EVENT_OBLIGATIONS, events=EVENT)
    found = occurrences_of(catalog, "2021-11-01", "2021-12-31", events={"banner": __import__("datetime").date(2021, 11, 20)})
    got = [(o.obligation, o.unit, o.window_start.isoformat(), o.window_end.isoformat(), o.due.isoformat()) for o in found]
    assert got == [
        # 20/11 + 7 days = Saturday 27/11/2021: the explicit deadline moves to Monday 29/11
        ("lap-chuyen-muc", "so-khcn", "2021-11-20", "2021-11-29", "2021-11-29T23:59:59+07:00"),
        ("tin-bai-thang", "buu-dien", "2021-11-20", "2021-11-30", "2021-11-30T23:59:59+07:00"),
        ("tin-bai-thang", "viettel-post", "2021-11-20", "2021-11-30", "2021-11-30T23:59:59+07:00"),
        ("tin-bai-thang", "buu-dien", "2021-12-01", "2021-12-31", "2021-12-31T23:59:59+07:00"),
        ("tin-bai-thang", "viettel-post", "2021-12-01", "2021-12-31", "2021-12-31T23:59:59+07:00"),
    ]


def test_it_uses_an_event_date_written_in_the_plan(write_plan):
    catalog = write_plan(EVENT_OBLIGATIONS, events=EVENT + "  date: 2021-11-20\n")
    assert {o.window_start.isoformat() for o in occurrences_of(catalog, "2021-11-01", "2021-11-30")} == {"2021-11-20"}


def test_it_hands_occurrences_due_from_the_middle_of_a_month_to_the_successor(write_plan):
    # so-tttt is succeeded by so-khcn from 15/03/2025 (conftest): by due date (format 1.1), March is due
    # on the 31st, after the 15th, so it passes to the successor although its window started before.
    catalog = write_plan(
        """
        - id: tin-thang
          title: Tin hàng tháng
          lead: so-tttt
          every: month
        - id: bao-cao-tuan
          title: Báo cáo tuần
          lead: so-tttt
          every: week
          due: {weekday: thu}
        """
    )
    monthly = [(o.unit, o.window_start.isoformat()) for o in occurrences_of(catalog, "2025-02-01", "2025-04-30", obligation="tin-thang")]
    assert monthly == [("so-tttt", "2025-02-01"), ("so-khcn", "2025-03-01"), ("so-khcn", "2025-04-01")]
    # the week of 10/3 is due on Thursday 13/3, before the 15th: it stays with the old unit
    weekly = [(o.unit, o.window_start.isoformat()) for o in occurrences_of(catalog, "2025-03-10", "2025-03-23", obligation="bao-cao-tuan")]
    assert weekly == [("so-tttt", "2025-03-10"), ("so-khcn", "2025-03-17")]


def test_it_expands_a_group_lead_to_one_occurrence_per_member(write_plan):
    catalog = write_plan(
        """
        - id: truyen-thanh-tuan
          title: Tin trên đài truyền thanh cấp huyện
          lead: ubnd-cap-huyen
          every: week
        """
    )
    found = occurrences_of(catalog, "2022-03-07", "2022-03-13")
    assert [(o.unit, o.holders) for o in found] == [
        ("ubnd-huyen-a", ("ubnd-huyen-a",)),
        ("ubnd-huyen-b", ("ubnd-huyen-b",)),
    ]


def test_it_yields_one_shared_occurrence_for_all_leads(write_plan):
    catalog = write_plan(
        """
        - id: chuyen-muc-chung
          title: Chuyên mục chung
          lead: [ubnd-cap-huyen, buu-dien]
          shared: true
          every: month
          at_least: 3
        """
    )
    found = occurrences_of(catalog, "2022-03-01", "2022-03-31")
    assert len(found) == 1
    assert found[0].unit == "ubnd-cap-huyen"
    assert found[0].holders == ("ubnd-huyen-a", "ubnd-huyen-b", "buu-dien")
    assert found[0].at_least == 3


def test_it_selects_by_window_for_materialisation(write_plan):
    catalog = write_plan(
        """
        - id: sau-ky
          title: Báo cáo sau kỳ
          lead: buu-dien
          every: month
          due: {after_end: 10d}
        """
    )
    by_window = [o.window_start.isoformat() for o in occurrences_of(catalog, "2022-03-01", "2022-03-31", by="window")]
    by_due = [o.window_start.isoformat() for o in occurrences_of(catalog, "2022-03-01", "2022-03-31", by="due")]
    assert by_window == ["2022-03-01"]
    assert by_due == ["2022-02-01"]


def test_it_stops_at_the_plans_end(write_plan):
    catalog = write_plan(
        """
        - id: tin-thang
          title: Tin hàng tháng
          lead: buu-dien
          every: month
        """,
        header="",
    )
    plan = catalog.plans["ke-hoach-thu"]
    assert plan.header.effective.until is None
    found = occurrences_of(catalog, "2030-01-01", "2030-12-31")
    assert len(found) == 12  # open-ended plans go on until a range ends them
