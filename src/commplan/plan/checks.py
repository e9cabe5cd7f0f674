"""Checks that need more than one item: references, duplicates, cycles, fit.

Each check appends `PlanError`s pointing at the key that is wrong; none stops
the others, so a clerk sees every problem of every file in one run.
"""

from __future__ import annotations

import calendar
import datetime as dt
import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from . import model as m
from . import values as v
from .errors import KeyPath, PlanError

if TYPE_CHECKING:
    from .loader import ParsedFile
    from .yaml_source import Source


class _Ids:
    """Every unit and group id of the directory, for reference checks with suggestions."""

    def __init__(self, files: list[ParsedFile]):
        self.units = {u.id for f in files for u, _ in f.units}
        self.groups = {g for f in files for g, _, _ in f.groups}
        self.attempted = set().union(*(f.attempted_ids for f in files)) if files else set()

    def check(self, source: Source, path: KeyPath, ident: str, *, what: str = "unit or group") -> PlanError | None:
        groups_allowed = "group" in what
        if ident in self.units or ident in self.attempted or (groups_allowed and ident in self.groups):
            return None
        if ident in self.groups:
            return source.error(path, f"'{ident}' is a group: a {what} must be a single unit")
        pool = sorted(self.units | self.groups) if groups_allowed else sorted(self.units)
        return source.error(path, f"unknown {what} '{ident}'{_suggest(ident, pool)}")


def _suggest(ident: str, pool: Iterable[str]) -> str:
    close = difflib.get_close_matches(ident, list(pool), n=1, cutoff=0.75)
    return f" (did you mean '{close[0]}'?)" if close else ""


def check_files(files: list[ParsedFile]) -> list[PlanError]:
    errors: list[PlanError] = []
    ids = _Ids(files)
    errors += _duplicate_directory_ids(files)
    errors += _directory_references(files, ids)
    errors += _succession_cycles(files)
    errors += _group_cycles(files)
    seen_plans: dict[str, str] = {}
    for pf in files:
        if pf.plan is None:
            continue
        header, path = pf.plan
        if header.id in seen_plans:
            errors.append(pf.source.error(path + ("id",), f"duplicate plan id '{header.id}' (also in {seen_plans[header.id]})"))
            continue
        seen_plans[header.id] = pf.source.file
        errors += _plan_checks(pf, ids)
    return errors


# ---------------------------------------------------------------- directory

def _duplicate_directory_ids(files: list[ParsedFile]) -> list[PlanError]:
    errors = []
    where: dict[str, str] = {}
    for pf in files:
        for unit, path in pf.units:
            if unit.id in where:
                errors.append(pf.source.error(path + ("id",), f"duplicate id '{unit.id}' (already {where[unit.id]})"))
            else:
                where[unit.id] = f"a unit in {pf.source.file}"
    for pf in files:
        for ident, _, path in pf.groups:
            if ident in where:
                errors.append(pf.source.error(path, f"group id '{ident}' is already {where[ident]}", key=True))
            else:
                where[ident] = f"a group in {pf.source.file}"
    return errors


def _directory_references(files: list[ParsedFile], ids: _Ids) -> list[PlanError]:
    errors = []
    for pf in files:
        for unit, path in pf.units:
            if unit.parent:
                if unit.parent == unit.id:
                    errors.append(pf.source.error(path + ("parent",), "a unit cannot be its own parent"))
                elif err := ids.check(pf.source, path + ("parent",), unit.parent, what="unit"):
                    errors.append(err)
            if unit.succeeded_by:
                spath = path + ("succeeded_by", "unit")
                if unit.succeeded_by.unit == unit.id:
                    errors.append(pf.source.error(spath, "a unit cannot succeed itself"))
                elif err := ids.check(pf.source, spath, unit.succeeded_by.unit, what="unit"):
                    errors.append(err)
        for ident, group, path in pf.groups:
            for i, member in enumerate(group.members):
                if member == ident:
                    errors.append(pf.source.error(path + ("members", i), "a group cannot contain itself"))
                elif err := ids.check(pf.source, path + ("members", i), member):
                    errors.append(err)
    return errors


