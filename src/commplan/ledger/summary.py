"""A summary's counts, computed in SQL: no occurrence row reaches Python.

Each (unit, obligation) pair gets its count in every status at T, by STATUS_SQL's classification
without its lookups per row (`status.bulk_status_sql`, `status.joined_status_sql`): the excused
rows and those whose met_at needs a recount are sets taken once. The aggregation is the one each
engine does best over a province's rows: SQLite reads `ix_occurrence_summary` in (unit, obligation)
order and streams one string of one-letter status codes per pair (grouping by the status too
would sort every row); PostgreSQL hashes the (unit, obligation, status) groups.

A province is two disjoint parts, so that the first is a range of the covering index per unit:
the rows whose own unit is in the province, and the few held jointly (`ix_occurrence_shared`)
whose own unit is elsewhere (a group, another province's unit) but one of whose holders is in it.
Lists (`statuses`) select a province with IN_PROVINCE.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, text

from .status import RECOUNTED_SQL, STATUSES, Status, bulk_status_sql, joined_status_sql

# One character per status, for SQLite's string of codes.
CODES: dict[Status, str] = {status: str(position) for position, status in enumerate(STATUSES)}
BY_CODE: dict[str, Status] = {code: status for status, code in CODES.items()}
BY_VALUE: dict[str, Status] = {status.value: status for status in STATUSES}

PROVINCE_UNITS = "SELECT u.id FROM unit u WHERE u.province = :province"
# Some holder of the row is a unit of the province (occurrence_holder mirrors `holders` and unit_id).
HOLDER_IN_PROVINCE = ("EXISTS (SELECT 1 FROM occurrence_holder h JOIN unit u ON u.id = h.unit_id"
                      " WHERE h.occurrence_id = o.id AND u.province = :province)")
OWN_UNIT_IN_PROVINCE = f"o.unit_id IN ({PROVINCE_UNITS})"
# A row not held jointly (its only holder is its own unit) is in the province exactly when that unit is.
HELD_JOINTLY_IN_PROVINCE = f"o.held_jointly AND o.unit_id NOT IN ({PROVINCE_UNITS}) AND {HOLDER_IN_PROVINCE}"
# Every row of a province, for lists: by its own unit, or (rarely) through its other holders. The
# holder lookup is a scalar subquery, so that PostgreSQL runs it for the rows held jointly alone
# (an EXISTS there is hashed whole: every holder row of the province, for a page of 50).
IN_PROVINCE = (f"({OWN_UNIT_IN_PROVINCE} OR (o.held_jointly AND (SELECT MIN(h.unit_id) FROM occurrence_holder h"
               f" WHERE h.occurrence_id = o.id AND h.unit_id IN ({PROVINCE_UNITS})) IS NOT NULL))")


Counts = dict[Status, int]


def status_counts(connection: Connection, where: Iterable[str], params: dict, *, province: bool,
                  bind: list) -> tuple[dict[str, Counts], dict[int, Counts]]:
    """Counts per unit_id and per obligation_id of the non-orphaned rows matching `where` (terms on
    `o`, with `:province` among `params` when `province`), at `params["as_of"]`."""
    terms = [*where, "o.orphaned_at IS NULL"]
    parts = [OWN_UNIT_IN_PROVINCE, HELD_JOINTLY_IN_PROVINCE] if province else ["1 = 1"]
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        select = f"o.unit_id, o.obligation_id, group_concat({bulk_status_sql(lambda s: repr(CODES[s]))}, '')"
        source = "occurrence o"
        group = "o.unit_id, o.obligation_id"
    else:
        select = f"o.unit_id, o.obligation_id, {joined_status_sql()} AS status, COUNT(*)"
        source = f"occurrence o LEFT JOIN {RECOUNTED_SQL} rc ON rc.occurrence_id = o.id"
        group = "o.unit_id, o.obligation_id, status"
    statement = " UNION ALL ".join(
        f"SELECT {select} FROM {source} WHERE {' AND '.join([*terms, part])} GROUP BY {group}" for part in parts)
    rows = connection.execute(text(statement).bindparams(*bind), params).all()
    if sqlite:  # strings of codes, joined per unit and per obligation, counted once each
        unit_codes: dict[str, list[str]] = {}
        obligation_codes: dict[int, list[str]] = {}
        for unit, obligation, codes in rows:
            unit_codes.setdefault(unit, []).append(codes)
            obligation_codes.setdefault(obligation, []).append(codes)
        return ({unit: _tally("".join(codes)) for unit, codes in unit_codes.items()},
                {obligation: _tally("".join(codes)) for obligation, codes in obligation_codes.items()})
    units: dict[str, Counts] = {}
    obligations: dict[int, Counts] = {}
    for unit, obligation, value, count in rows:
        status = BY_VALUE[value]
        for table, key in ((units, unit), (obligations, obligation)):
            counts = table.get(key) or table.setdefault(key, dict.fromkeys(STATUSES, 0))
            counts[status] += count
    return units, obligations


def _tally(codes: str) -> Counts:
    return {status: codes.count(code) for status, code in CODES.items()}
