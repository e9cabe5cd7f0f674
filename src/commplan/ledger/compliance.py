"""What a plan's compliance report reads: every occurrence of the plan due in a period, with its
obligation's kind and channel, its delivered count and its status at T, in one statement.

The status is `status.joined_status_sql` (the excused and recounted rows taken once as sets), not
STATUS_SQL's lookups per row: a month of a 560-commune province is about 4,000 rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BindParameter, Connection, text

from .clock import from_db
from .status import DELIVERED_SQL, RECOUNTED_SQL, Status, joined_status_sql


@dataclass(frozen=True)
class ComplianceRow:
    id: int
    obligation: str  # its code in the plan
    title: str
    kind: str | None
    channel: str | None
    unit: str  # its own unit, or the group of a shared duty
    due: dt.datetime  # aware, in the plan's timezone
    at_least: int
    delivered: int
    status: Status


def rows(connection: Connection, params: dict[str, Any], bind: list[BindParameter[Any]]) -> list[ComplianceRow]:
    """The plan's (`:plan`) non-orphaned occurrences due in [`:due_from`, `:due_before`), at `:as_of`."""
    found = connection.execute(
        text(
            "SELECT o.id, ob.code, ob.title, ob.kind, ob.channel, o.unit_id, o.due_at, o.at_least,"
            f" {DELIVERED_SQL} AS delivered, {joined_status_sql()} AS status, p.timezone"
            f" FROM occurrence o LEFT JOIN {RECOUNTED_SQL} rc ON rc.occurrence_id = o.id"
            " JOIN obligation ob ON ob.id = o.obligation_id JOIN plan p ON p.id = ob.plan_id"
            " WHERE ob.plan_id = :plan AND o.orphaned_at IS NULL AND o.due_at >= :due_from AND o.due_at < :due_before"
            " ORDER BY o.due_at, ob.code, o.unit_id, o.id"
        ).bindparams(*bind),
        params,
    ).all()
    return [
        ComplianceRow(id=r[0], obligation=r[1], title=r[2], kind=r[3], channel=r[4], unit=r[5],
                      due=from_db(r[6]).astimezone(ZoneInfo(r[10])), at_least=r[7], delivered=int(r[8]),
                      status=Status(r[9]))
        for r in found
    ]
