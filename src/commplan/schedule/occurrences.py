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
- Nothing is owed before the plan exists: an occurrence whose deadline
  falls before the plan's `issued` date is not generated.
- An obligation that waits for an event (`from: {event: …}`) has no
  occurrence until the event's date is known; then it starts on that date,
  moved by `offset` (`-1d`, `2w`, `-3 workdays` on the plan's calendar).
  `until: {event: …}` ends it likewise; while that event is unknown the
  obligation runs on (to `effective.until`), except a one-off whose deadline
  is its `until`, which waits.
- A repeating event (`repeats: true`) has instances (a date, and a sequence
  among instances of one day): each opens its own occurrence of every `once`
  obligation waiting for it (`instance` is its sequence, so two on one day
  are two occurrences); an `every` / `rrule` obligation starts at the first.
- Groups expand to their members; with `shared: true` the leads owe one
  occurrence together (its `unit` is the first lead, `holders` all of them).
- Succession, by due date: an occurrence due on or after the successor's
  `from` belongs to the successor, whatever its window; one due earlier stays
  with the old unit. Two leads that end with the same successor owe one
  occurrence (the ledger's key is obligation, holder, window start, instance).
- A unit `dissolved` on a day owes nothing due on or after it.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal
from zoneinfo import ZoneInfo

from ..plan.catalog import Catalog, Plan
from ..plan.directory import Directory
from ..plan.model import EventDate, Obligation
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
    instance: int = 0  # the sequence of the repeating event's instance among those of its day

    @property
    def key(self) -> tuple[str, str, str, dt.date, int]:
        return self.plan, self.obligation, self.unit, self.window_start, self.instance

    def as_dict(self) -> dict[str, object]:
        """The preview's fields; `instance` only where it tells two occurrences of one day apart."""
        out: dict[str, object] = {
            "plan": self.plan,
            "obligation": self.obligation,
            "unit": self.unit,
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
            "due": self.due.isoformat(),
            "at_least": self.at_least,
        }
        if self.instance:
            out["instance"] = self.instance
        return out


@dataclass(frozen=True, slots=True, order=True)
class Instance:
    """One recorded happening of an event: its date, and its sequence among the instances of that day."""

    date: dt.date
    seq: int = 0


# What callers give for an event: a date, or (a repeating event) its instances or dates, where a
# date given twice is two instances of that day.
EventValue = dt.date | Sequence[dt.date | Instance]


def instances_of(value: EventValue | None) -> tuple[Instance, ...]:
    """An event's instances in order, from a date or from a list of dates and instances."""
    if value is None:
        return ()
    if isinstance(value, dt.date):
        return (Instance(value),)
    out: list[Instance] = []
    per_day: Counter[dt.date] = Counter()
    for item in value:
        if isinstance(item, Instance):
            out.append(item)
        else:
            out.append(Instance(item, per_day[item]))
            per_day[item] += 1
    return tuple(sorted(out))


def calendar_for(plan: Plan) -> WorkCalendar:
    header = plan.header
    return WorkCalendar(header.holidays, header.extra_days_off, header.extra_workdays)


class Expander:
    """Expands the obligations of one plan; holds the plan's calendar and timezone."""

    def __init__(self, plan: Plan, directory: Directory, events: Mapping[str, EventValue] | None = None):
        self.plan = plan
        self.directory = directory
        self.calendar = calendar_for(plan)
        self.tz = ZoneInfo(plan.header.timezone)
        self.issued = plan.header.issued
        self.repeating = frozenset(e.id for e in plan.events if e.repeats)
        given = {**plan.known_event_dates(), **(events or {})}
        self.events: dict[str, tuple[Instance, ...]] = {k: i for k, v in given.items() if (i := instances_of(v))}

    def starts_of(self, obligation: Obligation) -> list[tuple[dt.date, int]]:
        """Each start of the obligation with its instance: one, except a one-off waiting for a
        repeating event (one per instance); none while it waits for an event not yet recorded."""
        if obligation.event:
            instances = self.events.get(obligation.event, ())
            if not instances:
                return []
            assert obligation.from_ is not None  # an event comes from `from: {event: …}`
            if obligation.once and obligation.event in self.repeating:
                return [(self._moved(obligation.from_, i.date), i.seq) for i in instances]
            return [(self._moved(obligation.from_, instances[0].date), 0)]
        start = obligation.from_ or self.plan.header.starts
        assert not isinstance(start, EventDate)  # `from: {event: …}` was handled above
        return [(start, 0)] if start else []

    def start_of(self, obligation: Obligation) -> dt.date | None:
        """When the obligation starts (its first start), or None while it waits for an event not yet recorded."""
        starts = self.starts_of(obligation)
        return starts[0][0] if starts else None

    def until_of(self, obligation: Obligation) -> dt.date | None:
        until = obligation.until
        if isinstance(until, EventDate):
            instances = self.events.get(until.event, ())
            if instances:
                return self._moved(until, instances[0].date)
        elif until:
            return until
        effective = self.plan.header.effective
        return effective.until if effective else None

    def waiting_for(self, obligation: Obligation) -> str | None:
        """The event the obligation waits for before it owes anything, or None."""
        if obligation.event and not self.events.get(obligation.event):
            return obligation.event
        if self._end_unknown(obligation):
            return obligation.until_event
        return None

    def _end_unknown(self, o: Obligation) -> bool:
        # a one-off due at its `until` (no `due`, or after_end) cannot be placed before that event is known
        return bool(o.once and o.until_event and not self.events.get(o.until_event)
                    and o.due_rule.kind in (DueKind.END, DueKind.AFTER_END))

    def _moved(self, ref: dt.date | EventDate, day: dt.date) -> dt.date:
        """An event's date moved by the reference's offset (working days on the plan's calendar)."""
        offset = ref.offset if isinstance(ref, EventDate) else None
        if offset is None:
            return day
        if offset.duration.is_workdays:
            return self.calendar.add_workdays(day, offset.sign * offset.duration.amount)
        return day + offset.sign * offset.duration.as_timedelta()

    def occurrences(
        self, obligation: Obligation, start: dt.date, end: dt.date, *, by: RangeMode = "due"
    ) -> Iterator[Occurrence]:
        """Occurrences whose deadline falls in `start..end` (`by="due"`), or whose
        window overlaps `start..end` (`by="window"`), in period order."""
        if self._end_unknown(obligation):
            return
        until = self.until_of(obligation)
        for begin, instance in self.starts_of(obligation):
            if until is not None and until < begin:
                continue
            for _period, window_start, window_end, due in self._periods(obligation, begin, until, start, end, by):
                if self.issued is not None and due.date() < self.issued:
                    continue  # nothing is owed before the plan exists
                yield from self._holders(obligation, window_start, window_end, due, instance)

    def _periods(self, o: Obligation, begin: dt.date, until: dt.date | None, start: dt.date, end: dt.date,
                 by: RangeMode) -> Iterator[tuple[Period, dt.date, dt.date, dt.datetime]]:
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

    def _once(self, o: Obligation, begin: dt.date, until: dt.date | None, start: dt.date, end: dt.date,
              by: RangeMode) -> Iterator[tuple[Period, dt.date, dt.date, dt.datetime]]:
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
    def _in_range(window_start: dt.date, window_end: dt.date, due: dt.datetime, start: dt.date, end: dt.date,
                  by: RangeMode) -> bool:
        if by == "due":
            return start <= due.date() <= end
        return window_end >= start and window_start <= end

    def _source(self, o: Obligation, begin: dt.date, until: dt.date | None) -> PeriodSource:
        if o.rrule:
            return RrulePeriods(o.rrule, begin, until)
        assert o.every is not None  # Obligation's validation: no rrule, so `every`
        return source_for_every(o.every, begin, self.calendar)

    def _holders(self, o: Obligation, window_start: dt.date, window_end: dt.date, due: dt.datetime, instance: int = 0) -> Iterator[Occurrence]:
        directory = self.directory
        day = due.date()  # succession and dissolution go by the deadline, in the plan's timezone
        units = directory.expand(o.lead)
        if o.shared:
            holders = tuple(dict.fromkeys(h for u in units if (h := directory.holder_by_due(u, day))))
            if not holders:
                return
            first = o.lead[0]
            unit = first if directory.is_group(first) else (directory.holder_by_due(first, day) or holders[0])
            yield Occurrence(self.plan.id, o.id, unit, window_start, window_end, due, o.at_least, holders, instance)
            return
        seen: set[str] = set()
        for unit in units:
            holder = directory.holder_by_due(unit, day)
            if holder is None or holder in seen:
                continue
            seen.add(holder)
            yield Occurrence(self.plan.id, o.id, holder, window_start, window_end, due, o.at_least, (holder,), instance)


def expand_catalog(
    catalog: Catalog,
    start: dt.date,
    end: dt.date,
    *,
    by: RangeMode = "due",
    events: Mapping[str, Mapping[str, EventValue]] | None = None,
    plans: Iterable[str] | None = None,
) -> Iterator[Occurrence]:
    """Occurrences of every obligation of the catalog (or of `plans`).

    `events` maps plan id to recorded event dates, or instances of repeating events (from the ledger)."""
    wanted = set(plans) if plans is not None else None
    for plan in catalog.plans.values():
        if wanted is not None and plan.id not in wanted:
            continue
        expander = Expander(plan, catalog.directory, (events or {}).get(plan.id))
        for obligation in plan.obligations:
            yield from expander.occurrences(obligation, start, end, by=by)


def sort_key(occurrence: Occurrence) -> tuple:
    """Due, then plan, obligation, unit, instance: the order previews and reports list occurrences in."""
    return (occurrence.due, occurrence.plan, occurrence.obligation, occurrence.unit, occurrence.instance)


__all__ = ["Expander", "Instance", "Occurrence", "calendar_for", "expand_catalog", "instances_of", "sort_key"]
