"""Calendars from the ledger: a unit's (everything it owes, across plans) or a coordinator's (every
holder's deadlines of the plans it tracks), one VEVENT per occurrence with its current status.

The same function serves `commplan export ics` and the subscription feeds; a
feed passes the selection's last change as `now`, so that the same ledger
state always gives the same bytes (and the same ETag).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from ..ledger import Ledger
from ..plan.catalog import Catalog, Plan
from ..plan.model import Channel, Obligation
from ..plan.report_duty import carried_indicators, recipients
from ..schedule.reminders import _span
from ..status import Status
from .events import DeadlineEvent, calendar_of, stable_uid

ReportLink = Callable[[int, str], str]  # (occurrence id, unit) -> the one-click report link

# ledger status -> the calendar's state (wording.py gives the Vietnamese prefix)
STATES = {s.value: s.calendar_state for s in Status}
END_OF_DAY = (23, 59)
# CATEGORIES, as the agencies name their channels
CHANNEL_NAMES = {
    "portal": "Cổng thông tin điện tử", "newspaper": "Báo chí", "television": "Truyền hình", "radio": "Phát thanh",
    "grassroots-radio": "Truyền thanh cơ sở", "social": "Mạng xã hội", "print": "Ấn phẩm", "conference": "Hội nghị",
    "email": "Thư điện tử", "other": "Khác",
}


def alarms_for(plan: Plan, obligation: Obligation) -> tuple[dt.timedelta, ...]:
    """A VALARM per reminder step before the deadline, and one at it when the policy says `on_due`."""
    policy = plan.reminders_for(obligation)
    return tuple(_span(d) for d in policy.before) + ((dt.timedelta(0),) if policy.on_due else ())


def channel_name(channel: Channel | str | None) -> str | None:
    """The Vietnamese category of an obligation's channel (a plan's `channel:`), or None."""
    return CHANNEL_NAMES.get(getattr(channel, "value", channel)) if channel else None


@dataclass(frozen=True)
class Selection:
    units: tuple[str, ...] = ()  # a unit's calendar (a group: each member's)
    plans: tuple[str, ...] = ()  # limit to these plans
    start: dt.date | None = None  # deadlines on or after
    end: dt.date | None = None  # deadlines on or before
    coordinator: bool = False  # every holder's deadlines, the holder named in each summary
    name: str | None = field(default=None, compare=False)


def coordinated_by(catalog: Catalog, units: tuple[str, ...]) -> tuple[str, ...]:
    """The plans these units coordinate: a coordinator's calendar holds every holder's deadlines of them."""
    return tuple(sorted(p.id for p in catalog.plans.values() if p.header.coordinator in units))


def calendar_name(selection: Selection, names: dict[str, str], catalog: Catalog) -> str:
    if selection.name:
        return selection.name
    if selection.units:
        return "Lịch nhiệm vụ: " + ", ".join(names.get(u, u) for u in selection.units)
    plans = selection.plans or tuple(sorted(catalog.plans))
    numbers = [catalog.plans[p].header.number or p for p in plans if p in catalog.plans]
    return "Lịch theo dõi kế hoạch " + ", ".join(numbers)


def deadline_events(ledger: Ledger, catalog: Catalog, selection: Selection, *, as_of: dt.datetime,
                    link: ReportLink | None = None) -> tuple[list[DeadlineEvent], dt.datetime | None]:
    """The events of a selection and the moment the newest of them last changed (None if none).
    `link(occurrence id, unit)` gives the one-click report link, when the web app is configured."""
    names = ledger.unit_names()
    rows = ledger.calendar_rows(as_of=as_of, plans=selection.plans, units=selection.units,
                                start=selection.start, end=selection.end)
    events = []
    labels: dict[tuple[str, str], tuple[str, ...]] = {}  # per obligation, not per row: feeds hold thousands
    for row in rows:
        plan = catalog.plans.get(row["plan"])
        try:
            obligation = plan.obligation(row["obligation"]) if plan else None
        except KeyError:
            obligation = None
        if plan is None or obligation is None:  # in the ledger, no longer among the plans given (edited since)
            continue
        local = row["due"].astimezone(ZoneInfo(plan.header.timezone))
        if (plan.id, obligation.id) not in labels:
            labels[plan.id, obligation.id] = tuple(i.label for i in carried_indicators(plan, obligation))
        events.append(DeadlineEvent(
            uid=stable_uid(row["plan"], row["obligation"], row["uid_unit"], row["window_start"], row["instance"]),
            plan_number=plan.header.number or plan.id, plan_title=plan.header.title, title=obligation.title,
            holder=names.get(row["unit"], row["unit"]), due_at=row["due"],
            end_of_day=(local.hour, local.minute) == END_OF_DAY, at_least=row["at_least"],
            delivered=row["delivered"], state=STATES[row["status"]],
            section=str(obligation.ref) if obligation.ref is not None else None, quote=obligation.quote,
            partners=tuple(names.get(p, p) for p in obligation.partners),
            recipients=recipients(catalog.directory, obligation, local),
            indicators=labels[plan.id, obligation.id],
            link=link(row["id"], row["unit"]) if link else None, channel=channel_name(obligation.channel),
            alarms=alarms_for(plan, obligation), sequence=row["sequence"],
        ))
    return events, max((row["changed_at"] for row in rows), default=None)


def export_calendar(ledger: Ledger, catalog: Catalog, selection: Selection, *, as_of: dt.datetime,
                    now: dt.datetime | None = None, link: ReportLink | None = None) -> tuple[bytes, dt.datetime | None]:
    """The iCalendar file of a selection, and its last change. DTSTAMP is `now`, or the last change
    (a feed: the same state, the same bytes)."""
    events, changed = deadline_events(ledger, catalog, selection, as_of=as_of, link=link)
    stamp = now or changed or as_of
    return calendar_of(events, name=calendar_name(selection, ledger.unit_names(), catalog), now=stamp), changed
