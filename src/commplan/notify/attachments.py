"""The .ics attached to a reminder email: one event per occurrence the message is about.

Built with the calendar module's builder, so the event a unit imports from an
email is the very event (same UID) its calendar feed later updates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from ..calendar import DeadlineEvent, calendar_of, stable_uid
from ..calendar.export import alarms_for, channel_name
from ..plan.catalog import Catalog
from ..plan.report_duty import carried_indicators, recipients
from ..status import Status

VN = ZoneInfo("Asia/Ho_Chi_Minh")


def is_end_of_day(due: dt.datetime) -> bool:
    """"Trước ngày 25": the deadline is the last minute of a day, shown as an all-day event."""
    local = due.astimezone(VN)
    return (local.hour, local.minute) == (23, 59)


def occurrences_ics(catalog: Catalog, steps: list[dict], names: dict[str, str], *, now: dt.datetime,
                    link: Callable[[dict], str | None]) -> str | None:
    events: dict[str, DeadlineEvent] = {}
    for step in steps:
        plan = catalog.plans.get(step["plan_id"])
        try:
            obligation = plan.obligation(step["code"]) if plan else None
        except KeyError:  # renamed or removed from the plan since the step was queued
            obligation = None
        if plan is None or obligation is None:
            continue
        uid = stable_uid(step["plan_id"], step["code"], step.get("uid_unit", step["unit_id"]), step["window_start"],
                         step.get("instance", 0))
        events[uid] = DeadlineEvent(
            uid=uid, plan_number=plan.header.number or plan.id, plan_title=plan.header.title, title=obligation.title,
            holder=names.get(step["unit_id"], step["unit_id"]), due_at=step["due_at"],
            end_of_day=is_end_of_day(step["due_at"]), at_least=step["at_least"], delivered=step["delivered"],
            state=(Status.OVERDUE if step["due_at"] < now else Status.OPEN).calendar_state,
            section=str(obligation.ref) if obligation.ref is not None else None, quote=obligation.quote,
            partners=tuple(names.get(p, p) for p in obligation.partners), link=link(step),
            recipients=recipients(catalog.directory, obligation, step["due_at"].astimezone(VN)),
            indicators=tuple(i.label for i in carried_indicators(plan, obligation)),
            channel=channel_name(obligation.channel), alarms=alarms_for(plan, obligation),
        )
    if not events:
        return None
    return calendar_of(events.values(), name="Nhắc việc commplan", now=now).decode()