def _succession_cycles(files: list[ParsedFile]) -> list[PlanError]:
    successor = {u.id: (u.succeeded_by.unit, pf, path) for pf in files for u, path in pf.units if u.succeeded_by}
    errors = []
    finished: set[str] = set()  # chains already followed to their end: linear time overall
    for start in successor:
        chain: dict[str, None] = {}
        current = start
        while current in successor and current not in finished and current not in chain:
            chain[current] = None
            current = successor[current][0]
        if current in chain:
            order = list(chain)
            cycle = order[order.index(current):]
            _, pf, path = successor[cycle[0]]
            loop = " -> ".join([*cycle, cycle[0]])
            errors.append(pf.source.error(path + ("succeeded_by", "unit"), f"succession goes in a circle: {loop}"))
        finished.update(chain)
    return errors


def _group_cycles(files: list[ParsedFile]) -> list[PlanError]:
    """Depth-first search with colours, without recursion: linear in groups and members."""
    groups = {ident: (g, pf, path) for pf in files for ident, g, path in pf.groups}
    errors = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    for root in groups:
        if state.get(root):
            continue
        path_stack: list[str] = [root]
        iterators = [iter(groups[root][0].members)]
        state[root] = 1
        while iterators:
            member = next(iterators[-1], None)
            if member is None:
                state[path_stack.pop()] = 2
                iterators.pop()
                continue
            if member not in groups:
                continue
            if state.get(member) == 1:
                cycle = path_stack[path_stack.index(member):]
                if len(cycle) > 1:  # a group containing itself is reported by the reference check
                    _, pf, gpath = groups[cycle[0]]
                    loop = " -> ".join([*cycle, member])
                    errors.append(pf.source.error(gpath + ("members",), f"groups contain each other in a circle: {loop}"))
            elif not state.get(member):
                state[member] = 1
                path_stack.append(member)
                iterators.append(iter(groups[member][0].members))
    return errors


# ---------------------------------------------------------------- plans

def _plan_checks(pf: ParsedFile, ids: _Ids) -> list[PlanError]:
    assert pf.plan is not None  # the caller skips files without a plan header
    header, hpath = pf.plan
    src = pf.source
    errors: list[PlanError] = []
    for key in ("issuer", "coordinator"):
        value = getattr(header, key)
        if value and (err := ids.check(src, hpath + (key,), value)):
            errors.append(err)
    if header.effective and header.effective.until and header.effective.until < header.effective.from_:
        errors.append(src.error(hpath + ("effective", "until"), f"until {header.effective.until} is before from {header.effective.from_}"))
    clash = set(header.extra_days_off) & set(header.extra_workdays)
    if clash:
        day = min(clash)
        index = header.extra_workdays.index(day)
        errors.append(src.error(hpath + ("extra_workdays", index), f"{day} is also in extra_days_off"))

    run = _longest_run(header.extra_days_off)
    if run > MAX_DAYS_OFF_RUN:
        errors.append(src.error(hpath + ("extra_days_off",), f"{run} days off in a row (with weekends): at most {MAX_DAYS_OFF_RUN} (a deadline must be able to move to a working day)"))

    if header.reminders is not None:
        errors += _policy_checks(src, header.reminders, header.reminders, hpath + ("reminders",))

    errors += _unique(src, pf.events, "event")
    errors += _unique(src, pf.obligations, "obligation")
    errors += _unique(src, pf.indicators, "indicator")

    events = {e.id: e for e, _ in pf.events}
    waited_for: set[str] = set()
    for obligation, path in pf.obligations:
        waited_for.update(e for e in (obligation.event, obligation.until_event) if e)
        errors += _obligation_checks(src, header, obligation, path, ids, events)
    for event, path in pf.events:
        if event.id not in waited_for and event.id not in pf.attempted_events:
            errors.append(src.error(path + ("id",), f"no obligation waits for event '{event.id}' (use `from: {{event: {event.id}}}`)"))

    indicators = {i.id: i for i, _ in pf.indicators}
    for indicator, path in pf.indicators:
        for i, unit in enumerate(indicator.reported_by):
            if err := ids.check(src, path + ("reported_by", i), unit):
                errors.append(err)
        if indicator.of:
            base = indicators.get(indicator.of)
            if base is None:
                errors.append(src.error(path + ("of",), f"unknown indicator '{indicator.of}'{_suggest(indicator.of, indicators)}"))
            elif not base.baseline:
                errors.append(src.error(path + ("of",), f"'{indicator.of}' is not a baseline (mark it `baseline: true`)"))
            elif indicator.of == indicator.id:
                errors.append(src.error(path + ("of",), "an indicator cannot be a percent of itself"))

    for obligation, path in pf.obligations:
        for i, ident in enumerate(obligation.indicators):
            if ident not in indicators:
                errors.append(src.error(path + ("indicators", i), f"unknown indicator '{ident}'{_suggest(ident, indicators)}"))
            elif indicators[ident].baseline:
                errors.append(src.error(path + ("indicators", i), f"'{ident}' is a baseline: a reference figure, not a row of a report"))

    obligations = {o.id for o, _ in pf.obligations}
    for line, path in pf.budget:
        if line.obligation not in obligations:
            errors.append(src.error(path + ("obligation",), f"unknown obligation '{line.obligation}'{_suggest(line.obligation, obligations)}"))
        if line.lead and (err := ids.check(src, path + ("lead",), line.lead)):
            errors.append(err)
    return errors


