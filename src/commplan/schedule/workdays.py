"""Working days: Vietnam's public holidays plus what a province announces.

The `holidays` package knows Tết, Hùng Kings, 30/4, 1/5, 2/9, the days off
the government swaps in, and the make-up working Saturdays it swaps out
(`weekend_workdays`). A plan adds `extra_days_off` and `extra_workdays` on
top. Holiday sets are built per year on first use and cached.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from functools import lru_cache

import holidays

ONE_DAY = dt.timedelta(days=1)
# A shift longer than this means the calendar is broken (e.g. every day a holiday).
MAX_SHIFT_DAYS = 60


@lru_cache(maxsize=512)
def _official_year(country: str, year: int) -> tuple[frozenset[dt.date], frozenset[dt.date], frozenset[int]]:
    calendar = holidays.country_holidays(country, years=year)
    days_off = frozenset(calendar.keys())
    workdays = frozenset(d for d in getattr(calendar, "weekend_workdays", ()) if d.year == year)
    return days_off, workdays, frozenset(calendar.weekend)


class WorkCalendar:
    """Which days are working days for one plan."""

    def __init__(self, country: str = "VN", extra_days_off: Iterable[dt.date] = (), extra_workdays: Iterable[dt.date] = ()):
        self.country = country
        self.extra_days_off = frozenset(extra_days_off)
        self.extra_workdays = frozenset(extra_workdays)
        self._cache: dict[dt.date, bool] = {}

    def is_workday(self, day: dt.date) -> bool:
        cached = self._cache.get(day)
        if cached is None:
            cached = self._cache[day] = self._compute(day)
        return cached

    def _compute(self, day: dt.date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.extra_days_off:
            return False
        days_off, make_up_days, weekend = _official_year(self.country, day.year)
        if day in make_up_days:
            return True
        if day in days_off:
            return False
        return day.weekday() not in weekend

    def next_workday(self, day: dt.date) -> dt.date:
        """`day` itself when it is a working day, else the first working day after it."""
        return self._walk(day, ONE_DAY)

    def previous_workday(self, day: dt.date) -> dt.date:
        """`day` itself when it is a working day, else the last working day before it."""
        return self._walk(day, -ONE_DAY)

    def add_workdays(self, day: dt.date, count: int) -> dt.date:
        """The `count`-th working day after `day` (`day` itself is not counted); before it when
        `count` is negative."""
        current = day
        if count < 0:
            for _ in range(-count):
                current = self.previous_workday(current - ONE_DAY)
            return current
        for _ in range(count):
            current = self.next_workday(current + ONE_DAY)
        return current

    def _walk(self, day: dt.date, step: dt.timedelta) -> dt.date:
        current = day
        for _ in range(MAX_SHIFT_DAYS):
            if self.is_workday(current):
                return current
            current += step
        raise ValueError(f"no working day within {MAX_SHIFT_DAYS} days of {day}")
