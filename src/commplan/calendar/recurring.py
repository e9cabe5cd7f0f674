"""The recurring view (`commplan export ics --recurring`): one repeating VEVENT per obligation and holder.

For long horizons a calendar of one event per deadline is large and slow to import; most duties
repeat on a pattern a calendar can state in one line (RRULE). A **series** is the engine's
occurrences of one (plan, obligation, holder) whose deadline falls in the selection's dates; its
**instances** are exactly the event starts the per-occurrence export writes (an end-of-day deadline:
that local date, all day; any other deadline: 30 minutes before it, in Asia/Ho_Chi_Minh).

- The rule is found in the data, not read from the plan's wording: from the instances come a few
  candidates (every N days, weekly on the usual weekday, working days, monthly on the usual day or
  the month's end, every N months, yearly, each also limited to the months the duty is owed in),
  plus the obligation's own `rrule`. Each is laid over the instances; a deadline moved off a day off
  (Tết, 2/9, a weekend) becomes EXDATE (its nominal date) + RDATE (the date it moved to). The
  candidate with the fewest exceptions wins if at most max(2, a quarter of the instances) are off
  the rule (a moved deadline, EXDATE + RDATE, counts once).
- Exact by construction: EXDATE and RDATE are the differences between the instances and the rule
  expanded from DTSTART to UNTIL with dateutil (as RFC 5545 readers such as recurring-ical-events
  expand it), so the file expands to the instances, no more and no fewer.
- DTSTART is an instance of the rule (RFC 5545 leaves an unsynchronised DTSTART undefined) and never
  after the first deadline: when the first deadline was moved, DTSTART is its nominal date, excluded
  by EXDATE. UNTIL is a DATE for all-day series and UTC for timed ones (RFC 5545, 3.3.10).
- Where no rule fits (one or two deadlines, too many exceptions, all-day and timed mixed) the series
  is written as its per-occurrence events, with the UIDs of the normal export (`stable_uid`), so a
  client that has both keeps one event per deadline. So is the second of two deadlines at the same
  moment (a set of instances cannot hold a moment twice), beside the series.
- No per-instance state: no status prefix, no count delivered, no report link, SEQUENCE 0. A rule
  says the same of every period, so this view is for planning ahead; `export ics` without
  `--recurring` tracks compliance.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from itertools import pairwise
from typing import TypeVar

from dateutil import rrule as _rrule
from dateutil.relativedelta import relativedelta
from icalendar import Alarm, Event, vRecur

from ..ledger import Ledger
from ..plan.catalog import Catalog, Plan
from ..plan.directory import Directory
from ..plan.model import Obligation
from ..plan.report_duty import carried_indicators, recipients
from ..plan.values import ID_PATTERN
from ..schedule import Expander, Occurrence
from ..schedule.occurrences import EventValue
from . import wording
from .events import TIMED_LENGTH, VN, DeadlineEvent, new_calendar, serialize, stable_uid, vevent
from .export import END_OF_DAY, Selection, alarms_for, calendar_name, channel_name

# How far around the first and last deadline nominal instances are looked for: more than any holiday
# shift (Tết plus a weekend is about 10 days; schedule.deadlines allows 45).
SLACK = dt.timedelta(days=45)
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
EARLIEST = dt.date(1970, 1, 1)
END_OF_DAY_TIME = dt.time(23, 59, 59)


# ---------------------------------------------------------------- series: the engine's occurrences, grouped

@dataclass(frozen=True)
class Series:
    """One (plan, obligation, holder)'s deadlines in the selection, as the per-occurrence export shows them."""

    plan: str
    obligation: str
    unit: str
    events: tuple[DeadlineEvent, ...]  # by deadline; state "open": the view has no statuses
    rule: str | None = None  # the obligation's own `rrule`, tried as a candidate
    anchor: dt.date | None = None  # the obligation's start: its own rule's phase

    @property
    def all_day(self) -> bool:
        return self.events[0].end_of_day

    @property
    def uniform(self) -> bool:
        """All-day and timed instances cannot share one DTSTART type."""
        return all(e.end_of_day == self.all_day for e in self.events)

    @property
    def starts(self) -> tuple[dt.datetime, ...]:
        """Instance starts as naive local date-times (all-day: midnight), what rules are fitted to."""
        return tuple(_naive(e.start) for e in self.events)