MAX_DAYS_OFF_RUN = 30


def _longest_run(days: tuple[dt.date, ...]) -> int:
    """Longest run of days off the plan adds, counting the weekends that join its runs."""
    off = set(days)
    for day in list(off):  # weekends next to (or between) extra days off lengthen the run
        for step in (1, -1):
            cursor = day + dt.timedelta(days=step)
            while cursor.weekday() >= 5 and cursor not in off:
                off.add(cursor)
                cursor += dt.timedelta(days=step)
    best = current = 0
    previous = None
    for day in sorted(off):
        current = current + 1 if previous and (day - previous).days == 1 else 1
        best = max(best, current)
        previous = day
    return best


def _unique(src: Source, items: list, what: str) -> list[PlanError]:
    errors = []
    first: dict[str, KeyPath] = {}
    for item, path in items:
        if item.id in first:
            line, _ = src.position(first[item.id])
            errors.append(src.error(path + ("id",), f"duplicate {what} id '{item.id}' (first on line {line})"))
        else:
            first[item.id] = path
    return errors


def _obligation_checks(src: Source, header: m.PlanHeader, o: m.Obligation, path: KeyPath, ids: _Ids,
                       events: dict[str, m.Event]) -> list[PlanError]:
    errors = []
    for key in ("lead", "partners", "to"):
        for i, ident in enumerate(getattr(o, key) or ()):
            if err := ids.check(src, path + (key, i), ident):
                errors.append(err)
    for key, event in (("from", o.event), ("until", o.until_event)):
        if event and event not in events and event not in ids.attempted:  # an invalid event is reported once
            errors.append(src.error(path + (key, "event"), f"unknown event '{event}'{_suggest(event, events)}"))
    if o.until_event in events and events[o.until_event].repeats:
        errors.append(src.error(path + ("until", "event"), f"`until` cannot wait for '{o.until_event}': that event "
                                "has `repeats: true`, and an end needs a single date"))
    start = known_date(o.from_, events)
    if o.from_ is None and header.starts is None:
        errors.append(src.error(path, "no start: give `from`, or `effective.from` in the plan header"))
    start = start or (header.starts if o.from_ is None else None)
    until = known_date(o.until, events)
    if o.rrule and start and not _rrule_has_dates(o.rrule, start, until):
        errors.append(src.error(path + ("rrule",), f"the rule gives no date from {start} on: check UNTIL, COUNT and BYMONTHDAY"))
    if until and start and until < start:
        errors.append(src.error(path + ("until",), f"until {until} is before from {start}"))
    policy = o.reminders.merged_over(header.reminders or m.Reminders()) if o.reminders else header.reminders
    if o.reminders is not None:
        assert policy is not None  # merged over the plan's (or the defaults) just above
        errors += _policy_checks(src, o.reminders, policy, path + ("reminders",))
    if policy is not None and (late := _untickable_step(policy, o.due_rule)):
        own = o.reminders is not None and "before" in o.reminders.model_fields_set
        errors.append(src.error(path + (("reminders", "before") if own else ("due",) if o.due else ()), late))
    problem = due_fit_problem(o, start, until)
    if problem:
        message, *sub = problem
        errors.append(src.error(path + tuple(sub), message))
    return errors


