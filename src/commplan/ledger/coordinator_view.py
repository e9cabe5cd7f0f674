"""What the coordinator's dashboard reads beyond statuses: one occurrence whole (its holders, its plan,
its excusals and deadline extensions, history included), and the reminders nobody received.

Read only. The web layer decides who may see what (`users.Scope`); these queries only narrow by
what they are asked for, so a page can check an occurrence's holders before showing it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BindParameter, Connection, bindparam, select, text
from sqlmodel import col

from . import tables as t
from .clock import from_db
from .evidence import EvidenceItem
from .status import OccurrenceStatus


@dataclass(frozen=True)
class Excusal:
    reason: str
    at: dt.datetime  # in the plan's timezone
    by: str | None
    revoked_at: dt.datetime | None
    revoked_by: str | None


@dataclass(frozen=True)
class DeadlineMove:
    """One gia hạn: the deadline before and after, why, when and by whom."""

    previous_due: dt.datetime  # in the plan's timezone
    due: dt.datetime
    reason: str
    at: dt.datetime
    by: str | None


@dataclass(frozen=True)
class OccurrenceParts:
    """What an occurrence's page shows besides its status row and evidence."""

    holders: tuple[str, ...]  # every unit that owes it (more than one when shared); its own unit first
    plan_number: str | None
    plan_title: str
    evidence_kind: str
    excusals: tuple[Excusal, ...]  # oldest first; the active one has no revoked_at
    extensions: tuple[DeadlineMove, ...]  # oldest first


@dataclass(frozen=True)
class OccurrenceView:
    status: OccurrenceStatus
    parts: OccurrenceParts
    evidence: tuple[EvidenceItem, ...]  # withdrawn items included

    @property
    def holders(self) -> tuple[str, ...]:
        return self.parts.holders

    @property
    def excusal(self) -> Excusal | None:
        """The excusal in force, if any."""
        return next((x for x in reversed(self.parts.excusals) if x.revoked_at is None), None)


@dataclass(frozen=True)
class Undelivered:
    """A reminder that ended failed or unknown and was not handed on to a fallback route."""

    id: int
    recipient: str  # a unit id
    channel: str
    status: str  # failed | unknown
    attempts: int
    error: str | None
    closed_at: dt.datetime | None  # UTC
    created_at: dt.datetime
    occurrence_ids: tuple[int, ...]  # the occurrences whose steps it carried


def parts(connection: Connection, occurrence_id: int) -> OccurrenceParts | None:
    row = connection.execute(
        text(
            "SELECT o.unit_id, o.holders, p.number, p.title, p.timezone, ob.evidence_kind"
            " FROM occurrence o JOIN obligation ob ON ob.id = o.obligation_id JOIN plan p ON p.id = ob.plan_id"
            " WHERE o.id = :id"
        ),
        {"id": occurrence_id},
    ).mappings().first()
    if row is None:
        return None
    tz = ZoneInfo(row["timezone"])

    def local(value: dt.datetime | str | None) -> dt.datetime | None:
        return from_db(value).astimezone(tz) if value is not None else None

    x = t.ExcusalRow
    excusals = tuple(
        Excusal(r.reason, from_db(r.excused_at).astimezone(tz), r.excused_by, local(r.revoked_at), r.revoked_by)
        for r in connection.execute(select(col(x.reason), col(x.excused_at), col(x.excused_by), col(x.revoked_at),
                                           col(x.revoked_by)).where(col(x.occurrence_id) == occurrence_id)
                                    .order_by(col(x.id)))
    )
    d = t.DeadlineExtensionRow
    extensions = tuple(
        DeadlineMove(from_db(r.previous_due_at).astimezone(tz), from_db(r.due_at).astimezone(tz), r.reason,
                     from_db(r.extended_at).astimezone(tz), r.extended_by)
        for r in connection.execute(select(col(d.previous_due_at), col(d.due_at), col(d.reason), col(d.extended_at),
                                           col(d.extended_by)).where(col(d.occurrence_id) == occurrence_id)
                                    .order_by(col(d.id)))
    )
    holders = tuple(dict.fromkeys([row["unit_id"], *row["holders"].split()]))
    return OccurrenceParts(holders=holders, plan_number=row["number"], plan_title=row["title"],
                           evidence_kind=row["evidence_kind"], excusals=excusals, extensions=extensions)


def undelivered(connection: Connection, recipients: Collection[str] | None, limit: int) -> list[Undelivered]:
    """Newest first (by when it ended); `recipients`: only these units (None: all)."""
    where = "d.status IN ('failed', 'unknown') AND NOT EXISTS (SELECT 1 FROM delivery f WHERE f.fallback_of = d.id)"
    params: dict[str, object] = {"limit": int(limit)}
    binds: list[BindParameter[Any]] = []
    if recipients is not None:
        if not recipients:
            return []
        where += " AND d.recipient IN :recipients"
        params["recipients"] = sorted(recipients)
        binds.append(bindparam("recipients", expanding=True))
    rows = connection.execute(
        text(
            "SELECT d.id, d.recipient, d.channel, d.status, d.attempts, d.last_error, d.closed_at, d.created_at"
            f" FROM delivery d WHERE {where} ORDER BY COALESCE(d.closed_at, d.created_at) DESC, d.id DESC LIMIT :limit"
        ).bindparams(*binds),
        params,
    ).mappings().all()
    carried: dict[int, list[int]] = {}
    if rows:
        for delivery_id, occurrence_id in connection.execute(
            text("SELECT i.delivery_id, r.occurrence_id FROM delivery_item i JOIN reminder r ON r.id = i.reminder_id"
                 " WHERE i.delivery_id IN :ids ORDER BY r.occurrence_id").bindparams(bindparam("ids", expanding=True)),
            {"ids": [r["id"] for r in rows]},
        ):
            carried.setdefault(delivery_id, []).append(occurrence_id)
    return [
        Undelivered(id=r["id"], recipient=r["recipient"], channel=r["channel"], status=r["status"],
                    attempts=r["attempts"], error=r["last_error"],
                    closed_at=from_db(r["closed_at"]) if r["closed_at"] is not None else None,
                    created_at=from_db(r["created_at"]), occurrence_ids=tuple(dict.fromkeys(carried.get(r["id"], []))))
        for r in rows
    ]