def series_of(catalog: Catalog, selection: Selection, *, events: Mapping[str, Mapping[str, EventValue]] | None = None,
              names: Mapping[str, str] | None = None, today: dt.date | None = None) -> list[Series]:
    """The series of a selection, straight from the engine (pure). `events`: event dates recorded in the
    ledger, by plan; `names`: display names (default: the directory's short names). Open-ended dates:
    from the start of each obligation, to the end of next year from `today` (as `export ics` does)."""
    names = names if names is not None else directory_names(catalog.directory)
    if selection.end is None and today is None:
        raise ValueError("a selection without an end needs `today`")
    start = selection.start or EARLIEST
    if selection.end is not None:
        end = selection.end
    else:
        assert today is not None  # refused just above
        end = dt.date(today.year + 1, 12, 31)
    wanted = _expand_units(catalog.directory, selection.units) if selection.units else None
    out: list[Series] = []
    for plan in catalog.plans.values():
        if selection.plans and plan.id not in selection.plans:
            continue
        expander = Expander(plan, catalog.directory, (events or {}).get(plan.id))
        for obligation in plan.obligations:
            common = _common(plan, obligation, names)
            by_unit: dict[str, list[DeadlineEvent]] = {}
            for occurrence in expander.occurrences(obligation, start, end, by="due"):
                if wanted is None or occurrence.unit in wanted or wanted.intersection(occurrence.holders):
                    by_unit.setdefault(occurrence.unit, []).append(_event(plan, obligation, occurrence, names, common,
                                                                        catalog.directory))
            for unit, found in by_unit.items():
                out.append(Series(plan.id, obligation.id, unit, tuple(sorted(found, key=lambda e: (e.due_at, e.uid))),
                                  rule=obligation.rrule, anchor=expander.start_of(obligation)))
    return out


def directory_names(directory: Directory) -> dict[str, str]:
    """Display names as `Ledger.unit_names` gives them: the short name where it is unique."""
    names = {u: directory.short_name(u) for u in directory.units}
    names.update({g: group.name for g, group in directory.groups.items()})
    return names


def _expand_units(directory: Directory, units: Sequence[str]) -> set[str]:
    # As the ledger's filter: the units, the members of groups (recursively), and the groups themselves,
    # which hold shared duties.
    out: set[str] = set()
    stack = list(units)
    while stack:
        current = stack.pop()
        if current not in out:
            out.add(current)
            group = directory.groups.get(current)
            stack.extend(group.members if group else ())
    return out


def _common(plan: Plan, obligation: Obligation, names: Mapping[str, str]) -> dict:
    # What every deadline of the obligation shares: computed once, not per occurrence.
    return dict(
        plan_number=plan.header.number or plan.id, plan_title=plan.header.title, title=obligation.title,
        section=str(obligation.ref) if obligation.ref is not None else None, quote=obligation.quote,
        partners=tuple(names.get(p, p) for p in obligation.partners), channel=channel_name(obligation.channel),
        alarms=alarms_for(plan, obligation), indicators=tuple(i.label for i in carried_indicators(plan, obligation)),
    )


def _event(plan: Plan, obligation: Obligation, occurrence: Occurrence, names: Mapping[str, str],
           common: dict, directory: Directory) -> DeadlineEvent:
    # The per-occurrence export's event (calendar.export.deadline_events), without the ledger's state.
    local = occurrence.due  # the engine gives it in the plan's timezone, where "end of day" is judged
    return DeadlineEvent(
        uid=stable_uid(plan.id, obligation.id, occurrence.unit, occurrence.window_start, occurrence.instance),
        holder=names.get(occurrence.unit, occurrence.unit), due_at=occurrence.due,
        end_of_day=(local.hour, local.minute) == END_OF_DAY, at_least=occurrence.at_least,
        recipients=recipients(directory, obligation, local) if obligation.to else (), **common,
    )


# ---------------------------------------------------------------- fitting a rule (pure, on naive local times)

