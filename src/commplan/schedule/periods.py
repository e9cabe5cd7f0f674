"""Periods: the calendar spans an obligation is counted in.

A period source answers two questions, with no hidden state: which period
contains a day, and which period follows a given one. Edge cases, each
tested in tests/test_recurrence.py:

- Weeks start on Monday and cross year boundaries freely (ISO weeks).
- Quarters start in January, April, July, October; half-years in January and July.
- Multiples (`every: 2 weeks`, `every: 3 months`) are counted from the
  anchor (`from`), not from the calendar: the first period starts on the
  anchor. Months are added to the anchor, never chained, so an anchor on the
  31st gives 31 Jan, 28/29 Feb, 31 Mar... period starts.
- `every: workday`: one period per working day; days off have none.
- `rrule`: a period runs from one instance to the day before the next; the
  last instance of a finite rule gets a one-day period, or runs to `until`.
  When the first instance comes after `from`, the days between are a first
  period of their own, so that no day after `from` is owed by nobody.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from dateutil import rrule as _rrule
from dateutil.relativedelta import relativedelta

from ..plan.values import Every, PeriodUnit
from .workdays import ONE_DAY, WorkCalendar


@dataclass(frozen=True, slots=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive


class PeriodSource(Protocol):
    def containing(self, day: dt.date) -> Period | None: ...

    def after(self, period: Period) -> Period | None: ...


def iterate(source: PeriodSource, first_day: dt.date) -> Iterator[Period]:
    """Periods in order, starting with the one containing `first_day` (or the next one)."""
    period = source.containing(first_day)
    if period is None:
        period = source.after(Period(first_day, first_day))
    while period is not None:
        yield period
        period = source.after(period)


class CalendarPeriods:
    """Calendar days, weeks (Monday..Sunday), months, quarters, half-years, years."""

    def __init__(self, unit: PeriodUnit):
        self.unit = unit

    def containing(self, day: dt.date) -> Period:
        if self.unit is PeriodUnit.DAY:
            return Period(day, day)
        if self.unit is PeriodUnit.WEEK:
            start = day - dt.timedelta(days=day.weekday())
            return Period(start, start + dt.timedelta(days=6))
        size = self.unit.months
        first_month = (day.month - 1) // size * size + 1
        start = dt.date(day.year, first_month, 1)
        return Period(start, start + relativedelta(months=size) - ONE_DAY)

    def after(self, period: Period) -> Period:
        return self.containing(period.end + ONE_DAY)


class WorkdayPeriods:
    def __init__(self, calendar: WorkCalendar):
        self.calendar = calendar

    def containing(self, day: dt.date) -> Period | None:
        return Period(day, day) if self.calendar.is_workday(day) else None

    def after(self, period: Period) -> Period:
        day = self.calendar.next_workday(period.end + ONE_DAY)
        return Period(day, day)


class AnchoredDays:
    """`every: N days` / `every: N weeks`: fixed-length spans counted from the anchor."""

    def __init__(self, anchor: dt.date, length_days: int):
        self.anchor = anchor
        self.length = length_days

    def containing(self, day: dt.date) -> Period | None:
        if day < self.anchor:
            return None
        k = (day - self.anchor).days // self.length
        start = self.anchor + dt.timedelta(days=k * self.length)
        return Period(start, start + dt.timedelta(days=self.length - 1))

    def after(self, period: Period) -> Period:
        following = self.containing(period.end + ONE_DAY) or self.containing(self.anchor)
        assert following is not None  # the anchor's own period always exists
        return following


class AnchoredMonths:
    """`every: N months` (and multiples of quarters and years): counted from the anchor."""

    def __init__(self, anchor: dt.date, months: int):
        self.anchor = anchor
        self.months = months

    def _start(self, k: int) -> dt.date:
        return self.anchor + relativedelta(months=k * self.months)

    def containing(self, day: dt.date) -> Period | None:
        if day < self.anchor:
            return None
        elapsed = (day.year - self.anchor.year) * 12 + day.month - self.anchor.month
        k = max(elapsed // self.months, 0)
        while self._start(k) > day:
            k -= 1
        while self._start(k + 1) <= day:
            k += 1
        return Period(self._start(k), self._start(k + 1) - ONE_DAY)

    def after(self, period: Period) -> Period:
        following = self.containing(period.end + ONE_DAY) or self.containing(self.anchor)
        assert following is not None  # the anchor's own period always exists
        return following


class RrulePeriods:
    def __init__(self, rule_text: str, anchor: dt.date, until: dt.date | None):
        start = dt.datetime.combine(anchor, dt.time())
        self.rule = _rrule.rrulestr(rule_text, dtstart=start, cache=True)
        self.anchor = anchor
        self.until = until

    def _period_from(self, instance: dt.datetime | None) -> Period | None:
        if instance is None:
            return None
        following = self.rule.after(instance, inc=False)
        if following is not None:
            return Period(instance.date(), following.date() - ONE_DAY)
        end = self.until if self.until and self.until > instance.date() else instance.date()
        return Period(instance.date(), end)

    def containing(self, day: dt.date) -> Period | None:
        instance = self.rule.before(dt.datetime.combine(day, dt.time()), inc=True)
        if instance is None and day >= self.anchor:
            first = self.rule.after(dt.datetime.combine(self.anchor, dt.time()), inc=True)
            if first is not None and first.date() > self.anchor:
                return Period(self.anchor, first.date() - ONE_DAY)  # from `from` to the first instance
        return self._period_from(instance)

    def after(self, period: Period) -> Period | None:
        instance = self.rule.after(dt.datetime.combine(period.end, dt.time()), inc=False)
        return self._period_from(instance)


def source_for_every(every: Every, anchor: dt.date, calendar: WorkCalendar) -> PeriodSource:
    if every.unit is PeriodUnit.WORKDAY:
        return WorkdayPeriods(calendar)
    if not every.anchored:
        return CalendarPeriods(every.unit)
    if every.unit in (PeriodUnit.DAY, PeriodUnit.WEEK):
        return AnchoredDays(anchor, every.count * (7 if every.unit is PeriodUnit.WEEK else 1))
    return AnchoredMonths(anchor, every.months)
