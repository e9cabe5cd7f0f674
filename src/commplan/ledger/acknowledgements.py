""""Đã nhận, đang thực hiện": a unit's word that it received a reminder and is on it. Recorded once
per occurrence and unit (pressing the button again changes nothing) and shown to the coordinator."""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import Connection, select
from sqlmodel import col

from . import tables as t
from .clock import from_db, to_db
from .engine import insert_for


@dataclass(frozen=True)
class Acknowledgement:
    occurrence_id: int
    unit_id: str
    by_name: str | None
    at: dt.datetime


def _row(row: dict) -> Acknowledgement:
    return Acknowledgement(row["occurrence_id"], row["unit_id"], row["by_name"], from_db(row["at"]))


def record(connection: Connection, occurrence_id: int, unit: str, by_name: str | None, now: dt.datetime) -> tuple[Acknowledgement, bool]:
    """(the acknowledgement, whether it is new); a repeat leaves the first one as it was."""
    dialect_insert = insert_for(connection)
    result = connection.execute(dialect_insert(t.table_of(t.AcknowledgementRow)).values(
        occurrence_id=occurrence_id, unit_id=unit, by_name=by_name, at=to_db(now)).on_conflict_do_nothing()
        .returning(col(t.AcknowledgementRow.unit_id)))  # a row back only when inserted (rowcount is not reliable here)
    new = result.first() is not None
    return read(connection, [occurrence_id], unit=unit)[occurrence_id][0], new


def read(connection: Connection, occurrence_ids: Collection[int], *, unit: str | None = None) -> dict[int, list[Acknowledgement]]:
    rows = t.AcknowledgementRow
    query = select(t.table_of(rows)).where(col(rows.occurrence_id).in_(list(occurrence_ids))).order_by(col(rows.at), col(rows.unit_id))
    if unit is not None:
        query = query.where(col(rows.unit_id) == unit)
    found: dict[int, list[Acknowledgement]] = {occurrence: [] for occurrence in occurrence_ids}
    for row in connection.execute(query).mappings():
        found[row["occurrence_id"]].append(_row(dict(row)))
    return found


