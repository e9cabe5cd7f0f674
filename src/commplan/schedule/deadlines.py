"""Deadlines: from a `due` rule and a whole calendar period to a local date and time.

Rules, as PLAN_FORMAT.md states them:

- Omitted `due`: 23:59:59 on the period's last day, never moved (items are
  counted per period; radio and portals work on weekends too).
- Explicit deadlines (any `due` written in the plan) that land on a day off
  move by `if_holiday`: next working day (default, Civil Code 2015 art. 148),
  previous working day, or keep. A moved deadline keeps its time of day.
- `{day: 31}` in a 30-day month is the month's last day; `{day: -1}` / `last`
  is always the last day; `{month: 2, day: 29}` in a common year is 28 Feb.
- `{weekday: thu}` in a multi-week period is the last Thursday of the period.
- `before: true` ("trước ngày 25", "trước thứ 5", "trước ngày 15/12") takes
  the day the rule names without it and ends at 23:59:59 on the day before:
  `{day: 25}` -> the 24th, `{weekday: thu}` -> Wednesday, `{day: 1}` -> the
  last day of the previous month, `{weekday: mon}` -> the Sunday before the
  week, `{day: last}` -> the day before the month's last day, `{day: 31}` in
  June -> the 29th (the 31st is read as the 30th, as without `before`). Its
  `if_holiday` defaults to previous-workday (set by the parser), so a moved
  deadline still falls before the excluded day.
- `{after_end: N}` / `{after_start: N}` count calendar days (`d`, `w`), working
  days (`workdays`, already working days so never moved again), or hours and
  minutes from midnight at the end / start of the period.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt

from dateutil.relativedelta import relativedelta

from ..plan.values import LAST, Due, DueKind, DurationUnit, HolidayRule
from .periods import Period
from .workdays import ONE_DAY, WorkCalendar

MIDNIGHT = dt.time(0, 0)


def local_deadline(due: Due, period: Period, calendar: WorkCalendar) -> dt.datetime:
    """The naive local date-time of the deadline; the caller attaches the plan's timezone."""
    kind = due.kind
    if kind is DueKind.END:
        day = period.end
    elif kind is DueKind.WEEKDAY:
        assert due.weekday is not None  # Due's validation: each kind comes with its fields
        day = period.end - dt.timedelta(days=(period.end.weekday() - due.weekday) % 7)
    elif kind is DueKind.DAY:
        day = _day_of_period(due, period)
    elif kind is DueKind.DATE:
        assert due.date is not None
        day = due.date
    else:
        return _offset_deadline(due, period, calendar)
    if due.before:
        day -= ONE_DAY
    if due.explicit:
        day = shift(day, due.if_holiday, calendar)
    return dt.datetime.combine(day, due.time_of_day)


def shift(day: dt.date, rule: HolidayRule, calendar: WorkCalendar) -> dt.date:
    if rule is HolidayRule.NEXT_WORKDAY:
        return calendar.next_workday(day)
    if rule is HolidayRule.PREVIOUS_WORKDAY:
        return calendar.previous_workday(day)
    return day


def _day_of_period(due: Due, period: Period) -> dt.date:
    if due.month is None:
        month_index = 0
    elif due.month == LAST:
        month_index = _months_in(period) - 1
    else:
        month_index = due.month - 1
    first = period.start.replace(day=1) + relativedelta(months=month_index)
    last_day = _calendar.monthrange(first.year, first.month)[1]
    assert due.day is not None  # Due's validation: kind `day` has one
    day = max(last_day + 1 + due.day, 1) if due.day < 0 else min(due.day, last_day)
    return first.replace(day=day)


def _months_in(period: Period) -> int:
    """Months the period spans: 3 for a quarter, and for a 3-month period from 15 February too."""
    span = relativedelta(period.end + dt.timedelta(days=1), period.start)
    return max(span.years * 12 + span.months, 1)


def _offset_deadline(due: Due, period: Period, calendar: WorkCalendar) -> dt.datetime:
    offset = due.offset
    assert offset is not None  # Due's validation: the after_* kinds have one
    after_end = due.kind is DueKind.AFTER_END
    base_day = period.end if after_end else period.start
    if offset.unit is DurationUnit.WORKDAYS:
        return dt.datetime.combine(calendar.add_workdays(base_day, offset.amount), due.time_of_day)
    if offset.unit in (DurationUnit.DAYS, DurationUnit.WEEKS):
        day = base_day + offset.as_timedelta()
        return dt.datetime.combine(shift(day, due.if_holiday, calendar), due.time_of_day)
    # hours and minutes: from the midnight that ends (or starts) the period
    base = dt.datetime.combine(base_day + ONE_DAY if after_end else base_day, MIDNIGHT)
    moment = base + offset.as_timedelta()
    day = shift(moment.date(), due.if_holiday, calendar)
    return dt.datetime.combine(day, moment.time())


def max_delay_days(due: Due) -> int:
    """How far past its period's end a deadline can fall (for scanning back from a date)."""
    # holiday shifts: Tết plus a weekend is about 10 days; a plan may add up to 30 more (checks.py)
    slack = 45
    if due.offset is None:
        return slack
    if due.offset.unit is DurationUnit.WORKDAYS:
        return slack + due.offset.amount * 2 + 10
    return slack + due.offset.as_timedelta().days + 1
