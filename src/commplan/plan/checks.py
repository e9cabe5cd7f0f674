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

from ..i18n import N_, _
from . import model as m
from . import values as v
from .errors import KeyPath, PlanError

if TYPE_CHECKING:
    from .loader import ParsedFile
    from .yaml_source import Source


class _Ids:
    """Every unit and group id of the directory, for reference checks with suggestions."""

    def __init__(self, files: list[ParsedFile]):
        self.units = {u.id for f in files for u, _p in f.units}
        self.groups = {g for f in files for g, _g, _p in f.groups}
        self.attempted = set().union(*(f.attempted_ids for f in files)) if files else set()

    def check(self, source: Source, path: KeyPath, ident: str, *, groups_allowed: bool = True) -> PlanError | None:
        if ident in self.units or ident in self.attempted or (groups_allowed and ident in self.groups):
            return None
        if ident in self.groups:
            return source.error(path, _("'{id}' is a group: a unit must be a single unit").format(id=ident))
        if groups_allowed:
            message = _("unknown unit or group '{id}'").format(id=ident)
            return source.error(path, _suggest(message, ident, self.units | self.groups))
        return source.error(path, _suggest(_("unknown unit '{id}'").format(id=ident), ident, self.units))


def _suggest(message: str, ident: str, pool: Iterable[str]) -> str:
    """The message, with the closest known id when there is one."""
    close = difflib.get_close_matches(ident, sorted(pool), n=1, cutoff=0.75)
    return _("{message} (did you mean '{close}'?)").format(message=message, close=close[0]) if close else message


def check_files(files: list[ParsedFile]) -> list[PlanError]:
    errors: list[PlanError] = []
    ids = _Ids(files)
    errors += _duplicate_directory_ids(files)
    errors += _directory_references(files, ids)
    errors += _duplicate_feeds(files)
    errors += _succession_cycles(files)
    errors += _group_cycles(files)
    seen_plans: dict[str, str] = {}
    for pf in files:
        if pf.plan is None:
            continue
        header, path = pf.plan
        if header.id in seen_plans:
            errors.append(pf.source.error(path + ("id",), _("duplicate plan id '{id}' (also in {file})")
                                              .format(id=header.id, file=seen_plans[header.id])))
            continue
        seen_plans[header.id] = pf.source.file
        errors += _plan_checks(pf, ids)
    return errors


# ---------------------------------------------------------------- directory

def _duplicate_directory_ids(files: list[ParsedFile]) -> list[PlanError]:
    errors = []
    units: dict[str, str] = {}  # id -> the file that defines it
    groups: dict[str, str] = {}
    for pf in files:
        for unit, path in pf.units:
            if unit.id in units:
                errors.append(pf.source.error(path + ("id",), _("duplicate id '{id}' (already a unit in {file})")
                                              .format(id=unit.id, file=units[unit.id])))
            else:
                units[unit.id] = pf.source.file
    for pf in files:
        for ident, _group, path in pf.groups:
            if ident in units:
                message = _("group id '{id}' is already a unit in {file}").format(id=ident, file=units[ident])
            elif ident in groups:
                message = _("group id '{id}' is already a group in {file}").format(id=ident, file=groups[ident])
            else:
                groups[ident] = pf.source.file
                continue
            errors.append(pf.source.error(path, message, key=True))
    return errors


def _directory_references(files: list[ParsedFile], ids: _Ids) -> list[PlanError]:
    errors = []
    for pf in files:
        for unit, path in pf.units:
            if unit.parent:
                if unit.parent == unit.id:
                    errors.append(pf.source.error(path + ("parent",), _("a unit cannot be its own parent")))
                elif err := ids.check(pf.source, path + ("parent",), unit.parent, groups_allowed=False):
                    errors.append(err)
            if unit.succeeded_by:
                spath = path + ("succeeded_by", "unit")
                if unit.succeeded_by.unit == unit.id:
                    errors.append(pf.source.error(spath, _("a unit cannot succeed itself")))
                elif err := ids.check(pf.source, spath, unit.succeeded_by.unit, groups_allowed=False):
                    errors.append(err)
        for ident, group, path in pf.groups:
            for i, member in enumerate(group.members):
                if member == ident:
                    errors.append(pf.source.error(path + ("members", i), _("a group cannot contain itself")))
                elif err := ids.check(pf.source, path + ("members", i), member):
                    errors.append(err)
    return errors


