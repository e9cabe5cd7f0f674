"""Deadline events and the calendar file that carries them.

Conventions (chosen to import the same way into Outlook, Thunderbird, Apple
Calendar and phones):
- A deadline "by the end of day X" is an all-day event on X (DTSTART;VALUE=DATE
  X, DTEND X+1: the end is exclusive). Any other deadline is a 30-minute block
  ending at the deadline, in Asia/Ho_Chi_Minh, so it sits where the work must
  be finished.
- Alarm triggers are relative to DTSTART: RELATED=END is ignored by Outlook.
  Timed event: the alarm fires exactly `before` ahead of the deadline. All-day
  event: `before` is rounded up to whole days and the alarm fires at 08:00 that
  many days before the deadline day (3 days -> 08:00 three days ahead, 0 ->
  08:00 on the day): in office hours rather than at midnight, and never later
  than `due_at - before`. An all-day date is floating, so 08:00 is the viewer's
  local time.
- A met, late, excused or overdue obligation carries no alarms (an overdue
  one's would all be in the past, and ring at once on import). SEQUENCE grows
  with every change a client must take: a moved deadline, evidence, an
  excusal or its revocation; re-importing the update silences the alarms
  imported before.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Component, Event, Timezone, vDuration

from ..plan.values import ID_PATTERN
from ..status import Status
from . import wording

TZID = "Asia/Ho_Chi_Minh"
VN = ZoneInfo(TZID)
PRODID = "-//commplan//commplan//VI"
# The states a ledger status is shown as (Status.calendar), and "due", the calendar's own.
STATES = (*(s.calendar for s in Status if s.calendar), "due")
# Alarms only for what is still to do: the rest has nothing left to remind of, or only in the past
# (an overdue event's alarms would all ring at once on import).
SILENT = frozenset(STATES) - {Status.OPEN.calendar, "due"}
TIMED_LENGTH = dt.timedelta(minutes=30)
ALL_DAY_ALARM_AT = dt.timedelta(hours=8)  # start of the office day
ONE_DAY = dt.timedelta(days=1)


@dataclass(frozen=True, kw_only=True)
class DeadlineEvent:
    """One occurrence's deadline (obligation x holder unit x period), as a calendar shows it."""

    uid: str  # see stable_uid
    plan_number: str  # e.g. 241/KH-UBND
    plan_title: str
    title: str  # the obligation, in Vietnamese
    holder: str  # the unit's display name
    due_at: dt.datetime  # aware
    end_of_day: bool  # "by the end of day X": an all-day event on X's local date
    at_least: int = 1
    delivered: int = 0
    state: str = "open"  # one of STATES
    section: str | None = None  # section of the source document, e.g. III.1
    quote: str | None = None  # the source text
    partners: tuple[str, ...] = ()
    recipients: tuple[str, ...] = ()  # a report's `to:`, as unit names
    indicators: tuple[str, ...] = ()  # the figures a report carries: `name (measure)`
    link: str | None = None  # the one-click report link
    channel: str | None = None  # shown as CATEGORIES, e.g. "Cổng TTĐT"
    alarms: tuple[dt.timedelta, ...] = ()  # how long before the deadline; see the module notes
    sequence: int = 0  # raise it whenever the event changes, so clients take the update

    def __post_init__(self) -> None:
        # Lists are accepted for convenience; tuples keep the event hashable.
        object.__setattr__(self, "partners", tuple(self.partners))
        object.__setattr__(self, "recipients", tuple(self.recipients))
        object.__setattr__(self, "indicators", tuple(self.indicators))
        object.__setattr__(self, "alarms", tuple(self.alarms))
        if self.due_at.tzinfo is None or self.due_at.utcoffset() is None:
            raise ValueError(f"{self.uid}: due_at must be an aware datetime")
        if self.state not in STATES:
            raise ValueError(f"{self.uid}: state must be one of {', '.join(STATES)}, not {self.state!r}")
        if self.at_least < 1 or self.delivered < 0 or self.sequence < 0:
            raise ValueError(f"{self.uid}: at_least must be >= 1, delivered and sequence >= 0")
        if any(before < dt.timedelta(0) for before in self.alarms):
            raise ValueError(f"{self.uid}: alarms are durations before the deadline, not after")

    @property
    def local_due(self) -> dt.datetime:
        return self.due_at.astimezone(VN)

    @property
    def start(self) -> dt.date | dt.datetime:
        return self.local_due.date() if self.end_of_day else self.local_due - TIMED_LENGTH

    @property
    def end(self) -> dt.date | dt.datetime:
        return self.local_due.date() + ONE_DAY if self.end_of_day else self.local_due

    def triggers(self) -> list[tuple[dt.timedelta, dt.timedelta]]:
        """(trigger relative to DTSTART, lead time told to the reader) per alarm, earliest first,
        without repeats (two leads rounded to the same day ring once)."""
        if self.state in SILENT:
            return []
        found: dict[dt.timedelta, dt.timedelta] = {}
        for before in sorted(self.alarms, reverse=True):
            if self.end_of_day:
                lead = ONE_DAY * -(-before // ONE_DAY)  # whole days, rounded up
                found.setdefault(ALL_DAY_ALARM_AT - lead, lead)
            else:
                found.setdefault(TIMED_LENGTH - before, before)
        return list(found.items())


def stable_uid(plan_id: str, obligation_code: str, unit_id: str, window_start: dt.date, instance: int = 0) -> str:
    """`{plan}.{obligation}.{unit}.{YYYYMMDD}@commplan`: built from the plan's ids, not database
    keys, so importing a newer file updates the events instead of duplicating them. Ids may
    contain dots, so a dot inside an id is doubled (`a.b` -> `a..b`) to keep the parts apart.
    A second instance of a repeating event on one day adds `-{instance}` to the date. The unit is the
    one the occurrence was first created for: a row a sync moved to a successor keeps its UID."""
    if isinstance(window_start, dt.datetime) or not isinstance(window_start, dt.date):
        raise TypeError("window_start must be a date")
    parts = (plan_id, obligation_code, unit_id)
    for part in parts:
        if not isinstance(part, str) or not ID_PATTERN.match(part):
            raise ValueError(f"{part!r} is not a plan id (lowercase letters, digits, - _ .)")
    suffix = f"-{instance}" if instance else ""
    return ".".join(part.replace(".", "..") for part in parts) + f".{window_start:%Y%m%d}{suffix}@commplan"


FOLD_AT = 75  # octets: icalendar folds a line once it would reach this length


@lru_cache(maxsize=1)
def _vtimezone_ical() -> bytes:
    # Vietnam has kept +07:00 without daylight saving since 13 June 1975, so from 1976 on the
    # zone is one STANDARD block; generated from zoneinfo rather than written by hand.
    return Timezone.from_tzinfo(VN, tzid=TZID, first_date=dt.date(1976, 1, 1),
                                last_date=dt.date(2100, 1, 1)).to_ical()


def vtimezone() -> Timezone:
    """A fresh VTIMEZONE for Asia/Ho_Chi_Minh (a copy: components are mutable)."""
    zone = Timezone.from_ical(_vtimezone_ical())
    assert isinstance(zone, Timezone)  # from_ical gives the component its BEGIN names
    return zone


def vevent(event: DeadlineEvent, *, now: dt.datetime) -> Event:
    """The VEVENT of one deadline; `now` is its DTSTAMP."""
    component = Event()
    component.add("uid", event.uid)
    component.add("dtstamp", _utc(now))
    component.add("sequence", event.sequence)
    component.add("dtstart", event.start)
    component.add("dtend", event.end)
    component.add("summary", wording.summary(event))
    component.add("description", wording.description(event))
    if event.channel:
        component.add("categories", [event.channel])
    component.add("status", "CANCELLED" if event.state == Status.EXCUSED.calendar else "CONFIRMED")
    component.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
    if event.link:
        component.add("url", event.link)
    for trigger, lead in event.triggers():
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("trigger", trigger)
        alarm.add("description", wording.alarm(event, lead))
        component.add_component(alarm)
    return component


def new_calendar(name: str) -> Calendar:
    """An empty METHOD:PUBLISH calendar named `name`, with the VTIMEZONE: always present, even for
    all-day events only, which also keeps an empty calendar valid (RFC 5545 wants a component)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", TZID)
    calendar.add_component(vtimezone())
    return calendar


def calendar_of(events: Iterable[DeadlineEvent], *, name: str, now: dt.datetime,
                extra: Iterable[tuple[str, str]] = ()) -> bytes:
    """A METHOD:PUBLISH calendar named `name` (CRLF lines, folded at 75 octets). Events are
    ordered by deadline then UID, so the same input gives the same file. `extra` adds calendar
    properties (e.g. REFRESH-INTERVAL for feeds) as (name, value) pairs, written as given."""
    stamp = _utc(now)  # checked even when there are no events
    ordered = sorted(events, key=lambda e: (e.due_at, e.uid))
    uids = [e.uid for e in ordered]
    if len(set(uids)) != len(uids):
        raise ValueError("two events share a UID: a client would keep only one of them")
    head = serialize(new_calendar(name))
    assert head.endswith(b"END:VCALENDAR\r\n")
    head = head[: -len(b"END:VCALENDAR\r\n")]
    lines = [f"{key}:{value}" for key, value in extra]
    for event in ordered:
        lines += vevent_lines(event, stamp)
    body = b"".join(fold(line.encode("utf-8")) + b"\r\n" for line in lines)
    return head + body + b"END:VCALENDAR\r\n"


def vevent_lines(event: DeadlineEvent, stamp: dt.datetime) -> list[str]:
    """The content lines of `vevent(event, now=stamp)`, written directly: the same text, byte for byte
    (tests/test_calendar_events.py checks it), about ten times faster than building icalendar
    components, which matters for a coordinator's feed of thousands of deadlines. Properties in
    icalendar's order: the canonical ones first, the others alphabetically."""
    lines = ["BEGIN:VEVENT", f"SUMMARY:{_text(wording.summary(event))}"]
    if event.end_of_day:
        lines += [f"DTSTART;VALUE=DATE:{event.start:%Y%m%d}", f"DTEND;VALUE=DATE:{event.end:%Y%m%d}"]
    else:
        lines += [f"DTSTART;TZID={TZID}:{event.start:%Y%m%dT%H%M%S}", f"DTEND;TZID={TZID}:{event.end:%Y%m%dT%H%M%S}"]
    lines += [f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}", f"UID:{_text(event.uid)}", f"SEQUENCE:{event.sequence}"]
    if event.channel:
        lines.append(f"CATEGORIES:{_text(event.channel)}")
    lines += [f"DESCRIPTION:{_text(wording.description(event))}",
              f"STATUS:{'CANCELLED' if event.state == Status.EXCUSED.calendar else 'CONFIRMED'}", "TRANSP:TRANSPARENT"]
    if event.link:
        lines.append(f"URL:{event.link}")
    for trigger, lead in event.triggers():
        lines += ["BEGIN:VALARM", "ACTION:DISPLAY", f"DESCRIPTION:{_text(wording.alarm(event, lead))}",
                  f"TRIGGER:{vDuration(trigger).to_ical().decode()}", "END:VALARM"]
    lines.append("END:VEVENT")
    return lines


def _text(value: str) -> str:
    """RFC 5545 TEXT escaping, exactly as icalendar does it (order matters)."""
    return (value.replace("\\N", "\n").replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
            .replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\n"))


def serialize(component: Component) -> bytes:
    """`component.to_ical()`, byte for byte, without its cost: icalendar folds every line character by
    character (most of the time of a large feed), though most lines are short and need no folding."""
    return b"\r\n".join(fold(line.encode("utf-8")) for line in component.content_lines() if line) + b"\r\n"


def fold(data: bytes) -> bytes:
    """RFC 5545 folding exactly as icalendar does it, on bytes: pieces of at most 74 octets (75 with
    the leading space), never inside a UTF-8 character, never right after a backslash or caret
    (some clients would misread a split escape)."""
    if len(data) < FOLD_AT:
        return data
    pieces, start = [], 0
    while len(data) - start >= FOLD_AT:
        end = start + FOLD_AT - 1
        while data[end] & 0xC0 == 0x80:  # a UTF-8 continuation byte: back to the character's start
            end -= 1
        if data[end - 1] in b"\\^" and end - start > 1:
            end -= 1
        pieces.append(data[start:end])
        start = end
    pieces.append(data[start:])
    return b"\r\n ".join(pieces)



def _utc(moment: dt.datetime) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("now must be an aware datetime")
    return moment.astimezone(dt.UTC)
