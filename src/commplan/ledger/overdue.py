"""The coordinator's overdue list: one page of overdue occurrences, the most late first, and the total.

The caller (`Ledger.overdue_page`) gives WHERE terms on `o` that select exactly the overdue rows
(`status.OVERDUE_NOW` at the present, which is the partial index ix_occurrence_unmet_due, in deadline
order): the page is then an ORDER BY due_at ... LIMIT/OFFSET read along that index, and the total a
count over it. Only the 50 rows of a page are joined to their obligation and plan and have their
delivered count and acknowledgements read. Every value is a bound parameter.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import BindParameter, Connection, text

from . import acknowledgements
from .acknowledgements import Acknowledgement
from .clock import from_db
from .status import DELIVERED_SQL

# the obligation's kind (publish, broadcast, report...) and its channel (portal, newspaper...) as filters:
# an indexed lookup of the few obligations, never a join per occurrence
KIND_TERM = "o.obligation_id IN (SELECT kob.id FROM obligation kob WHERE kob.kind IN :kinds)"
CHANNEL_TERM = "o.obligation_id IN (SELECT cob.id FROM obligation cob WHERE cob.channel IN :channels)"


@dataclass(frozen=True)
class OverdueRow:
    id: int
    plan: str
    plan_number: str | None
    plan_title: str
    obligation: str  # its code in the plan
    title: str
    kind: str | None
    channel: str | None
    unit: str  # a unit, or a group for a shared duty
    holders: tuple[str, ...]
    window_start: dt.date
    window_end: dt.date
    due: dt.datetime  # aware, in the plan's timezone
    at_least: int
    delivered: int
    acknowledgements: tuple[Acknowledgement, ...]


def _date(value: dt.date | str) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def page(connection: Connection, where: Sequence[str], params: dict[str, Any], bind: list[BindParameter[Any]], *,
         offset: int, limit: int) -> tuple[list[OverdueRow], int]:
    """(the rows from `offset`, at most `limit`, by deadline then id; how many match in all)."""
    condition = " AND ".join(where) or "1 = 1"
    total = int(connection.execute(
        text(f"SELECT COUNT(*) FROM occurrence o WHERE {condition}").bindparams(*bind), params).scalar_one())
    if total <= offset:
        return [], total
    rows = connection.execute(
        text(
            "SELECT o.id, ob.plan_id, p.number, p.title AS plan_title, ob.code, ob.title, ob.kind, ob.channel,"
            " o.unit_id, o.holders, o.window_start, o.window_end, o.due_at, o.at_least,"
            f" {DELIVERED_SQL} AS delivered, p.timezone"
            " FROM occurrence o JOIN obligation ob ON ob.id = o.obligation_id JOIN plan p ON p.id = ob.plan_id"
            f" WHERE {condition} ORDER BY o.due_at, o.id LIMIT :page_limit OFFSET :page_offset"
        ).bindparams(*bind),
        {**params, "page_limit": int(limit), "page_offset": int(offset)},
    ).mappings().all()
    said = acknowledgements.read(connection, [r["id"] for r in rows])
    return [
        OverdueRow(
            id=r["id"], plan=r["plan_id"], plan_number=r["number"], plan_title=r["plan_title"], obligation=r["code"],
            title=r["title"], kind=r["kind"], channel=r["channel"], unit=r["unit_id"], holders=tuple(r["holders"].split()),
            window_start=_date(r["window_start"]), window_end=_date(r["window_end"]),
            due=from_db(r["due_at"]).astimezone(ZoneInfo(r["timezone"])), at_least=r["at_least"],
            delivered=int(r["delivered"]), acknowledgements=tuple(said[r["id"]]),
        )
        for r in rows
    ], total


def owners(connection: Connection, occurrence_ids: Collection[int],
           bind: list[BindParameter[Any]]) -> dict[int, tuple[str, str, tuple[str, ...]]]:
    """(plan, own unit, holders) of each occurrence that exists: what decides whether a user may act on it."""
    if not occurrence_ids:
        return {}
    rows = connection.execute(
        text("SELECT o.id, ob.plan_id, o.unit_id, o.holders FROM occurrence o JOIN obligation ob ON ob.id = o.obligation_id"
             " WHERE o.id IN :ids").bindparams(*bind),
        {"ids": sorted(occurrence_ids)},
    ).all()
    return {row[0]: (row[1], row[2], tuple(row[3].split())) for row in rows}