def _duplicate_feeds(files: list[ParsedFile]) -> list[PlanError]:
    """A feed (address and section) belongs to one unit: its items are that unit's own publications."""
    errors = []
    owners: dict[tuple[str, str], str] = {}
    for pf in files:
        for unit, path in pf.units:
            for i, feed in enumerate(unit.feeds):
                owner = owners.setdefault(feed.key, unit.id)
                if owner != unit.id:
                    errors.append(pf.source.error(path + ("feeds", i), _(
                        "the feed {url} is already a feed of unit '{id}': a feed belongs to one unit "
                        "(give each unit its own `section` of a shared site)").format(url=feed.url, id=owner)))
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
            _u, pf, path = successor[cycle[0]]
            loop = " -> ".join([*cycle, cycle[0]])
            errors.append(pf.source.error(path + ("succeeded_by", "unit"), _("succession goes in a circle: {loop}").format(loop=loop)))
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
                    _g, pf, gpath = groups[cycle[0]]
                    loop = " -> ".join([*cycle, member])
                    errors.append(pf.source.error(gpath + ("members",), _("groups contain each other in a circle: {loop}").format(loop=loop)))
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
        errors.append(src.error(hpath + ("effective", "until"), _("until {until} is before from {start}")
                                .format(until=header.effective.until, start=header.effective.from_)))
    clash = set(header.extra_days_off) & set(header.extra_workdays)
    if clash:
        day = min(clash)
        index = header.extra_workdays.index(day)
        errors.append(src.error(hpath + ("extra_workdays", index), _("{date} is also in extra_days_off").format(date=day)))

    run = _longest_run(header.extra_days_off)
    if run > MAX_DAYS_OFF_RUN:
        errors.append(src.error(hpath + ("extra_days_off",), _(
            "{run} days off in a row (with weekends): at most {limit} (a deadline must be able to move to a working day)")
            .format(run=run, limit=MAX_DAYS_OFF_RUN)))

    if header.reminders is not None:
        errors += _policy_checks(src, header.reminders, header.reminders, hpath + ("reminders",))

    errors += _unique(src, pf.events, _("duplicate event id '{id}' (first on line {line})"))
    errors += _unique(src, pf.obligations, _("duplicate obligation id '{id}' (first on line {line})"))
    errors += _unique(src, pf.indicators, _("duplicate indicator id '{id}' (first on line {line})"))

    events = {e.id: e for e, _p in pf.events}
    waited_for: set[str] = set()
    for obligation, path in pf.obligations:
        waited_for.update(e for e in (obligation.event, obligation.until_event) if e)
        errors += _obligation_checks(src, header, obligation, path, ids, events)
    for event, path in pf.events:
        if event.id not in waited_for and event.id not in pf.attempted_events:
            errors.append(src.error(path + ("id",), _("no obligation waits for event '{id}' (use `from: {{event: {id}}}`)")
                                    .format(id=event.id)))

    indicators = {i.id: i for i, _p in pf.indicators}
    for indicator, path in pf.indicators:
        for i, unit in enumerate(indicator.reported_by):
            if err := ids.check(src, path + ("reported_by", i), unit):
                errors.append(err)
        if indicator.of:
            base = indicators.get(indicator.of)
            if base is None:
                errors.append(src.error(path + ("of",), _suggest(_("unknown indicator '{id}'").format(id=indicator.of),
                                                                 indicator.of, indicators)))
            elif not base.baseline:
                errors.append(src.error(path + ("of",), _("'{id}' is not a baseline (mark it `baseline: true`)").format(id=indicator.of)))
            elif indicator.of == indicator.id:
                errors.append(src.error(path + ("of",), _("an indicator cannot be a percent of itself")))

    for obligation, path in pf.obligations:
        for i, ident in enumerate(obligation.indicators):
            if ident not in indicators:
                errors.append(src.error(path + ("indicators", i), _suggest(_("unknown indicator '{id}'").format(id=ident), ident, indicators)))
            elif indicators[ident].baseline:
                errors.append(src.error(path + ("indicators", i), _("'{id}' is a baseline: a reference figure, not a row of a report")
                                        .format(id=ident)))

    obligations = {o.id for o, _p in pf.obligations}
    for line, path in pf.budget:
        if line.obligation not in obligations:
            errors.append(src.error(path + ("obligation",), _suggest(_("unknown obligation '{id}'").format(id=line.obligation),
                                                                     line.obligation, obligations)))
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


