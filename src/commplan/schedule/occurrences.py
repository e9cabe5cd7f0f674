"""Expansion: an obligation, the directory and event dates in; occurrences out.

Pure: no I/O, no clock, no database. One occurrence is an obligation owed by
one holder unit for one period, with its window (the part of the period
inside `from`..`until`, inclusive) and its deadline as an aware datetime in
the plan's timezone.

- The first period is the calendar period containing `from` and starts at
  `from`; the last ends at `until`. Deadlines are computed from the whole
  calendar period. A first, partial period whose deadline passed before it
  opened (a weekly Thursday report whose `from` is a Friday) is skipped:
  nobody can meet it.
- `months` keeps only periods whose calendar start falls in those months.
- An obligation that waits for an event (`from: {event: …}`) has no
  occurrence until the event's date is known; then it starts on that date.
- Groups expand to their members; with `shared: true` the leads owe one
  occurrence together (its `unit` is the first lead, `holders` all of them).
- Succession: a window that starts on or after the successor's `from` date
  belongs to the successor. Two leads that end with the same successor owe
  one occurrence (the ledger's key is obligation, holder, window start).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable, Iterator, Literal, Mapping
from zoneinfo import ZoneInfo

from ..plan.catalog import Catalog, Plan
from ..plan.directory import Directory
from ..plan.model import Obligation
from ..plan.values import DueKind
from .deadlines import local_deadline, max_delay_days
from .periods import Period, PeriodSource, RrulePeriods, iterate, source_for_every
from .workdays import WorkCalendar

RangeMode = Literal["due", "window"]


@dataclass(frozen=True, slots=True)
class Occurrence:
    plan: str
    obligation: str
    unit: str
    window_start: dt.date
    window_end: dt.date
    due: dt.datetime
    at_least: int
    holders: tuple[str, ...] = ()  # every unit that owes it; more than one only when shared

    @property
    def key(self) -> tuple[str, str, str, dt.date]:
        return self.plan, self.obligation, self.unit, self.window_start

    def as_dict(self) -> dict[str, object]:
        return {
            "plan": self.plan,
            "obligation": self.obligation,
            "unit": self.unit,
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "due": self.due.isoformat(),
            "at_least": self.at_least,
        }


def calendar_for(plan: Plan) -> WorkCalendar:
    header = plan.header
    return WorkCalendar(header.holidays, header.extra_days_off, header.extra_workdays)


class Expander:
    """Expands the obligations of one plan; holds the plan's calendar and timezone."""

    def __init__(self, plan: Plan, directory: Directory, events: Mapping[str, dt.date] | None = None):
        self.plan = plan
        self.directory = directory
        self.calendar = calendar_for(plan)
        self.tz = ZoneInfo(plan.header.timezone)
        self.events = {**plan.known_event_dates(), **(events or {})}

    def start_of(self, obligation: Obligation) -> dt.date | None:
        """When the obligation starts, or None while it waits for an event not yet recorded."""
        if obligation.event:
            return self.events.get(obligation.event)
        return obligation.from_ or self.plan.header.starts

    def until_of(self, obligation: Obligation) -> dt.date | None:
        if obligation.until:
            return obligation.until
        effective = self.plan.header.effective
        return effective.until if effective else None

    def occurrences(
        self, obligation: Obligation, start: dt.date, end: dt.date, *, by: RangeMode = "due"
    ) -> Iterator[Occurrence]:
        """Occurrences whose deadline falls in `start..end` (`by="due"`), or whose
        window overlaps `start..end` (`by="window"`), in period order."""
        begin = self.start_of(obligation)
        if begin is None:
            return
        until = self.until_of(obligation)
        if until is not None and until < begin:
            return
        for period, window_start, window_end, due in self._periods(obligation, begin, until, start, end, by):
            yield from self._holders(obligation, window_start, window_end, due)

    def _periods(self, o: Obligation, begin, until, start, end, by: RangeMode):
        due_rule = o.due_rule
        if o.once:
            yield from self._once(o, begin, until, start, end, by)
            return
        if by == "due":
            scan_from = start - dt.timedelta(days=max_delay_days(due_rule))
            stop_after = end + dt.timedelta(days=max_delay_days(due_rule))
        else:
            scan_from, stop_after = start, end
        source = self._source(o, begin, until)
        for period in iterate(source, max(begin, scan_from)):
            if period.start > stop_after or (until is not None and period.start > until):
                return
            if period.end < begin:
                continue
            if o.months and period.start.month not in o.months:
                continue
            window_start = max(period.start, begin)
            window_end = min(period.end, until) if until else period.end
            due = local_deadline(due_rule, period, self.calendar).replace(tzinfo=self.tz)
            if window_start > period.start and due.date() < window_start:
                continue  # the first partial period's deadline passed before it opened
            if self._in_range(window_start, window_end, due, start, end, by):
                yield period, window_start, window_end, due

    def _once(self, o: Obligation, begin, until, start, end, by: RangeMode):
        due_rule = o.due_rule
        if due_rule.kind is DueKind.DATE or due_rule.kind is DueKind.AFTER_START:
            provisional = Period(begin, begin)
        else:  # END / AFTER_END: the period runs to `until` (checked to exist)
            provisional = Period(begin, until or begin)
        local = local_deadline(due_rule, provisional, self.calendar)
        window_end = max(begin, local.date() if due_rule.kind in (DueKind.DATE, DueKind.AFTER_START) else provisional.end)
        if until is not None:
            window_end = min(window_end, max(until, begin))
        due = local.replace(tzinfo=self.tz)
        if self._in_range(begin, window_end, due, start, end, by):
            yield provisional, begin, window_end, due

    @staticmethod
    def _in_range(window_start, window_end, due, start, end, by: RangeMode) -> bool:
        if by == "due":
            return start <= due.date() <= end
        return window_end >= start and window_start <= end

    def _source(self, o: Obligation, begin: dt.date, until: dt.date | None) -> PeriodSource:
        if o.rrule:
            return RrulePeriods(o.rrule, begin, until)
        return source_for_every(o.every, begin, self.calendar)

    def _holders(self, o: Obligation, window_start, window_end, due) -> Iterator[Occurrence]:
        directory = self.directory
        units = directory.expand(o.lead)
        if o.shared:
            holders = tuple(dict.fromkeys(directory.holder_on(u, window_start) for u in units))
            first = o.lead[0]
            unit = first if directory.is_group(first) else directory.holder_on(first, window_start)
            yield Occurrence(self.plan.id, o.id, unit, window_start, window_end, due, o.at_least, holders)
            return
        seen: set[str] = set()
        for unit in units:
            holder = directory.holder_on(unit, window_start)
            if holder in seen:
                continue
            seen.add(holder)
            yield Occurrence(self.plan.id, o.id, holder, window_start, window_end, due, o.at_least, (holder,))


def expand_catalog(
    catalog: Catalog,
    start: dt.date,
    end: dt.date,
    *,
    by: RangeMode = "due",
    events: Mapping[str, Mapping[str, dt.date]] | None = None,
    plans: Iterable[str] | None = None,
) -> Iterator[Occurrence]:
    """Occurrences of every obligation of the catalog (or of `plans`).

    `events` maps plan id to recorded event dates (from the ledger)."""
    wanted = set(plans) if plans is not None else None
    for plan in catalog.plans.values():
        if wanted is not None and plan.id not in wanted:
            continue
        expander = Expander(plan, catalog.directory, (events or {}).get(plan.id))
        for obligation in plan.obligations:
            yield from expander.occurrences(obligation, start, end, by=by)


def sort_key(occurrence: Occurrence) -> tuple:
    """Due, then plan, obligation, unit: the order previews and reports list occurrences in."""
    return (occurrence.due, occurrence.plan, occurrence.obligation, occurrence.unit)


__all__ = ["Expander", "Occurrence", "calendar_for", "expand_catalog", "sort_key"]