def _rrule_has_dates(rule_text: str, start: dt.date, until: dt.date | None) -> bool:
    from dateutil import rrule

    begin = dt.datetime.combine(start, dt.time())
    rule = rrule.rrulestr(rule_text, dtstart=begin, cache=False)
    end = dt.datetime.combine(until or start.replace(year=min(start.year + 10, v.LAST_YEAR)), dt.time(23, 59))
    first = rule.after(begin, inc=True)
    return first is not None and first <= end


def known_date(value: dt.date | m.EventDate | None, events: dict[str, m.Event]) -> dt.date | None:
    """A `from` / `until` as a date where the plan alone says it: a date, or an event with a date
    written in the plan moved by a calendar offset (a working-day offset needs the schedule)."""
    if value is None or isinstance(value, dt.date):
        return value
    event = events.get(value.event)
    if event is None or event.date is None:
        return None
    offset = value.offset
    if offset is None:
        return event.date
    if offset.duration.is_workdays:
        return None
    return event.date + offset.sign * offset.duration.as_timedelta()


def due_fit_problem(o: m.Obligation, start: dt.date | None, until: dt.date | None = None) -> tuple | None:
    """Why this obligation's `due` (or `months`) cannot work with its rhythm, or None. `until`: the
    end as a date, where known (`o.until` may wait for an event)."""
    due = o.due_rule
    kind = due.kind
    if o.once:
        if o.months:
            return ("`months` filters recurring periods; a one-off has none", "months")
        if kind in (v.DueKind.WEEKDAY, v.DueKind.DAY):
            return (f"a one-off takes a date as due (e.g. due: 2021-12-31), not {kind.value}", "due")
        if kind in (v.DueKind.END, v.DueKind.AFTER_END) and not o.until:
            return ("a one-off needs `due` (a date, or {after_start: 7d}) or `until`", "due" if o.due else "once")
        if kind is v.DueKind.DATE and start and due.date is not None and due.date < start:
            return (f"due {due.date} is before from {start}", "due")
        if kind is v.DueKind.DATE and until and due.date is not None and due.date > until:
            return (f"due {due.date} is after until {until}", "due")
        return None
    if kind is v.DueKind.DATE:
        return ("a fixed date as due goes with `once: true`; recurring duties take {day: …}, {weekday: …}", "due")
    if o.rrule:
        if kind in (v.DueKind.WEEKDAY, v.DueKind.DAY):
            return (f"`{kind.value}` needs `every`; with `rrule` use {{after_start: …}} or the default end of period", "due", kind.value)
        return None
    every = o.every
    assert every is not None  # Obligation's validation: neither once nor rrule, so `every`
    if kind is v.DueKind.WEEKDAY and every.unit is not v.PeriodUnit.WEEK:
        return (f"`weekday` fits week periods, not `every: {every}`", "due", "weekday")
    if kind is v.DueKind.DAY:
        assert due.day is not None  # Due's validation: kind `day` has one
        months = every.months
        if months == 0:
            return (f"`day` fits month, quarter, half-year and year periods, not `every: {every}`", "due", "day")
        if due.month is None and months > 1:
            return (f"with `every: {every}` say which month of the period: {{month: last, day: …}}", "due", "day")
        if due.month is not None and months == 1:
            return ("`month` is for quarter, half-year and year periods; with `every: month` give only `day`", "due", "month")
        if due.month is not None and due.month != v.LAST and due.month > months:
            return (f"month {due.month} does not exist in a {months}-month period", "due", "month")
        if months % 12 == 0 and due.month not in (None, v.LAST) and due.day > calendar.monthrange(2000, (due.month - 1) % 12 + 1)[1]:
            return (f"{due.day}/{(due.month - 1) % 12 + 1} never exists", "due", "day")
    if o.months and not every.anchored:
        starts = {
            v.PeriodUnit.QUARTER: {1, 4, 7, 10},
            v.PeriodUnit.HALF_YEAR: {1, 7},
            v.PeriodUnit.YEAR: {1},
        }.get(every.unit)
        if starts is not None and not starts & set(o.months):
            first = ", ".join(str(x) for x in sorted(starts))
            return (f"no {every.unit.value} period starts in these months (they start in {first})", "months")
    return None


