"""What a report link's page shows: one occurrence as seen by the unit the link was issued to.

Read only. `duty` returns None unless the unit is the occurrence's own unit or one of its holders,
so a link can never show (or, through the page, record for) a duty of another unit."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select, text
from sqlmodel import col

from . import tables as t
from .clock import from_db
from .evidence import EvidenceItem
from .status import OccurrenceStatus, Status


@dataclass(frozen=True)
class ReportDuty:
    """The parts of the page the status row does not carry."""

    plan_number: str | None
    plan_title: str
    unit_name: str  # the link's unit (or group), by its full name
    coordinator: str | None  # the coordinating unit's name: whom to ask for a new link
    evidence_kind: str  # link | document | count: what the plan asks for
    settled_at: dt.datetime | None  # when it was met (items in force) or excused, in the plan's timezone
    excuse_reason: str | None


@dataclass(frozen=True)
class ReportView:
    duty: ReportDuty
    status: OccurrenceStatus
    evidence: tuple[EvidenceItem, ...]  # withdrawn items included, by date

    @property
    def settled(self) -> bool:
        return self.status.status in (Status.DONE_ON_TIME, Status.DONE_LATE, Status.EXCUSED)


def duty(connection: Connection, occurrence_id: int, unit: str) -> ReportDuty | None:
    row = connection.execute(
        text(
            "SELECT o.unit_id, o.holders, o.met_at, o.excused_at, o.excuse_reason, p.number, p.title, p.timezone,"
            " p.coordinator_id, ob.evidence_kind"
            " FROM occurrence o JOIN obligation ob ON ob.id = o.obligation_id JOIN plan p ON p.id = ob.plan_id"
            " WHERE o.id = :id"
        ),
        {"id": occurrence_id},
    ).mappings().first()
    if row is None or unit not in (row["unit_id"], *row["holders"].split()):
        return None
    tz = ZoneInfo(row["timezone"])
    excused = row["excused_at"] is not None
    settled = row["excused_at"] if excused else row["met_at"]
    return ReportDuty(
        plan_number=row["number"], plan_title=row["title"], unit_name=_name(connection, unit) or unit,
        coordinator=_name(connection, row["coordinator_id"]) if row["coordinator_id"] else None,
        evidence_kind=row["evidence_kind"], settled_at=from_db(settled).astimezone(tz) if settled is not None else None,
        excuse_reason=row["excuse_reason"] if excused else None,
    )


def _name(connection: Connection, unit: str) -> str | None:
    found = connection.execute(select(col(t.UnitRow.name)).where(col(t.UnitRow.id) == unit)).scalar_one_or_none()
    if found is None:
        found = connection.execute(select(col(t.GroupRow.name)).where(col(t.GroupRow.id) == unit)).scalar_one_or_none()
    return found
