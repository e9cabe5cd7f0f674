"""Deadline extensions (gia hạn): a coordinator moves occurrences' deadlines later, with a reason (a storm,
a reorganisation). The occurrence's `due_at` takes the new deadline, so statuses, the overdue list,
reminders and calendars all follow it; its `deadline_extension` row keeps the previous one and makes the
occurrence touched, so a later sync keeps the extension instead of restoring the plan's deadline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, insert, select, update
from sqlmodel import col

from ..i18n import _
from . import records
from . import tables as t
from .clock import from_db, to_db
from .engine import LedgerError


@dataclass(frozen=True)
class Extension:
    occurrence_id: int
    previous_due: dt.datetime  # in the plan's timezone
    due: dt.datetime


def _timezone(connection: Connection, obligation_id: int) -> ZoneInfo:
    name = connection.execute(select(col(t.PlanRow.timezone)).join(
        t.table_of(t.ObligationRow), col(t.ObligationRow.plan_id) == col(t.PlanRow.id))
        .where(col(t.ObligationRow.id) == obligation_id)).scalar_one()
    return ZoneInfo(name)


def new_deadline(to: dt.date | dt.datetime, tz: ZoneInfo) -> dt.datetime:
    """A day means its end (23:59:59, as a plan's deadline without a time); an instant without offset is the plan's time."""
    if isinstance(to, dt.datetime):
        return to if to.tzinfo else to.replace(tzinfo=tz)
    return dt.datetime.combine(to, dt.time(23, 59, 59), tzinfo=tz)


def extend(connection: Connection, occurrence_id: int, to: dt.date | dt.datetime, reason: str, *, actor: str | None,
           now: dt.datetime) -> Extension:
    row = records.lock_occurrence(connection, occurrence_id)
    if row is None:
        raise LedgerError(_("no occurrence #{occurrence}").format(occurrence=occurrence_id))
    tz = _timezone(connection, row["obligation_id"])
    previous, due = from_db(row["due_at"]).astimezone(tz), new_deadline(to, tz).astimezone(tz)
    if due <= previous:
        raise LedgerError(_("occurrence #{occurrence} is due {previous}: an extension moves the deadline later").format(
            occurrence=occurrence_id, previous=f"{previous:%H:%M %d/%m/%Y}"))
    connection.execute(insert(t.DeadlineExtensionRow).values(
        occurrence_id=occurrence_id, previous_due_at=to_db(previous), due_at=to_db(due), reason=reason,
        extended_at=to_db(now), extended_by=actor))
    # the calendar event changes: its SEQUENCE goes up, as when a sync moves a deadline
    connection.execute(update(t.OccurrenceRow).where(col(t.OccurrenceRow.id) == occurrence_id).values(
        due_at=to_db(due), updated_at=to_db(now), sequence=col(t.OccurrenceRow.sequence) + 1))
    return Extension(occurrence_id, previous, due)