def _unique(src: Source, items: list, message: str) -> list[PlanError]:
    """`message` (with {id} and {line}) for each id given a second time."""
    errors = []
    first: dict[str, KeyPath] = {}
    for item, path in items:
        if item.id in first:
            line, _col = src.position(first[item.id])
            errors.append(src.error(path + ("id",), message.format(id=item.id, line=line)))
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
    if o.match is not None:
        for i, ident in enumerate(o.match.watch or ()):
            if err := ids.check(src, path + ("match", "watch", i), ident):
                errors.append(err)
    for key, event in (("from", o.event), ("until", o.until_event)):
        if event and event not in events and event not in ids.attempted:  # an invalid event is reported once
            errors.append(src.error(path + (key, "event"), _suggest(_("unknown event '{id}'").format(id=event), event, events)))
    if o.until_event in events and events[o.until_event].repeats:
        errors.append(src.error(path + ("until", "event"), _("`until` cannot wait for '{id}': that event "
                                                             "has `repeats: true`, and an end needs a single date")
                                .format(id=o.until_event)))
    start = known_date(o.from_, events)
    if o.from_ is None and header.starts is None:
        errors.append(src.error(path, _("no start: give `from`, or `effective.from` in the plan header")))
    start = start or (header.starts if o.from_ is None else None)
    until = known_date(o.until, events)
    if o.rrule and start and not _rrule_has_dates(o.rrule, start, until):
        errors.append(src.error(path + ("rrule",), _("the rule gives no date from {start} on: check UNTIL, COUNT and BYMONTHDAY")
                                .format(start=start)))
    if until and start and until < start:
        errors.append(src.error(path + ("until",), _("until {until} is before from {start}").format(until=until, start=start)))
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
            return (_("`months` filters recurring periods; a one-off has none"), "months")
        if kind in (v.DueKind.WEEKDAY, v.DueKind.DAY):
            return (_("a one-off takes a date as due (e.g. due: 2021-12-31), not {form}").format(form=kind.value), "due")
        if kind in (v.DueKind.END, v.DueKind.AFTER_END) and not o.until:
            return (_("a one-off needs `due` (a date, or {{after_start: 7d}}) or `until`").format(), "due" if o.due else "once")
        if kind is v.DueKind.DATE and start and due.date is not None and due.date < start:
            return (_("due {due} is before from {start}").format(due=due.date, start=start), "due")
        if kind is v.DueKind.DATE and until and due.date is not None and due.date > until:
            return (_("due {due} is after until {until}").format(due=due.date, until=until), "due")
        return None
    if kind is v.DueKind.DATE:
        return (_("a fixed date as due goes with `once: true`; recurring duties take {{day: …}}, {{weekday: …}}").format(), "due")
    if o.rrule:
        if kind in (v.DueKind.WEEKDAY, v.DueKind.DAY):
            return (_("`{form}` needs `every`; with `rrule` use {{after_start: …}} or the default end of period")
                    .format(form=kind.value), "due", kind.value)
        return None
    every = o.every
    assert every is not None  # Obligation's validation: neither once nor rrule, so `every`
    if kind is v.DueKind.WEEKDAY and every.unit is not v.PeriodUnit.WEEK:
        return (_("`weekday` fits week periods, not `every: {every}`").format(every=every), "due", "weekday")
    if kind is v.DueKind.DAY:
        assert due.day is not None  # Due's validation: kind `day` has one
        months = every.months
        if months == 0:
            return (_("`day` fits month, quarter, half-year and year periods, not `every: {every}`").format(every=every), "due", "day")
        if due.month is None and months > 1:
            return (_("with `every: {every}` say which month of the period: {{month: last, day: …}}").format(every=every), "due", "day")
        if due.month is not None and months == 1:
            return (_("`month` is for quarter, half-year and year periods; with `every: month` give only `day`"), "due", "month")
        if due.month is not None and due.month != v.LAST and due.month > months:
            return (_("month {month} does not exist in a {months}-month period").format(month=due.month, months=months), "due", "month")
        if months % 12 == 0 and due.month not in (None, v.LAST) and due.day > calendar.monthrange(2000, (due.month - 1) % 12 + 1)[1]:
            return (_("{day}/{month} never exists").format(day=due.day, month=(due.month - 1) % 12 + 1), "due", "day")
    if o.months and not every.anchored:
        starts = {
            v.PeriodUnit.QUARTER: {1, 4, 7, 10},
            v.PeriodUnit.HALF_YEAR: {1, 7},
            v.PeriodUnit.YEAR: {1},
        }.get(every.unit)
        if starts is not None and not starts & set(o.months):
            first = ", ".join(str(x) for x in sorted(starts))
            return (_("no {every} period starts in these months (they start in {first})")
                    .format(every=_(PERIOD_NAMES[every.unit]), first=first), "months")
    return None


