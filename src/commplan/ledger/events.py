"""Recording and withdrawing events: a date for a one-time event, instances for a repeating one.

- A one-time event has one date: recording it again replaces it (a person's date wins over the
  plan's). `--undo` forgets the recorded date (the plan's own date, if it has one, applies again).
- A repeating event (`repeats: true`) has instances: each recording adds one (two on one day are two
  instances, numbered 0, 1, … within the day); `--undo` withdraws the latest standing one of that day.
- Undoing removes what it opened: the occurrences nobody touched (no evidence, no excusal, no
  reminder sent or queued) are deleted; the others are kept, marked orphaned by the sync, since
  evidence is never deleted. The occurrences are found by expanding the plan as it was before the
  undo (the ledger does not store which event opened a row).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import Connection, bindparam, select, text
from sqlmodel import col

from ..i18n import _
from ..plan.catalog import Catalog
from ..schedule.occurrences import Expander, Instance
from . import records
from . import tables as t
from .engine import LedgerError

if TYPE_CHECKING:
    from .sync import SyncReport

EARLIEST = dt.date(1970, 1, 1)


@dataclass(frozen=True)
class EventChange:
    """What `commplan event` did, for its confirmation."""

    plan: str
    event: str
    day: dt.date
    repeats: bool
    undo: bool = False
    previous: dt.date | None = None  # a one-time event: the date it had before
    instance: int | None = None  # a repeating event: the instance's number within its day
    standing: int = 0  # a repeating event: instances of that day after the change
    removed: int = 0  # untouched occurrences deleted by an undo
    kept: tuple[int, ...] = field(default=())  # occurrences an undo kept (touched or reminded), orphaned
    report: SyncReport | None = None  # the SyncReport of the re-sync, when there was one


def find_event(connection: Connection, event_id: str, plan: str | None) -> tuple[str, bool, str]:
    """(plan id, repeats, title) of an event known to the ledger."""
    from .api import _suggest

    query = select(col(t.EventRow.plan_id), col(t.EventRow.repeats), col(t.EventRow.title)).where(col(t.EventRow.code) == event_id)
    if plan:
        query = query.where(col(t.EventRow.plan_id) == plan)
    found = connection.execute(query).all()
    if not found:
        known = list(connection.execute(select(col(t.EventRow.code))).scalars())
        raise LedgerError(_("unknown event '{event}'{suggestion}; run `commplan sync` first if the plan is new").format(
            event=event_id, suggestion=_suggest(event_id, known)))
    if len(found) > 1:
        raise LedgerError(_("event '{event}' is in several plans ({plans}): add --plan").format(
            event=event_id, plans=", ".join(r[0] for r in found)))
    plan_id, repeats, title = found[0]
    return plan_id, bool(repeats), title


def add_instance(connection: Connection, plan_id: str, event_id: str, day: dt.date, *, actor: str | None, now: dt.datetime) -> EventChange:
    seq = records.add_event_instance(connection, plan_id, event_id, day, actor=actor, now=now)
    records.audit(connection, actor=actor, action="event-instance", subject=f"{plan_id}/{event_id}",
                  details={"date": day, "instance": seq}, at=now)
    return EventChange(plan_id, event_id, day, repeats=True, instance=seq, standing=_standing(connection, plan_id, event_id, day))


def latest_instance(connection: Connection, plan_id: str, event_id: str, day: dt.date) -> Instance:
    """The instance an undo of `day` withdraws: the latest standing one of that day."""
    found = [seq for d, seq in records.event_instances(connection, plan_id, event_id) if d == day]
    if not found:
        raise LedgerError(nothing_that_day(event_id, day))
    return Instance(day, max(found))


def opened_keys(connection: Connection, catalog: Catalog, plan_id: str, event_id: str, instance: Instance | None,
                horizon: dt.date) -> set[tuple[int, str, dt.date, int]]:
    """The occurrence keys (obligation row id, unit, window start, instance) the event opened, as the plan
    expands them before the undo: for a repeating event, the one-offs of that instance and the recurring
    duties it starts; for a one-time event, everything waiting for it. Only those the undo leaves without
    a reason to exist (orphaned by the re-sync) are removed."""
    plan = catalog.plans.get(plan_id)
    if plan is None:
        return set()
    events = records.recorded_events(connection).get(plan_id, {})
    rows = connection.execute(
        select(col(t.ObligationRow.code), col(t.ObligationRow.id)).where(col(t.ObligationRow.plan_id) == plan_id)).all()
    ids = {code: row_id for code, row_id in rows if row_id is not None}  # a primary key: typed optional, never None
    everything = Expander(plan, catalog.directory, events)
    this_one = Expander(plan, catalog.directory, {**events, event_id: (instance,)}) if instance else everything
    keys: set[tuple[int, str, dt.date, int]] = set()
    for obligation in plan.obligations:
        if obligation.event != event_id or obligation.id not in ids:
            continue
        expander = this_one if obligation.once else everything
        for occurrence in expander.occurrences(obligation, EARLIEST, horizon, by="window"):
            if occurrence.window_start <= horizon:
                keys.add((ids[obligation.id], occurrence.unit, occurrence.window_start, occurrence.instance))
    return keys


def withdraw(connection: Connection, plan_id: str, event_id: str, day: dt.date, repeats: bool, *, actor: str | None, now: dt.datetime) -> EventChange:
    """Withdraw the instance (repeating) or forget the recorded date (one-time); the caller re-syncs."""
    if repeats:
        seq = records.withdraw_event_instance(connection, plan_id, event_id, day, actor=actor, now=now)
        if seq is None:
            raise LedgerError(nothing_that_day(event_id, day))
        records.audit(connection, actor=actor, action="event-instance-withdrawn", subject=f"{plan_id}/{event_id}",
                      details={"date": day, "instance": seq}, at=now)
        return EventChange(plan_id, event_id, day, repeats=True, undo=True, instance=seq,
                           standing=_standing(connection, plan_id, event_id, day))
    recorded, recorded_at = connection.execute(
        select(col(t.EventRow.date), col(t.EventRow.recorded_at)).where(col(t.EventRow.plan_id) == plan_id, col(t.EventRow.code) == event_id)
    ).one()
    if recorded_at is None:
        raise LedgerError(_("event '{event}' has no recorded date: there is nothing to withdraw").format(event=event_id))
    if recorded != day:
        raise LedgerError(_("event '{event}' was recorded on {recorded}, not {date}: nothing was withdrawn").format(
            event=event_id, recorded=f"{recorded:%d/%m/%Y}", date=f"{day:%d/%m/%Y}"))
    records.clear_event(connection, plan_id, event_id)
    records.audit(connection, actor=actor, action="event-withdrawn", subject=f"{plan_id}/{event_id}",
                  details={"date": day}, at=now)
    return EventChange(plan_id, event_id, day, repeats=False, undo=True, previous=day)


def rows_for(connection: Connection, keys: set[tuple[int, str, dt.date, int]]) -> list[tuple[int, bool, bool]]:
    """(id, orphaned, touched) of the ledger's rows with these keys; touched: evidence, an excusal, a
    deadline extension, an acknowledgement or a reminder step (sent or queued) refers to it."""
    if not keys:
        return []
    rows = connection.execute(
        text(
            "SELECT o.id, o.obligation_id, o.unit_id, o.window_start, o.instance, o.orphaned_at,"
            " CASE WHEN EXISTS (SELECT 1 FROM evidence e WHERE e.occurrence_id = o.id)"
            "  OR EXISTS (SELECT 1 FROM excusal x WHERE x.occurrence_id = o.id)"
            "  OR EXISTS (SELECT 1 FROM deadline_extension d WHERE d.occurrence_id = o.id)"
            "  OR EXISTS (SELECT 1 FROM acknowledgement a WHERE a.occurrence_id = o.id)"
            "  OR EXISTS (SELECT 1 FROM reminder r WHERE r.occurrence_id = o.id) THEN 1 ELSE 0 END"
            " FROM occurrence o WHERE o.obligation_id IN :obligations"
        ).bindparams(bindparam("obligations", expanding=True)),
        {"obligations": sorted({k[0] for k in keys})},
    ).all()
    wanted = {(o, u, _date(w), i) for o, u, w, i in keys}
    return [(row_id, orphaned is not None, bool(touched))
            for row_id, obligation_id, unit, start, instance, orphaned, touched in rows
            if (obligation_id, unit, _date(start), instance) in wanted]


def remove_untouched(connection: Connection, keys: set[tuple[int, str, dt.date, int]],
                     before: set[int]) -> tuple[int, tuple[int, ...], int]:
    """After the re-sync: of the rows with these keys that the plans no longer imply (orphaned), delete
    those nobody touched; return (rows gone since `before`, ids kept, rows deleted here)."""
    rows = rows_for(connection, keys)
    doomed = [row_id for row_id, orphaned, touched in rows if orphaned and not touched]
    if doomed:
        connection.execute(text("DELETE FROM occurrence WHERE id IN :ids").bindparams(bindparam("ids", expanding=True)),
                           {"ids": doomed})
    remaining = {row_id for row_id, *_flags in rows} - set(doomed)
    kept = tuple(sorted(row_id for row_id, orphaned, touched in rows if orphaned and touched))
    return len(before - remaining), kept, len(doomed)


def _standing(connection: Connection, plan_id: str, event_id: str, day: dt.date) -> int:
    return sum(1 for d, _seq in records.event_instances(connection, plan_id, event_id) if d == day)


def _date(value: dt.date | str) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def nothing_that_day(event_id: str, day: dt.date) -> str:
    return _("event '{event}' has no instance on {date} to withdraw").format(event=event_id, date=f"{day:%d/%m/%Y}")
