"""Evidence a feed records by itself: which occurrence an article goes to, and whether its link was already counted.

A feed is read every hour and an article stays in it for weeks, and sites re-publish an article
(a new date, the same link). So one duty of one holder counts a link once, whatever period it
reappears in and whether or not someone withdrew it since (a withdrawn match must not come back the
next hour). The question and the insert happen under a lock on every occurrence of the duty for the
holder (PostgreSQL: FOR UPDATE, in id order, so two overlapping runs queue instead of deadlocking;
SQLite: the writer's BEGIN IMMEDIATE already serialises them).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection, RowMapping, select
from sqlmodel import col

from ..status import Status
from . import tables as t
from .evidence import identity

OPEN_STATUSES = (Status.OPEN, Status.OVERDUE)  # what an article may still complete (late: done late)


class FeedOutcome(StrEnum):
    RECORDED = "recorded"  # (or, in a preview, would be)
    ALREADY = "already"  # the duty already has this link, in this period or another (withdrawn included)
    NO_OPEN_DUTY = "no-open-duty"  # no occurrence's window contains the date, or it is done, excused, untracked
    DISMISSED = "dismissed"  # a coordinator dismissed this article for this holder in the triage list


@dataclass(frozen=True)
class FeedRecord:
    outcome: FeedOutcome
    occurred_at: dt.datetime  # the date the article counts with, in the plan's timezone
    occurrence_id: int | None = None  # where it went (recorded), the one that has it (already), or the one not open
    window_start: dt.date | None = None
    window_end: dt.date | None = None
    status: Status | None = None  # the occurrence's status after recording (a preview: before)
    evidence_id: int | None = None  # the item recorded, or the item it repeats; None in a preview


def lock_duty(connection: Connection, obligation_id: int, unit: str, *, lock: bool = True) -> list[RowMapping]:
    """Every occurrence of the duty held by `unit` (id, window, orphaned), locked where the database can."""
    held = select(col(t.OccurrenceHolderRow.occurrence_id)).where(col(t.OccurrenceHolderRow.unit_id) == unit)
    query = (select(col(t.OccurrenceRow.id), col(t.OccurrenceRow.window_start), col(t.OccurrenceRow.window_end),
                    col(t.OccurrenceRow.orphaned_at))
             .where(col(t.OccurrenceRow.obligation_id) == obligation_id, col(t.OccurrenceRow.id).in_(held))
             .order_by(col(t.OccurrenceRow.id)))
    if lock and connection.dialect.name == "postgresql":
        query = query.with_for_update()
    return list(connection.execute(query).mappings().all())


def holder_at(connection: Connection, obligation_id: int, units: Sequence[str], day: dt.date) -> str | None:
    """Which of `units` (a lead and its successors) holds the occurrence an article of `day` goes to (`window_of`):
    the occurrence's holder, decided by its deadline as sync, reminders and reports decide it; None when no
    occurrence of theirs is there."""
    held = select(col(t.OccurrenceHolderRow.occurrence_id)).where(col(t.OccurrenceHolderRow.unit_id).in_(list(units)))
    rows = list(connection.execute(
        select(col(t.OccurrenceRow.id), col(t.OccurrenceRow.window_start), col(t.OccurrenceRow.window_end),
               col(t.OccurrenceRow.orphaned_at), col(t.OccurrenceRow.holders))
        .where(col(t.OccurrenceRow.obligation_id) == obligation_id, col(t.OccurrenceRow.id).in_(held))
    ).mappings().all())
    row = window_of(rows, day)
    if row is None:
        return None
    holding = set(str(row["holders"]).split())
    return next((unit for unit in units if unit in holding), None)


def recorded_link(connection: Connection, occurrence_ids: list[int], link: str) -> tuple[int, int] | None:
    """(evidence id, occurrence id) of an item of these occurrences with the same link, withdrawn or not."""
    if not occurrence_ids:
        return None
    wanted = identity("link", link, None)
    rows = connection.execute(
        select(col(t.EvidenceRow.id), col(t.EvidenceRow.occurrence_id), col(t.EvidenceRow.kind), col(t.EvidenceRow.link))
        .where(col(t.EvidenceRow.occurrence_id).in_(occurrence_ids), col(t.EvidenceRow.link).is_not(None))
        .order_by(col(t.EvidenceRow.id))
    ).all()
    return next(((row.id, row.occurrence_id) for row in rows if identity(row.kind, row.link, None) == wanted), None)


def window_of(rows: list[RowMapping], day: dt.date) -> RowMapping | None:
    """The occurrence an article of `day` goes to: the one whose window contains `day`, else the one whose
    window ended last before it (a `once` duty's window ends on its deadline, and a duty's last period on its
    `until`: an article after them makes them done late, if they are still open or overdue, which the caller
    checks). One the plan still implies comes before an orphaned one. None when every window starts after, and
    in a gap between two windows (a `months:` filter's off season): an article of March is not last July's late
    one; it waits in triage for a person to decide."""
    def as_date(value: dt.date | str) -> dt.date:
        return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])

    ordered = sorted(rows, key=lambda r: (r["orphaned_at"] is not None, as_date(r["window_start"])))
    containing = next((r for r in ordered if as_date(r["window_start"]) <= day <= as_date(r["window_end"])), None)
    if containing is not None:
        return containing
    if any(as_date(r["window_start"]) > day for r in rows if r["orphaned_at"] is None):
        return None  # a later window the plan still implies: `day` is not after the duty's last one
    before = [r for r in ordered if as_date(r["window_end"]) < day]
    return max(before, key=lambda r: (r["orphaned_at"] is None, as_date(r["window_end"])), default=None)