# How "no quarter period starts in these months" names the period (the units `months` filters).
PERIOD_NAMES = {v.PeriodUnit.QUARTER: N_("quarter"), v.PeriodUnit.HALF_YEAR: N_("half-year"), v.PeriodUnit.YEAR: N_("year")}


def _policy_checks(src: Source, own: m.Reminders, policy: m.Reminders, path: KeyPath) -> list[PlanError]:
    """What only the merged policy can tell (an obligation's keys over the plan's), reported at the
    keys this mapping sets, so that a plan-level mistake is reported once, at the plan."""
    errors = []
    given = own.model_fields_set
    if "quiet_hours" in given:
        hours, keys = policy.quiet_hours, own.quiet_hours.model_fields_set
        where = path + ("quiet_hours", "to" if "to" in keys or "from" not in keys else "from")
        if hours.from_ >= hours.to:
            errors.append(src.error(where, _("quiet_hours from {start} is not before to {end}: "
                                             "phones may ring from `from` until `to`, within one day")
                                    .format(start=m.hhmm(hours.from_), end=m.hhmm(hours.to))))
        elif not any(hours.from_ <= dt.time(hour) < hours.to for hour in m.TICK_HOURS):
            errors.append(src.error(where, _("quiet_hours {start}–{end} holds no tick (the tick runs "
                                             "hourly, on the hour, {first}–{last}): phones would never get a message")
                                    .format(start=m.hhmm(hours.from_), end=m.hhmm(hours.to),
                                            first=m.hhmm(m.FIRST_TICK), last=m.hhmm(m.LAST_TICK))))
    if {"escalate_after", "stop_after"} & given and policy.escalate_after is not None \
            and policy.escalate_after.calendar_span() > policy.stop_after.calendar_span():
        key = "escalate_after" if "escalate_after" in given else "stop_after"
        errors.append(src.error(path + (key,), _("escalate_after {escalate} is past stop_after {stop}: "
                                                 "nothing is said after stop_after, so the escalation would never go "
                                                 "(raise stop_after or shorten escalate_after)")
                                .format(escalate=policy.escalate_after, stop=policy.stop_after)))
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
            return _("before {offset} of a deadline at {deadline} falls at {at}, and no tick runs from then "
                     "until the deadline (hourly, on the hour, {first}–{last}): the step would "
                     "never be sent; set due.time so that a tick comes before the deadline, or count the step in days").format(
                offset=offset, deadline=m.hhmm(deadline), at=m.hhmm(at), first=m.hhmm(m.FIRST_TICK), last=m.hhmm(m.LAST_TICK))
    return None
# ---------------------------------------------------------------- warnings

def warn_files(files: list[ParsedFile]) -> list[PlanError]:
    """What is valid but probably not meant: an obligation whose every holder is dissolved by its start."""
    from .directory import Directory
    from .errors import PlanWarning

    directory = Directory(units={u.id: u for f in files for u, _p in f.units},
                          groups={g: group for f in files for g, group, _p in f.groups})
    if not any(u.dissolved for u in directory.units.values()):
        return []
    warnings: list[PlanError] = []
    for pf in files:
        if pf.plan is None:
            continue
        header = pf.plan[0]
        events = {e.id: e for e, _p in pf.events}
        for o, path in pf.obligations:
            # an event not yet known cannot happen before the plan starts
            start = known_date(o.from_, events) or header.starts
            units = [u for u in directory.expand(o.lead) if u in directory.units]
            if start is None or not units:
                continue
            if all(directory.holder_by_due(u, start) is None for u in units):
                holders = list(dict.fromkeys(directory.holder_on(u, start) for u in units))
                gone = ", ".join(_("{unit} on {date}").format(unit=h, date=directory.units[h].dissolved)
                                 for h in holders[:3])
                if len(holders) > 3:
                    gone = _("{units} and {count} more").format(units=gone, count=len(holders) - 3)
                warnings.append(PlanWarning.of(pf.source.error(
                    path + ("lead",), _("every holder is dissolved by the obligation's start {start} ({gone}): "
                                        "nobody owes it").format(start=start, gone=gone))))
    return warnings