def _policy_checks(src: Source, own: m.Reminders, policy: m.Reminders, path: KeyPath) -> list[PlanError]:
    """What only the merged policy can tell (an obligation's keys over the plan's), reported at the
    keys this mapping sets, so that a plan-level mistake is reported once, at the plan."""
    errors = []
    given = own.model_fields_set
    if "quiet_hours" in given:
        hours, keys = policy.quiet_hours, own.quiet_hours.model_fields_set
        where = path + ("quiet_hours", "to" if "to" in keys or "from" not in keys else "from")
        if hours.from_ >= hours.to:
            errors.append(src.error(where, f"quiet_hours from {m.hhmm(hours.from_)} is not before to {m.hhmm(hours.to)}: "
                                           "phones may ring from `from` until `to`, within one day"))
        elif not any(hours.from_ <= dt.time(hour) < hours.to for hour in m.TICK_HOURS):
            errors.append(src.error(where, f"quiet_hours {m.hhmm(hours.from_)}–{m.hhmm(hours.to)} holds no tick (the tick runs "
                                           f"hourly, on the hour, {m.hhmm(m.FIRST_TICK)}–{m.hhmm(m.LAST_TICK)}): "
                                           "phones would never get a message"))
    if {"escalate_after", "stop_after"} & given and policy.escalate_after is not None \
            and policy.escalate_after.calendar_span() > policy.stop_after.calendar_span():
        key = "escalate_after" if "escalate_after" in given else "stop_after"
        errors.append(src.error(path + (key,), f"escalate_after {policy.escalate_after} is past stop_after {policy.stop_after}: "
                                               "nothing is said after stop_after, so the escalation would never go "
                                               "(raise stop_after or shorten escalate_after)"))
    return errors


def _untickable_step(policy: m.Reminders, due: v.Due) -> str | None:
    """Why a sub-day `before` step of this deadline can never be sent (no tick runs between its time
    and the deadline), or None. Deadlines computed by an hour offset have no fixed time: not checked."""
    if due.kind in (v.DueKind.AFTER_END, v.DueKind.AFTER_START) and due.offset is not None and due.offset.unit in (
            v.DurationUnit.MINUTES, v.DurationUnit.HOURS):
        return None
    deadline = due.time_of_day
    end = deadline.hour * 60 + deadline.minute + deadline.second / 60
    for offset in policy.before:
        span = offset.calendar_span()
        if span >= dt.timedelta(days=1):
            continue  # a day-scale step goes in the morning digest
        start = end - span.total_seconds() / 60
        if not any(start <= hour * 60 + day * 1440 <= end for hour in m.TICK_HOURS for day in (0, -1)):
            at = (dt.datetime.combine(dt.date(2000, 1, 2), deadline) - span).time()
            return (f"before {offset} of a deadline at {m.hhmm(deadline)} falls at {m.hhmm(at)}, and no tick runs from then "
                    f"until the deadline (hourly, on the hour, {m.hhmm(m.FIRST_TICK)}–{m.hhmm(m.LAST_TICK)}): the step would "
                    "never be sent; set due.time so that a tick comes before the deadline, or count the step in days")
    return None
# ---------------------------------------------------------------- warnings

def warn_files(files: list[ParsedFile]) -> list[PlanError]:
    """What is valid but probably not meant: an obligation whose every holder is dissolved by its start."""
    from .directory import Directory
    from .errors import PlanWarning

    directory = Directory(units={u.id: u for f in files for u, _ in f.units},
                          groups={g: group for f in files for g, group, _ in f.groups})
    if not any(u.dissolved for u in directory.units.values()):
        return []
    warnings: list[PlanError] = []
    for pf in files:
        if pf.plan is None:
            continue
        header = pf.plan[0]
        events = {e.id: e for e, _ in pf.events}
        for o, path in pf.obligations:
            # an event not yet known cannot happen before the plan starts
            start = known_date(o.from_, events) or header.starts
            units = [u for u in directory.expand(o.lead) if u in directory.units]
            if start is None or not units:
                continue
            if all(directory.holder_by_due(u, start) is None for u in units):
                holders = list(dict.fromkeys(directory.holder_on(u, start) for u in units))
                gone = ", ".join(f"{h} on {directory.units[h].dissolved}" for h in holders[:3])
                more = f" and {len(holders) - 3} more" if len(holders) > 3 else ""
                warnings.append(PlanWarning.of(pf.source.error(
                    path + ("lead",), f"every holder is dissolved by the obligation's start {start} ({gone}{more}): "
                    "nobody owes it")))
    return warnings