@dataclass(frozen=True)
class Fit:
    rule: str  # RRULE parts without UNTIL, e.g. "FREQ=MONTHLY;BYMONTHDAY=25"
    start: dt.datetime  # DTSTART: the first nominal instance, never after the first real one
    until: dt.datetime  # the last nominal instance
    exdates: tuple[dt.datetime, ...]  # nominal instances with no deadline (moved away)
    rdates: tuple[dt.datetime, ...]  # deadlines off the rule (moved there)
    own: bool = False  # the obligation's own `rrule`

    @property
    def exceptions(self) -> int:
        return len(self.exdates) + len(self.rdates)

    @property
    def off_rule(self) -> int:
        """Deadlines that do not follow the rule: a moved one is an EXDATE and an RDATE, counted once."""
        return max(len(self.exdates), len(self.rdates))


def allowed_exceptions(count: int) -> int:
    """How many deadlines of `count` may be off the rule for it to be worth stating."""
    return max(2, count // 4)


@lru_cache(maxsize=2048)  # the holders of one obligation mostly share their deadlines
def find_fit(starts: tuple[dt.datetime, ...], rule: str | None = None, anchor: dt.date | None = None) -> Fit | None:
    """The rule generating `starts` (sorted, naive local) with the fewest exceptions, or None when
    there are fewer than 3, a moment repeats (a set cannot say it twice) or no rule is close enough."""
    if len(starts) < 3 or len(set(starts)) != len(starts):
        return None
    best: Fit | None = None
    for text, phase, step, own in candidates(starts, rule, anchor):
        fit = _fit(text, phase, step, starts, own)
        if fit is not None and (best is None or fit.exceptions < best.exceptions):
            best = fit  # strict: on a tie the earlier (plainer) candidate stays
    if best is None or best.off_rule > allowed_exceptions(len(starts)):
        return None
    return best


def candidates(starts: tuple[dt.datetime, ...], rule: str | None = None,
               anchor: dt.date | None = None) -> Iterator[tuple[str, dt.datetime, relativedelta | None, bool]]:
    """(rule text, a datetime on its phase, one step of it, own?) in order of preference. The phase
    matters for INTERVAL > 1: the first three instances are tried, any may be a moved one."""
    days = [s.date() for s in starts]
    at = _mode(s.time() for s in starts)
    if rule and anchor:
        yield _bare(rule), dt.datetime.combine(anchor, at), None, True
    gap = _mode((b - a).days for a, b in pairwise(days))
    weekday = WEEKDAYS[_mode(d.weekday() for d in days)]
    found: list[tuple[str, relativedelta]] = []
    if gap < 28:
        if gap % 7 == 0:
            found.append((f"FREQ=WEEKLY{_interval(gap // 7)};BYDAY={weekday}", relativedelta(weeks=gap // 7)))
        found.append((f"FREQ=DAILY{_interval(gap)}", relativedelta(days=gap)))
        if gap == 1:
            found.append(("FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR", relativedelta(weeks=1)))
    else:
        months = _mode((b.year - a.year) * 12 + b.month - a.month for a, b in pairwise(days))
        if months >= 1:
            day = _month_day(days)
            plain = [f"FREQ=MONTHLY{_interval(months)};BYMONTHDAY={day}"]
            step = relativedelta(months=months)
            if months % 12 == 0:
                month = _mode(d.month for d in days)
                plain.insert(0, f"FREQ=YEARLY{_interval(months // 12)};BYMONTH={month};BYMONTHDAY={day}")
                step = relativedelta(years=months // 12)
            found += [(text, step) for text in plain]
            found.append((f"FREQ=MONTHLY{_interval(months)};BYDAY={_nth_weekday(days)}", relativedelta(months=months)))
            # "the 5th working day of the month" (after_end: 5 workdays), "the last working day"
            found.append((f"FREQ=MONTHLY{_interval(months)};BYDAY=MO,TU,WE,TH,FR;BYSETPOS={_nth_workday(days)}",
                          relativedelta(months=months)))
            # "the 24th, or the next working day": weekends moved by the rule itself, only holidays left over
            found += [(f"{text.rsplit(';', 1)[0]};{moved}", step) for text in plain for moved in _workday_days(day)]
    season = _season(days, fine=gap < 28)
    if season:  # `months: [...]`: the same rules, only in the months the duty is owed in
        found += [(f"{text};BYMONTH={season}", step) for text, step in found if "BYMONTH=" not in text]
    for text, step in found:
        for first in days[:3] if "INTERVAL=" in text else days[:1]:
            yield text, dt.datetime.combine(first, at), step, False


def _fit(text: str, phase: dt.datetime, step: relativedelta | None, starts: tuple[dt.datetime, ...],
         own: bool) -> Fit | None:
    low, high = starts[0] - SLACK, starts[-1] + SLACK
    dtstart, back = phase, 0
    while step is not None and dtstart > low:  # step back whole intervals: the phase is kept
        back += 1
        dtstart = phase - step * back
    try:
        nominal = _rrule.rrulestr(text, dtstart=dtstart).between(low, high, inc=True)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        return None
    wanted = set(starts)
    run = _best_run([1 if moment in wanted else -1 for moment in nominal])
    if run is None:
        return None
    first, last = run
    while first > 0 and nominal[first] > starts[0]:
        first -= 1  # DTSTART no later than the first deadline (an RDATE before DTSTART confuses clients)
    start, until = nominal[first], nominal[last]
    if start > starts[0]:
        return None
    # What a reader will expand: from DTSTART, to UNTIL inclusive.
    made = _rrule.rrulestr(text, dtstart=start).between(start, until, inc=True)
    if not made or made[0] != start:
        return None
    made_set = set(made)
    return Fit(text, start, until, tuple(sorted(made_set - wanted)), tuple(sorted(wanted - made_set)), own)


def _best_run(scores: list[int]) -> tuple[int, int] | None:
    """The stretch of nominal instances with the most hits minus misses (Kadane), or None if none pays."""
    best, best_run = 0, None
    total, begin = 0, 0
    for i, score in enumerate(scores):
        if total <= 0:
            total, begin = 0, i
        total += score
        if total > best or (best_run and total == best and begin == best_run[0]):
            best, best_run = total, (begin, i)  # on a tie the run goes on: the rule reaches the last deadline
    return best_run


def _bare(rule: str) -> str:
    # The plan's own rule without COUNT/UNTIL: the series has its own end (UNTIL), and RFC 5545 forbids both.
    text = rule.strip().upper()
    text = text[6:] if text.startswith("RRULE:") else text
    return ";".join(p for p in text.split(";") if p and not p.startswith(("COUNT=", "UNTIL=")))


def _interval(count: int) -> str:
    return f";INTERVAL={count}" if count > 1 else ""


_Counted = TypeVar("_Counted", int, dt.time)


def _mode(values: Iterable[_Counted]) -> _Counted:
    counts = Counter(values)
    return max(counts, key=lambda v: (counts[v], -_order(v)))  # ties: the smallest, for stable output


def _order(value: int | dt.time) -> float:
    if isinstance(value, dt.time):
        return value.hour * 3600 + value.minute * 60 + value.second
    return value


def _month_day(days: list[dt.date]) -> int:
    """The usual day of the month, or -1 when month ends are at least as usual (the 28th..31st)."""
    usual = _mode(d.day for d in days)
    ends = sum((d + dt.timedelta(days=1)).day == 1 for d in days)
    return -1 if ends >= sum(d.day == usual for d in days) else usual


def _workday_days(day: int) -> list[str]:
    """The standard RRULE for a day moved off a weekend: the first (or last) Monday-to-Friday among it and
    the two days after (before) it. Only where those days exist in every month, so the rule never
    reaches into another month."""
    weekdays = "BYDAY=MO,TU,WE,TH,FR"
    out = []
    if 1 <= day <= 26:
        out.append(f"BYMONTHDAY={day},{day + 1},{day + 2};{weekdays};BYSETPOS=1")
    if 3 <= day <= 28:
        out.append(f"BYMONTHDAY={day - 2},{day - 1},{day};{weekdays};BYSETPOS=-1")
    return out


def _nth_weekday(days: list[dt.date]) -> str:
    """The usual "n-th weekday of the month" (1MO, -1FR), for rules such as the first Monday."""
    labels: Counter = Counter()
    for d in days:
        labels[f"{(d.day - 1) // 7 + 1}{WEEKDAYS[d.weekday()]}"] += 1
        if (d + dt.timedelta(days=7)).month != d.month:
            labels[f"-1{WEEKDAYS[d.weekday()]}"] += 1
    return max(sorted(labels), key=lambda label: labels[label])


def _nth_workday(days: list[dt.date]) -> int:
    """The usual place of the day among the month's Mondays to Fridays: 5 (the fifth), -1 (the last)."""
    labels: Counter = Counter()
    for d in days:
        if d.weekday() < 5:
            month = [d.replace(day=k) for k in range(1, _calendar.monthrange(d.year, d.month)[1] + 1)]
            workdays = [k for k in month if k.weekday() < 5]
            index = workdays.index(d)
            labels[index + 1] += 1
            labels[index - len(workdays)] += 1
    return max(sorted(labels), key=lambda label: labels[label]) if labels else 1


def _season(days: list[dt.date], *, fine: bool) -> str | None:
    """The months a seasonal duty is owed in, as BYMONTH. Weekly or daily: months holding two or more
    deadlines of one year (a week that starts in an owed month may end in the next one); coarser: every
    month with a deadline. None when that is the whole year."""
    per_month = Counter((d.year, d.month) for d in days)
    months = {m for (_, m), n in per_month.items() if n >= 2} if fine else {m for _, m in per_month}
    if not months or len(months) == 12:
        return None
    return ",".join(str(m) for m in sorted(months))


# ---------------------------------------------------------------- components

def series_uid(plan_id: str, obligation_code: str, unit_id: str) -> str:
    """`{plan}.{obligation}.{unit}.series@commplan`, dots in ids doubled as in `stable_uid`."""
    parts = (plan_id, obligation_code, unit_id)
    for part in parts:
        if not ID_PATTERN.match(part):
            raise ValueError(f"{part!r} is not a plan id (lowercase letters, digits, - _ .)")
    return ".".join(part.replace(".", "..") for part in parts) + ".series@commplan"


def series_components(series: Series, *, now: dt.datetime) -> list[Event]:
    """One repeating VEVENT when a rule fits, else one VEVENT per deadline. Two deadlines at one moment
    (two weeks' deadlines moved onto the same day before Tết) cannot both be instances of a set: the
    second one is written as its own event beside the series."""
    if not series.uniform:
        return [single_vevent(event, now=now) for event in series.events]
    seen: set[dt.datetime] = set()
    kept: list[DeadlineEvent] = []
    repeated: list[DeadlineEvent] = []
    for event, start in zip(series.events, series.starts, strict=True):
        (repeated if start in seen else kept).append(event)
        seen.add(start)
    rest = replace(series, events=tuple(kept))
    fit = find_fit(rest.starts, rest.rule, rest.anchor if rest.rule else None)
    if fit is None:
        return [single_vevent(event, now=now) for event in series.events]
    return [repeating_vevent(rest, fit, now=now)] + [single_vevent(event, now=now) for event in repeated]


def single_vevent(event: DeadlineEvent, *, now: dt.datetime) -> Event:
    """The per-occurrence event (same UID as the normal export), its text without a status."""
    component = vevent(event, now=now)
    del component["DESCRIPTION"]
    component.add("description", wording.planning_description(event))
    return component


def repeating_vevent(series: Series, fit: Fit, *, now: dt.datetime) -> Event:
    all_day = series.all_day
    model = replace(series.events[0], due_at=_deadline(fit.start, all_day),  # the DTSTART instance
                    recipients=_recipients_over(series.events))
    rule = dict(part.split("=", 1) for part in fit.rule.split(";"))
    recur = vRecur.from_ical(fit.rule)
    recur["UNTIL"] = [fit.until.date() if all_day else fit.until.replace(tzinfo=VN).astimezone(dt.UTC)]
    component = Event()
    component.add("uid", series_uid(series.plan, series.obligation, series.unit))
    component.add("dtstamp", _utc(now))
    component.add("sequence", 0)
    component.add("dtstart", model.start)
    component.add("dtend", model.end)
    component.add("rrule", recur)
    if fit.exdates:
        component.add("exdate", [_value(moment, all_day) for moment in fit.exdates])
    if fit.rdates:
        component.add("rdate", [_value(moment, all_day) for moment in fit.rdates])
    component.add("summary", wording.summary(model))
    component.add("description", wording.series_description(
        model, repeats=wording.repeats(rule, None if all_day else model.local_due.time(), own=fit.own),
        count=len(series.events), first=series.events[0], last=series.events[-1],
        skipped=[_shown(m, all_day) for m in fit.exdates], added=[_shown(m, all_day) for m in fit.rdates]))
    if model.channel:
        component.add("categories", [model.channel])
    component.add("status", "CONFIRMED")
    component.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
    for trigger, lead in model.triggers():  # relative to DTSTART: the same for every instance
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", trigger)
        alarm.add("description", wording.series_alarm(model, lead))
        component.add_component(alarm)
    return component


def recurring_components(catalog: Catalog, selection: Selection, *, now: dt.datetime,
                         events: Mapping[str, Mapping[str, EventValue]] | None = None,
                         names: Mapping[str, str] | None = None) -> list[Event]:
    """The VEVENTs of a selection (pure), ordered by first deadline then UID: the same input, the same file."""
    today = _utc(now).astimezone(VN).date()
    keyed = []
    for series in series_of(catalog, selection, events=events, names=names, today=today):
        first = series.events[0]
        for component in series_components(series, now=now):
            keyed.append(((first.due_at, str(component["UID"])), component))
    return [component for _, component in sorted(keyed, key=lambda pair: pair[0])]


def recurring_ics(catalog: Catalog, selection: Selection, *, now: dt.datetime,
                  events: Mapping[str, Mapping[str, EventValue]] | None = None,
                  names: Mapping[str, str] | None = None) -> tuple[bytes, int]:
    """The VCALENDAR of a selection and its number of VEVENTs (pure): headers and VTIMEZONE as `calendar_of`."""
    names = names if names is not None else directory_names(catalog.directory)
    components = recurring_components(catalog, selection, now=now, events=events, names=names)
    name = selection.name or f"{calendar_name(selection, dict(names), catalog)} (lịch lặp)"
    calendar = new_calendar(name)
    for component in components:
        calendar.add_component(component)
    return serialize(calendar), len(components)


# ---------------------------------------------------------------- from the ledger

def recurring_calendar(ledger: Ledger, catalog: Catalog, selection: Selection, *,
                       now: dt.datetime) -> tuple[bytes, int]:
    """The recurring calendar of a selection, with the event dates and unit names the ledger knows
    (an obligation waiting for an event repeats once its date is recorded)."""
    events = ledger.recorded_events()
    # the ledger's names (what the per-occurrence export shows), the directory's for units not synced yet
    names = {**directory_names(catalog.directory), **ledger.unit_names()}
    return recurring_ics(catalog, selection, now=now, events=events, names=names)


# ---------------------------------------------------------------- small helpers

def _recipients_over(events: Sequence[DeadlineEvent]) -> tuple[str, ...]:
    """The recipients of a series: one, or each with the first deadline it receives when a recipient
    merges into another during the series (`Sở KH&CN (từ hạn 25/03/2025)`)."""
    changes: list[DeadlineEvent] = []
    for event in events:
        if not changes or event.recipients != changes[-1].recipients:
            changes.append(event)
    if len(changes) == 1:
        return changes[0].recipients
    return tuple(f"{'; '.join(e.recipients) or '—'} (từ hạn {e.local_due:%d/%m/%Y})" if i else '; '.join(e.recipients)
                 for i, e in enumerate(changes))


def _naive(start: dt.date | dt.datetime) -> dt.datetime:
    if isinstance(start, dt.datetime):
        return start.astimezone(VN).replace(tzinfo=None)
    return dt.datetime.combine(start, dt.time())


def _deadline(start: dt.datetime, all_day: bool) -> dt.datetime:
    """The deadline whose event starts at `start` (the inverse of DeadlineEvent.start)."""
    if all_day:
        return dt.datetime.combine(start.date(), END_OF_DAY_TIME, tzinfo=VN)
    return (start + TIMED_LENGTH).replace(tzinfo=VN)


def _value(moment: dt.datetime, all_day: bool) -> dt.date | dt.datetime:
    # EXDATE and RDATE take DTSTART's value type: a DATE, or a date-time with TZID.
    return moment.date() if all_day else moment.replace(tzinfo=VN)


def _shown(moment: dt.datetime, all_day: bool) -> dt.date | dt.datetime:
    # The description speaks of deadlines, not of event starts.
    return moment.date() if all_day else moment + TIMED_LENGTH


def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    return moment.astimezone(dt.UTC)
