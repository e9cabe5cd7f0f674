"""Send windows: when a message may ring a phone (Zalo OA, ZNS, SMS), from its items' quiet hours.

Each item's policy says when phones may ring (`quiet_hours`: from, to, and
the days: the working days of its plan's calendar, or every day), in Vietnam
time. A phone message is composed only with the items whose window is open
at that moment, and carries the window its items share (the latest `from`,
the earliest `to`, the working days of every plan that keeps them) as a key
on its delivery row. The outbox compares keys only; which keys are open at a
moment is decided here, so a retry, a hand-on to the next address of the
chain, or a re-send after a crash never rings a phone outside what every
item of the message allows. Email has no window: it is never quiet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from ..plan.model import Days, QuietHours
from ..schedule.workdays import WorkCalendar

VN = ZoneInfo("Asia/Ho_Chi_Minh")
DEFAULT_CALENDAR = WorkCalendar("VN")


@dataclass(frozen=True)
class SendWindow:
    start: dt.time
    end: dt.time
    every_day: bool = False
    plans: tuple[str, ...] = ()  # whose working days it keeps (none: Vietnam's); empty when every_day

    @classmethod
    def of(cls, hours: QuietHours, plan: str) -> SendWindow:
        every_day = hours.days is Days.ALL
        return cls(hours.from_, hours.to, every_day, () if every_day else (plan,))

    @classmethod
    def shared(cls, windows: Iterable[SendWindow]) -> SendWindow:
        """The moments every one of `windows` allows."""
        windows = list(windows)
        every_day = all(w.every_day for w in windows)
        plans = tuple(sorted({p for w in windows for p in w.plans}))
        return cls(max(w.start for w in windows), min(w.end for w in windows), every_day, plans)

    @property
    def key(self) -> str:
        days = "all" if self.every_day else "workdays" + (":" + ",".join(self.plans) if self.plans else "")
        return f"{self.start.isoformat()}-{self.end.isoformat()} {days}"

    @classmethod
    def parse(cls, key: str) -> SendWindow:
        hours, days = key.split(" ", 1)
        start, end = (dt.time.fromisoformat(part) for part in hours.split("-"))
        if days == "all":
            return cls(start, end, True)
        _, _, plans = days.partition(":")
        return cls(start, end, False, tuple(p for p in plans.split(",") if p))

    def is_open(self, now: dt.datetime, calendars: Mapping[str, WorkCalendar]) -> bool:
        local = now.astimezone(VN)
        if not self.start <= local.time() < self.end:
            return False
        if self.every_day:
            return True
        return all(calendars.get(plan, DEFAULT_CALENDAR).is_workday(local.date()) for plan in self.plans or ("",))

    def next_open(self, now: dt.datetime, calendars: Mapping[str, WorkCalendar], *, days: int = 60) -> dt.datetime | None:
        """`now` if the window is open, else when it next opens (within `days`)."""
        if self.is_open(now, calendars):
            return now
        local = now.astimezone(VN)
        day = local.date() if local.time() < self.start else local.date() + dt.timedelta(days=1)
        for _ in range(days):
            moment = dt.datetime.combine(day, self.start, tzinfo=VN)
            if self.is_open(moment, calendars):
                return moment
            day += dt.timedelta(days=1)
        return None


def open_keys(keys: Iterable[str], now: dt.datetime, calendars: Mapping[str, WorkCalendar]) -> list[str]:
    """Those of `keys` whose window is open at `now`."""
    return sorted(key for key in keys if SendWindow.parse(key).is_open(now, calendars))
